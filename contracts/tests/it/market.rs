//! The marketplace's slashing paths (docs/marketplace.md "Disputes") on a real anvil:
//! receipts and clearings signed by `baton_preconf::market` with the registered committer's
//! key, judged by `baton_preconf::market::dispute` and by the deployed Slasher through the
//! bindings; the two must agree.

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256, utils::parse_ether},
    providers::Provider,
    rpc::types::TransactionReceipt,
    sol_types::SolValue,
};
use baton_contracts::{
    IMarketSlasher, MarketDisputes,
    MarketDisputes::{MarketDisputesErrors as Errors, MarketDisputesInstance},
    Registry,
};
use baton_preconf::{
    RollupId, Slot,
    market::{
        self, BidReceipt, Product, ReceiptedBid, SignedClearing, SignedReceipt,
        dispute::{self, OmissionEvidence},
    },
};

use crate::fixture::World;

/// One auction of six receipted bids (as in the golden vectors): top(1,2) 10, bundle(1,2)
/// 12, top(2,1) 11, whole(3) 5, whole(3) 5, top(1,2) 9 gwei. The honest clearing awards
/// the bundle (seq 1) and whole(3) (seq 3, the earlier of the tie).
struct Auction {
    slot: Slot,
    receipted: Vec<ReceiptedBid>,
    signed: Vec<SignedReceipt>,
}

fn gwei(n: u64) -> U256 {
    U256::from(n) * U256::from(1_000_000_000u64)
}

fn top(rollup: u64, positions: u16) -> Product {
    Product::TopOfBatch {
        rollup: RollupId(rollup),
        positions,
    }
}

fn whole(rollup: u64) -> Product {
    Product::WholeBatch {
        rollup: RollupId(rollup),
    }
}

impl Auction {
    fn run(world: &World, slot: u64) -> eyre::Result<Self> {
        let slot = Slot(slot);
        let bundle = Product::Bundle {
            rollups: vec![RollupId(1), RollupId(2)],
            positions: 1,
        };
        let lots = [
            (top(1, 2), 10),
            (bundle, 12),
            (top(2, 1), 11),
            (whole(3), 5),
            (whole(3), 5),
            (top(1, 2), 9),
        ];
        let (mut receipted, mut signed) = (Vec::new(), Vec::new());
        for (i, (product, amount)) in lots.into_iter().enumerate() {
            let (n, _) = product.tx_count_range();
            let bid = market::Bid {
                slot,
                validator_pubkey: world.validator.public_key(),
                product: product.clone(),
                amount: gwei(amount),
                tx_hashes: (0..n)
                    .map(|j| keccak256(format!("bid {i} tx {j}")))
                    .collect(),
                payment_tx_hash: keccak256(format!("payment {i}")),
                bidder: Address::repeat_byte(0x61 + i as u8),
                nonce: i as u64,
            };
            let receipt = BidReceipt {
                bid_hash: bid.digest(&world.domain),
                slot,
                product: product.id(),
                amount: bid.amount,
                seq: i as u32,
                arrival_ms: 1_700_000_000_000 + 250 * i as u64,
                committer: world.committer.address(),
            };
            signed.push(receipt.sign(&world.committer, &world.domain)?);
            receipted.push(ReceiptedBid { receipt, product });
        }
        Ok(Self {
            slot,
            receipted,
            signed,
        })
    }

    fn clear(&self, world: &World, bids: &[ReceiptedBid]) -> eyre::Result<market::ClearingOutcome> {
        Ok(market::clear(self.slot, world.committer.address(), bids)?)
    }

    /// The preimage of every award, looked up among the receipted products.
    fn award_products(&self, clearing: &SignedClearing) -> Vec<Product> {
        clearing
            .clearing
            .awards
            .iter()
            .map(|a| {
                let r = self.receipted.iter().find(|r| r.product.id() == a.product);
                r.expect("awarded product was bid for").product.clone()
            })
            .collect()
    }
}

/// The Slasher, called through its marketplace paths (run by its fallback).
fn market_as_challenger(world: &World) -> MarketDisputesInstance<impl Provider + Clone + use<>> {
    MarketDisputes::new(world.deployed.slasher, world.provider(&world.challenger))
}

fn receipt_sol(r: &SignedReceipt) -> (IMarketSlasher::BidReceipt, Bytes) {
    let encoded = r.receipt.to_eip712().abi_encode();
    let receipt = IMarketSlasher::BidReceipt::abi_decode(&encoded).expect("same ABI layout");
    (receipt, r.signature.to_bytes().to_vec().into())
}

fn clearing_sol(c: &SignedClearing) -> (IMarketSlasher::Clearing, Bytes) {
    let encoded = c.clearing.to_eip712().abi_encode();
    let clearing = IMarketSlasher::Clearing::abi_decode(&encoded).expect("same ABI layout");
    (clearing, c.signature.to_bytes().to_vec().into())
}

fn product_sol(p: &Product) -> IMarketSlasher::Product {
    IMarketSlasher::Product {
        kind: p.kind_code(),
        rollups: p.rollups().iter().map(|r| r.0).collect(),
        positions: p.positions(),
    }
}

fn products_sol(ps: &[Product]) -> Vec<IMarketSlasher::Product> {
    ps.iter().map(product_sol).collect()
}

/// Asserts a mined slash took the safety penalty and said so in its event.
async fn assert_slashed(
    world: &World,
    receipt: &TransactionReceipt,
    before: U256,
    clearing: &SignedClearing,
    wronged: &SignedReceipt,
) -> eyre::Result<()> {
    assert!(receipt.status(), "slash reverted");
    assert_eq!(
        before - world.collateral().await?,
        world.params.safety_penalty,
        "collateral drops by the safety penalty"
    );
    let event = receipt
        .decoded_log::<MarketDisputes::MarketFaultSlashed>()
        .expect("MarketFaultSlashed");
    assert_eq!(
        event.address, world.deployed.slasher,
        "emitted by the Slasher"
    );
    assert_eq!(event.operator, world.operator.address());
    assert_eq!(event.slot, clearing.clearing.slot.0);
    assert_eq!(
        event.clearingDigest,
        clearing.clearing.digest(&world.domain)
    );
    assert_eq!(event.receiptDigest, wronged.receipt.digest(&world.domain));
    assert_eq!(event.challenger, world.challenger.address());
    assert_eq!(event.amount, world.params.safety_penalty);
    Ok(())
}

#[tokio::test]
async fn unfair_clearings_signed_in_rust_are_slashed_on_chain() -> eyre::Result<()> {
    let world = World::start().await?;
    // Five slashes of 4 ETH below: top the 10 ETH collateral up so none is capped.
    let registry = Registry::new(world.deployed.registry, world.provider(&world.operator));
    let topped = registry
        .addCollateral()
        .value(parse_ether("20")?)
        .send()
        .await?
        .get_receipt()
        .await?;
    assert!(topped.status());
    let slasher = market_as_challenger(&world);
    let d = &world.domain;
    let auction = Auction::run(&world, world.future_slot(1).await?)?;
    let r = &auction.signed;

    // The contract hashes as Rust does.
    let (r5, s5) = receipt_sol(&r[5]);
    assert_eq!(
        slasher.receiptDigestOf(r5.clone()).call().await?,
        r[5].receipt.digest(d)
    );
    let p3 = &auction.receipted[3].product;
    assert_eq!(
        slasher.productIdOf(product_sol(p3)).call().await?,
        p3.id().0
    );

    // (a) beyond the count: the last receipt is left out (bidCount 5).
    let omits = auction
        .clear(&world, &auction.receipted[..5])?
        .clearing
        .sign(&world.committer, d)?;
    dispute::check_omitted_bid(d, &r[5], &omits, &OmissionEvidence::BeyondCount)?;
    let (c, cs) = clearing_sol(&omits);
    assert_eq!(
        slasher.clearingDigestOf(c.clone()).call().await?,
        omits.clearing.digest(d)
    );
    let before = world.collateral().await?;
    let call = slasher.slashOmittedBid(
        r5.clone(),
        s5.clone(),
        c.clone(),
        cs.clone(),
        B256::ZERO,
        vec![],
    );
    let mined = call.send().await?.get_receipt().await?;
    eprintln!(
        "gas (full transaction): slashOmittedBid, beyond count = {}",
        mined.gas_used
    );
    assert_slashed(&world, &mined, before, &omits, &r[5]).await?;
    // The same evidence again: refused.
    let again = slasher
        .slashOmittedBid(r5, s5, c, cs, B256::ZERO, vec![])
        .send()
        .await;
    let err = again.expect_err("replay must revert");
    assert!(
        matches!(
            err.as_decoded_interface_error::<Errors>(),
            Some(Errors::AlreadySlashed(_))
        ),
        "expected AlreadySlashed, got {err}"
    );

    // (a) another leaf, and (b) a lower winner: receipt 3 replaced by a made-up 1-gwei
    // receipt, so whole(3) goes to seq 4 at the same amount.
    let mut swapped = auction.receipted.clone();
    swapped[3].receipt.amount = gwei(1);
    swapped[3].receipt.bid_hash = keccak256("a bid nobody made");
    let outcome = auction.clear(&world, &swapped)?;
    let proof = outcome.omission_proof(3).expect("seq 3 is inside");
    let leaf = swapped[3].receipt.struct_hash();
    let swaps = outcome.clearing.clone().sign(&world.committer, d)?;
    let evidence = OmissionEvidence::OtherLeaf {
        leaf,
        proof: proof.clone(),
    };
    dispute::check_omitted_bid(d, &r[3], &swaps, &evidence)?;
    let (r3, s3) = receipt_sol(&r[3]);
    let (c, cs) = clearing_sol(&swaps);
    let before = world.collateral().await?;
    let call = slasher.slashOmittedBid(
        r3.clone(),
        s3.clone(),
        c.clone(),
        cs.clone(),
        leaf,
        proof.siblings,
    );
    let mined = call.send().await?.get_receipt().await?;
    eprintln!(
        "gas (full transaction): slashOmittedBid, other leaf = {}",
        mined.gas_used
    );
    assert_slashed(&world, &mined, before, &swaps, &r[3]).await?;

    let index = swaps
        .clearing
        .awards
        .iter()
        .position(|a| a.product == whole(3).id());
    let index = index.expect("whole(3) awarded");
    dispute::check_lower_winner(d, &r[3], &swaps, index)?;
    let before = world.collateral().await?;
    let call = slasher.slashLowerWinner(r3.clone(), s3.clone(), c, cs, U256::from(index));
    let mined = call.send().await?.get_receipt().await?;
    eprintln!(
        "gas (full transaction): slashLowerWinner = {}",
        mined.gas_used
    );
    assert_slashed(&world, &mined, before, &swaps, &r[3]).await?;

    // (a') the award for whole(3), which conflicts with nothing, is dropped.
    let mut dropped = auction.clear(&world, &auction.receipted)?.clearing;
    dropped.awards.retain(|a| a.product != whole(3).id());
    let drops = dropped.sign(&world.committer, d)?;
    let awarded = auction.award_products(&drops);
    dispute::check_ignored_product(d, &r[3], &whole(3), &drops, &awarded)?;
    let (c, cs) = clearing_sol(&drops);
    let before = world.collateral().await?;
    let call = slasher.slashIgnoredProduct(
        r3,
        s3,
        product_sol(&whole(3)),
        c,
        cs,
        products_sol(&awarded),
    );
    let mined = call.send().await?.get_receipt().await?;
    eprintln!(
        "gas (full transaction): slashIgnoredProduct = {}",
        mined.gas_used
    );
    assert_slashed(&world, &mined, before, &drops, &r[3]).await?;
    Ok(())
}

#[tokio::test]
async fn honest_clearing_is_refused_on_every_path() -> eyre::Result<()> {
    let world = World::start().await?;
    let slasher = market_as_challenger(&world);
    let d = &world.domain;
    let auction = Auction::run(&world, world.future_slot(1).await?)?;
    let outcome = auction.clear(&world, &auction.receipted)?;
    let honest = outcome.clearing.clone().sign(&world.committer, d)?;
    let (c, cs) = clearing_sol(&honest);
    let awarded = auction.award_products(&honest);
    let before = world.collateral().await?;
    let expect = |result: Result<_, alloy::contract::Error>, what: &str| -> Errors {
        let err = result.map(|_| ()).expect_err(what);
        err.as_decoded_interface_error::<Errors>()
            .unwrap_or_else(|| panic!("{what}: undecodable revert {err}"))
    };

    for (i, signed) in auction.signed.iter().enumerate() {
        let (r, s) = receipt_sol(signed);
        // (a): every receipt is its leaf.
        let proof = outcome.omission_proof(i as u32).expect("inside");
        let leaf = signed.receipt.struct_hash();
        let evidence = OmissionEvidence::OtherLeaf {
            leaf,
            proof: proof.clone(),
        };
        assert!(dispute::check_omitted_bid(d, signed, &honest, &evidence).is_err());
        let sent = slasher
            .slashOmittedBid(
                r.clone(),
                s.clone(),
                c.clone(),
                cs.clone(),
                leaf,
                proof.siblings,
            )
            .send()
            .await;
        let got = expect(sent, "an included receipt must not be slashable");
        assert!(matches!(got, Errors::ReceiptIncluded(_)), "{got:?}");

        // (b): no award went to a lower bid for the same product.
        for index in 0..honest.clearing.awards.len() {
            assert!(dispute::check_lower_winner(d, signed, &honest, index).is_err());
            let sent = slasher
                .slashLowerWinner(
                    r.clone(),
                    s.clone(),
                    c.clone(),
                    cs.clone(),
                    U256::from(index),
                )
                .send()
                .await;
            let got = expect(sent, "a fair award must not be slashable");
            assert!(
                matches!(got, Errors::AwardNotLower(_) | Errors::DifferentProduct(_)),
                "{got:?}"
            );
        }

        // (a'): every product was awarded or lost to a conflicting award.
        let product = &auction.receipted[i].product;
        assert!(dispute::check_ignored_product(d, signed, product, &honest, &awarded).is_err());
        let sent = slasher
            .slashIgnoredProduct(
                r,
                s,
                product_sol(product),
                c.clone(),
                cs.clone(),
                products_sol(&awarded),
            )
            .send()
            .await;
        let got = expect(sent, "a served product must not be slashable");
        assert!(
            matches!(got, Errors::ProductAwarded(_) | Errors::ConflictingAward(_)),
            "{got:?}"
        );
    }
    assert_eq!(world.collateral().await?, before, "nothing slashed");
    Ok(())
}
