//! The REST routes through the router (no socket): answers the relay and sidecar read,
//! and one error per refusal with its code.

use axum::{
    body::{Body, to_bytes},
    http::{Request, StatusCode},
};
use baton_preconf::Slot;
use baton_relay::beacon::ProposerDuty;
use serde_json::Value;
use tower::ServiceExt;

use super::{
    proposer::propose,
    rest::{MAX_BLOCK_BODY, router},
    testing::{at_slot, shared},
};

async fn call(app: &axum::Router, request: Request<Body>) -> (StatusCode, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

async fn get(app: &axum::Router, path: &str) -> (StatusCode, Value) {
    call(app, Request::get(path).body(Body::empty()).unwrap()).await
}

fn post(path: &str, content_type: &str, body: Vec<u8>) -> Request<Body> {
    Request::post(path)
        .header("Content-Type", content_type)
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn genesis_fork_spec_and_duties_as_clients_read_them() {
    let (shared, _, clock) = shared(3).await;
    let app = router(shared.clone());
    let (status, genesis) = get(&app, "/eth/v1/beacon/genesis").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        genesis["data"]["genesis_time"],
        super::testing::GENESIS.to_string()
    );
    assert_eq!(genesis["data"]["genesis_fork_version"], "0x10000038");
    assert_eq!(
        genesis["data"]["genesis_validators_root"],
        shared.spec.genesis_validators_root.to_string()
    );
    let (_, fork) = get(&app, "/eth/v1/beacon/states/head/fork").await;
    assert_eq!(fork["data"]["current_version"], "0x60000038");
    let (_, spec) = get(&app, "/eth/v1/config/spec").await;
    assert_eq!(spec["data"]["SECONDS_PER_SLOT"], "2");
    assert_eq!(spec["data"]["SLOTS_PER_EPOCH"], "8");

    // Duties parse with the relay's own type (the sidecar reads the same fields).
    at_slot(&shared, &clock, Slot(3));
    let (status, duties) = get(&app, "/eth/v1/validator/duties/proposer/1").await;
    assert_eq!(status, StatusCode::OK);
    let parsed: Vec<ProposerDuty> = serde_json::from_value(duties["data"].clone()).unwrap();
    assert_eq!(parsed.len(), 8);
    for duty in parsed {
        assert_eq!(duty.slot.0 / 8, 1);
        assert_eq!(duty.validator_index, shared.schedule.proposer(duty.slot));
        assert_eq!(
            duty.pubkey,
            shared.validators[duty.validator_index as usize].pubkey
        );
    }
    let (status, error) = get(&app, "/eth/v1/validator/duties/proposer/2").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["code"], 400);
    assert_eq!(error["error_code"], 4005);
    let (_, error) = get(&app, "/eth/v1/validator/duties/proposer/one").await;
    assert_eq!(error["error_code"], 4001);
    let (_, error) = get(&app, "/eth/v1/beacon/states/nonsense/fork").await;
    assert_eq!(error["error_code"], 4001);
}

#[tokio::test]
async fn headers_and_slot_records_follow_the_chain() {
    let (shared, _, clock) = shared(2).await;
    let app = router(shared.clone());
    let (status, genesis) = get(&app, "/eth/v1/beacon/headers/head").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(genesis["data"]["root"], shared.head().root.to_string());
    for slot in 1..=2 {
        at_slot(&shared, &clock, Slot(slot));
        propose(&shared, Slot(slot)).await;
    }
    let head = shared.head();
    let (_, header) = get(&app, "/eth/v1/beacon/headers/head").await;
    assert_eq!(header["data"]["root"], head.root.to_string());
    assert_eq!(header["data"]["header"]["message"]["slot"], "2");
    let (_, by_root) = get(&app, &format!("/eth/v1/beacon/headers/{}", head.root)).await;
    assert_eq!(by_root, header);
    let (_, first) = get(&app, "/eth/v1/beacon/headers/1").await;
    assert_eq!(
        first["data"]["root"],
        header["data"]["header"]["message"]["parent_root"]
    );
    let (status, error) = get(&app, "/eth/v1/beacon/headers/77").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(error["error_code"], 4041);

    let (_, slots) = get(&app, "/baton/v1/slots?from=1&to=2").await;
    let records = slots["data"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[1]["outcome"], "proposed");
    assert_eq!(records[1]["source"]["kind"], "local");
    assert_eq!(records[1]["root"], head.root.to_string());
    let (status, error) = get(&app, "/baton/v1/slots?from=0&to=99999").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error_code"], 4001);
    let (_, syncing) = get(&app, "/eth/v1/node/syncing").await;
    assert_eq!(syncing["data"]["head_slot"], "2");
    assert_eq!(syncing["data"]["is_syncing"], false);
}

#[tokio::test]
async fn bad_publications_and_subscriptions_are_refused_with_their_codes() {
    let (shared, _, _) = shared(1).await;
    let app = router(shared);
    let path = "/eth/v2/beacon/blocks";
    let (status, error) = call(&app, post(path, "text/plain", b"x".to_vec())).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(error["error_code"], 4004);
    let (status, error) = call(&app, post(path, "application/octet-stream", vec![1, 2, 3])).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error_code"], 4003);
    let (_, error) = call(&app, post(path, "application/json", b"{\"x\":1}".to_vec())).await;
    assert_eq!(error["error_code"], 4003);
    let (status, error) = call(
        &app,
        post(
            path,
            "application/octet-stream",
            vec![0; MAX_BLOCK_BODY + 1],
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(error["error_code"], 4002);
    let mut request = post(path, "application/octet-stream", vec![1]);
    request
        .headers_mut()
        .insert("Eth-Consensus-Version", "deneb".parse().unwrap());
    let (_, error) = call(&app, request).await;
    assert_eq!(error["error_code"], 4004);

    let (status, error) = get(&app, "/eth/v1/events?topics=block").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(error["error_code"], 4006);
    let (_, error) = get(&app, "/eth/v1/events").await;
    assert_eq!(error["error_code"], 4001);
}
