//! The data API and the builder-facing validators list.

use axum::http::StatusCode;

use super::{SLOT, fixture};
use crate::sim;

#[tokio::test]
async fn data_api_filters_and_refuses_bad_queries() {
    let f = fixture();
    let (a, b) = (sim::bls_key(51), sim::bls_key(52));
    let first = f.block(&a, 10, 1, &[]);
    let second = f.block(&b, 20, 2, &[]);
    for built in [&first, &second] {
        assert_eq!(f.submit(built).await.status, StatusCode::OK);
    }
    let received = f
        .get(&format!(
            "/relay/v1/data/bidtraces/builder_blocks_received?slot={SLOT}"
        ))
        .await
        .json();
    let list = received.as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["block_hash"], first.block_hash().to_string());
    assert_eq!(list[0]["value"], "10");
    assert_eq!(list[1]["num_tx"], "20");
    let by_builder = f
        .get(&format!(
            "/relay/v1/data/bidtraces/builder_blocks_received?builder_pubkey={}",
            b.public_key()
        ))
        .await
        .json();
    assert_eq!(by_builder.as_array().unwrap().len(), 1);
    let by_hash = f
        .get(&format!(
            "/relay/v1/data/bidtraces/builder_blocks_received?block_hash={}&limit=1",
            second.block_hash()
        ))
        .await
        .json();
    assert_eq!(by_hash[0]["builder_pubkey"], b.public_key().to_string());

    for (query, code) in [
        ("builder_blocks_received", 7001),
        ("builder_blocks_received?slot=1&color=red", 7001),
        ("builder_blocks_received?slot=1&limit=501", 7001),
        ("builder_blocks_received?slot=abc", 1006),
        ("proposer_payload_delivered?slot=1&cursor=2", 7001),
        ("proposer_payload_delivered?order_by=size", 7001),
        ("proposer_payload_delivered?block_hash=0x12", 1006),
    ] {
        let answer = f.get(&format!("/relay/v1/data/bidtraces/{query}")).await;
        assert_eq!(answer.code, code, "{query}: {:?}", answer.json());
    }
    let delivered = f
        .get("/relay/v1/data/bidtraces/proposer_payload_delivered?limit=10&order_by=-value")
        .await;
    assert_eq!(delivered.status, StatusCode::OK);
    assert_eq!(delivered.json(), serde_json::json!([]));

    let registration = f
        .get(&format!(
            "/relay/v1/data/validator_registration?pubkey={}",
            f.proposer.pubkey()
        ))
        .await
        .json();
    assert_eq!(
        registration["message"]["fee_recipient"],
        f.proposer.fee_recipient.to_string().to_lowercase()
    );
    let unknown = f
        .get(&format!(
            "/relay/v1/data/validator_registration?pubkey={}",
            a.public_key()
        ))
        .await;
    assert_eq!(unknown.code, 3004);
    assert_eq!(
        f.get("/relay/v1/data/validator_registration").await.code,
        7001
    );

    // Builders see the coming proposers with their registrations.
    let validators = f.get("/relay/v1/builder/validators").await.json();
    assert_eq!(validators[0]["slot"], SLOT.to_string());
    assert_eq!(validators[0]["validator_index"], "7");
    assert_eq!(
        validators[0]["entry"]["message"]["pubkey"],
        f.proposer.pubkey().to_string()
    );
    assert!(f.get("/metrics").await.body.starts_with(b"# HELP"));
}
