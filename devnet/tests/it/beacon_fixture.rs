//! A real L1 for the beacon service's tests: ethereumjs (Prague) started from a fresh
//! genesis, JSON-RPC helpers, and a reader of the beacon service's event stream that
//! uses the sidecar's own SSE parser.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256, U256};
use baton_devnet::beacon::{BeaconHandle, ExecutionLayer, SlotRecord};
use baton_engine::{EngineClient, JwtSecret};
use baton_preconf::Slot;
use baton_sidecar::head_events::SseParser;
use baton_toolchain::{EthereumJs, EthereumJsOptions};
use serde_json::{Value, json};

/// The EIP-4788 beacon roots contract.
pub(crate) const BEACON_ROOTS: &str = "0x000F3df6D732807Ef1319fB7B8bB8522d0Beac02";

pub(crate) fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Logs to the test's output, filtered by `RUST_LOG` (default: warnings).
pub(crate) fn init_logs() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_test_writer()
        .try_init();
}

/// ethereumjs with `prefunded` accounts and genesis at `genesis_time`, and its Engine API.
pub(crate) async fn start_l1(
    genesis_time: u64,
    prefunded: Vec<(Address, U256)>,
) -> (EthereumJs, EngineClient, ExecutionLayer) {
    init_logs();
    let options = EthereumJsOptions {
        prefunded,
        genesis_time,
        ..Default::default()
    };
    let el = tokio::task::spawn_blocking(move || EthereumJs::start(&options))
        .await
        .unwrap()
        .expect("ethereumjs starts (`npm install` in the repository root installs it)");
    let engine = EngineClient::new(&el.engine_url(), JwtSecret::from_hex(el.jwt_hex()).unwrap());
    let layer = ExecutionLayer::new(engine.clone(), &el.rpc_url());
    (el, engine, layer)
}

/// A JSON-RPC call; the whole reply.
pub(crate) async fn rpc(url: &str, method: &str, params: Value) -> Value {
    reqwest::Client::new()
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// A hex quantity field of a JSON object.
pub(crate) fn quantity(value: &Value, name: &str) -> u64 {
    let text = value[name]
        .as_str()
        .unwrap_or_else(|| panic!("{name} in {value}"));
    u64::from_str_radix(text.trim_start_matches("0x"), 16).unwrap()
}

/// Block `number` of the L1.
pub(crate) async fn block(url: &str, number: u64) -> Value {
    let reply = rpc(
        url,
        "eth_getBlockByNumber",
        json!([format!("{number:#x}"), false]),
    )
    .await;
    assert!(reply["result"].is_object(), "block {number}: {reply}");
    reply["result"].clone()
}

/// What the EIP-4788 contract returns for `timestamp`: `Ok(root)` or `Err(reply)`.
pub(crate) async fn beacon_root(url: &str, timestamp: u64) -> Result<B256, Value> {
    let data = format!("0x{timestamp:064x}");
    let reply = rpc(
        url,
        "eth_call",
        json!([{ "to": BEACON_ROOTS, "data": data }, "latest"]),
    )
    .await;
    match reply["result"].as_str() {
        Some(text) if text.len() == 66 => Ok(text.parse().unwrap()),
        _ => Err(reply),
    }
}

/// Waits until `beacon` has a record of `slot`; panics after `limit`.
pub(crate) async fn wait_for_slot(
    beacon: &BeaconHandle,
    slot: Slot,
    limit: Duration,
) -> SlotRecord {
    let started = Instant::now();
    loop {
        if let Some(record) = beacon.record(slot) {
            return record;
        }
        assert!(
            started.elapsed() < limit,
            "no record of slot {slot} after {limit:?} (head {:?})",
            beacon.head()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `(event, data)` pairs read from an event stream in the background.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventLog(Arc<Mutex<Vec<(String, String)>>>);

impl EventLog {
    /// Subscribes to `url`'s `/eth/v1/events?topics=…` and keeps reading until the test
    /// ends.
    pub(crate) async fn follow(url: &str, topics: &str) -> Self {
        let log = Self::default();
        let mut response = reqwest::Client::new()
            .get(format!("{url}/eth/v1/events?topics={topics}"))
            .header("Accept", "text/event-stream")
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
        let sink = log.clone();
        tokio::spawn(async move {
            let mut parser = SseParser::default();
            while let Ok(Some(chunk)) = response.chunk().await {
                let events = parser.feed(&chunk).unwrap();
                sink.0.lock().unwrap().extend(events);
            }
        });
        log
    }

    /// Everything read so far.
    pub(crate) fn events(&self) -> Vec<(String, String)> {
        self.0.lock().unwrap().clone()
    }
}
