//! Block production against the real relay binary (steps ④ and ⑥): delegations published
//! at startup and again after the relay restarts; a sealed slot's constraints reach the
//! relay covering every promise and batch transaction; `getHeader` picks the honest
//! relay's bid over a lying relay's; the signed blinded block comes back with the payload.

use std::time::Duration;

use alloy::{
    consensus::{Transaction as _, TxEnvelope},
    eips::Decodable2718,
    primitives::{B256, Bytes, U256, keccak256},
    sol_types::SolCall,
};
use baton_contracts::RollupInbox;
use baton_preconf::{
    BlsSecretKey, InclusionRequest, Request, RollupId, RollupTransaction, SequencingRequest, Slot,
    constraints::{SignedConstraints, SignedDelegation},
    ssz::{
        BeaconJson, BuilderBidElectra, ExecutionPayloadAndBlobsBundle, InclusionMultiProof,
        SignedBuilderBidElectra, TransactionsTree, u256_from_alloy,
    },
};
use baton_relay::sim::{self, BlockSpec};
use serde_json::{Value, json};

use crate::{
    pbs_fixture::{LyingRelay, SECONDS, World, now_ms, sample},
    rollup_fixture::{l2_chain_id, l2_tx},
};

fn delegated_to(world: &World, slot: u64) -> impl Fn(&Value) -> bool + '_ {
    move |body| {
        serde_json::from_value::<Vec<SignedDelegation>>(body.clone())
            .unwrap_or_default()
            .iter()
            .any(|d| {
                d.message.slot == Slot(slot)
                    && d.message.delegate == world.delegate.public_key()
                    && d.message.proposer == world.proposer.pubkey()
                    && d.verify(world.info.genesis_fork_version).is_ok()
            })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegations_are_published_at_startup_and_again_after_the_relay_restarts() {
    let mut world = World::start("delegations", None).await;
    let slot = world.current().0 + 4;
    let url = format!(
        "{}/constraints/v0/relay/delegations/{slot}",
        world.relay.url
    );
    world
        .poll(&url, Duration::from_secs(10), delegated_to(&world, slot))
        .await;

    // The relay keeps delegations in memory: a restart loses them, the sidecar notices
    // (it reads them back every half slot) and publishes them again.
    world.relay.restart().await;
    world
        .poll(
            &url,
            Duration::from_secs(3 * SECONDS),
            delegated_to(&world, slot),
        )
        .await;
    world.stop().await;
}

/// A sequencing request for `txs` (rollup, raw L2 transaction) in `slot`.
fn sequencing(world: &World, slot: Slot, txs: &[(u64, Bytes)]) -> Value {
    let request = Request::Sequencing(SequencingRequest {
        slot,
        txs: txs
            .iter()
            .map(|(rollup, tx)| RollupTransaction {
                rollup_id: RollupId(*rollup),
                tx: tx.clone(),
            })
            .collect(),
    });
    let wallet = World::wallet(5);
    json!([request.sign(&wallet, &world.domain).unwrap()])
}

fn inclusion(world: &World, slot: Slot, txs: Vec<Bytes>) -> Value {
    let request = Request::Inclusion(InclusionRequest { slot, txs });
    json!([request.sign(&World::wallet(6), &world.domain).unwrap()])
}

/// What a promise call answered must be a promise.
fn promised(answer: &Value) {
    assert!(answer["result"].is_object(), "no promise: {answer}");
}

/// The liar's `header_with_proofs` data: `built`'s header with `proofs`, worth `value`,
/// signed by `key`.
fn lying_bid(
    world: &World,
    built: &sim::Built,
    proofs: Option<&InclusionMultiProof>,
    value: u64,
    key: &BlsSecretKey,
) -> Value {
    let payload = &built.request.execution_payload;
    let tree = TransactionsTree::new(&payload.transactions).unwrap();
    let bid = BuilderBidElectra {
        header: payload.header(tree.root()).unwrap(),
        value: u256_from_alloy(U256::from(value)),
        pubkey: ssz_rs::Vector::try_from(key.public_key().0.to_vec()).unwrap(),
        ..Default::default()
    }
    .sign(key, world.info.genesis_fork_version)
    .unwrap();
    let mut data = bid.to_json();
    data["proofs"] = json!(proofs);
    data
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_slot_reaches_the_relay_and_the_honest_bid_wins_over_a_lying_relay() {
    let liar = LyingRelay::default();
    let liar_url = liar.start().await;
    let liar_key = sim::bls_key(2000);
    let world = World::start("flow", Some((&liar_url, &liar_key))).await;
    let slot = world.next_open_slot(2_000);
    let attributes = sim::attributes(&world.info, SECONDS, slot, 0);
    world.beacon.announce(&attributes);

    // The beacon node registers its validator through the sidecar, which forwards it.
    let registration = world.proposer.registration(&world.info, now_ms() / 1000);
    let answer = world
        .http
        .post(format!("{}/eth/v1/builder/validators", world.builder))
        .json(&json!([registration.to_json()]))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);

    // Promises: an L1 transaction, and three rollup transactions in two rollups.
    let l1 = world.l1_tx(&World::wallet(6), 0);
    let rollup_txs = [
        (1, l2_tx(l2_chain_id(1), "alpha 0")),
        (2, l2_tx(l2_chain_id(2), "beta 0")),
        (1, l2_tx(l2_chain_id(1), "alpha 1")),
    ];
    let mut l1_done = false;
    let mut sequenced = false;
    while !(l1_done && sequenced) {
        assert!(
            now_ms() + 3_000 < world.start_ms(slot),
            "the promises were not made before slot {slot}'s deadline"
        );
        if !l1_done {
            let answer = world
                .call(
                    "baton_requestInclusion",
                    inclusion(&world, slot, vec![l1.clone()]),
                )
                .await;
            l1_done = answer["result"].is_object();
        }
        if !sequenced {
            let answer = world
                .call(
                    "baton_requestSequencing",
                    sequencing(&world, slot, &rollup_txs[..2]),
                )
                .await;
            sequenced = answer["result"].is_object();
            if sequenced {
                let more = world
                    .call(
                        "baton_requestSequencing",
                        sequencing(&world, slot, &rollup_txs[2..]),
                    )
                    .await;
                promised(&more);
            }
        }
        if !(l1_done && sequenced) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    // At the deadline the slot is sealed and its constraints reach the relay.
    let url = format!(
        "{}/constraints/v0/relay/constraints/{}",
        world.relay.url, slot.0
    );
    let wait = Duration::from_millis(world.start_ms(slot).saturating_sub(now_ms()));
    let body = world
        .poll(&url, wait, |b| b.as_array().is_some_and(|a| !a.is_empty()))
        .await;
    let messages: Vec<SignedConstraints> = serde_json::from_value(body).unwrap();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    message.verify(world.info.genesis_fork_version).unwrap();
    assert_eq!(message.message.delegate, world.delegate.public_key());
    assert_eq!(message.message.proposer, world.proposer.pubkey());
    let payloads: Vec<Bytes> = message
        .message
        .constraints
        .iter()
        .map(|c| c.payload.clone())
        .collect();
    assert_eq!(payloads.len(), 3, "the L1 promise and one batch per rollup");
    assert_eq!(payloads[0], l1);
    let committer = alloy::signers::local::PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44))
        .unwrap()
        .address();
    let first_nonce = world.provider_nonce(committer).await;
    for (i, (rollup, expected)) in [
        (1u64, vec![rollup_txs[0].1.clone(), rollup_txs[2].1.clone()]),
        (2, vec![rollup_txs[1].1.clone()]),
    ]
    .into_iter()
    .enumerate()
    {
        let tx = TxEnvelope::decode_2718_exact(&payloads[1 + i]).unwrap();
        assert_eq!(
            tx.nonce(),
            first_nonce + i as u64,
            "consecutive committer nonces"
        );
        let call = RollupInbox::submitBatchCall::abi_decode(tx.input()).unwrap();
        assert_eq!((call.rollupId, call.slot), (rollup, slot.0));
        assert_eq!(
            call.txs, expected,
            "the batch holds the promised positions in order"
        );
    }

    // An honest builder proves every constraint; the relay takes its block.
    let builder = sim::bls_key(3000);
    let mut txs = sim::transactions(9, 0, 5);
    let first = txs.len();
    txs.extend(payloads.iter().cloned());
    let spec = BlockSpec {
        attributes: attributes.clone(),
        proposer: world.proposer.pubkey(),
        fee_recipient: world.proposer.fee_recipient,
        value: U256::from(1_000u64),
        prove: (first..txs.len()).collect(),
        txs,
        nonce: 1,
    };
    let built = sim::build(&builder, &world.info, &spec);
    let answer = world
        .http
        .post(format!(
            "{}/constraints/v0/relay/blocks_with_proofs",
            world.relay.url
        ))
        .json(&built.json_with_proofs())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "{}", answer.text().await.unwrap());

    // The liar offers more, with a tampered proof.
    let mut tampered = built.proofs.clone().unwrap();
    tampered.merkle_hashes[0] = B256::repeat_byte(0x66);
    liar.answer(lying_bid(&world, &built, Some(&tampered), 9_999, &liar_key));
    let header_url = format!(
        "{}/eth/v1/builder/header/{}/{}/{}",
        world.builder,
        slot.0,
        attributes.parent_block_hash,
        world.proposer.pubkey()
    );
    let honest = |body: &Value| {
        let bid = SignedBuilderBidElectra::from_json(&body["data"]).unwrap();
        assert_eq!(
            bid.message.pubkey.as_ref(),
            world.relay_key.public_key().0.as_slice(),
            "the honest relay's bid"
        );
        assert_eq!(bid.message.header.block_hash, built.block_hash().0);
        bid
    };
    let (status, body) = world.get(&header_url).await;
    assert_eq!(status, 200, "{body}");
    let bid = honest(&body);
    let metrics = world.metrics().await;
    assert!(
        sample(
            &metrics,
            "baton_sidecar_bids_rejected_total{reason=\"bad_proof\"}"
        ) >= 1,
        "{metrics}"
    );
    let relay_label = format!(
        "baton_sidecar_bids_received_total{{relay=\"{}\"}}",
        world.relay.url
    );
    assert!(sample(&metrics, &relay_label) >= 1, "{metrics}");

    // The liar now leaves a constraint out of a block of its own.
    let mut partial = spec.clone();
    partial.prove.pop();
    partial.nonce = 2;
    let partial = sim::build(&builder, &world.info, &partial);
    liar.answer(lying_bid(
        &world,
        &partial,
        partial.proofs.as_ref(),
        9_999,
        &liar_key,
    ));
    let (status, body) = world.get(&header_url).await;
    assert_eq!(status, 200, "{body}");
    honest(&body);
    let metrics = world.metrics().await;
    assert!(
        sample(
            &metrics,
            "baton_sidecar_bids_rejected_total{reason=\"missing_constraint\"}"
        ) >= 1,
        "{metrics}"
    );

    // The proposer signs the honest header; the sidecar gets the payload from the relay,
    // which publishes the block.
    let signed = world
        .proposer
        .sign_blinded(&world.info, &attributes, bid.message.header.clone());
    let answer = world
        .http
        .post(format!("{}/eth/v1/builder/blinded_blocks", world.builder))
        .header("Eth-Consensus-Version", "electra")
        .json(&signed.to_json())
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    let contents = ExecutionPayloadAndBlobsBundle::from_json(&body["data"]).unwrap();
    let included: Vec<B256> = contents
        .execution_payload
        .transactions
        .iter()
        .map(|t| keccak256(t.as_slice()))
        .collect();
    for payload in &payloads {
        assert!(
            included.contains(&keccak256(payload)),
            "every promise is in the block"
        );
    }
    assert_eq!(
        world.beacon.published().len(),
        1,
        "the relay published the block"
    );
    world.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_after_sealing_sends_the_same_constraints_again_and_never_reseals() {
    let mut world = World::start("reseal", None).await;
    let slot = world.next_open_slot(1_500);
    loop {
        assert!(
            now_ms() + 3_000 < world.start_ms(slot),
            "no promise before slot {slot}'s deadline"
        );
        let txs = [(1, l2_tx(l2_chain_id(1), "kept"))];
        let answer = world
            .call("baton_requestSequencing", sequencing(&world, slot, &txs))
            .await;
        if answer["result"].is_object() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = format!(
        "{}/constraints/v0/relay/constraints/{}",
        world.relay.url, slot.0
    );
    let wait = Duration::from_millis(world.start_ms(slot).saturating_sub(now_ms()));
    let sent = world
        .poll(&url, wait, |b| b.as_array().is_some_and(|a| !a.is_empty()))
        .await;

    // The relay forgets everything; the sidecar restarts from its journal before the slot.
    world.relay.restart().await;
    world.restart_sidecar().await;
    let wait = Duration::from_millis(world.start_ms(slot).saturating_sub(now_ms()));
    let again = world
        .poll(&url, wait, |b| b.as_array().is_some_and(|a| !a.is_empty()))
        .await;
    assert_eq!(again, sent, "the journaled constraints, byte for byte");
    // The slot stays closed to promises after the restart.
    let late = world
        .call(
            "baton_requestSequencing",
            sequencing(&world, slot, &[(1, l2_tx(l2_chain_id(1), "late"))]),
        )
        .await;
    assert_eq!(late["error"]["code"], 1102, "{late}");
    world.stop().await;
}

/// The gas limit a sealed batch transaction gets is enough for the real `RollupInbox`, at
/// the largest batch a slot allows.
#[tokio::test]
async fn a_sealed_batch_transaction_lands_in_the_inbox_within_its_gas_limit() {
    use alloy::{
        network::EthereumWallet,
        providers::{Provider, ProviderBuilder, ext::AnvilApi},
        signers::local::PrivateKeySigner,
    };
    use baton_sidecar::pbs::{BatchFees, batch_gas_limit, batch_transaction};
    use baton_toolchain::{Anvil, AnvilOptions};

    let anvil = Anvil::spawn(&AnvilOptions::default()).unwrap();
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse().unwrap();
    let committer: PrivateKeySigner = Anvil::DEV_KEYS[1].parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer))
        .connect_http(anvil.endpoint().parse().unwrap());
    let genesis = now_ms() / 1000 - 100;
    let inbox = RollupInbox::deploy(&provider, U256::from(genesis), U256::from(2u64))
        .await
        .unwrap();
    inbox
        .registerRollup(167_001, "alpha".into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    // 120 rollup transactions of ~1 KB: the default byte limit of a batch.
    let txs: Vec<Bytes> = (0..120u64)
        .map(|i| {
            baton_sidecar::sample::call(
                &committer,
                167_001,
                i,
                &vec![0xab; 900],
                baton_sidecar::sample::Fees::default(),
            )
        })
        .collect();
    let slot = Slot((now_ms() / 1000 - genesis) / 2 + 5);
    let raw = batch_transaction(
        &committer,
        anvil.chain_id(),
        *inbox.address(),
        (RollupId(1), slot, &txs),
        0,
        BatchFees {
            max_fee_per_gas: 100_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
        },
    );
    provider
        .anvil_set_next_block_timestamp(genesis + slot.0 * 2)
        .await
        .unwrap();
    let receipt = provider
        .send_raw_transaction(&raw)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "the batch transaction succeeds");
    let limit = batch_gas_limit(&txs);
    assert!(
        receipt.gas_used < limit,
        "used {} of the {limit} gas limit",
        receipt.gas_used
    );
    let hashes: Vec<B256> = txs.iter().map(keccak256).collect();
    let stored = inbox
        .batchOf(1, slot.0, committer.address())
        .call()
        .await
        .unwrap();
    assert_eq!(stored.root, baton_preconf::batch_root(&hashes).unwrap());
    assert_eq!(stored.count, 120);
}
