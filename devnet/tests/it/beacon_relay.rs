//! The builder-API path end to end: the beacon service's validators use the real
//! `baton-relay` binary (pointed at the beacon service) as their builder URL; a minimal
//! builder in this test builds real payloads on ethereumjs for each `payload_attributes`
//! event and submits them to the relay. The beacon service registers, gets the relay's
//! header, signs the blinded block, gets the payload back and imports it on L1.
//!
//! (The project's constraint-aware builder lives in `builder/`, not on main yet; this
//! test's builder is the smallest real submission: an Engine-API payload, a signed
//! `BidTrace`, `POST /relay/v1/builder/blocks`.)

use std::{
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{Address, B256};
use baton_devnet::beacon::{
    BeaconConfig, BeaconService, BlockSource, ValidatorSetup, interop_secret_key,
};
use baton_engine::{EngineClient, PayloadAttributes};
use baton_preconf::{
    BlsSecretKey, Slot,
    ssz::{BeaconJson, BidTrace, SubmitBlockRequestElectra, u256_from_alloy},
};
use baton_relay::beacon::PayloadAttributes as RelayAttributes;
use baton_sidecar::head_events::SseParser;
use serde_json::Value;

use crate::beacon_fixture::{beacon_root, block, now, quantity, start_l1, wait_for_slot};

const SECONDS: u64 = 4;

/// The relay process, killed on drop.
struct Relay(Child);

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn pubkey_bytes(key: &baton_preconf::BlsPublicKey) -> ssz_rs::Vector<u8, 48> {
    ssz_rs::Vector::try_from(key.0.to_vec()).unwrap()
}

/// Builds a payload for every `payload_attributes` event and submits it to the relay;
/// records `(slot, block hash)` of every accepted submission.
async fn run_builder(
    beacon_url: String,
    relay_url: String,
    engine: EngineClient,
    fork_version: [u8; 4],
    accepted: Arc<Mutex<Vec<(Slot, B256)>>>,
) {
    let key = BlsSecretKey::from_ikm(&[0x77; 32]).unwrap();
    let http = reqwest::Client::new();
    let mut stream = http
        .get(format!(
            "{beacon_url}/eth/v1/events?topics=payload_attributes"
        ))
        .send()
        .await
        .unwrap();
    let mut parser = SseParser::default();
    while let Ok(Some(chunk)) = stream.chunk().await {
        for (_, data) in parser.feed(&chunk).unwrap() {
            let value: Value = serde_json::from_str(&data).unwrap();
            let data = &value["data"];
            let attributes = RelayAttributes::from_event(data).unwrap();
            let fee_recipient: Address = data["payload_attributes"]["suggested_fee_recipient"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            let built = match engine
                .build(
                    attributes.parent_block_hash,
                    &PayloadAttributes {
                        timestamp: attributes.timestamp,
                        prev_randao: attributes.prev_randao,
                        suggested_fee_recipient: fee_recipient,
                        withdrawals: Vec::new(),
                        parent_beacon_block_root: attributes.parent_beacon_block_root,
                    },
                )
                .await
            {
                Ok(built) => built,
                Err(error) => {
                    eprintln!("builder: slot {}: {error}", attributes.proposal_slot);
                    continue;
                }
            };
            let payload = built.payload;
            let proposer = interop_secret_key(attributes.proposer_index)
                .unwrap()
                .public_key();
            let message = BidTrace {
                slot: attributes.proposal_slot.0,
                parent_hash: payload.parent_hash,
                block_hash: payload.block_hash,
                builder_pubkey: pubkey_bytes(&key.public_key()),
                proposer_pubkey: pubkey_bytes(&proposer),
                proposer_fee_recipient: fee_recipient.0.0,
                gas_limit: payload.gas_limit,
                gas_used: payload.gas_used,
                value: u256_from_alloy(built.block_value),
            };
            let request = SubmitBlockRequestElectra {
                signature: message.sign(&key, fork_version).unwrap(),
                message,
                execution_payload: payload.clone(),
                blobs_bundle: built.blobs_bundle,
                execution_requests: built.execution_requests,
            };
            let answer = http
                .post(format!("{relay_url}/relay/v1/builder/blocks"))
                .header("Content-Type", "application/json")
                .body(request.to_json().to_string())
                .send()
                .await
                .unwrap();
            let status = answer.status();
            if status.is_success() {
                accepted
                    .lock()
                    .unwrap()
                    .push((attributes.proposal_slot, B256::from(payload.block_hash)));
            } else {
                let text = answer.text().await.unwrap_or_default();
                eprintln!(
                    "builder: slot {}: relay answered {status}: {text}",
                    attributes.proposal_slot
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_bid_becomes_the_l1_block() {
    let relay_bin = baton_toolchain::workspace_binary("baton-relay").unwrap();
    let genesis = now();
    let (el, engine, layer) = start_l1(genesis, Vec::new()).await;
    let rpc_url = el.rpc_url();
    let relay_port = baton_toolchain::free_port().unwrap();
    let relay_url = format!("http://127.0.0.1:{relay_port}");
    let validators = (0..2u8)
        .map(|i| ValidatorSetup {
            fee_recipient: Address::repeat_byte(0x20 + i),
            builder_url: Some(relay_url.clone()),
        })
        .collect();
    let mut config = BeaconConfig::devnet(genesis, el.chain_id(), validators, Arc::new(layer));
    config.seconds_per_slot = SECONDS;
    let beacon = BeaconService::start(config).await.unwrap();

    let dir =
        std::env::temp_dir().join(format!("baton-devnet-beacon-relay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let key_file = dir.join("relay.key");
    let relay_key = BlsSecretKey::from_ikm(&[0x55; 32]).unwrap();
    std::fs::write(&key_file, hex::encode(relay_key.to_bytes())).unwrap();
    let _relay = Relay(
        Command::new(relay_bin)
            .args(["--http.addr", &format!("127.0.0.1:{relay_port}")])
            .args(["--beacon.url", beacon.url()])
            .args(["--chain.seconds-per-slot", &SECONDS.to_string()])
            .args(["--chain.slots-per-epoch", "8"])
            .arg("--relay.key-file")
            .arg(&key_file)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .expect("start baton-relay"),
    );
    let http = reqwest::Client::new();
    let started = Instant::now();
    while !http
        .get(format!("{relay_url}/ready"))
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
    {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the relay never became ready"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let accepted = Arc::new(Mutex::new(Vec::new()));
    let builder = tokio::spawn(run_builder(
        beacon.url().to_owned(),
        relay_url.clone(),
        engine,
        beacon.spec().genesis_fork_version,
        accepted.clone(),
    ));

    // Registration, a bid and the reveal take a few slots; then a builder block lands.
    let first = Slot((now() - genesis) / SECONDS + 1);
    let mut landed = None;
    for slot in first.0..first.0 + 10 {
        let record =
            wait_for_slot(&beacon, Slot(slot), Duration::from_secs(3 * SECONDS + 10)).await;
        if let Some(block) = record.block()
            && matches!(block.source, BlockSource::Builder { .. })
        {
            landed = Some((record.slot, block.clone()));
            break;
        }
    }
    let (slot, landed) = landed.unwrap_or_else(|| {
        panic!(
            "no builder block in 10 slots; accepted submissions: {:?}; records: {:?}",
            accepted.lock().unwrap(),
            beacon.records(first, Slot(first.0 + 10))
        )
    });
    assert_eq!(
        landed.source,
        BlockSource::Builder {
            url: relay_url.clone()
        }
    );
    // Before the relay had a bid (or the registration), the proposer built locally: no
    // slot went empty, although the test's builder had already fetched the very payload
    // of those slots' attributes from the same ethereumjs.
    for record in beacon.records(first, slot) {
        assert!(
            record.block().is_some(),
            "slot {} has no block: {record:?}",
            record.slot
        );
    }
    assert!(
        accepted
            .lock()
            .unwrap()
            .contains(&(slot, landed.block_hash)),
        "the L1 block is the one the builder submitted for slot {slot}"
    );
    let l1 = block(&rpc_url, landed.block_number).await;
    assert_eq!(
        l1["hash"].as_str().unwrap().parse::<B256>().unwrap(),
        landed.block_hash
    );
    let timestamp = quantity(&l1, "timestamp");
    assert_eq!(timestamp, genesis + SECONDS * slot.0);
    assert_eq!(
        beacon_root(&rpc_url, timestamp).await.unwrap(),
        landed.parent_root
    );
    // The relay recorded the delivery (and published the block to the beacon service).
    let delivered: Value = http
        .get(format!(
            "{relay_url}/relay/v1/data/bidtraces/proposer_payload_delivered?slot={}",
            slot.0
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        delivered[0]["block_hash"]
            .as_str()
            .unwrap()
            .parse::<B256>()
            .unwrap(),
        landed.block_hash,
        "{delivered}"
    );
    builder.abort();
    beacon.shutdown().await;
    let _ = std::fs::remove_dir_all(dir);
}
