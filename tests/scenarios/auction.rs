//! Issue 11's scenario 3 on a whole devnet: four searchers bid for the top position of
//! rollup 1's batch in one of sidecar b's slots. The highest bid wins (a tie goes to the
//! earlier receipt), its rollup transaction lands at position 0 and its L1 payment lands
//! in the same slot; the losers get nothing on either chain; every receipt is in the
//! published bids root; the explorer shows the clearing price, the winner and the fee paid.

use std::time::{Duration, Instant};

use alloy::providers::Provider;
use alloy_primitives::{Address, U256, keccak256};
use baton_devnet::{
    StartFaults, demo,
    world::{FIRST_WALLET, dev_signer},
};
use baton_preconf::{
    CommitmentKind, RollupId,
    client::{Outcome, Promise, SidecarClient},
    market::{Bid, Product},
};
use baton_sidecar::sample::{self, Fees};

use crate::support::Scenario;

/// What the sidecars auction: the top position of rollup 1, reserve 0.001 ETH.
const PRODUCT: &str = "top:1:1@1000000000000000";
const MILLI: u64 = 1_000_000_000_000_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_3_the_highest_bid_wins_pays_and_lands() -> eyre::Result<()> {
    let started = Instant::now();
    let s =
        Scenario::start_with("auction", StartFaults::default(), vec![PRODUCT.to_owned()]).await?;
    let info = s.info().clone();
    let domain = s.domain();
    let url = info.sidecars[1].rpc_url.clone();
    let sidecar = SidecarClient::new(&url)?;
    let product = Product::TopOfBatch {
        rollup: RollupId(info.rollups[0].id),
        positions: 1,
    };

    // A slot of sidecar b whose auction stays open for at least 4 more seconds.
    let offer = s
        .until(
            "a slot auctioning the product",
            Duration::from_secs(60),
            async || {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)?
                    .as_millis();
                let offers = sidecar.slots().await.unwrap_or_default();
                Ok(offers.into_iter().find_map(|offer| {
                    let auctioned = offer.products.iter().find(|p| p.product == product)?;
                    let closes: u128 = auctioned.closes_at_ms.parse().ok()?;
                    (closes > now + 4_000).then(|| (offer.clone(), auctioned.clone()))
                }))
            },
        )
        .await?;
    let (offer, auctioned) = offer;
    let slot = offer.slot;
    let recipient = auctioned
        .payment_recipient
        .ok_or_else(|| eyre::eyre!("the sidecar names no payment recipient"))?;

    // Four bids: 1, 3, 2 and 3 milli-ether; bidder 1's 3 arrives before bidder 3's.
    let amounts = [MILLI, 3 * MILLI, 2 * MILLI, 3 * MILLI];
    let rollup = &info.rollups[0];
    let mut bids = Vec::new();
    for (i, amount) in amounts.into_iter().enumerate() {
        let signer = dev_signer(FIRST_WALLET + i)?;
        let l2_nonce = demo::nonce(&rollup.l2_rpc, signer.address()).await?;
        let l2_tx = demo::transfer(
            &signer,
            rollup.l2_chain_id,
            l2_nonce,
            Address::repeat_byte(0xa0 + u8::try_from(i)?),
        )?;
        let l1_nonce = demo::nonce(&info.l1_rpc, signer.address()).await?;
        let payment = sample::transfer(
            &signer,
            info.l1_chain_id,
            l1_nonce,
            recipient,
            U256::from(amount),
            Fees {
                gas_limit: 21_000,
                ..Fees::default()
            },
        );
        let signed = Bid {
            slot,
            validator_pubkey: offer.validator_pubkey,
            product: product.clone(),
            amount: U256::from(amount),
            tx_hashes: vec![keccak256(&l2_tx)],
            payment_tx_hash: keccak256(&payment),
            bidder: signer.address(),
            nonce: 0,
        }
        .sign(&signer, &domain, vec![l2_tx.clone()], payment.clone())?;
        let receipt = sidecar.submit_bid(&signed).await?;
        receipt.verify(&domain)?;
        assert_eq!(receipt.receipt.bid_hash, signed.bid.digest(&domain));
        assert_eq!(
            receipt.receipt.seq,
            u32::try_from(i)?,
            "receipts in arrival order"
        );
        bids.push((signer, l2_tx, payment, receipt));
    }

    // The clearing, once the winner's promises are made.
    let publication = s
        .until(
            "the clearing with the winner's promises",
            Duration::from_secs(30),
            async || {
                let p = sidecar.get_clearing(slot).await?;
                Ok(
                    (p.clearing.is_some() && p.awards.iter().all(|a| !a.commitments.is_empty()))
                        .then_some(p),
                )
            },
        )
        .await?;
    publication.check(&domain)?;
    let clearing = &publication.clearing.as_ref().expect("cleared").clearing;
    assert_eq!(clearing.bid_count, 4);
    assert_eq!(clearing.awards.len(), 1);
    let award = &clearing.awards[0];
    let winner = &bids[1];
    assert_eq!(
        award.amount,
        U256::from(3 * MILLI),
        "first price: the highest bid"
    );
    assert_eq!(
        award.bid_hash, winner.3.receipt.bid_hash,
        "the tie goes to the earlier receipt"
    );
    // Every receipted bid is a leaf of the published root.
    for (_, _, _, receipt) in &bids {
        let proof = publication
            .proof(receipt.receipt.seq)
            .ok_or_else(|| eyre::eyre!("no proof for seq {}", receipt.receipt.seq))?;
        proof.verify(receipt.receipt.struct_hash(), clearing.bids_root)?;
    }

    // The winner's promises: its rollup transaction at position 0, its payment included.
    let commitments = &publication.awards[0].commitments;
    let wallet = demo::wallet_at(&info, winner.0.clone(), &url)?;
    let mut payment_block = None;
    for signed in commitments {
        signed.verify(&domain)?;
        let promise = Promise {
            request_id: signed.commitment.request_id,
            signed: signed.clone(),
        };
        match wallet.track(&promise, Duration::from_millis(250)).await? {
            Outcome::Kept { block } => {
                if signed.commitment.kind == CommitmentKind::Inclusion {
                    payment_block = Some(block);
                } else {
                    assert_eq!(signed.commitment.placements[0].position.0, 0);
                }
            }
            Outcome::Broken { reason } => {
                eyre::bail!("{reason}\n{}", s.evidence(slot, signed))
            }
        }
    }
    let reader = s.reader()?;
    let paid = s.receipt(keccak256(&winner.2)).await?;
    assert!(paid.status());
    assert_eq!(
        paid.block_number, payment_block,
        "paid in the auctioned slot"
    );
    demo::l2_receipt(&rollup.l2_rpc, keccak256(&winner.1)).await?;

    // The losers: no payment on L1, no transaction on the rollup.
    let l2 = alloy::providers::ProviderBuilder::new().connect_http(rollup.l2_rpc.parse()?);
    for (i, (_, l2_tx, payment, _)) in bids.iter().enumerate().filter(|(i, _)| *i != 1) {
        assert!(
            reader
                .get_transaction_receipt(keccak256(payment))
                .await?
                .is_none(),
            "bidder {i} paid without winning"
        );
        assert!(
            l2.get_transaction_receipt(keccak256(l2_tx))
                .await?
                .is_none(),
            "bidder {i}'s rollup transaction ran without winning"
        );
    }

    // The explorer: clearing price, winner, fee paid.
    let row = s
        .until(
            "the explorer's auction row",
            Duration::from_secs(20),
            async || {
                let answer: serde_json::Value = reqwest::get(format!(
                    "{}/api/auctions?slot={}",
                    info.explorer_url, slot.0
                ))
                .await?
                .json()
                .await?;
                Ok(answer["auctions"]
                    .as_array()
                    .and_then(|rows| rows.iter().find(|r| r["sidecar"] == "b"))
                    .filter(|r| r["awards"][0]["fee"] == "paid")
                    .cloned())
            },
        )
        .await?;
    assert_eq!(row["bids"], 4);
    assert_eq!(row["awards"][0]["price"], (3 * MILLI).to_string());
    assert_eq!(
        row["awards"][0]["winner"].as_str().map(str::to_lowercase),
        Some(winner.0.address().to_string().to_lowercase())
    );
    eprintln!(
        "scenario 3: slot {slot}: 4 bids, cleared at {} wei to bidder 1 (tie broken by arrival), paid in block {}; {:.1} s",
        award.amount,
        payment_block.unwrap_or_default(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
