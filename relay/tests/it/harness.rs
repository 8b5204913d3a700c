//! A small world for the relay binary: a stub beacon node in this process (genesis, one
//! validator proposing every slot, payload attributes on demand, block publishing), the
//! real `baton-relay` as a child process, and the simulated proposer, gateway and
//! builders of `baton_relay::sim`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{BlsSecretKey, Slot};
use baton_relay::{
    beacon::{ChainInfo, PayloadAttributes, stub::StubBeacon},
    sim::{self, BlockSpec, Built, Proposer},
};
use serde_json::Value;

/// Slot length used by these tests: long enough that a test never crosses a cut-off.
pub(crate) const SECONDS: u64 = 24;
pub(crate) const ADMIN_TOKEN: &str = "integration-admin-token";

static NEXT: AtomicU64 = AtomicU64::new(0);

/// The relay binary, killed when dropped.
pub(crate) struct RelayProcess {
    child: Child,
    pub(crate) url: String,
}

impl RelayProcess {
    /// Sends SIGTERM and waits for the process to exit; returns whether it exited cleanly.
    pub(crate) fn terminate(&mut self) -> bool {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -TERM failed");
        self.child.wait().expect("wait for the relay").success()
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
#[derive(Debug)]
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
}

impl Answer {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Baton's `error_code`, 0 if none.
    pub(crate) fn code(&self) -> u64 {
        self.json()["error_code"].as_u64().unwrap_or(0)
    }
}

pub(crate) struct World {
    pub(crate) beacon: StubBeacon,
    pub(crate) info: ChainInfo,
    /// The slot bids are for (the next one; it starts 22–23 s after `new`).
    pub(crate) slot: Slot,
    pub(crate) proposer: Proposer,
    pub(crate) attributes: PayloadAttributes,
    pub(crate) http: reqwest::Client,
    dir: PathBuf,
}

impl World {
    pub(crate) async fn new() -> Self {
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        // Slot 50 started 1–2 s ago.
        let genesis = now_ms / 1000 - 1 - 50 * SECONDS;
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
        let attributes = sim::attributes(&info, SECONDS, slot, 0);
        let dir = std::env::temp_dir().join(format!(
            "baton-relay-it-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("relay.key"),
            hex::encode(sim::bls_key(1000).to_bytes()),
        )
        .unwrap();
        std::fs::write(dir.join("admin.token"), ADMIN_TOKEN).unwrap();
        Self {
            beacon,
            info,
            slot,
            proposer,
            attributes,
            http: reqwest::Client::new(),
            dir,
        }
    }

    /// Starts a relay (sharing through `redis` if given) and waits until it is ready
    /// and knows the slot's payload attributes.
    pub(crate) async fn start_relay(&self, redis: Option<&str>) -> RelayProcess {
        self.start_relay_with(redis, &[]).await
    }

    /// [`Self::start_relay`] with more flags.
    pub(crate) async fn start_relay_with(
        &self,
        redis: Option<&str>,
        extra: &[&str],
    ) -> RelayProcess {
        let port = baton_toolchain::free_port().unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_baton-relay"));
        command
            .args(["--http.addr", &format!("127.0.0.1:{port}")])
            .args(["--beacon.url", self.beacon.url()])
            .args(["--chain.seconds-per-slot", &SECONDS.to_string()])
            .args(["--chain.slots-per-epoch", "8"])
            .arg("--relay.key-file")
            .arg(self.dir.join("relay.key"))
            .arg("--admin.token-file")
            .arg(self.dir.join("admin.token"))
            .env("RUST_LOG", "info,baton_relay=debug")
            .stdin(Stdio::null());
        if let Some(url) = redis {
            command.args(["--redis.url", url]);
        }
        command.args(extra);
        let child = command.spawn().expect("start baton-relay");
        let relay = RelayProcess {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        self.beacon.announce(&self.attributes);
        let started = Instant::now();
        loop {
            let metrics = self.get(&relay, "/metrics").await;
            let head = String::from_utf8_lossy(&metrics.body)
                .lines()
                .find_map(|l| l.strip_prefix("baton_relay_head_slot ").map(str::to_owned))
                .and_then(|v| v.parse::<u64>().ok());
            let ready = self.get(&relay, "/ready").await.status == 200;
            if ready && head == Some(self.slot.0) {
                return relay;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the relay did not become ready with slot {}'s attributes (head {head:?})",
                self.slot
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub(crate) async fn get(&self, relay: &RelayProcess, path: &str) -> Answer {
        self.get_with(relay, path, &[]).await
    }

    pub(crate) async fn get_with(
        &self,
        relay: &RelayProcess,
        path: &str,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.get(format!("{}{path}", relay.url));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        match request.send().await {
            Ok(response) => Answer {
                status: response.status().as_u16(),
                body: response
                    .bytes()
                    .await
                    .map(|b| b.to_vec())
                    .unwrap_or_default(),
            },
            Err(_) => Answer {
                status: 0,
                body: Vec::new(),
            },
        }
    }

    pub(crate) async fn post(
        &self,
        relay: &RelayProcess,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<reqwest::Body>,
    ) -> Answer {
        let mut request = self.http.post(format!("{}{path}", relay.url));
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.body(body).send().await.expect("relay answers");
        Answer {
            status: response.status().as_u16(),
            body: response.bytes().await.unwrap().to_vec(),
        }
    }

    pub(crate) async fn post_json(&self, relay: &RelayProcess, path: &str, body: &Value) -> Answer {
        self.post(
            relay,
            path,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub(crate) async fn register(&self, relay: &RelayProcess) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let registration = self.proposer.registration(&self.info, now);
        let body = serde_json::json!([baton_preconf::ssz::BeaconJson::to_json(&registration)]);
        let answer = self
            .post_json(relay, "/eth/v1/builder/validators", &body)
            .await;
        assert_eq!(answer.status, 200, "{:?}", answer.json());
    }

    /// A block of `filler` transactions plus the `constrained` ones (proven).
    pub(crate) fn block(
        &self,
        builder: &BlsSecretKey,
        value: u64,
        nonce: u64,
        filler: usize,
        constrained: &[Bytes],
    ) -> Built {
        let mut txs = sim::transactions(9, nonce * 10_000, filler);
        let first = txs.len();
        txs.extend(constrained.iter().cloned());
        sim::build(
            builder,
            &self.info,
            &BlockSpec {
                attributes: self.attributes.clone(),
                proposer: self.proposer.pubkey(),
                fee_recipient: self.proposer.fee_recipient,
                value: U256::from(value),
                prove: (first..txs.len()).collect(),
                txs,
                nonce,
            },
        )
    }

    pub(crate) fn header_path(&self, prefix: &str) -> String {
        format!(
            "{prefix}/{}/{}/{}",
            self.slot,
            self.attributes.parent_block_hash,
            self.proposer.pubkey()
        )
    }

    /// What getHeader serves: `(block hash, the whole signed bid)`.
    pub(crate) async fn best(&self, relay: &RelayProcess) -> Option<(B256, Value)> {
        let answer = self
            .get(relay, &self.header_path("/eth/v1/builder/header"))
            .await;
        if answer.status == 204 {
            return None;
        }
        assert_eq!(answer.status, 200, "{:?}", answer.json());
        let data = answer.json()["data"].clone();
        let hash = data["message"]["header"]["block_hash"]
            .as_str()?
            .parse()
            .ok()?;
        Some((hash, data))
    }

    /// Polls until `relay` serves `block_hash`, up to `limit`.
    pub(crate) async fn wait_best(
        &self,
        relay: &RelayProcess,
        block_hash: B256,
        limit: Duration,
    ) -> Duration {
        let started = Instant::now();
        loop {
            if self.best(relay).await.map(|(h, _)| h) == Some(block_hash) {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "{} did not serve {block_hash} within {limit:?} (serves {:?})",
                relay.url,
                self.best(relay).await.map(|(h, _)| h)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
