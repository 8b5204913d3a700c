//! A sidecar serving two rollups over JSON-RPC for the sequencing tests: start it over a
//! journal folder, sign rollup requests, call and read answers.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsSecretKey, ChainSpec, Request, RollupId, RollupTransaction, SequencingRequest,
    SignedCommitment, Slot,
};
use baton_sidecar::{
    execution::ExecutionState,
    journal::FileJournal,
    l2::L2Client,
    ledger::{Ledger, Limits},
    lookahead::{Duties, ManualClock},
    rpc::serve,
    service::{Parts, Service, ServiceConfig},
};
use serde_json::{Value, json};

pub(crate) const GENESIS: u64 = 1_700_000_000;

pub(crate) struct Sidecar {
    pub(crate) url: String,
    pub(crate) server: tokio::task::JoinHandle<()>,
    pub(crate) clock: Arc<ManualClock>,
}

impl Drop for Sidecar {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub(crate) fn domain() -> BatonDomain {
    BatonDomain {
        chain_id: 3_151_908,
        verifying_contract: Address::repeat_byte(0x5a),
    }
}

pub(crate) fn committer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
}

/// Starts a sidecar on a free port over `dir`'s journal; we propose slots 10 and 11.
pub(crate) async fn start(dir: &Path, limits: Limits) -> Sidecar {
    start_with_rates(dir, limits, (0, 0), (0, 0)).await
}

/// [`start`] with rate limits `(per second, burst)` per IP and per wallet.
pub(crate) async fn start_with_rates(
    dir: &Path,
    limits: Limits,
    per_ip: (u32, u32),
    per_wallet: (u32, u32),
) -> Sidecar {
    start_with(dir, limits, per_ip, per_wallet, HashMap::new()).await
}

/// [`start`] with rate limits and L2 clients.
pub(crate) async fn start_with(
    dir: &Path,
    limits: Limits,
    per_ip: (u32, u32),
    per_wallet: (u32, u32),
    l2: HashMap<RollupId, L2Client>,
) -> Sidecar {
    let (journal, entries) = FileJournal::open(dir).unwrap();
    let duties = Arc::new(Duties::default());
    let validator = BlsSecretKey::from_ikm(&[7; 32]).unwrap().public_key();
    duties.insert(Slot(10), validator);
    duties.insert(Slot(11), validator);
    let chain = ChainSpec::devnet(3_151_908, GENESIS);
    // Slot 5 has just begun.
    let clock = Arc::new(ManualClock::new((GENESIS + 5 * 2) * 1000 + 100));
    let config = ServiceConfig {
        chain: chain.clone(),
        domain: domain(),
        deadline_ms: 500,
        window_slots: 32,
        fee_per_rollup_tx: U256::from(1_000u64),
        base_tip_wei: 1_000_000_000,
        rate_per_ip: per_ip,
        rate_per_wallet: per_wallet,
    };
    let (service, _) = Service::new(
        config,
        committer(),
        Parts {
            journal: journal.into(),
            entries,
            ledger: Ledger::new(limits),
            duties,
            clock: clock.clone(),
            rollups: HashMap::from([(RollupId(1), l2_chain_id(1)), (RollupId(2), l2_chain_id(2))]),
            // Sequencing never reads L1 state; nothing listens here.
            execution: Arc::new(
                ExecutionState::connect("http://127.0.0.1:9", chain.clone()).unwrap(),
            ),
            l2,
        },
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        serve(listener, Arc::new(service), std::future::pending())
            .await
            .unwrap();
    });
    Sidecar { url, server, clock }
}

pub(crate) fn limits() -> Limits {
    Limits {
        gas_per_slot: 15_000_000,
        batch_max_txs: 4,
        batch_max_bytes: 100_000,
        blobs_per_slot: 6,
    }
}

/// The L2 chain id of test rollup `rollup`.
pub(crate) const fn l2_chain_id(rollup: u64) -> u64 {
    167_000 + rollup
}

/// A signed L2 transaction on `chain_id` whose calldata is `body`: distinct bodies give
/// distinct transactions.
pub(crate) fn l2_tx(chain_id: u64, body: &str) -> Bytes {
    let sender = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x12)).unwrap();
    baton_sidecar::sample::call(&sender, chain_id, 0, body.as_bytes(), Default::default())
}

pub(crate) fn request(
    slot: u64,
    txs: &[(u64, &str)],
    wallet: &PrivateKeySigner,
    domain: &BatonDomain,
) -> Value {
    let txs: Vec<(u64, Bytes)> = txs
        .iter()
        .map(|(rollup, body)| (*rollup, l2_tx(l2_chain_id(*rollup), body)))
        .collect();
    signed_sequencing_in(slot, &txs, wallet, domain)
}

/// A sequencing request for raw rollup transactions, signed by `wallet`.
pub(crate) fn signed_sequencing(
    slot: u64,
    txs: &[(u64, Bytes)],
    wallet: &PrivateKeySigner,
) -> Value {
    signed_sequencing_in(slot, txs, wallet, &domain())
}

pub(crate) fn signed_sequencing_in(
    slot: u64,
    txs: &[(u64, Bytes)],
    wallet: &PrivateKeySigner,
    domain: &BatonDomain,
) -> Value {
    let request = Request::Sequencing(SequencingRequest {
        slot: Slot(slot),
        txs: txs
            .iter()
            .map(|(rollup, tx)| RollupTransaction {
                rollup_id: RollupId(*rollup),
                tx: tx.clone(),
            })
            .collect(),
    });
    serde_json::to_value(request.sign(wallet, domain).unwrap()).unwrap()
}

pub(crate) async fn call(url: &str, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// `baton_requestSequencing` with one signed request.
pub(crate) async fn sequence(url: &str, signed_request: Value) -> Value {
    call(url, "baton_requestSequencing", json!([signed_request])).await
}

/// `baton_requestSequencing` that must succeed: the signed commitment it returned.
pub(crate) async fn promised(url: &str, signed_request: Value) -> SignedCommitment {
    let answer = sequence(url, signed_request).await;
    serde_json::from_value(answer["result"].clone())
        .unwrap_or_else(|e| panic!("no promise ({e}): {answer}"))
}

pub(crate) fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("expected an error, got {answer}"))
}

pub(crate) fn tempdir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("baton-sidecar-it-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
