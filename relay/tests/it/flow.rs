//! Steps ④–⑥ through the real binary (embedded, no Redis): registration, delegation,
//! constraints streamed to a builder over SSE, a block with proofs, header_with_proofs
//! checked like the sidecar checks it, the signed blinded block, and the full block
//! published to the beacon node.

use std::time::Duration;

use alloy_primitives::{B256, keccak256};
use baton_preconf::{
    constraints::SignedConstraints,
    ssz::{
        BeaconJson, ExecutionPayloadAndBlobsBundle, InclusionMultiProof, SignedBuilderBidElectra,
        hash_tree_root, transaction_leaf,
    },
};
use baton_relay::sim;
use serde_json::json;

use crate::harness::World;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_constrained_block_travels_from_builder_to_the_beacon_node() {
    let world = World::new().await;
    let relay = world.start_relay(None).await;
    world.register(&relay).await;

    // A builder follows the slot's constraints stream.
    let stream_url = format!(
        "{}/constraints/v0/relay/constraints_stream/{}",
        relay.url, world.slot
    );
    let mut stream = world.http.get(stream_url).send().await.unwrap();
    assert_eq!(stream.status(), 200);

    let gateway = sim::bls_key(500);
    let delegation = world
        .proposer
        .delegation(&world.info, world.slot, gateway.public_key());
    let answer = world
        .post_json(
            &relay,
            "/constraints/v0/builder/delegate",
            &json!(delegation),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let promised = sim::transactions(40, 0, 8);
    let signed = sim::constraints(
        &world.info,
        &gateway,
        world.proposer.pubkey(),
        world.slot,
        &promised,
    );
    let answer = world
        .post_json(
            &relay,
            "/constraints/v0/builder/constraints",
            &json!([signed]),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());

    // The builder learns them from the stream.
    let mut text = String::new();
    let streamed: Vec<SignedConstraints> = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let chunk = stream.chunk().await.unwrap().expect("stream open");
            text.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(data) = text
                .lines()
                .find_map(|l| l.strip_prefix("data:").map(str::trim))
                .and_then(|d| serde_json::from_str(d).ok())
            {
                return data;
            }
        }
    })
    .await
    .expect("constraints streamed within 5 s");
    assert_eq!(streamed, vec![signed.clone()]);

    // It builds a 200-transaction block with them and proves them.
    let builder = sim::bls_key(31);
    let built = world.block(&builder, 1_000_000, 1, 200, &promised);
    let answer = world
        .post_json(
            &relay,
            "/constraints/v0/relay/blocks_with_proofs",
            &built.json_with_proofs(),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());

    // The proposer's sidecar checks the bid and every proof against the header.
    let answer = world
        .get(
            &relay,
            &world.header_path("/constraints/v0/builder/header_with_proofs"),
        )
        .await;
    assert_eq!(answer.status, 200);
    let data = answer.json()["data"].clone();
    let bid = SignedBuilderBidElectra::from_json(&data).unwrap();
    bid.verify(world.info.genesis_fork_version).unwrap();
    assert_eq!(
        B256::from(bid.message.header.block_hash),
        built.block_hash()
    );
    let proofs: InclusionMultiProof = serde_json::from_value(data["proofs"].clone()).unwrap();
    let leaves: Vec<(B256, B256)> = promised
        .iter()
        .map(|tx| (keccak256(tx), transaction_leaf(tx)))
        .collect();
    proofs
        .verify_leaves(B256::from(bid.message.header.transactions_root), &leaves)
        .unwrap();

    // The proposer signs the blinded block; the relay publishes and reveals.
    let blinded =
        world
            .proposer
            .sign_blinded(&world.info, &world.attributes, bid.message.header.clone());
    let answer = world
        .post(
            &relay,
            "/eth/v1/builder/blinded_blocks",
            &[
                ("content-type", "application/json"),
                ("eth-consensus-version", "electra"),
            ],
            blinded.to_json().to_string(),
        )
        .await;
    assert_eq!(answer.status, 200, "{:?}", answer.json());
    let revealed = ExecutionPayloadAndBlobsBundle::from_json(&answer.json()["data"]).unwrap();
    assert_eq!(revealed.execution_payload, built.request.execution_payload);

    let published = world.beacon.published();
    assert_eq!(published.len(), 1);
    let block = &published[0].signed_block;
    assert_eq!(
        hash_tree_root(&block.message).unwrap(),
        blinded.message.root().unwrap(),
        "the published block is the one the proposer signed"
    );
    assert_eq!(block.signature, blinded.signature);
    assert_eq!(
        block.message.body.execution_payload,
        built.request.execution_payload
    );

    // v2 with the same block: 202, and published again (idempotent for the same block).
    let answer = world
        .post(
            &relay,
            "/eth/v2/builder/blinded_blocks",
            &[("content-type", "application/octet-stream")],
            ssz_rs::serialize(&blinded).unwrap(),
        )
        .await;
    assert_eq!(answer.status, 202, "{:?}", answer.json());
    assert_eq!(world.beacon.published().len(), 2);

    let delivered = world
        .get(
            &relay,
            "/relay/v1/data/bidtraces/proposer_payload_delivered?limit=5",
        )
        .await
        .json();
    assert_eq!(delivered[0]["block_hash"], built.block_hash().to_string());
    assert_eq!(delivered[0]["value"], "1000000");
    assert_eq!(delivered[0]["num_tx"], "208");

    // The beacon node refusing the block is a 502, not a silent success.
    world.beacon.refuse_publishing(true);
    let answer = world
        .post_json(&relay, "/eth/v1/builder/blinded_blocks", &blinded.to_json())
        .await;
    assert_eq!((answer.status, answer.code()), (502, 5006));
}
