//! Block submissions: ranking, and every refusal leaving the auction unchanged.

use std::io::Write;

use alloy_primitives::{Address, B256};
use axum::http::StatusCode;
use baton_preconf::{
    Slot,
    ssz::{BeaconJson, SignedBuilderBidElectra, hash_tree_root},
};
use flate2::{Compression, write::GzEncoder};

use super::{ADMIN, SLOT, fixture, slot_start_ms};
use crate::sim::{self, Built};

#[tokio::test]
async fn the_highest_latest_bid_is_served_and_signed_by_the_relay() {
    let f = fixture();
    let (a, b) = (sim::bls_key(11), sim::bls_key(12));
    let low = f.block(&a, 10, 1, &[]);
    let high = f.block(&b, 20, 2, &[]);
    assert_eq!(f.submit(&low).await.status, StatusCode::OK);
    assert_eq!(f.best().await, Some(low.block_hash()));
    // SSZ body, gzip-compressed.
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(&high.ssz()).unwrap();
    f.clock.advance_ms(10);
    let answer = f
        .call(
            "POST",
            "/relay/v1/builder/blocks",
            &[
                ("content-type", "application/octet-stream"),
                ("content-encoding", "gzip"),
                ("eth-consensus-version", "electra"),
            ],
            gz.finish().unwrap(),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    assert_eq!(f.best().await, Some(high.block_hash()));

    // The served bid: signed by the relay over the real header, value and commitments.
    let answer = f.get(&f.header_uri("/eth/v1/builder/header")).await;
    let json = answer.json();
    assert_eq!(json["version"], "electra");
    let signed = SignedBuilderBidElectra::from_json(&json["data"]).unwrap();
    signed.verify(f.info.genesis_fork_version).unwrap();
    assert_eq!(&signed.message.pubkey[..], &f.relay.pubkey().0[..]);
    assert_eq!(
        hash_tree_root(&signed.message.header).unwrap(),
        hash_tree_root(&high.request.execution_payload).unwrap(),
        "the header commits to the submitted payload"
    );
    // The same bid as SSZ.
    let answer = f
        .call(
            "GET",
            &f.header_uri("/eth/v1/builder/header"),
            &[("accept", "application/octet-stream")],
            axum::body::Body::empty(),
        )
        .await;
    let ssz: SignedBuilderBidElectra = baton_preconf::ssz::decode(&answer.body).unwrap();
    assert_eq!(ssz, signed);

    // Builder b lowers its bid (a cancellation): a's bid is the best again.
    let lower = f.block(&b, 5, 3, &[]);
    assert_eq!(f.submit(&lower).await.status, StatusCode::OK);
    assert_eq!(f.best().await, Some(low.block_hash()));
    assert_eq!(f.received(), 3);

    // Another parent or proposer has no bid; past the cut-off there is none either.
    let other_parent = format!(
        "/eth/v1/builder/header/{SLOT}/{}/{}",
        B256::repeat_byte(9),
        f.proposer.pubkey()
    );
    assert_eq!(f.get(&other_parent).await.status, StatusCode::NO_CONTENT);
    f.clock.set_ms(slot_start_ms(SLOT) + 3_001);
    assert_eq!(f.best().await, None);
}

/// Each case: a mutation of a valid submission and the code it must be refused with.
#[tokio::test]
async fn every_bad_submission_is_refused_with_its_code_and_changes_nothing() {
    let f = fixture();
    let builder = sim::bls_key(21);
    let good = f.block(&builder, 50, 1, &[]);
    assert_eq!(f.submit(&good).await.status, StatusCode::OK);
    let before = (f.best().await, f.received());

    let resigned = |mutate: &dyn Fn(&mut Built)| {
        let mut b = f.block(&builder, 99, 2, &[]);
        mutate(&mut b);
        b.resign(&builder, &f.info);
        b
    };
    let cases: Vec<(&str, Built, u64)> = vec![
        (
            "past slot",
            resigned(&|b| b.request.message.slot = SLOT.0 - 2),
            3001,
        ),
        (
            "far future slot",
            resigned(&|b| b.request.message.slot = SLOT.0 + 5),
            3001,
        ),
        (
            "wrong proposer",
            resigned(&|b| {
                b.request.message.proposer_pubkey =
                    crate::service::pubkey_bytes(&sim::bls_key(99).public_key());
            }),
            3003,
        ),
        (
            "wrong parent",
            resigned(&|b| b.request.message.parent_hash = [7; 32]),
            3006,
        ),
        (
            "bad builder signature",
            {
                let mut b = f.block(&builder, 99, 3, &[]);
                b.request.signature = f.block(&builder, 98, 4, &[]).request.signature;
                b
            },
            4001,
        ),
        (
            "trace names another block",
            resigned(&|b| b.request.message.block_hash = [8; 32]),
            4002,
        ),
        (
            "trace gas differs",
            resigned(&|b| b.request.message.gas_used += 1),
            4002,
        ),
        (
            "payload altered after hashing",
            resigned(&|b| b.request.execution_payload.state_root = [1; 32]),
            4003,
        ),
        (
            "transaction swapped",
            resigned(&|b| {
                b.request.execution_payload.transactions[0] =
                    ssz_rs::List::try_from(sim::transactions(77, 0, 1)[0].to_vec()).unwrap();
            }),
            4003,
        ),
        (
            "wrong timestamp",
            resigned(&|b| b.request.execution_payload.timestamp += 1),
            4004,
        ),
        (
            "wrong prevRandao",
            resigned(&|b| b.request.execution_payload.prev_randao = [2; 32]),
            4004,
        ),
        (
            "wrong fee recipient",
            resigned(&|b| b.request.message.proposer_fee_recipient = [3; 20]),
            4004,
        ),
        (
            "wrong block number",
            resigned(&|b| b.request.execution_payload.block_number += 1),
            4004,
        ),
        (
            "blob gas without blobs",
            resigned(&|b| b.request.execution_payload.blob_gas_used = 1 << 17),
            4005,
        ),
        (
            "blob commitment without a blob",
            resigned(&|b| b.request.blobs_bundle.commitments.push(Default::default())),
            4005,
        ),
    ];
    for (name, built, code) in cases {
        let answer = f.submit(&built).await;
        assert_eq!(answer.code, code, "{name}: {:?}", answer.json());
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name}");
    }

    // Malformed bodies.
    let mut json = good.json();
    json["message"]["slot"] = serde_json::json!(100);
    let answer = f.post_json("/relay/v1/builder/blocks", &json).await;
    assert_eq!(answer.code, 1004, "number instead of a decimal string");
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("message.slot")
    );
    let answer = f
        .call("POST", "/relay/v1/builder/blocks", &[], "{not json")
        .await;
    assert_eq!(answer.code, 1004);
    let answer = f
        .call(
            "POST",
            "/relay/v1/builder/blocks",
            &[("content-type", "application/octet-stream")],
            good.ssz()[..100].to_vec(),
        )
        .await;
    assert_eq!(answer.code, 1005);
    let answer = f
        .call(
            "POST",
            "/relay/v1/builder/blocks",
            &[("content-type", "text/plain")],
            "x",
        )
        .await;
    assert_eq!(
        (answer.status, answer.code),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, 1002)
    );
    let answer = f
        .call(
            "POST",
            "/relay/v1/builder/blocks",
            &[("eth-consensus-version", "deneb")],
            good.json().to_string(),
        )
        .await;
    assert_eq!(answer.code, 5007);
    let too_big = vec![b' '; crate::api::MAX_SUBMISSION_BODY + 1];
    let answer = f
        .call("POST", "/relay/v1/builder/blocks", &[], too_big)
        .await;
    assert_eq!(
        (answer.status, answer.code),
        (StatusCode::PAYLOAD_TOO_LARGE, 1001)
    );

    // A proposer that never registered (slot 101, once slot 100 runs).
    f.clock.set_ms(slot_start_ms(SLOT) + 1_000);
    let unregistered = sim::Proposer {
        key: sim::bls_key(2),
        index: 8,
        fee_recipient: Address::ZERO,
    };
    f.relay.add_duty(crate::beacon::ProposerDuty {
        pubkey: unregistered.pubkey(),
        validator_index: 8,
        slot: Slot(SLOT.0 + 1),
    });
    let mut next = f.block(&builder, 1, 5, &[]);
    next.request.message.slot = SLOT.0 + 1;
    next.request.message.proposer_pubkey = crate::service::pubkey_bytes(&unregistered.pubkey());
    next.resign(&builder, &f.info);
    assert_eq!(f.submit(&next).await.code, 3004);
    f.clock.set_ms(slot_start_ms(SLOT) - 4_000);

    // A blocked builder, then past the cut-off.
    let blocked = sim::bls_key(22);
    let uri = format!("/admin/v1/builders/{}/blocked", blocked.public_key());
    assert_eq!(f.call("POST", &uri, &[], "").await.code, 1007);
    assert_eq!(
        f.call(
            "POST",
            &uri,
            &[("authorization", "Bearer wrong-token-000000")],
            ""
        )
        .await
        .code,
        1007
    );
    let auth = format!("Bearer {ADMIN}");
    assert_eq!(
        f.call("POST", &uri, &[("authorization", auth.as_str())], "")
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(f.submit(&f.block(&blocked, 500, 6, &[])).await.code, 4008);
    assert_eq!((f.best().await, f.received()), before, "nothing changed");

    f.clock.set_ms(slot_start_ms(SLOT) + 3_001);
    assert_eq!(f.submit(&f.block(&builder, 999, 7, &[])).await.code, 3001);
}

/// A builder's latest bid is the one that arrived last, whatever order the checks finish
/// in: an earlier bid finishing late must not undo a later cancellation.
#[tokio::test]
async fn arrival_order_decides_a_builders_latest_bid() {
    use crate::service::{Arrival, Submission};

    let f = fixture();
    let builder = sim::bls_key(23);
    let cancel = f.block(&builder, 5, 1, &[]);
    let earlier_high = f.block(&builder, 500, 2, &[]);
    let now = f.relay.arrival();
    let arrived_earlier = Arrival {
        clock_us: now.clock_us - 100_000,
        ..now
    };
    for (built, received) in [(&cancel, now), (&earlier_high, arrived_earlier)] {
        let submission = Submission {
            request: built.request.clone(),
            proofs: None,
        };
        f.relay.submit(submission, received).unwrap();
    }
    assert_eq!(
        f.best().await,
        Some(cancel.block_hash()),
        "the bid that arrived last (the cancellation) stands"
    );
}

/// A bid that becomes the best is signed right after the builder's answer, so the
/// proposer's getHeader finds the signature made; a bid that does not lead is not signed.
#[tokio::test]
async fn a_new_best_bid_is_signed_before_any_get_header() {
    let f = fixture();
    let (a, b) = (sim::bls_key(31), sim::bls_key(32));
    let high = f.block(&a, 40, 1, &[]);
    let low = f.block(&b, 30, 2, &[]);
    for built in [&high, &low] {
        assert_eq!(f.submit(built).await.status, StatusCode::OK);
    }
    let parent = f.attributes.parent_block_hash;
    let pubkey = f.proposer.pubkey();
    let best = f.relay.auction.best(SLOT, parent, &pubkey, false).unwrap();
    assert_eq!(best.block_hash, high.block_hash());
    let mut waited = 0;
    while best.signed.get().is_none() {
        waited += 1;
        assert!(
            waited < 1_000,
            "the best bid was not signed ahead of getHeader within 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let presigned = best.signed.get().unwrap().clone().unwrap();
    presigned.verify(f.info.genesis_fork_version).unwrap();
    let lower = f
        .relay
        .auction
        .by_block_hash(SLOT, low.block_hash())
        .unwrap();
    assert!(
        lower.signed.get().is_none(),
        "a bid that never led is not signed"
    );

    let answer = f.get(&f.header_uri("/eth/v1/builder/header")).await;
    let served = SignedBuilderBidElectra::from_json(&answer.json()["data"]).unwrap();
    assert_eq!(
        served, presigned,
        "getHeader serves the signature made ahead"
    );
}
