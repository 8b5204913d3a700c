//! Validator registrations: batched verification, all or nothing.

use axum::http::StatusCode;
use baton_preconf::ssz::{BeaconJson, SignedValidatorRegistration};
use serde_json::{Value, json};
use ssz_rs::List;

use super::{GENESIS, fixture};
use crate::sim::{self, Proposer};

fn validators(from: u64, count: u64) -> Vec<Proposer> {
    (from..from + count)
        .map(|i| Proposer {
            key: sim::bls_key(10_000 + i),
            index: i,
            fee_recipient: alloy_primitives::Address::repeat_byte(i as u8),
        })
        .collect()
}

const URI: &str = "/eth/v1/builder/validators";

#[tokio::test]
async fn registrations_are_verified_in_a_batch_all_or_nothing() {
    let f = fixture();
    let now = GENESIS + 1_100;
    let list: Vec<SignedValidatorRegistration> = validators(0, 20)
        .iter()
        .map(|v| v.registration(&f.info, now))
        .collect();
    let body: Vec<Value> = list.iter().map(BeaconJson::to_json).collect();

    // One forged signature among many: named, and nothing stored.
    let mut forged = body.clone();
    forged[13]["signature"] = body[2]["signature"].clone();
    let answer = f.post_json(URI, &json!(forged)).await;
    assert_eq!(answer.code, 2001);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("registration 13")
    );
    assert_eq!(
        f.relay.registrations.len(),
        1,
        "only the fixture's proposer"
    );

    let mut future = body.clone();
    future[0]["message"]["timestamp"] = json!((f.relay.now_ms() / 1000 + 60).to_string());
    assert_eq!(f.post_json(URI, &json!(future)).await.code, 2002);
    let mut zero_gas = body.clone();
    zero_gas[1]["message"]["gas_limit"] = json!("0");
    assert_eq!(f.post_json(URI, &json!(zero_gas)).await.code, 2003);
    let mut bad_key = body.clone();
    bad_key[1]["message"]["pubkey"] = json!(format!("0x{}", "00".repeat(48)));
    assert_eq!(f.post_json(URI, &json!(bad_key)).await.code, 2003);
    let mut malformed = body.clone();
    malformed[4]["message"]["fee_recipient"] = json!("0x12");
    let answer = f.post_json(URI, &json!(malformed)).await;
    assert_eq!(answer.code, 1004);
    assert!(
        answer.json()["message"]
            .as_str()
            .unwrap()
            .contains("[4].message.fee_recipient")
    );
    assert_eq!(f.post_json(URI, &json!([])).await.code, 1008);
    assert_eq!(f.post_json(URI, &json!({"not": "a list"})).await.code, 1004);
    assert_eq!(f.relay.registrations.len(), 1);

    assert_eq!(f.post_json(URI, &json!(body)).await.status, StatusCode::OK);
    assert_eq!(f.relay.registrations.len(), 21);

    // SSZ, including a repeat (not verified again) and an update.
    let mut more = list[..2].to_vec();
    more.push(validators(0, 1)[0].registration(&f.info, now + 12));
    let ssz =
        ssz_rs::serialize(&List::<SignedValidatorRegistration, 10_000>::try_from(more).unwrap())
            .unwrap();
    let answer = f
        .call(
            "POST",
            URI,
            &[("content-type", "application/octet-stream")],
            ssz,
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
    let stored = f.relay.registration(&validators(0, 1)[0].pubkey()).unwrap();
    assert_eq!(stored.message.timestamp, now + 12);
    assert_eq!(f.get("/eth/v1/builder/status").await.status, StatusCode::OK);
}
