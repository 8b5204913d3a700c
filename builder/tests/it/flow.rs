//! Step ⑤ end to end: constraints posted by a gateway reach the builder (catch-up and
//! stream), the builder builds through ethereumjs, the real relay checks its proofs and
//! serves the bid, and the revealed payload imports into ethereumjs with every
//! constrained transaction inside.

use std::time::{Duration, Instant};

use alloy_primitives::{B256, Bytes, U256, keccak256};
use baton_preconf::{
    ssz::{
        BeaconJson, ExecutionPayloadAndBlobsBundle, InclusionMultiProof, SignedBuilderBidElectra,
    },
    transaction::decode_l1_transaction,
};
use serde_json::{Value, json};

use crate::world::{Process, WITHDRAWAL_GWEI, WITHDRAWAL_TO, World};

/// Polls `header_with_proofs` until the served bid proves `count` transactions.
async fn bid_proving(world: &World, relay: &Process, count: usize) -> Value {
    let path = world.header_path("/constraints/v0/builder/header_with_proofs");
    let started = Instant::now();
    loop {
        let (status, body) = world.get(relay, &path).await;
        if status == 200
            && body["data"]["proofs"]["transaction_hashes"]
                .as_array()
                .map(Vec::len)
                == Some(count)
        {
            return body["data"].clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no bid proving {count} transactions (last answer {status}: {body})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constrained_block_is_accepted_by_the_relay_and_imports() {
    let world = World::start().await;
    let relay = world.start_relay().await;
    world.register(&relay).await;
    world.delegate(&relay).await;

    // Two constraints before the builder starts (it catches up on them), readable by the
    // builder's key only...
    let first: Vec<Bytes> = vec![world.transfer(0, 0), world.transfer(1, 0)];
    world.constrain(&relay, &first, true).await;
    let (_, anonymous) = world
        .get(
            &relay,
            &format!("/constraints/v0/relay/constraints/{}", world.slot),
        )
        .await;
    assert_eq!(
        anonymous,
        json!([]),
        "hidden from readers that do not prove a key"
    );
    let builder = world.start_builder(&relay, &[]).await;
    let bid = bid_proving(&world, &relay, 2).await;
    let earlier_hash = bid["message"]["header"]["block_hash"].clone();

    // ...and two after its first block (they arrive on the stream and trigger a rebuild):
    // the first sender's next nonce, and a blob transaction in network form.
    let late = vec![world.transfer(0, 1), world.blob_transfer(2, 0)];
    world.constrain(&relay, &late, true).await;
    let data = bid_proving(&world, &relay, 4).await;
    assert_ne!(
        data["message"]["header"]["block_hash"], earlier_hash,
        "a new block"
    );

    // The bid as the proposer's sidecar checks it.
    let bid = SignedBuilderBidElectra::from_json(&data).unwrap();
    bid.verify(world.info.genesis_fork_version).unwrap();
    let header = &bid.message.header;
    assert_eq!(
        B256::from(header.parent_hash),
        world.attributes.parent_block_hash
    );
    assert_eq!(header.block_number, 1);
    assert_eq!(header.timestamp, world.attributes.timestamp);
    assert_eq!(B256::from(header.prev_randao), world.attributes.prev_randao);
    assert_eq!(
        header.fee_recipient, world.proposer.fee_recipient.0.0,
        "the proposer is paid"
    );
    // Blocks carry (and proofs name) the canonical form: a blob transaction without its
    // blobs.
    let constrained: Vec<Bytes> = first
        .iter()
        .chain(&late)
        .map(|raw| decode_l1_transaction(raw).unwrap().canonical)
        .collect();
    assert!(
        constrained[3].len() < late[1].len(),
        "the blob transaction's canonical form"
    );
    let proofs: InclusionMultiProof = serde_json::from_value(data["proofs"].clone()).unwrap();
    let set: Vec<(B256, Bytes)> = constrained
        .iter()
        .map(|t| (keccak256(t), t.clone()))
        .collect();
    proofs
        .verify(B256::from(header.transactions_root), &set)
        .unwrap();
    let value = baton_preconf::ssz::u256_to_alloy(&bid.message.value);
    assert!(
        value > U256::ZERO,
        "the value is the payload's fees to the proposer"
    );

    // The proposer signs the blinded block; the relay reveals the payload.
    let blinded = world.sign_blinded(&bid.message);
    let (status, body) = world
        .post_json(&relay, "/eth/v1/builder/blinded_blocks", &blinded.to_json())
        .await;
    assert_eq!(status, 200, "{body}");
    let revealed = ExecutionPayloadAndBlobsBundle::from_json(&body["data"]).unwrap();
    let payload = revealed.execution_payload;
    assert_eq!(payload.block_hash, header.block_hash);
    assert_eq!(
        revealed.blobs_bundle.blobs.len(),
        1,
        "the blob travels with the payload"
    );
    assert_eq!(bid.message.blob_kzg_commitments.len(), 1);
    let included: Vec<B256> = payload
        .transactions
        .iter()
        .map(|t| keccak256(t.as_slice()))
        .collect();
    for tx in &constrained {
        assert!(
            included.contains(&keccak256(tx)),
            "constrained {} in the payload",
            keccak256(tx)
        );
    }

    // The real payload imports into ethereumjs and becomes the head.
    world
        .engine
        .import(
            &payload,
            &bid.message.execution_requests,
            world.attributes.parent_beacon_block_root,
        )
        .await
        .expect("the builder's payload is VALID");
    let head = world
        .rpc("eth_getBlockByNumber", json!(["latest", false]))
        .await;
    assert_eq!(
        head["hash"].as_str().unwrap().parse::<B256>().unwrap(),
        B256::from(payload.block_hash)
    );
    for tx in &constrained {
        let receipt = world
            .rpc("eth_getTransactionReceipt", json!([keccak256(tx)]))
            .await;
        assert_eq!(receipt["status"], "0x1", "{receipt}");
    }
    let balance = world
        .rpc("eth_getBalance", json!([WITHDRAWAL_TO, "latest"]))
        .await;
    assert_eq!(
        balance.as_str().unwrap().parse::<U256>().unwrap(),
        U256::from(WITHDRAWAL_GWEI) * U256::from(1_000_000_000u64),
        "the slot's withdrawal is in the block"
    );

    // The builder counted what it did.
    assert!(
        world
            .metric(&builder, "baton_builder_blocks_submitted_total")
            .await
            >= Some(2)
    );
    assert_eq!(
        world
            .metric(&builder, "baton_builder_constraints_total")
            .await,
        Some(4)
    );
    assert_eq!(
        world
            .metric(
                &builder,
                "baton_builder_submissions_rejected_total{reason=\"proof\"}"
            )
            .await,
        Some(0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_block_missing_a_constraint_is_refused_by_the_relay() {
    let world = World::start().await;
    let relay = world.start_relay().await;
    world.register(&relay).await;
    world.delegate(&relay).await;
    world
        .constrain(&relay, &[world.transfer(0, 0), world.transfer(1, 0)], false)
        .await;
    let builder = world
        .start_builder(&relay, &["--fault.drop-constraint"])
        .await;

    // The builder leaves one constraint out and submits anyway; the relay's proof check
    // refuses the block.
    let started = Instant::now();
    let rejected = "baton_builder_submissions_rejected_total{reason=\"proof\"}";
    while world.metric(&builder, rejected).await < Some(1) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the relay never refused the builder's block"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        world
            .metric(&builder, "baton_builder_blocks_built_total")
            .await
            >= Some(1)
    );
    assert_eq!(
        world
            .metric(&builder, "baton_builder_blocks_submitted_total")
            .await,
        Some(0)
    );
    let (status, body) = world
        .get(
            &relay,
            &world.header_path("/constraints/v0/builder/header_with_proofs"),
        )
        .await;
    assert_eq!(status, 204, "no bid for the slot: {body}");
    let (_, received) = world
        .get(
            &relay,
            &format!(
                "/relay/v1/data/bidtraces/builder_blocks_received?slot={}",
                world.slot
            ),
        )
        .await;
    assert_eq!(received, json!([]), "the relay kept nothing");
}
