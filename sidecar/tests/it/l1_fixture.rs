//! A sidecar over a real anvil L1 for the inclusion and client tests: the service with a
//! manual clock and our slots, the anvil it reads, and helpers to fund, mine and ask.

use std::{collections::HashMap, path::Path, sync::Arc};

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsPublicKey, BlsSecretKey, ChainSpec, InclusionRequest, Request,
    SignedCommitment, Slot,
};
use baton_sidecar::{
    execution::ExecutionState,
    journal::FileJournal,
    ledger::{Ledger, Limits},
    lookahead::{Duties, ManualClock},
    rpc::serve,
    sample::{self, Fees},
    service::{Parts, Service, ServiceConfig},
};
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::{Value, json};

use crate::rollup_fixture::call;

pub(crate) const GENESIS: u64 = 1_700_000_000;
/// Anvil's genesis block is in this slot.
pub(crate) const HEAD_SLOT: u64 = 100;
/// Our slots.
pub(crate) const OURS: [u64; 3] = [103, 104, 105];
pub(crate) const GAS_PER_SLOT: u64 = 1_000_000;

/// Who and when: the chain's genesis, the clock, our slots, the committer and the domain.
#[derive(Clone)]
pub(crate) struct Setup {
    pub(crate) genesis: u64,
    pub(crate) now_ms: u64,
    pub(crate) ours: Vec<u64>,
    pub(crate) validator: BlsPublicKey,
    pub(crate) committer: PrivateKeySigner,
    pub(crate) slasher: Address,
}

impl Default for Setup {
    fn default() -> Self {
        Self {
            genesis: GENESIS,
            now_ms: (GENESIS + HEAD_SLOT * 2 + 1) * 1000,
            ours: OURS.to_vec(),
            validator: BlsSecretKey::from_ikm(&[7; 32]).unwrap().public_key(),
            committer: committer(),
            slasher: Address::repeat_byte(0x5a),
        }
    }
}

pub(crate) struct Fixture {
    pub(crate) url: String,
    pub(crate) setup: Setup,
    pub(crate) dir: std::path::PathBuf,
    pub(crate) anvil: Anvil,
    pub(crate) service: Arc<Service>,
    pub(crate) execution: Arc<ExecutionState>,
    pub(crate) server: Server,
}

/// The serving task, stopped when dropped.
pub(crate) struct Server(tokio::task::JoinHandle<()>);

impl Drop for Server {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub(crate) fn domain(chain_id: u64) -> BatonDomain {
    BatonDomain {
        chain_id,
        verifying_contract: Setup::default().slasher,
    }
}

pub(crate) fn committer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
}

pub(crate) async fn start(dir: &Path) -> Fixture {
    let anvil = Anvil::spawn(&AnvilOptions {
        genesis_timestamp: Some(GENESIS + HEAD_SLOT * 2),
        // Blocks only when the test mines one, at the timestamp of the slot it names.
        extra_args: vec!["--no-mining".into()],
        ..AnvilOptions::default()
    })
    .unwrap();
    serve_on(dir, anvil).await
}

/// A sidecar over `dir`'s journal reading `anvil`.
pub(crate) async fn serve_on(dir: &Path, anvil: Anvil) -> Fixture {
    serve_with(dir, anvil, Setup::default()).await
}

/// A sidecar over `dir`'s journal reading `anvil`, as `setup` says.
pub(crate) async fn serve_with(dir: &Path, anvil: Anvil, setup: Setup) -> Fixture {
    let chain = ChainSpec::devnet(anvil.chain_id(), setup.genesis);
    let execution = Arc::new(ExecutionState::connect(&anvil.endpoint(), chain.clone()).unwrap());
    let (journal, entries) = FileJournal::open(dir).unwrap();
    let duties = Arc::new(Duties::default());
    for slot in &setup.ours {
        duties.insert(Slot(*slot), setup.validator);
    }
    let clock = Arc::new(ManualClock::new(setup.now_ms));
    let config = ServiceConfig {
        chain: chain.clone(),
        domain: BatonDomain {
            chain_id: anvil.chain_id(),
            verifying_contract: setup.slasher,
        },
        deadline_ms: 500,
        window_slots: 32,
        fee_per_rollup_tx: U256::ZERO,
        base_tip_wei: 1_000_000_000,
        rate_per_ip: (0, 0),
        rate_per_wallet: (0, 0),
    };
    let (service, _) = Service::new(
        config,
        setup.committer.clone(),
        Parts {
            journal: journal.into(),
            entries,
            ledger: Ledger::new(Limits {
                gas_per_slot: GAS_PER_SLOT,
                batch_max_txs: 16,
                batch_max_bytes: 100_000,
                blobs_per_slot: 3,
            }),
            duties,
            clock,
            rollups: HashMap::new(),
            execution: execution.clone(),
            l2: HashMap::new(),
        },
    )
    .unwrap();
    let service = Arc::new(service);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = service.clone();
    let server = Server(tokio::spawn(async move {
        serve(listener, served, std::future::pending())
            .await
            .unwrap();
    }));
    let fixture = Fixture {
        url,
        setup,
        dir: dir.to_owned(),
        anvil,
        service,
        execution,
        server,
    };
    fixture.sync().await;
    fixture
}

impl Fixture {
    /// Stops the sidecar (its journal stays) and starts a new one on the same L1.
    pub(crate) async fn restart(self) -> Self {
        let Self {
            dir,
            anvil,
            server,
            setup,
            ..
        } = self;
        drop(server);
        serve_with(&dir, anvil, setup).await
    }

    pub(crate) fn anvil(&self) -> &Anvil {
        &self.anvil
    }

    pub(crate) fn provider(&self) -> impl Provider + AnvilApi<alloy::network::Ethereum> {
        ProviderBuilder::new().connect_http(self.anvil.endpoint().parse().unwrap())
    }

    /// Reads the head as the sidecar's follower does.
    pub(crate) async fn sync(&self) {
        if let Some(head) = self.execution.refresh().await.unwrap() {
            self.service.on_head(head);
        }
    }

    pub(crate) async fn fund(&self, who: Address, wei: u128) {
        self.provider()
            .anvil_set_balance(who, U256::from(wei))
            .await
            .unwrap();
    }

    /// Mines a block proposed in `slot` and lets the sidecar see it.
    pub(crate) async fn mine_in(&self, slot: u64) {
        let provider = self.provider();
        provider
            .anvil_set_next_block_timestamp(self.setup.genesis + slot * 2)
            .await
            .unwrap();
        provider.anvil_mine(Some(1), None).await.unwrap();
        self.sync().await;
    }

    pub(crate) fn chain_id(&self) -> u64 {
        self.anvil.chain_id()
    }

    /// A signed inclusion request for `txs` into `slot`.
    pub(crate) fn request(&self, slot: u64, txs: Vec<Bytes>, wallet: &PrivateKeySigner) -> Value {
        let request = Request::Inclusion(InclusionRequest {
            slot: Slot(slot),
            txs,
        });
        serde_json::to_value(request.sign(wallet, &domain(self.chain_id())).unwrap()).unwrap()
    }

    pub(crate) async fn include(
        &self,
        slot: u64,
        txs: Vec<Bytes>,
        wallet: &PrivateKeySigner,
    ) -> Value {
        call(
            &self.url,
            "baton_requestInclusion",
            json!([self.request(slot, txs, wallet)]),
        )
        .await
    }

    pub(crate) async fn promised(
        &self,
        slot: u64,
        txs: Vec<Bytes>,
        wallet: &PrivateKeySigner,
    ) -> SignedCommitment {
        let answer = self.include(slot, txs, wallet).await;
        serde_json::from_value(answer["result"].clone())
            .unwrap_or_else(|e| panic!("no promise ({e}): {answer}"))
    }

    /// A transfer from `from` with `nonce` and the default fees (21k gas, 100 gwei cap).
    pub(crate) fn tx(&self, from: &PrivateKeySigner, nonce: u64) -> Bytes {
        sample::call(from, self.chain_id(), nonce, &[], transfer_fees())
    }
}

pub(crate) fn transfer_fees() -> Fees {
    Fees {
        gas_limit: 21_000,
        ..Fees::default()
    }
}

/// What one default transfer may cost at most.
pub(crate) fn max_cost() -> u128 {
    let fees = transfer_fees();
    u128::from(fees.gas_limit) * fees.max_fee_per_gas
}

pub(crate) fn tempdir(name: &str) -> std::path::PathBuf {
    let dir =
        std::env::temp_dir().join(format!("baton-sidecar-it-l1-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}
