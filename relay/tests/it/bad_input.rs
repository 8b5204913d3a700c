//! Every kind of bad input against the real binary, two instances behind a real Redis:
//! each is refused with its documented code, and afterwards both instances serve the
//! same bid as before and not one event reached Redis.

use std::{io::Write, time::Duration};

use alloy_primitives::Bytes;
use baton_preconf::ssz::{BeaconJson, SignedBuilderBidElectra};
use baton_relay::sim;
use baton_toolchain::Redis;
use flate2::{Compression, write::GzEncoder};
use serde_json::{Value, json};

use crate::harness::World;

/// A bad input: name, route, headers, body, the code it must be refused with.
type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, Vec<u8>, u64);

async fn stream_length(redis: &redis::Client) -> u64 {
    let mut connection = redis.get_multiplexed_async_connection().await.unwrap();
    redis::cmd("XLEN")
        .arg("baton:relay:events")
        .query_async(&mut connection)
        .await
        .unwrap()
}

/// The stream length once the writers have flushed (unchanged for 500 ms).
async fn settled_length(redis: &redis::Client) -> u64 {
    let mut last = stream_length(redis).await;
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = stream_length(redis).await;
        if now == last {
            return now;
        }
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_input_is_refused_and_nothing_reaches_the_auction_or_redis() {
    let redis = Redis::spawn().expect("redis-server (install: apt-get install redis-server)");
    let client = redis::Client::open(redis.url()).unwrap();
    let world = World::new().await;
    let a = world.start_relay(Some(&redis.url())).await;
    let b = world.start_relay(Some(&redis.url())).await;
    world.register(&a).await;

    // A valid state: a delegation, two constraints, a bid proving them.
    let gateway = sim::bls_key(500);
    let delegation = world
        .proposer
        .delegation(&world.info, world.slot, gateway.public_key());
    assert_eq!(
        world
            .post_json(&a, "/constraints/v0/builder/delegate", &json!(delegation))
            .await
            .status,
        200
    );
    let promised = sim::transactions(40, 0, 2);
    let constraints = sim::constraints(
        &world.info,
        &gateway,
        world.proposer.pubkey(),
        world.slot,
        &promised,
    );
    assert_eq!(
        world
            .post_json(
                &a,
                "/constraints/v0/builder/constraints",
                &json!([constraints])
            )
            .await
            .status,
        200
    );
    let builder = sim::bls_key(81);
    let good = world.block(&builder, 500, 1, 40, &promised);
    let answer = world
        .post_json(
            &a,
            "/constraints/v0/relay/blocks_with_proofs",
            &good.json_with_proofs(),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    world
        .wait_best(&b, good.block_hash(), Duration::from_secs(5))
        .await;
    let before = settled_length(&client).await;
    let served_before = (world.best(&a).await, world.best(&b).await);

    let better = |nonce| world.block(&builder, 900, nonce, 40, &promised);
    let resigned = |mutate: &dyn Fn(&mut sim::Built)| {
        let mut built = better(9);
        mutate(&mut built);
        built.resign(&builder, &world.info);
        built
    };
    let mut cases: Vec<Case<'_>> = Vec::new();
    let json_case = |value: &Value| value.to_string().into_bytes();
    let proofs_path = "/constraints/v0/relay/blocks_with_proofs";
    let blocks_path = "/relay/v1/builder/blocks";
    let ct_json = vec![("content-type", "application/json")];
    let ct_ssz = vec![("content-type", "application/octet-stream")];
    cases.push((
        "not JSON",
        proofs_path,
        ct_json.clone(),
        b"{\"message\":".to_vec(),
        1004,
    ));
    cases.push((
        "truncated SSZ",
        blocks_path,
        ct_ssz.clone(),
        better(2).ssz()[..500].to_vec(),
        1005,
    ));
    let mut gz = GzEncoder::new(Vec::new(), Compression::best());
    gz.write_all(&vec![b' '; baton_relay::api::MAX_SUBMISSION_BODY + 1])
        .unwrap();
    let bomb = gz.finish().unwrap();
    cases.push((
        "gzip bomb",
        blocks_path,
        vec![("content-encoding", "gzip")],
        bomb,
        1001,
    ));
    cases.push((
        "deneb fork",
        proofs_path,
        vec![("eth-consensus-version", "deneb")],
        json_case(&better(3).json_with_proofs()),
        5007,
    ));
    cases.push((
        "no proofs on a constrained slot",
        blocks_path,
        ct_json.clone(),
        json_case(&better(4).json()),
        4006,
    ));
    let partial = world.block(&builder, 900, 5, 40, &promised[..1]);
    cases.push((
        "proof of one constraint of two",
        proofs_path,
        ct_json.clone(),
        json_case(&partial.json_with_proofs()),
        4007,
    ));
    let mut forged_proof = better(6);
    forged_proof.proofs.as_mut().unwrap().merkle_hashes[3] = alloy_primitives::B256::repeat_byte(3);
    cases.push((
        "forged proof",
        proofs_path,
        ct_json.clone(),
        json_case(&forged_proof.json_with_proofs()),
        4007,
    ));
    let wrong_slot = resigned(&|b| b.request.message.slot += 3);
    cases.push((
        "wrong slot",
        proofs_path,
        ct_json.clone(),
        json_case(&wrong_slot.json_with_proofs()),
        3001,
    ));
    let wrong_parent = resigned(&|b| b.request.message.parent_hash = [1; 32]);
    cases.push((
        "wrong parent",
        proofs_path,
        ct_json.clone(),
        json_case(&wrong_parent.json_with_proofs()),
        3006,
    ));
    let wrong_proposer = resigned(&|b| {
        b.request.message.proposer_pubkey =
            ssz_rs::Vector::try_from(sim::bls_key(2).public_key().0.to_vec()).unwrap();
    });
    cases.push((
        "wrong proposer",
        proofs_path,
        ct_json.clone(),
        json_case(&wrong_proposer.json_with_proofs()),
        3003,
    ));
    let mut bad_signature = better(7);
    bad_signature.request.signature = better(8).request.signature;
    cases.push((
        "bad builder signature",
        proofs_path,
        ct_json.clone(),
        json_case(&bad_signature.json_with_proofs()),
        4001,
    ));
    let bad_hash = resigned(&|b| b.request.execution_payload.receipts_root = [5; 32]);
    cases.push((
        "block hash of another payload",
        proofs_path,
        ct_json.clone(),
        json_case(&bad_hash.json_with_proofs()),
        4003,
    ));

    // Newer than the stored one (an older one is ignored unverified, never stored).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut registration = world.proposer.registration(&world.info, now + 5).to_json();
    registration["signature"] = json!(format!(
        "0x{}",
        hex::encode(gateway.sign(alloy_primitives::B256::ZERO).0)
    ));
    cases.push((
        "forged registration",
        "/eth/v1/builder/validators",
        ct_json.clone(),
        json_case(&json!([registration])),
        2001,
    ));
    let mut bad_delegation =
        world
            .proposer
            .delegation(&world.info, world.slot, sim::bls_key(501).public_key());
    bad_delegation.message.delegate = sim::bls_key(502).public_key();
    cases.push((
        "forged delegation",
        "/constraints/v0/builder/delegate",
        ct_json.clone(),
        json_case(&json!(bad_delegation)),
        6001,
    ));
    let stranger = sim::constraints(
        &world.info,
        &sim::bls_key(503),
        world.proposer.pubkey(),
        world.slot,
        &sim::transactions(41, 0, 1),
    );
    cases.push((
        "constraints from a stranger",
        "/constraints/v0/builder/constraints",
        ct_json.clone(),
        json_case(&json!([stranger])),
        6003,
    ));
    let mut forged_constraints = sim::constraints(
        &world.info,
        &gateway,
        world.proposer.pubkey(),
        world.slot,
        &sim::transactions(42, 0, 1),
    );
    forged_constraints.message.constraints[0].payload =
        Bytes::from(sim::transactions(43, 0, 1)[0].to_vec());
    cases.push((
        "constraints changed after signing",
        "/constraints/v0/builder/constraints",
        ct_json.clone(),
        json_case(&json!([forged_constraints])),
        6002,
    ));

    let (_, data) = served_before.0.clone().unwrap();
    let served = SignedBuilderBidElectra::from_json(&data).unwrap();
    let impostor = sim::Proposer {
        key: sim::bls_key(3),
        index: 0,
        fee_recipient: world.proposer.fee_recipient,
    };
    let forged_block = impostor.sign_blinded(
        &world.info,
        &world.attributes,
        served.message.header.clone(),
    );
    cases.push((
        "blinded block signed by another key",
        "/eth/v1/builder/blinded_blocks",
        ct_json.clone(),
        json_case(&forged_block.to_json()),
        5001,
    ));
    let mut unknown = served.message.header.clone();
    unknown.block_hash = [7; 32];
    let unknown_block = world
        .proposer
        .sign_blinded(&world.info, &world.attributes, unknown);
    cases.push((
        "blinded block of an unknown bid",
        "/eth/v2/builder/blinded_blocks",
        ct_json.clone(),
        json_case(&unknown_block.to_json()),
        5002,
    ));

    for (name, path, headers, body, code) in cases {
        for relay in [&a, &b] {
            let answer = world.post(relay, path, &headers, body.clone()).await;
            assert_eq!(
                answer.code(),
                code,
                "{name} at {}: {:?}",
                relay.url,
                answer.json()
            );
            assert!(answer.status >= 400, "{name}");
        }
    }

    assert_eq!(
        (world.best(&a).await, world.best(&b).await),
        served_before,
        "the auction is unchanged"
    );
    assert_eq!(
        settled_length(&client).await,
        before,
        "no event reached Redis"
    );
    assert!(world.beacon.published().is_empty(), "nothing was published");
    let constraints = world
        .get(
            &b,
            &format!("/constraints/v0/relay/constraints/{}", world.slot),
        )
        .await
        .json();
    assert_eq!(constraints.as_array().unwrap().len(), 1);
}
