//! The beacon service driving a real ethereumjs L1 with no builder: a block every slot,
//! EIP-4788 roots on L1 that are the service's own block roots, a missed slot, and the
//! REST and event answers read by the relay's and the sidecar's own clients.

use std::{sync::Arc, time::Duration};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, TxKind, U256, hex};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_devnet::beacon::{
    BeaconConfig, BeaconService, BlockSource, MissReason, SlotOutcome, ValidatorSetup,
};
use baton_preconf::{Epoch, Slot};
use serde_json::{Value, json};

use crate::beacon_fixture::{
    EventLog, beacon_root, block, now, quantity, rpc, start_l1, wait_for_slot,
};

fn transfer(key: &PrivateKeySigner, chain_id: u64) -> String {
    let tx = TxEip1559 {
        chain_id,
        nonce: 0,
        gas_limit: 21_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(0x42)),
        value: U256::from(1_000u64),
        ..Default::default()
    };
    let signature = key.sign_hash_sync(&tx.signature_hash()).unwrap();
    hex::encode_prefixed(TxEnvelope::from(tx.into_signed(signature)).encoded_2718())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_blocks_every_slot_with_real_beacon_roots_and_a_missed_slot() {
    let sender = PrivateKeySigner::random();
    let genesis = now();
    let (el, _, layer) = start_l1(
        genesis,
        vec![(sender.address(), U256::from(10u128.pow(21)))],
    )
    .await;
    let rpc_url = el.rpc_url();
    let validators: Vec<ValidatorSetup> = (0..4u8)
        .map(|i| ValidatorSetup {
            fee_recipient: Address::repeat_byte(0x10 + i),
            builder_url: None,
        })
        .collect();
    let config = BeaconConfig::devnet(genesis, el.chain_id(), validators.clone(), Arc::new(layer));
    let beacon = BeaconService::start(config).await.unwrap();
    let events = EventLog::follow(beacon.url(), "head,payload_attributes").await;

    // The relay's and the sidecar's clients read genesis, fork and duties.
    let relay_view = baton_relay::beacon::BeaconClient::new(beacon.url());
    let info = relay_view.chain_info().await.unwrap();
    assert_eq!(info.genesis_time, genesis);
    assert_eq!(
        info.genesis_validators_root,
        beacon.spec().genesis_validators_root
    );
    assert_eq!(info.current_fork_version, [0x60, 0, 0, 0x38]);
    let sidecar_view = baton_sidecar::beacon::BeaconClient::new(beacon.url());
    assert_eq!(
        sidecar_view.genesis().await.unwrap(),
        (genesis, Some([0x10, 0, 0, 0x38]))
    );
    let duties = sidecar_view.proposer_duties(Epoch(0)).await.unwrap();
    assert_eq!(duties.len(), 8);
    for (slot, pubkey) in &duties {
        let index = beacon.proposer(*slot);
        let key = baton_devnet::beacon::interop_secret_key(index).unwrap();
        assert_eq!(*pubkey, key.public_key());
    }

    let raw = transfer(&sender, el.chain_id());
    let sent = rpc(&rpc_url, "eth_sendRawTransaction", json!([raw])).await;
    let tx_hash = sent["result"]
        .as_str()
        .unwrap_or_else(|| panic!("{sent}"))
        .to_owned();

    let current = (now() - genesis) / 2;
    let missed = Slot(current + 3);
    beacon.faults().miss_slot(missed);
    let last = Slot(missed.0 + 2);
    wait_for_slot(
        &beacon,
        last,
        Duration::from_secs(2 * (last.0 - current) + 10),
    )
    .await;

    let records = beacon.records(Slot(0), last);
    let first = records.first().unwrap().slot;
    assert!(
        first.0 <= current + 1,
        "proposing started at slot {first}, now is {current}"
    );
    assert_eq!(
        records.len() as u64,
        last.0 - first.0 + 1,
        "a record for every slot"
    );
    let mut previous: Option<(u64, B256)> = None;
    let mut saw_tx = false;
    for record in &records {
        if record.slot == missed {
            assert_eq!(
                record.outcome,
                SlotOutcome::Missed {
                    reason: MissReason::Fault
                }
            );
            // Nothing on L1 at the missed slot's timestamp.
            let timestamp = genesis + 2 * missed.0;
            assert!(beacon_root(&rpc_url, timestamp).await.is_err());
            continue;
        }
        let landed = record
            .block()
            .unwrap_or_else(|| panic!("slot {} has no block: {record:?}", record.slot));
        assert_eq!(landed.source, BlockSource::Local);
        let l1 = block(&rpc_url, landed.block_number).await;
        assert_eq!(
            l1["hash"].as_str().unwrap().parse::<B256>().unwrap(),
            landed.block_hash
        );
        let timestamp = quantity(&l1, "timestamp");
        assert_eq!(timestamp, genesis + 2 * record.slot.0);
        let miner: Address = l1["miner"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            miner,
            validators[record.proposer_index as usize].fee_recipient
        );
        // EIP-4788: L1 stores the service's parent root for the block's timestamp.
        assert_eq!(
            beacon_root(&rpc_url, timestamp).await.unwrap(),
            landed.parent_root
        );
        assert_eq!(
            l1["parentBeaconBlockRoot"]
                .as_str()
                .unwrap()
                .parse::<B256>()
                .unwrap(),
            landed.parent_root
        );
        if let Some((number, root)) = previous {
            assert_eq!(landed.block_number, number + 1, "no gap in L1 blocks");
            assert_eq!(
                landed.parent_root, root,
                "roots chain, also across the missed slot"
            );
        }
        previous = Some((landed.block_number, landed.root));
        saw_tx |= landed.tx_count > 0;
    }
    let latest = rpc(&rpc_url, "eth_blockNumber", json!([])).await;
    assert!(
        u64::from_str_radix(
            latest["result"].as_str().unwrap().trim_start_matches("0x"),
            16
        )
        .unwrap()
            >= previous.unwrap().0
    );
    let receipt = rpc(&rpc_url, "eth_getTransactionReceipt", json!([tx_hash])).await;
    assert_eq!(
        receipt["result"]["status"], "0x1",
        "the transfer landed: {receipt}"
    );
    assert!(saw_tx, "a local block carried the pool's transaction");

    // Events: every head was announced, then the next slot's attributes on it.
    let events = events.events();
    let heads: Vec<Value> = events
        .iter()
        .filter(|(e, _)| e == "head")
        .map(|(_, d)| serde_json::from_str(d).unwrap())
        .collect();
    assert!(heads.len() >= 4, "{} head events", heads.len());
    for (name, data) in &events {
        if name != "payload_attributes" {
            continue;
        }
        let value: Value = serde_json::from_str(data).unwrap();
        let parsed = baton_relay::beacon::PayloadAttributes::from_event(&value["data"]).unwrap();
        if let Some(record) = records
            .iter()
            .find(|r| r.slot.0 + 1 == parsed.proposal_slot.0)
            && let Some(landed) = record.block()
        {
            assert_eq!(parsed.parent_beacon_block_root, landed.root);
            assert_eq!(parsed.parent_block_hash, landed.block_hash);
            assert_eq!(parsed.timestamp, genesis + 2 * parsed.proposal_slot.0);
        }
    }
    beacon.shutdown().await;
}
