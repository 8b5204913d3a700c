//! The slot auctions end to end against the real `baton-sidecar` binary over anvil: sealed
//! bids receipted on arrival, refusals with their codes, ordinary sequencing held while a
//! rollup is auctioned, the clearing at the close (highest bid, ties to the earlier
//! receipt), the winners' promises, and a SIGKILL between receipts and clearing.

use std::collections::HashSet;

use alloy::primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BlsSecretKey, CommitmentKind, Position, RollupId, SignedCommitment, Slot,
    market::{ClearingPublication, Product, ReceiptedBid, SignedBid, SignedReceipt, clear},
};
use baton_sidecar::market::{AwardPart, award_request_id};
use serde_json::{Value, json};

use crate::{
    market_fixture::{RESERVE, World, bundle, committer, metric, top},
    rollup_fixture::{call, error_code, request},
};

/// Submits a bid that must be receipted; checks the receipt against the bid.
async fn receipted(world: &World, bid: &SignedBid) -> SignedReceipt {
    let answer = world.submit(bid).await;
    let receipt: SignedReceipt = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| panic!("no receipt ({e}): {answer}"));
    receipt
        .verify_for(&world.domain, &bid.bid, committer().address())
        .unwrap();
    receipt
}

/// A funded bidder.
async fn bidder(world: &World) -> PrivateKeySigner {
    let who = PrivateKeySigner::random();
    world.fund(who.address()).await;
    who
}

async fn sequencing(world: &World, slot: u64, rollups: &[(u64, &str)]) -> Value {
    let wallet = PrivateKeySigner::random();
    call(
        &world.url,
        "baton_requestSequencing",
        json!([request(slot, rollups, &wallet, &world.domain)]),
    )
    .await
}

fn position_of(answer: &Value) -> (RollupId, Position) {
    let signed: SignedCommitment = serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| panic!("no promise ({e}): {answer}"));
    let p = &signed.commitment.placements[0];
    (p.rollup_id, p.position)
}

/// Checks every receipt is leaf `seq` of the published root, and the award's promises.
fn check_publication(
    world: &World,
    slot: u64,
    publication: &ClearingPublication,
    receipts: &[SignedReceipt],
) {
    publication.check(&world.domain).unwrap();
    let clearing = &publication.clearing.as_ref().unwrap().clearing;
    assert_eq!(clearing.bid_count as usize, receipts.len());
    for receipt in receipts {
        publication
            .proof(receipt.receipt.seq)
            .unwrap()
            .verify(receipt.receipt.struct_hash(), clearing.bids_root)
            .unwrap_or_else(|e| panic!("receipt {} is not counted: {e}", receipt.receipt.seq));
    }
    for award in &publication.awards {
        let bid_hash = award.receipt.receipt.bid_hash;
        let [sequencing, payment] = award.commitments.as_slice() else {
            panic!("an award holds two promises");
        };
        sequencing
            .verify_for(
                &world.domain,
                award_request_id(bid_hash, AwardPart::Sequencing),
                Slot(slot),
            )
            .unwrap();
        payment
            .verify_for(
                &world.domain,
                award_request_id(bid_hash, AwardPart::Payment),
                Slot(slot),
            )
            .unwrap();
        assert_eq!(sequencing.commitment.kind, CommitmentKind::Sequencing);
        assert_eq!(payment.commitment.kind, CommitmentKind::Inclusion);
        assert_eq!(sequencing.commitment.fee, award.receipt.receipt.amount);
        assert!(
            sequencing
                .commitment
                .placements
                .iter()
                .all(|p| p.position == Position(0)),
            "the winner holds the top positions"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_bidders_clear_to_the_highest_and_only_winners_hold_promises() {
    let world = World::start("clears").await;
    let slot = world.slot_closing_after(15);
    let offer = world.wait_owned(slot).await;
    let products = offer["products"].as_array().unwrap();
    assert_eq!(products.len(), 2, "{offer}");
    assert_eq!(products[0]["product"], serde_json::to_value(top()).unwrap());
    assert_eq!(products[0]["reserveWei"], RESERVE.to_string());
    assert_eq!(products[1]["productId"], json!(bundle().id()));
    assert_eq!(products[0]["closesAtMs"], world.close_ms(slot).to_string());
    assert_eq!(offer["capacity"]["rollups"].as_array().unwrap().len(), 4);

    // Six bidders for the top of rollup 1 (a tie at 9000), five for the bundle of rollups
    // 2 and 3 (a tie at 6000), in this arrival order.
    let mut bids: Vec<(SignedBid, SignedReceipt)> = Vec::new();
    for (i, amount) in [3_000, 5_000, 9_000, 9_000, 7_000, 1_500]
        .into_iter()
        .enumerate()
    {
        let bid = world.bid(
            &bidder(&world).await,
            slot,
            top(),
            amount,
            &format!("top {i}"),
        );
        let receipt = receipted(&world, &bid).await;
        bids.push((bid, receipt));
    }
    for (i, amount) in [2_000, 6_000, 6_000, 4_000, 1_200].into_iter().enumerate() {
        let bid = world.bid(
            &bidder(&world).await,
            slot,
            bundle(),
            amount,
            &format!("bun {i}"),
        );
        let receipt = receipted(&world, &bid).await;
        bids.push((bid, receipt));
    }
    let seqs: Vec<u32> = bids.iter().map(|(_, r)| r.receipt.seq).collect();
    assert_eq!(seqs, (0..11).collect::<Vec<_>>(), "seq counts arrivals");
    let fetched = call(
        &world.url,
        "baton_getReceipt",
        json!([bids[4].1.receipt.bid_hash]),
    )
    .await;
    assert_eq!(fetched["result"], serde_json::to_value(bids[4].1).unwrap());
    assert_eq!(
        error_code(&call(&world.url, "baton_getReceipt", json!([B256::ZERO])).await),
        1715
    );

    // Every bad input gets its code, and none is receipted.
    let who = bidder(&world).await;
    let good = world.bid(&who, slot, top(), 2_000, "bad");
    let mut forged = good.clone();
    forged.signature = bids[0].0.signature;
    assert_eq!(
        error_code(&world.submit(&forged).await),
        1707,
        "bad signature"
    );
    let low = world.bid(&who, slot, top(), RESERVE - 1, "low");
    assert_eq!(
        error_code(&world.submit(&low).await),
        1708,
        "below the reserve"
    );
    let two = Product::TopOfBatch {
        rollup: RollupId(1),
        positions: 2,
    };
    let not_offered = world.bid(&who, slot, two, 2_000, "two");
    assert_eq!(error_code(&world.submit(&not_offered).await), 1703);
    let whole = Product::WholeBatch {
        rollup: RollupId(4),
    };
    assert_eq!(
        error_code(
            &world
                .submit(&world.bid(&who, slot, whole, 2_000, "w"))
                .await
        ),
        1703
    );
    let far = world.bid(&who, slot + 40, top(), 2_000, "far");
    assert_eq!(
        error_code(&world.submit(&far).await),
        1103,
        "beyond the window"
    );
    let mut other_validator = good.bid.clone();
    other_validator.validator_pubkey = BlsSecretKey::from_ikm(&[9; 32]).unwrap().public_key();
    let other_validator = other_validator
        .sign(
            &who,
            &world.domain,
            good.transactions.clone(),
            good.payment.clone(),
        )
        .unwrap();
    assert_eq!(error_code(&world.submit(&other_validator).await), 1706);
    let short = world.payment(&who, 0, 1_999);
    let underpaid = world.bid_paying(&who, slot, top(), 2_000, "under", short);
    assert_eq!(
        error_code(&world.submit(&underpaid).await),
        1709,
        "bad payment"
    );
    let late_nonce = world.payment(&who, 3, 2_000);
    let nonce_bid = world.bid_paying(&who, slot, top(), 2_000, "nonce", late_nonce);
    assert_eq!(error_code(&world.submit(&nonce_bid).await), 1710);
    let broke = PrivateKeySigner::random();
    let unfunded = world.bid(&broke, slot, top(), 2_000, "broke");
    assert_eq!(error_code(&world.submit(&unfunded).await), 1711);
    let mut missing_tx = serde_json::to_value(&good).unwrap();
    missing_tx["transactions"] = json!([]);
    let answer = call(&world.url, "baton_submitBid", json!([missing_tx])).await;
    assert_eq!(error_code(&answer), 1705, "malformed");
    let answer = call(&world.url, "baton_submitBid", json!([{"slot": "1"}])).await;
    assert_eq!(error_code(&answer), -32602);

    // While the auction is open, rollups it sells take no ordinary request; others do.
    let held = sequencing(&world, slot, &[(1, "ordinary 1")]).await;
    assert_eq!(error_code(&held), 1701);
    assert!(
        held["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&world.close_ms(slot).to_string()),
        "{held}"
    );
    let held_bundle = sequencing(&world, slot, &[(4, "free"), (2, "ordinary 2")]).await;
    assert_eq!(error_code(&held_bundle), 1701, "all or nothing");
    let free = sequencing(&world, slot, &[(4, "free 1")]).await;
    assert_eq!(position_of(&free), (RollupId(4), Position(0)));
    let open = call(
        &world.url,
        "baton_getClearing",
        json!([{"slot": slot.to_string()}]),
    )
    .await;
    assert_eq!(open["result"]["clearing"], Value::Null, "{open}");

    // After the close: one more bid is refused, and the clearing is published.
    world.sleep_until(world.close_ms(slot) + 50).await;
    let late = world.bid(&who, slot, top(), 50_000, "late");
    assert_eq!(error_code(&world.submit(&late).await), 1704);
    let publication = world.settled_clearing(slot).await;
    let receipts: Vec<SignedReceipt> = bids.iter().map(|(_, r)| *r).collect();
    check_publication(&world, slot, &publication, &receipts);
    let clearing = &publication.clearing.as_ref().unwrap().clearing;
    let won: Vec<(Product, u32, U256)> = publication
        .awards
        .iter()
        .map(|a| {
            (
                a.product.clone(),
                a.receipt.receipt.seq,
                a.receipt.receipt.amount,
            )
        })
        .collect();
    assert_eq!(
        won,
        vec![
            (top(), 2, U256::from(9_000)),
            (bundle(), 7, U256::from(6_000))
        ],
        "the highest bids win, ties to the earlier receipt"
    );
    assert_eq!(clearing.awards[0].bid_hash, bids[2].1.receipt.bid_hash);
    let bundle_promise = &publication.awards[1].commitments[0].commitment;
    let placed: Vec<(RollupId, Position)> = bundle_promise
        .placements
        .iter()
        .map(|p| (p.rollup_id, p.position))
        .collect();
    assert_eq!(
        placed,
        vec![(RollupId(2), Position(0)), (RollupId(3), Position(0))]
    );
    assert_eq!(
        publication.awards[1].commitments[1].commitment.tx_hashes,
        vec![bids[7].0.bid.payment_tx_hash],
        "the winner's payment is promised for inclusion"
    );

    // Winners hold their promises; losers hold nothing.
    let listed = call(
        &world.url,
        "baton_commitments",
        json!([{"fromSlot": slot.to_string(), "toSlot": slot.to_string()}]),
    )
    .await;
    let listed: Vec<SignedCommitment> =
        serde_json::from_value(listed["result"]["commitments"].clone()).unwrap();
    let promised_hashes: HashSet<B256> = listed
        .iter()
        .flat_map(|c| {
            c.commitment
                .tx_hashes
                .iter()
                .copied()
                .chain(c.commitment.placements.iter().map(|p| p.tx_hash))
        })
        .collect();
    for (i, (bid, receipt)) in bids.iter().enumerate() {
        let held = bid
            .bid
            .tx_hashes
            .iter()
            .chain([&bid.bid.payment_tx_hash])
            .all(|h| promised_hashes.contains(h));
        let none = bid
            .bid
            .tx_hashes
            .iter()
            .chain([&bid.bid.payment_tx_hash])
            .all(|h| !promised_hashes.contains(h));
        if i == 2 || i == 7 {
            assert!(held, "winner {i} holds its promises");
        } else {
            assert!(none, "loser {i} holds nothing");
        }
        let fetched = call(
            &world.url,
            "baton_getCommitment",
            json!([award_request_id(
                receipt.receipt.bid_hash,
                AwardPart::Payment
            )]),
        )
        .await;
        assert_eq!(fetched["result"].is_object(), i == 2 || i == 7, "{fetched}");
    }

    // After the clearing, ordinary requests come after the winners.
    let after = sequencing(&world, slot, &[(1, "ordinary after")]).await;
    assert_eq!(position_of(&after), (RollupId(1), Position(1)));
    let after = sequencing(&world, slot, &[(3, "ordinary after 3")]).await;
    assert_eq!(position_of(&after), (RollupId(3), Position(1)));

    let metrics = world.metrics().await;
    assert_eq!(
        metric(
            &metrics,
            "baton_sidecar_market_bids_total{result=\"receipted\"}"
        ),
        "11"
    );
    assert_eq!(
        metric(&metrics, "baton_sidecar_market_receipts_total"),
        "11"
    );
    assert!(
        metric(
            &metrics,
            "baton_sidecar_market_bids_total{result=\"invalid\"}"
        )
        .parse::<u64>()
        .unwrap()
            >= 9
    );
    assert!(
        metric(&metrics, "baton_sidecar_market_clearings_total")
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        metric(
            &metrics,
            "baton_sidecar_market_awards_total{fate=\"promised\"}"
        ),
        "2"
    );
    assert_eq!(
        metric(&metrics, "baton_sidecar_market_fees_promised_wei_total"),
        "15000"
    );
    assert_eq!(
        metric(
            &metrics,
            &format!(
                "baton_sidecar_market_clearing_price_wei{{product=\"{}\"}}",
                top().id()
            )
        ),
        "9000"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkill_between_receipts_and_clearing_keeps_every_receipt_and_clears_the_same_way() {
    let mut world = World::start("restart").await;
    let slot = world.slot_closing_after(14);
    world.wait_owned(slot).await;
    let mut receipts = Vec::new();
    let mut products = Vec::new();
    for (i, amount) in [4_000, 8_000, 8_000, 2_000, 6_000].into_iter().enumerate() {
        let bid = world.bid(
            &bidder(&world).await,
            slot,
            top(),
            amount,
            &format!("r {i}"),
        );
        receipts.push(receipted(&world, &bid).await);
        products.push(bid.bid.product.clone());
    }

    world.restart().await;
    world.wait_owned(slot).await;
    for receipt in &receipts {
        let fetched = call(
            &world.url,
            "baton_getReceipt",
            json!([receipt.receipt.bid_hash]),
        )
        .await;
        assert_eq!(
            fetched["result"],
            serde_json::to_value(receipt).unwrap(),
            "the identical signed receipt after the restart"
        );
    }
    let bundle_bid = world.bid(
        &bidder(&world).await,
        slot,
        bundle(),
        3_000,
        "after restart",
    );
    let next = receipted(&world, &bundle_bid).await;
    assert_eq!(next.receipt.seq, 5, "the seq counter survives");
    receipts.push(next);
    products.push(bundle());
    assert_eq!(
        error_code(&sequencing(&world, slot, &[(1, "held")]).await),
        1701,
        "still under auction after the restart"
    );

    // The clearing is what the receipts say, computed here independently.
    let inputs: Vec<ReceiptedBid> = receipts
        .iter()
        .zip(&products)
        .map(|(r, p)| ReceiptedBid {
            receipt: r.receipt,
            product: p.clone(),
        })
        .collect();
    let expected = clear(Slot(slot), committer().address(), &inputs).unwrap();
    let publication = world.settled_clearing(slot).await;
    check_publication(&world, slot, &publication, &receipts);
    assert_eq!(
        publication.clearing.as_ref().unwrap().clearing,
        expected.clearing
    );
    assert_eq!(
        publication.awards[0].receipt.receipt.seq, 1,
        "8000 at seq 1 beats seq 2"
    );
    let after = sequencing(&world, slot, &[(1, "after")]).await;
    assert_eq!(position_of(&after), (RollupId(1), Position(1)));

    // Another SIGKILL after the clearing: the same publication, promises not made again.
    world.restart().await;
    let again: ClearingPublication = serde_json::from_value(
        call(
            &world.url,
            "baton_getClearing",
            json!([{"slot": slot.to_string()}]),
        )
        .await["result"]
            .clone(),
    )
    .unwrap();
    assert_eq!(again, publication);
    let listed = call(
        &world.url,
        "baton_commitments",
        json!([{"fromSlot": slot.to_string(), "toSlot": slot.to_string()}]),
    )
    .await;
    assert_eq!(
        listed["result"]["commitments"].as_array().unwrap().len(),
        5,
        "two awards of two promises each and the ordinary one, nothing twice"
    );
}
