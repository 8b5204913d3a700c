//! The constraints API: delegations, constraints, proofs on submissions, reading back.

use alloy_primitives::{B256, Bytes};
use axum::http::StatusCode;
use baton_preconf::{
    Slot,
    bls::{compute_signing_root, constraints_domain},
    constraints::{Constraint, SignedConstraints},
    ssz::{InclusionMultiProof, hash_tree_root, transaction_leaf},
};
use serde_json::json;

use super::{Fixture, SLOT, fixture, slot_start_ms};
use crate::sim;

const CONSTRAINTS: &str = "/constraints/v0/builder/constraints";
const DELEGATE: &str = "/constraints/v0/builder/delegate";

/// Delegates SLOT to a gateway key and posts `txs` as its constraints.
async fn constrain(f: &Fixture, txs: &[Bytes]) -> baton_preconf::BlsSecretKey {
    let gateway = sim::bls_key(500);
    let delegation = f.proposer.delegation(&f.info, SLOT, gateway.public_key());
    assert_eq!(
        f.post_json(DELEGATE, &json!(delegation)).await.status,
        StatusCode::OK
    );
    let signed = sim::constraints(&f.info, &gateway, f.proposer.pubkey(), SLOT, txs);
    let answer = f.post_json(CONSTRAINTS, &json!([signed])).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    gateway
}

#[tokio::test]
async fn a_block_counts_only_with_a_proof_of_every_constraint() {
    let f = fixture();
    let builder = sim::bls_key(31);
    // A bid from before the constraints: dropped when they arrive.
    let early = f.block(&builder, 70, 1, &[]);
    assert_eq!(f.submit(&early).await.status, StatusCode::OK);
    let promised = sim::transactions(40, 0, 3);
    constrain(&f, &promised).await;
    assert_eq!(
        f.best().await,
        None,
        "the early bid does not prove the constraints"
    );

    let built = f.block(&builder, 80, 2, &promised);
    assert_eq!(f.submit(&built).await.code, 4006, "no proofs");

    let missing_one = f.block(&builder, 80, 3, &promised[..2]);
    assert_eq!(f.submit_with_proofs(&missing_one).await.code, 4007);

    let mut tampered = f.block(&builder, 80, 4, &promised);
    tampered.proofs.as_mut().unwrap().merkle_hashes[0] = B256::repeat_byte(1);
    assert_eq!(f.submit_with_proofs(&tampered).await.code, 4007);

    let mut no_proofs = f.block(&builder, 80, 5, &promised).json_with_proofs();
    no_proofs.as_object_mut().unwrap().remove("proofs");
    let answer = f
        .post_json("/constraints/v0/relay/blocks_with_proofs", &no_proofs)
        .await;
    assert_eq!(answer.code, 1004);
    assert_eq!(f.best().await, None, "nothing entered the auction");

    assert_eq!(f.submit_with_proofs(&built).await.status, StatusCode::OK);
    assert_eq!(f.best().await, Some(built.block_hash()));

    // The proposer's sidecar gets the proofs and checks them against the header.
    let answer = f
        .get(&f.header_uri("/constraints/v0/builder/header_with_proofs"))
        .await;
    let data = &answer.json()["data"];
    let proofs: InclusionMultiProof = serde_json::from_value(data["proofs"].clone()).unwrap();
    let root: B256 = data["message"]["header"]["transactions_root"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let leaves: Vec<(B256, B256)> = promised
        .iter()
        .map(|tx| (alloy_primitives::keccak256(tx), transaction_leaf(tx)))
        .collect();
    proofs.verify_leaves(root, &leaves).unwrap();

    // A later constraint the bid does not prove takes it out of the auction.
    let more = sim::transactions(41, 0, 1);
    let gateway = sim::bls_key(500);
    let signed = sim::constraints(&f.info, &gateway, f.proposer.pubkey(), SLOT, &more);
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([signed])).await.status,
        StatusCode::OK
    );
    assert_eq!(f.best().await, None);
    let all: Vec<Bytes> = promised.iter().chain(&more).cloned().collect();
    let covering = f.block(&builder, 60, 6, &all);
    assert_eq!(f.submit_with_proofs(&covering).await.status, StatusCode::OK);
    assert_eq!(f.best().await, Some(covering.block_hash()));
}

#[tokio::test]
async fn bad_delegations_and_constraints_are_refused_and_not_stored() {
    let f = fixture();
    let gateway = sim::bls_key(500);
    let stranger = sim::bls_key(501);
    let tx = sim::transactions(50, 0, 1);

    // Delegations.
    let mut forged = f.proposer.delegation(&f.info, SLOT, gateway.public_key());
    forged.message.delegate = stranger.public_key();
    assert_eq!(f.post_json(DELEGATE, &json!(forged)).await.code, 6001);
    let by_stranger = crate::sim::Proposer {
        key: sim::bls_key(502),
        index: 1,
        fee_recipient: Default::default(),
    }
    .delegation(&f.info, SLOT, gateway.public_key());
    assert_eq!(f.post_json(DELEGATE, &json!(by_stranger)).await.code, 3003);
    let unknown_slot = f
        .proposer
        .delegation(&f.info, Slot(SLOT.0 + 40), gateway.public_key());
    assert_eq!(f.post_json(DELEGATE, &json!(unknown_slot)).await.code, 3002);
    assert_eq!(
        f.post_json(DELEGATE, &json!({"message": 1})).await.code,
        1004
    );

    // Constraints.
    let by_gateway = sim::constraints(&f.info, &gateway, f.proposer.pubkey(), SLOT, &tx);
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([by_gateway])).await.code,
        6003,
        "not delegated yet"
    );
    let delegation = f.proposer.delegation(&f.info, SLOT, gateway.public_key());
    assert_eq!(
        f.post_json(DELEGATE, &json!(delegation)).await.status,
        StatusCode::OK
    );
    let mut bad_signature = by_gateway.clone();
    bad_signature.signature = sim::constraints(
        &f.info,
        &gateway,
        f.proposer.pubkey(),
        SLOT,
        &sim::transactions(51, 0, 1),
    )
    .signature;
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([by_gateway.clone(), bad_signature]))
            .await
            .code,
        6002
    );
    let resign = |mut signed: SignedConstraints| {
        signed
            .message
            .clone()
            .sign(&gateway, f.info.genesis_fork_version)
            .map(|s| {
                signed.signature = s.signature;
                signed
            })
    };
    let mut wrong_type = by_gateway.clone();
    wrong_type.message.constraints[0].constraint_type = 7;
    let wrong_type = resign(wrong_type).unwrap();
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([wrong_type])).await.code,
        6004
    );
    let mut garbage = by_gateway.clone();
    garbage.message.constraints = vec![Constraint {
        constraint_type: 1,
        payload: Bytes::from_static(b"\x02not a transaction"),
    }];
    let garbage = resign(garbage).unwrap();
    assert_eq!(f.post_json(CONSTRAINTS, &json!([garbage])).await.code, 6004);
    let mut empty = by_gateway.clone();
    empty.message.constraints.clear();
    let empty = resign(empty).unwrap();
    assert_eq!(f.post_json(CONSTRAINTS, &json!([empty])).await.code, 6004);
    let mut other_slot = by_gateway.clone();
    other_slot.message.slot = Slot(SLOT.0 + 1);
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([by_gateway.clone(), other_slot]))
            .await
            .code,
        6004
    );
    assert_eq!(f.post_json(CONSTRAINTS, &json!([])).await.code, 1008);
    let too_many = sim::transactions(52, 0, 257);
    let chunks: Vec<_> = too_many
        .chunks(128)
        .map(|c| sim::constraints(&f.info, &gateway, f.proposer.pubkey(), SLOT, c))
        .collect();
    assert_eq!(f.post_json(CONSTRAINTS, &json!(chunks)).await.code, 6005);
    assert!(
        f.relay.constraints.messages(SLOT).is_empty(),
        "nothing stored"
    );

    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([by_gateway])).await.status,
        StatusCode::OK
    );
    f.clock.set_ms(slot_start_ms(SLOT) + 1);
    let late = sim::constraints(
        &f.info,
        &gateway,
        f.proposer.pubkey(),
        SLOT,
        &sim::transactions(53, 0, 1),
    );
    assert_eq!(f.post_json(CONSTRAINTS, &json!([late])).await.code, 3001);
    assert_eq!(f.relay.constraints.constrained(SLOT).len(), 1);
}

#[tokio::test]
async fn reading_constraints_back_respects_receivers() {
    let f = fixture();
    let public_tx = sim::transactions(60, 0, 1);
    constrain(&f, &public_tx).await;
    let gateway = sim::bls_key(500);
    let receiver = sim::bls_key(600);
    let mut restricted = sim::constraints(
        &f.info,
        &gateway,
        f.proposer.pubkey(),
        SLOT,
        &sim::transactions(61, 0, 1),
    );
    restricted.message.receivers = vec![receiver.public_key()];
    let restricted = restricted
        .message
        .sign(&gateway, f.info.genesis_fork_version)
        .unwrap();
    assert_eq!(
        f.post_json(CONSTRAINTS, &json!([restricted])).await.status,
        StatusCode::OK
    );

    let uri = format!("/constraints/v0/relay/constraints/{SLOT}");
    let anonymous = f.get(&uri).await.json();
    assert_eq!(anonymous.as_array().unwrap().len(), 1);

    let root = hash_tree_root(&SLOT.0).unwrap();
    let signature = receiver.sign(compute_signing_root(
        root,
        constraints_domain(f.info.genesis_fork_version),
    ));
    let (key, sig) = (receiver.public_key().to_string(), signature.to_string());
    let answer = f
        .call(
            "GET",
            &uri,
            &[("x-receiver-pubkey", &key), ("x-receiver-signature", &sig)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(answer.json().as_array().unwrap().len(), 2);
    let wrong = receiver.sign(B256::ZERO).to_string();
    let answer = f
        .call(
            "GET",
            &uri,
            &[
                ("x-receiver-pubkey", &key),
                ("x-receiver-signature", &wrong),
            ],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(answer.code, 6006);
    let answer = f
        .call(
            "GET",
            &uri,
            &[("x-receiver-pubkey", &key)],
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(answer.code, 6006);
    assert_eq!(
        f.get("/constraints/v0/relay/constraints/x").await.code,
        1006
    );

    let delegations = f
        .get(&format!("/constraints/v0/relay/delegations/{SLOT}"))
        .await
        .json();
    assert_eq!(delegations.as_array().unwrap().len(), 1);
    assert_eq!(
        f.get("/constraints/v0/builder/capabilities").await.json(),
        json!({ "constraintTypes": [1] })
    );
}

#[tokio::test]
async fn a_withholding_relay_hides_constraints_and_serves_unproven_blocks() {
    let f = fixture();
    let builder = sim::bls_key(32);
    let promised = sim::transactions(41, 0, 2);
    constrain(&f, &promised).await;
    let constraints_uri = format!("/constraints/v0/relay/constraints/{}", SLOT.0);
    assert_eq!(
        f.get(&constraints_uri)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(1),
        "an honest relay shows the constraints"
    );

    f.relay.withhold_constraints();
    assert_eq!(
        f.get(&constraints_uri)
            .await
            .json()
            .as_array()
            .map(Vec::len),
        Some(0),
        "the lying relay hides them"
    );
    // A block without the constrained transactions and without proofs is now taken, and
    // served to the proposer's sidecar with no proofs: its check must catch it.
    let unproven = f.block(&builder, 90, 6, &[]);
    let answer = f.submit(&unproven).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    assert_eq!(f.best().await, Some(unproven.block_hash()));
    let answer = f
        .get(&f.header_uri("/constraints/v0/builder/header_with_proofs"))
        .await;
    let proofs = &answer.json()["data"]["proofs"];
    assert!(
        proofs.is_null()
            || proofs["transaction_hashes"]
                .as_array()
                .is_none_or(Vec::is_empty),
        "no proof of the constraints: {proofs}"
    );
}
