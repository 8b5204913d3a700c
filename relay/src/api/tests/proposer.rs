//! Signed blinded blocks: every refusal before anything is revealed. (Publishing to a
//! beacon node is covered by the integration tests, with a real HTTP beacon stub.)

use axum::http::StatusCode;
use baton_preconf::ssz::{BeaconJson, SignedBuilderBidElectra, TransactionsTree};

use super::{SLOT, fixture, slot_start_ms};
use crate::sim;

const V1: &str = "/eth/v1/builder/blinded_blocks";
const V2: &str = "/eth/v2/builder/blinded_blocks";

#[tokio::test]
async fn blinded_blocks_must_match_a_served_bid_and_be_signed_by_the_proposer() {
    let f = fixture();
    let builder = sim::bls_key(41);
    let built = f.block(&builder, 30, 1, &[]);
    assert_eq!(f.submit(&built).await.status, StatusCode::OK);
    // The same block sent again changes nothing (and keeps its payload: see the 502 below).
    assert_eq!(f.submit(&built).await.status, StatusCode::OK);
    let served = f.get(&f.header_uri("/eth/v1/builder/header")).await.json();
    let bid = SignedBuilderBidElectra::from_json(&served["data"]).unwrap();
    f.clock.set_ms(slot_start_ms(SLOT) + 500);

    // Signed by someone else.
    let impostor = sim::Proposer {
        key: sim::bls_key(3),
        index: f.proposer.index,
        fee_recipient: f.proposer.fee_recipient,
    };
    let forged = impostor.sign_blinded(&f.info, &f.attributes, bid.message.header.clone());
    assert_eq!(f.post_json(V1, &forged.to_json()).await.code, 5001);

    // Another validator index than the slot's proposer.
    let wrong_index = sim::Proposer {
        key: sim::bls_key(1),
        index: 8,
        fee_recipient: f.proposer.fee_recipient,
    };
    let block = wrong_index.sign_blinded(&f.info, &f.attributes, bid.message.header.clone());
    assert_eq!(f.post_json(V1, &block.to_json()).await.code, 3003);

    // A header this relay never offered.
    let mut unknown = bid.message.header.clone();
    unknown.block_hash = [9; 32];
    let block = f.proposer.sign_blinded(&f.info, &f.attributes, unknown);
    assert_eq!(f.post_json(V1, &block.to_json()).await.code, 5002);

    // The offered block hash, but another header.
    let mut altered = bid.message.header.clone();
    altered.gas_used += 1;
    let block = f.proposer.sign_blinded(&f.info, &f.attributes, altered);
    assert_eq!(f.post_json(V2, &block.to_json()).await.code, 5003);

    // Malformed and wrong-fork bodies.
    let mut json = f
        .proposer
        .sign_blinded(&f.info, &f.attributes, bid.message.header.clone())
        .to_json();
    json["message"]["body"]["graffiti"] = serde_json::json!("0x00");
    assert_eq!(f.post_json(V1, &json).await.code, 1004);
    let good = f
        .proposer
        .sign_blinded(&f.info, &f.attributes, bid.message.header.clone());
    let answer = f
        .call(
            "POST",
            V1,
            &[("eth-consensus-version", "fulu")],
            good.to_json().to_string(),
        )
        .await;
    assert_eq!(answer.code, 5007);
    assert!(
        f.relay.history.delivered_in(SLOT).is_none(),
        "nothing delivered"
    );

    // Valid, but this relay has no beacon node to publish to: 502, and the delivery is
    // recorded (record before reveal), so another block for the slot is refused.
    let answer = f
        .call(
            "POST",
            V1,
            &[("content-type", "application/octet-stream")],
            ssz_rs::serialize(&good).unwrap(),
        )
        .await;
    assert_eq!(
        (answer.status, answer.code),
        (StatusCode::BAD_GATEWAY, 5006)
    );
    let other = f.block(&sim::bls_key(42), 10, 2, &[]);
    assert_eq!(f.submit(&other).await.status, StatusCode::OK);
    let payload = &other.request.execution_payload;
    let root = TransactionsTree::new(&payload.transactions).unwrap().root();
    let block = f
        .proposer
        .sign_blinded(&f.info, &f.attributes, payload.header(root).unwrap());
    let answer = f.post_json(V1, &block.to_json()).await;
    assert_eq!(
        answer.code, 5004,
        "a second block for the slot is never revealed"
    );

    // Past the payload cut-off.
    f.clock.set_ms(slot_start_ms(SLOT) + 4_001);
    assert_eq!(f.post_json(V1, &good.to_json()).await.code, 3001);
}
