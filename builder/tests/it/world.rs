//! A world for the builder binary: a real ethereumjs execution client (Prague, over the
//! Engine API), the relay's stub beacon node in this process (genesis, one validator
//! proposing every slot, `payload_attributes` on demand), the real `baton-relay` and
//! `baton-builder` binaries as child processes, and a test gateway that signs a
//! delegation and constraints with transactions from prefunded accounts.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{
    EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::builder::{SidecarBuilder, SimpleCoder},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_engine::{EngineClient, JwtSecret};
use baton_preconf::{
    BlsSecretKey, Slot,
    ssz::{
        BeaconJson, BlindedBeaconBlockElectra, BuilderBidElectra, SignedBlindedBeaconBlockElectra,
        Withdrawal,
    },
};
use baton_relay::{
    beacon::{ChainInfo, PayloadAttributes, stub::StubBeacon},
    sim::{self, Proposer},
};
use baton_toolchain::{EthereumJs, EthereumJsOptions};
use serde_json::{Value, json};
use ssz_rs::List;

/// Slot length: long enough that the whole test runs before the slot's cut-offs.
pub(crate) const SECONDS: u64 = 48;
/// Where the slot's withdrawal pays (checked after import).
pub(crate) const WITHDRAWAL_TO: Address = Address::repeat_byte(0x77);
/// The withdrawal's amount, in gwei.
pub(crate) const WITHDRAWAL_GWEI: u64 = 5_000_000;

static NEXT: AtomicU64 = AtomicU64::new(0);

/// A child process, killed when dropped.
pub(crate) struct Process {
    child: Child,
    pub(crate) url: String,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) struct World {
    pub(crate) el: EthereumJs,
    pub(crate) engine: EngineClient,
    pub(crate) beacon: StubBeacon,
    pub(crate) info: ChainInfo,
    pub(crate) slot: Slot,
    pub(crate) proposer: Proposer,
    pub(crate) attributes: PayloadAttributes,
    pub(crate) gateway: BlsSecretKey,
    pub(crate) users: Vec<PrivateKeySigner>,
    pub(crate) http: reqwest::Client,
    dir: PathBuf,
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

impl World {
    /// Starts ethereumjs (genesis one hour ago, three prefunded users) and the stub
    /// beacon, whose slot 50 started 1–2 s ago; the block is for slot 51.
    pub(crate) async fn start() -> Self {
        let users: Vec<PrivateKeySigner> = (1..=3u8)
            .map(|i| PrivateKeySigner::from_bytes(&B256::repeat_byte(i)).unwrap())
            .collect();
        let el = EthereumJs::start(&EthereumJsOptions {
            prefunded: users
                .iter()
                .map(|u| (u.address(), U256::from(10u128.pow(24))))
                .collect(),
            genesis_time: now() - 3_600,
            ..Default::default()
        })
        .expect("ethereumjs starts (`npm install` in the repository root installs it)");
        let engine =
            EngineClient::new(&el.engine_url(), JwtSecret::from_hex(el.jwt_hex()).unwrap());
        let http = reqwest::Client::new();
        let genesis_hash = genesis_hash(&http, &el.rpc_url()).await;

        let genesis = now() - 1 - 50 * SECONDS;
        let info = sim::chain_info(genesis);
        let proposer = Proposer {
            key: sim::bls_key(1),
            index: 0,
            fee_recipient: Address::repeat_byte(0xfe),
        };
        let beacon = StubBeacon::start(info.clone(), 8, vec![proposer.pubkey()])
            .await
            .unwrap();
        let slot = Slot(51);
        let mut withdrawals = List::default();
        withdrawals.push(Withdrawal {
            index: 0,
            validator_index: 0,
            address: WITHDRAWAL_TO.0.0,
            amount: WITHDRAWAL_GWEI,
        });
        let attributes = PayloadAttributes {
            proposal_slot: slot,
            proposer_index: 0,
            parent_block_hash: genesis_hash,
            parent_block_number: 0,
            parent_beacon_block_root: B256::repeat_byte(0xbe),
            timestamp: genesis + slot.0 * SECONDS,
            prev_randao: B256::repeat_byte(0x5a),
            withdrawals,
        };
        let dir = std::env::temp_dir().join(format!(
            "baton-builder-it-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("relay.key"),
            hex::encode(sim::bls_key(1000).to_bytes()),
        )
        .unwrap();
        std::fs::write(
            dir.join("builder.key"),
            hex::encode(sim::bls_key(2000).to_bytes()),
        )
        .unwrap();
        Self {
            el,
            engine,
            beacon,
            info,
            slot,
            proposer,
            attributes,
            gateway: sim::bls_key(500),
            users,
            http,
            dir,
        }
    }

    /// An EIP-1559 transfer from user `user` with `nonce`, network form.
    pub(crate) fn transfer(&self, user: usize, nonce: u64) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.el.chain_id(),
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 50_000_000_000,
            max_priority_fee_per_gas: 2_000_000_000,
            to: TxKind::Call(Address::repeat_byte(0x42)),
            value: U256::from(1_000 + nonce),
            ..Default::default()
        };
        let signature = self.users[user]
            .sign_hash_sync(&tx.signature_hash())
            .unwrap();
        TxEnvelope::from(tx.into_signed(signature))
            .encoded_2718()
            .into()
    }

    /// A blob transaction (one real blob) from user `user` with `nonce`, network form.
    pub(crate) fn blob_transfer(&self, user: usize, nonce: u64) -> Bytes {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(&data)
            .build_4844()
            .unwrap();
        let tx = TxEip4844 {
            chain_id: self.el.chain_id(),
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 50_000_000_000,
            max_priority_fee_per_gas: 2_000_000_000,
            to: Address::repeat_byte(0x43),
            value: U256::from(7u64),
            blob_versioned_hashes: sidecar.versioned_hashes().collect(),
            max_fee_per_blob_gas: 1_000_000_000,
            ..Default::default()
        };
        let with_sidecar = TxEip4844WithSidecar {
            tx,
            sidecar: BlobTransactionSidecarVariant::Eip4844(sidecar),
        };
        let signature = self.users[user]
            .sign_hash_sync(&with_sidecar.tx.signature_hash())
            .unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844WithSidecar<BlobTransactionSidecarVariant>> =
            with_sidecar.into_signed(signature).into();
        envelope.encoded_2718().into()
    }

    /// Starts the relay and waits until it is ready and knows the slot's attributes.
    pub(crate) async fn start_relay(&self) -> Process {
        let port = baton_toolchain::free_port().unwrap();
        let child = Command::new(baton_toolchain::workspace_binary("baton-relay").unwrap())
            .args(["--http.addr", &format!("127.0.0.1:{port}")])
            .args(["--beacon.url", self.beacon.url()])
            .args(["--chain.seconds-per-slot", &SECONDS.to_string()])
            .args(["--chain.slots-per-epoch", "8"])
            .arg("--relay.key-file")
            .arg(self.dir.join("relay.key"))
            .env("RUST_LOG", "info,baton_relay=debug")
            .stdin(Stdio::null())
            .spawn()
            .expect("start baton-relay");
        let relay = Process {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        self.beacon.announce(&self.attributes);
        let started = Instant::now();
        loop {
            let head = self.metric(&relay, "baton_relay_head_slot").await;
            let ready = self.get(&relay, "/ready").await.0 == 200;
            if ready && head == Some(self.slot.0) {
                return relay;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the relay did not become ready with slot {}'s attributes",
                self.slot
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Starts the builder binary with `extra` flags and waits for its metrics endpoint.
    pub(crate) async fn start_builder(&self, relay: &Process, extra: &[&str]) -> Process {
        let port = baton_toolchain::free_port().unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_baton-builder"))
            .args(["--beacon-url", self.beacon.url()])
            .args(["--relay-url", &relay.url])
            .args(["--el.rpc", &self.el.rpc_url()])
            .args(["--el.engine-url", &self.el.engine_url()])
            .arg("--el.jwt-secret")
            .arg(self.el.jwt_path())
            .arg("--builder.key")
            .arg(self.dir.join("builder.key"))
            .args(["--metrics-addr", &format!("127.0.0.1:{port}")])
            .args(["--chain.seconds-per-slot", &SECONDS.to_string()])
            .args(["--chain.slots-per-epoch", "8"])
            .args(extra)
            .env("RUST_LOG", "info,baton_builder=debug")
            .stdin(Stdio::null())
            .spawn()
            .expect("start baton-builder");
        let builder = Process {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let started = Instant::now();
        while self.get(&builder, "/health").await.0 != 200 {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "the builder did not start serving metrics"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        builder
    }

    pub(crate) async fn get(&self, process: &Process, path: &str) -> (u16, Value) {
        match self.http.get(format!("{}{path}", process.url)).send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                (
                    status,
                    serde_json::from_str(&text).unwrap_or(Value::String(text)),
                )
            }
            Err(_) => (0, Value::Null),
        }
    }

    pub(crate) async fn post_json(
        &self,
        relay: &Process,
        path: &str,
        body: &Value,
    ) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}{path}", relay.url))
            .header("content-type", "application/json")
            .header("eth-consensus-version", "electra")
            .body(body.to_string())
            .send()
            .await
            .expect("relay answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A metric's value (the first sample whose name and labels start with `name`).
    pub(crate) async fn metric(&self, process: &Process, name: &str) -> Option<u64> {
        let (_, body) = self.get(process, "/metrics").await;
        body.as_str()?
            .lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|v| v as u64)
    }

    /// Registers the proposer at the relay.
    pub(crate) async fn register(&self, relay: &Process) {
        let registration = self.proposer.registration(&self.info, now());
        let (status, body) = self
            .post_json(
                relay,
                "/eth/v1/builder/validators",
                &json!([registration.to_json()]),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The proposer delegates the slot to the gateway's key.
    pub(crate) async fn delegate(&self, relay: &Process) {
        let delegation = self
            .proposer
            .delegation(&self.info, self.slot, self.gateway.public_key());
        let (status, body) = self
            .post_json(
                relay,
                "/constraints/v0/builder/delegate",
                &json!(delegation),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The gateway constrains `txs` into the slot's block; `restricted`: only the
    /// builder may read them.
    pub(crate) async fn constrain(&self, relay: &Process, txs: &[Bytes], restricted: bool) {
        let mut signed = sim::constraints(
            &self.info,
            &self.gateway,
            self.proposer.pubkey(),
            self.slot,
            txs,
        );
        if restricted {
            signed.message.receivers = vec![self.builder_key().public_key()];
            signed = signed
                .message
                .sign(&self.gateway, self.info.genesis_fork_version)
                .unwrap();
        }
        let (status, body) = self
            .post_json(
                relay,
                "/constraints/v0/builder/constraints",
                &json!([signed]),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }

    /// The builder's BLS key.
    pub(crate) fn builder_key(&self) -> BlsSecretKey {
        sim::bls_key(2000)
    }

    /// The proposer signs the blinded block carrying `bid` (header, blob commitments and
    /// execution requests).
    pub(crate) fn sign_blinded(&self, bid: &BuilderBidElectra) -> SignedBlindedBeaconBlockElectra {
        let mut block = BlindedBeaconBlockElectra {
            slot: self.slot.0,
            proposer_index: self.proposer.index,
            parent_root: self.attributes.parent_beacon_block_root.0,
            state_root: [0x33; 32],
            ..Default::default()
        };
        block.body.execution_payload_header = bid.header.clone();
        block.body.blob_kzg_commitments = bid.blob_kzg_commitments.clone();
        block.body.execution_requests = bid.execution_requests.clone();
        block
            .sign(
                &self.proposer.key,
                self.info.current_fork_version,
                self.info.genesis_validators_root,
            )
            .unwrap()
    }

    pub(crate) fn header_path(&self, prefix: &str) -> String {
        format!(
            "{prefix}/{}/{}/{}",
            self.slot,
            self.attributes.parent_block_hash,
            self.proposer.pubkey()
        )
    }

    /// A JSON-RPC call to the execution client.
    pub(crate) async fn rpc(&self, method: &str, params: Value) -> Value {
        rpc(&self.http, &self.el.rpc_url(), method, params).await
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn rpc(http: &reqwest::Client, url: &str, method: &str, params: Value) -> Value {
    let reply: Value = http
        .post(url)
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        .send()
        .await
        .expect("ethereumjs answers")
        .json()
        .await
        .expect("JSON-RPC answer");
    reply["result"].clone()
}

async fn genesis_hash(http: &reqwest::Client, url: &str) -> B256 {
    let block = rpc(http, url, "eth_getBlockByNumber", json!(["0x0", false])).await;
    block["hash"]
        .as_str()
        .expect("ethereumjs serves its genesis block")
        .parse()
        .unwrap()
}
