//! A world for block production (steps ④ and ⑥): the relay's stub beacon node (one
//! validator, ours, proposes every slot), anvil with a `RollupInbox` (mining switched off
//! once it is deployed, so nothing handed to its pool lands), the real `baton-relay`
//! binary, optionally a lying relay served by the test, and the real sidecar `run` with
//! `--builder.addr`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, Bytes, U256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use axum::{
    Json, Router,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_contracts::RollupInbox;
use baton_preconf::{BatonDomain, BlsSecretKey, Slot};
use baton_relay::{
    beacon::{ChainInfo, stub::StubBeacon},
    sim,
};
use baton_sidecar::{
    config::{BuilderConfig, CommitterKey, Config, JournalBackend, RollupSource, ValidatorKeys},
    keys::DelegateKey,
    ledger::Limits,
    pbs::{RelayEndpoint, Timing},
};
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::{Value, json};

/// Slot length: seals 3 s before a slot leave time for a builder and getHeader.
pub(crate) const SECONDS: u64 = 6;
/// Promises close (and the slot is sealed) this long before it starts.
pub(crate) const DEADLINE_MS: u64 = 3_000;

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// The real relay binary, killed when dropped.
pub(crate) struct RelayProcess {
    child: Option<Child>,
    port: u16,
    args: Vec<String>,
    pub(crate) url: String,
}

impl RelayProcess {
    async fn start(beacon: &str, key_file: &std::path::Path) -> Self {
        let port = baton_toolchain::free_port().unwrap();
        let args = vec![
            "--http.addr".to_owned(),
            format!("127.0.0.1:{port}"),
            "--beacon.url".to_owned(),
            beacon.to_owned(),
            "--chain.seconds-per-slot".to_owned(),
            SECONDS.to_string(),
            "--chain.slots-per-epoch".to_owned(),
            "8".to_owned(),
            "--relay.key-file".to_owned(),
            key_file.display().to_string(),
        ];
        let mut relay = Self {
            child: None,
            port,
            args,
            url: format!("http://127.0.0.1:{port}"),
        };
        relay.spawn().await;
        relay
    }

    async fn spawn(&mut self) {
        let child = Command::new(baton_toolchain::workspace_binary("baton-relay").unwrap())
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .expect("start baton-relay");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            let ready = http
                .get(format!("{}/ready", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the relay on port {} did not become ready",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Kills the relay (it keeps everything in memory: all is lost) and starts it again on
    /// the same port.
    pub(crate) async fn restart(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().unwrap();
            child.wait().unwrap();
        }
        self.spawn().await;
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A relay run by the test that answers `header_with_proofs` with whatever it is told to
/// (signed by its own key), and takes delegations and constraints without checking them.
#[derive(Clone, Default)]
pub(crate) struct LyingRelay {
    answer: Arc<Mutex<Option<Value>>>,
    delegations: Arc<Mutex<Vec<Value>>>,
}

impl LyingRelay {
    pub(crate) async fn start(&self) -> String {
        async fn header(State(liar): State<LyingRelay>) -> Response {
            match liar.answer.lock().unwrap().clone() {
                Some(data) => Json(json!({"version": "electra", "data": data})).into_response(),
                None => StatusCode::NO_CONTENT.into_response(),
            }
        }
        async fn delegate(State(liar): State<LyingRelay>, Json(body): Json<Value>) -> StatusCode {
            liar.delegations.lock().unwrap().push(body);
            StatusCode::OK
        }
        async fn delegations(State(liar): State<LyingRelay>) -> Json<Value> {
            Json(Value::Array(liar.delegations.lock().unwrap().clone()))
        }
        let app = Router::new()
            .route(
                "/constraints/v0/builder/header_with_proofs/{slot}/{parent}/{pubkey}",
                get(header),
            )
            .route("/constraints/v0/builder/delegate", post(delegate))
            .route("/constraints/v0/relay/delegations/{slot}", get(delegations))
            .route(
                "/constraints/v0/builder/constraints",
                post(|| async { StatusCode::OK }),
            )
            .route(
                "/eth/v1/builder/validators",
                post(|| async { StatusCode::OK }),
            )
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        url
    }

    /// What `header_with_proofs` answers from now on (`data` of the envelope).
    pub(crate) fn answer(&self, data: Value) {
        *self.answer.lock().unwrap() = Some(data);
    }
}

pub(crate) struct World {
    pub(crate) info: ChainInfo,
    pub(crate) beacon: StubBeacon,
    pub(crate) proposer: sim::Proposer,
    pub(crate) delegate: BlsSecretKey,
    pub(crate) relay_key: BlsSecretKey,
    pub(crate) relay: RelayProcess,
    pub(crate) anvil: Anvil,
    pub(crate) domain: BatonDomain,
    /// The sidecar's JSON-RPC.
    pub(crate) rpc: String,
    /// The sidecar's builder API.
    pub(crate) builder: String,
    pub(crate) http: reqwest::Client,
    config: Config,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<eyre::Result<()>>>,
    dir: PathBuf,
}

type Running = (
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<eyre::Result<()>>,
);

/// Starts the real `run` with `config`.
fn run(config: Config) -> Running {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(async move {
        baton_sidecar::run::run(config, async {
            let _ = stopped.await;
        })
        .await
        .map_err(eyre::Report::from)
    });
    (stop, running)
}

impl World {
    /// Starts everything; `liar`, if given, is configured as a second relay with key
    /// `liar_key`.
    pub(crate) async fn start(name: &str, liar: Option<(&str, &BlsSecretKey)>) -> Self {
        let genesis = now_ms() / 1000 - 10 * SECONDS;
        let info = sim::chain_info(genesis);
        let proposer = sim::Proposer {
            key: sim::bls_key(1),
            index: 0,
            fee_recipient: Address::repeat_byte(0xfe),
        };
        let beacon = StubBeacon::start(info.clone(), 8, vec![proposer.pubkey()])
            .await
            .unwrap();
        let dir = std::env::temp_dir().join(format!(
            "baton-sidecar-it-pbs-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let relay_key = sim::bls_key(1000);
        std::fs::write(
            dir.join("relay.key"),
            alloy::primitives::hex::encode(relay_key.to_bytes()),
        )
        .unwrap();
        let relay = RelayProcess::start(beacon.url(), &dir.join("relay.key")).await;

        let anvil = Anvil::spawn(&AnvilOptions::default()).unwrap();
        let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse().unwrap();
        let provider = ProviderBuilder::new()
            .wallet(EthereumWallet::from(deployer))
            .connect_http(anvil.endpoint().parse().unwrap());
        let inbox = RollupInbox::deploy(&provider, U256::from(genesis), U256::from(SECONDS))
            .await
            .unwrap();
        for (chain_id, name) in [(167_001u64, "alpha"), (167_002, "beta")] {
            inbox
                .registerRollup(chain_id, name.into())
                .send()
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
        }
        provider.anvil_set_auto_mine(false).await.unwrap();

        let delegate = sim::bls_key(500);
        let mut relays = vec![RelayEndpoint {
            pubkey: Some(relay_key.public_key()),
            url: relay.url.clone(),
        }];
        if let Some((url, key)) = liar {
            relays.push(RelayEndpoint {
                pubkey: Some(key.public_key()),
                url: url.to_owned(),
            });
        }
        let rpc_port = baton_toolchain::free_port().unwrap();
        let builder_port = baton_toolchain::free_port().unwrap();
        let slasher = Address::repeat_byte(0x5a);
        let config = Config {
            data_dir: dir.join("sidecar"),
            journal: JournalBackend::File,
            rpc_addr: format!("127.0.0.1:{rpc_port}").parse().unwrap(),
            beacon_url: beacon.url().to_owned(),
            chain_id: anvil.chain_id(),
            seconds_per_slot: SECONDS,
            slots_per_epoch: 8,
            slasher,
            committer: CommitterKey(
                PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap(),
            ),
            delegate: Some(DelegateKey::new(sim::bls_key(500))),
            validators: vec![proposer.pubkey()],
            l1_rpc: anvil.endpoint(),
            head_poll_ms: 100,
            rollups: RollupSource::Inbox(*inbox.address()),
            l2_rpcs: vec![],
            deadline_ms: DEADLINE_MS,
            window_slots: 32,
            limits: Limits {
                gas_per_slot: 15_000_000,
                batch_max_txs: 16,
                batch_max_bytes: 100_000,
                blobs_per_slot: 6,
            },
            fee_per_rollup_tx: U256::ZERO,
            base_tip_wei: 1,
            rate_per_ip: (0, 0),
            rate_per_wallet: (0, 0),
            defender: None,
            market: None,
            builder: Some(BuilderConfig {
                addr: format!("127.0.0.1:{builder_port}").parse().unwrap(),
                relays,
                timing: Timing {
                    relay_timeout: Duration::from_millis(600),
                    budget: Duration::from_millis(900),
                    payload_timeout: Duration::from_secs(2),
                },
                engine_url: None,
                jwt_secret: None,
                batch_tip_wei: 1_000_000_000,
                validator_keys: ValidatorKeys(Arc::new(vec![sim::bls_key(1)])),
                fault_drop_promised_tx: false,
            }),
        };
        let (stop, running) = run(config.clone());
        let world = Self {
            config,
            info,
            beacon,
            proposer,
            delegate,
            relay_key,
            relay,
            domain: BatonDomain {
                chain_id: anvil.chain_id(),
                verifying_contract: slasher,
            },
            anvil,
            rpc: format!("http://127.0.0.1:{rpc_port}"),
            builder: format!("http://127.0.0.1:{builder_port}"),
            http: reqwest::Client::new(),
            stop: Some(stop),
            running: Some(running),
            dir,
        };
        world.wait_up().await;
        world
    }

    async fn wait_up(&self) {
        let started = Instant::now();
        loop {
            let rpc = self.http.get(format!("{}/health", self.rpc)).send().await;
            let builder = self
                .http
                .get(format!("{}/eth/v1/builder/status", self.builder))
                .send()
                .await;
            if rpc.is_ok() && builder.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the sidecar never served its JSON-RPC and builder API"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The current slot.
    pub(crate) fn current(&self) -> Slot {
        Slot((now_ms() / 1000 - self.info.genesis_time) / SECONDS)
    }

    /// When `slot` starts, in Unix ms.
    pub(crate) fn start_ms(&self, slot: Slot) -> u64 {
        (self.info.genesis_time + slot.0 * SECONDS) * 1000
    }

    /// The first slot whose promise deadline is at least `lead_ms` away.
    pub(crate) fn next_open_slot(&self, lead_ms: u64) -> Slot {
        let mut slot = self.current();
        while self.start_ms(slot) < now_ms() + DEADLINE_MS + lead_ms {
            slot = slot.next();
        }
        slot
    }

    pub(crate) async fn get(&self, url: &str) -> (u16, Value) {
        let answer = self.http.get(url).send().await.unwrap();
        let status = answer.status().as_u16();
        (status, answer.json().await.unwrap_or(Value::Null))
    }

    /// Polls `url` until `done` holds for its JSON answer, for at most `limit`.
    pub(crate) async fn poll(
        &self,
        url: &str,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(url).await;
            if status == 200 && done(&body) {
                return body;
            }
            assert!(
                started.elapsed() < limit,
                "{url} never answered as expected within {limit:?} (last: {status} {body})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A JSON-RPC call to the sidecar.
    pub(crate) async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        self.http
            .post(&self.rpc)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// A wallet anvil funded.
    pub(crate) fn wallet(index: usize) -> PrivateKeySigner {
        Anvil::DEV_KEYS[index].parse().unwrap()
    }

    /// A raw L1 transfer from `wallet` with `nonce`.
    pub(crate) fn l1_tx(&self, wallet: &PrivateKeySigner, nonce: u64) -> Bytes {
        baton_sidecar::sample::call(
            wallet,
            self.anvil.chain_id(),
            nonce,
            b"promised",
            baton_sidecar::sample::Fees {
                gas_limit: 50_000,
                ..Default::default()
            },
        )
    }

    /// The sidecar's metrics text.
    pub(crate) async fn metrics(&self) -> String {
        self.http
            .get(format!("{}/metrics", self.builder))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub(crate) async fn provider_nonce(&self, who: Address) -> u64 {
        ProviderBuilder::new()
            .connect_http(self.anvil.endpoint().parse().unwrap())
            .get_transaction_count(who)
            .await
            .unwrap()
    }

    /// Stops the sidecar (its journal stays) and starts it again.
    pub(crate) async fn restart_sidecar(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.unwrap().unwrap();
        }
        let (stop, running) = run(self.config.clone());
        self.stop = Some(stop);
        self.running = Some(running);
        self.wait_up().await;
    }

    /// Stops the sidecar and checks that `run` returned cleanly.
    pub(crate) async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running.await.unwrap().unwrap();
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        if let Some(running) = &self.running {
            running.abort();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The value of a Prometheus sample line `name{labels} value` (0 if absent).
pub(crate) fn sample(metrics: &str, series: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| {
            l.strip_prefix(series)
                .and_then(|rest| rest.trim().parse().ok())
        })
        .unwrap_or(0)
}
