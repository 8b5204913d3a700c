//! A world for the slot auctions: anvil as the L1 (no mining, so the head state is what the
//! test sets), the sidecar library's stub beacon node (our validator proposes every slot),
//! and the real `baton-sidecar run` binary with `--market.products`, killed with SIGKILL
//! and started again over the same journal when a test says so.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy::{
    primitives::{Address, B256, Bytes, U256, keccak256},
    providers::{ProviderBuilder, ext::AnvilApi},
};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsPublicKey, BlsSecretKey, RollupId,
    market::{Bid, ClearingPublication, Product, SignedBid},
    types::Slot,
};
use baton_sidecar::sample::{self, Fees};
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::{Value, json};

use crate::rollup_fixture::{call, l2_chain_id, l2_tx};

/// Seconds per slot (the stub beacon's).
pub(crate) const SECONDS: u64 = 2;
pub(crate) const DEADLINE_MS: u64 = 500;
pub(crate) const CLOSE_MS: u64 = 3_000;
/// Every owned slot auctions the top position of rollup 1 and a bundle of rollups 2 and 3;
/// rollup 4 is not auctioned.
pub(crate) const PRODUCTS: &str = "top:1:1@1000,bundle:2+3:1@1000";
pub(crate) const RESERVE: u64 = 1_000;
pub(crate) const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);

pub(crate) fn top() -> Product {
    Product::TopOfBatch {
        rollup: RollupId(1),
        positions: 1,
    }
}

pub(crate) fn bundle() -> Product {
    Product::Bundle {
        rollups: vec![RollupId(2), RollupId(3)],
        positions: 1,
    }
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

pub(crate) fn committer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
}

pub(crate) struct World {
    pub(crate) anvil: Anvil,
    pub(crate) genesis: u64,
    pub(crate) validator: BlsPublicKey,
    pub(crate) domain: BatonDomain,
    pub(crate) url: String,
    dir: PathBuf,
    args: Vec<String>,
    child: Option<Child>,
}

impl Drop for World {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl World {
    pub(crate) async fn start(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "baton-sidecar-it-market-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let anvil = Anvil::spawn(&AnvilOptions {
            extra_args: vec!["--no-mining".into()],
            ..AnvilOptions::default()
        })
        .expect("anvil (npm install in the workspace) must start");
        let genesis = now_ms() / 1000 - 10;
        let validator = BlsSecretKey::from_ikm(&[0x42; 32]).unwrap().public_key();
        let beacon = baton_sidecar::beacon::serve_stub(genesis, 32, validator)
            .await
            .unwrap();
        let key_file = dir.join("committer.hex");
        std::fs::write(
            &key_file,
            alloy::primitives::hex::encode(committer().to_bytes()),
        )
        .unwrap();
        let port = baton_toolchain::free_port().unwrap();
        let slasher = Address::repeat_byte(0x5a);
        let args: Vec<String> = [
            "run",
            "--data-dir",
            &dir.join("data").display().to_string(),
            "--rpc.addr",
            &format!("127.0.0.1:{port}"),
            "--beacon.url",
            &beacon,
            "--l1.rpc",
            &anvil.endpoint(),
            "--l1.head-poll-ms",
            "200",
            "--chain.id",
            &anvil.chain_id().to_string(),
            "--chain.seconds-per-slot",
            &SECONDS.to_string(),
            "--chain.slots-per-epoch",
            "32",
            "--slasher",
            &slasher.to_string(),
            "--committer.key-file",
            &key_file.display().to_string(),
            "--validator.pubkeys",
            &validator.to_string(),
            "--rollups",
            "1=167001,2=167002,3=167003,4=167004",
            "--deadline-ms",
            &DEADLINE_MS.to_string(),
            "--market.products",
            PRODUCTS,
            "--market.close-ms",
            &CLOSE_MS.to_string(),
            "--market.fee-recipient",
            &FEE_RECIPIENT.to_string(),
            "--rate-limit.per-wallet",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut world = Self {
            domain: BatonDomain {
                chain_id: anvil.chain_id(),
                verifying_contract: slasher,
            },
            anvil,
            genesis,
            validator,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            args,
            child: None,
        };
        world.spawn().await;
        world
    }

    async fn spawn(&mut self) {
        let child = Command::new(env!("CARGO_BIN_EXE_baton-sidecar"))
            .args(&self.args)
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .spawn()
            .expect("start baton-sidecar");
        self.child = Some(child);
        let http = reqwest::Client::new();
        let started = Instant::now();
        while !http
            .get(format!("{}/ready", self.url))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the sidecar did not become ready"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown path runs.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the sidecar with SIGKILL and starts it again over the same journal.
    pub(crate) async fn restart(&mut self) {
        self.kill();
        self.spawn().await;
    }

    pub(crate) fn slot_start_ms(&self, slot: u64) -> u64 {
        (self.genesis + slot * SECONDS) * 1000
    }

    pub(crate) fn close_ms(&self, slot: u64) -> u64 {
        self.slot_start_ms(slot) - DEADLINE_MS - CLOSE_MS
    }

    /// A slot whose auction closes at least `secs` seconds from now.
    pub(crate) fn slot_closing_after(&self, secs: u64) -> u64 {
        let target = now_ms() + secs * 1000 + DEADLINE_MS + CLOSE_MS;
        (target / 1000 - self.genesis) / SECONDS + 1
    }

    /// Waits until the sidecar lists `slot` (its duties come from the beacon).
    pub(crate) async fn wait_owned(&self, slot: u64) -> Value {
        for _ in 0..100 {
            let slots = call(&self.url, "baton_slots", json!([])).await;
            if let Some(item) = slots["result"].as_array().and_then(|all| {
                all.iter()
                    .find(|s| s["slot"].as_str() == Some(slot.to_string().as_str()))
            }) {
                return item.clone();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the sidecar never listed slot {slot}");
    }

    pub(crate) async fn sleep_until(&self, ms: u64) {
        let now = now_ms();
        if ms > now {
            tokio::time::sleep(Duration::from_millis(ms - now)).await;
        }
    }

    pub(crate) async fn fund(&self, who: Address) {
        ProviderBuilder::new()
            .connect_http(self.anvil.endpoint().parse().unwrap())
            .anvil_set_balance(who, U256::from(10u128.pow(18)))
            .await
            .unwrap();
    }

    /// A bid by `who` for `product` in `slot`, with rollup transactions named by `tag`
    /// and a payment of `amount` with payment nonce 0.
    pub(crate) fn bid(
        &self,
        who: &PrivateKeySigner,
        slot: u64,
        product: Product,
        amount: u64,
        tag: &str,
    ) -> SignedBid {
        let payment = self.payment(who, 0, amount);
        self.bid_paying(who, slot, product, amount, tag, payment)
    }

    pub(crate) fn payment(&self, who: &PrivateKeySigner, nonce: u64, value: u64) -> Bytes {
        sample::transfer(
            who,
            self.domain.chain_id,
            nonce,
            FEE_RECIPIENT,
            U256::from(value),
            Fees {
                gas_limit: 21_000,
                ..Fees::default()
            },
        )
    }

    /// [`Self::bid`] with a given payment.
    pub(crate) fn bid_paying(
        &self,
        who: &PrivateKeySigner,
        slot: u64,
        product: Product,
        amount: u64,
        tag: &str,
        payment: Bytes,
    ) -> SignedBid {
        let (count, _) = product.tx_count_range();
        let rollups = product.rollups().to_vec();
        let per_rollup = count / rollups.len();
        let txs: Vec<Bytes> = (0..count)
            .map(|i| {
                l2_tx(
                    l2_chain_id(rollups[i / per_rollup].0),
                    &format!("{tag} {i}"),
                )
            })
            .collect();
        Bid {
            slot: Slot(slot),
            validator_pubkey: self.validator,
            product,
            amount: U256::from(amount),
            tx_hashes: txs.iter().map(keccak256).collect(),
            payment_tx_hash: keccak256(&payment),
            bidder: who.address(),
            nonce: 0,
        }
        .sign(who, &self.domain, txs, payment)
        .unwrap()
    }

    pub(crate) async fn submit(&self, bid: &SignedBid) -> Value {
        call(&self.url, "baton_submitBid", json!([bid])).await
    }

    /// Waits for `slot`'s clearing and its winners' promises (`awards` with commitments).
    pub(crate) async fn settled_clearing(&self, slot: u64) -> ClearingPublication {
        let started = Instant::now();
        loop {
            let answer = call(
                &self.url,
                "baton_getClearing",
                json!([{"slot": slot.to_string()}]),
            )
            .await;
            let publication: ClearingPublication = serde_json::from_value(answer["result"].clone())
                .unwrap_or_else(|e| panic!("{e}: {answer}"));
            if publication.clearing.is_some()
                && publication.awards.iter().all(|a| a.commitments.len() == 2)
            {
                return publication;
            }
            assert!(
                started.elapsed() < Duration::from_secs(40),
                "slot {slot} was not cleared and settled: {answer}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn metrics(&self) -> String {
        reqwest::get(format!("{}/metrics", self.url))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }
}

/// The value of metric line `name` (with its labels) in `text`.
pub(crate) fn metric(text: &str, name: &str) -> String {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{name} missing from the metrics"))
        .to_owned()
}
