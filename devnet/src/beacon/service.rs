//! Starting and stopping the beacon service, and the state its tasks share.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize},
    },
    time::Duration,
};

use baton_preconf::{
    ChainId, ChainSpec, Slot,
    clock::{SlotClock, SystemClock, current_slot},
    ssz::SignedBlockContentsElectra,
};
use tokio::{sync::watch, task::JoinHandle};

use super::{
    builder_client::BuilderClient,
    chain::{Chain, Head, SlotRecord},
    config::{BeaconConfig, ConfigError, Faults, ProposerTiming},
    engine::{EngineFailure, ExecutionEngine},
    events::Events,
    keys::{Validator, genesis_validators_root, interop_secret_key},
    proposer, rest,
    schedule::ProposerSchedule,
};

/// The beacon service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An interop key could not be derived.
    #[error("interop key {index} cannot be derived")]
    Key {
        /// The validator.
        index: u64,
    },
    /// The execution client's head could not be read.
    #[error(transparent)]
    Execution(#[from] EngineFailure),
    /// The REST API's address could not be bound.
    #[error("binding {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
}

/// What the service's tasks share.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) spec: ChainSpec,
    pub(crate) validators: Vec<Validator>,
    pub(crate) schedule: ProposerSchedule,
    pub(crate) chain: Mutex<Chain>,
    pub(crate) events: Events,
    /// A block published to us (by a relay revealing a payload) for the slot in
    /// progress, until the proposer flow looks at it.
    pub(crate) published: Mutex<Option<SignedBlockContentsElectra>>,
    pub(crate) faults: Faults,
    pub(crate) timing: ProposerTiming,
    pub(crate) gas_limit: u64,
    pub(crate) engine: Arc<dyn ExecutionEngine>,
    pub(crate) builders: BuilderClient,
    pub(crate) clock: Arc<dyn SlotClock>,
    pub(crate) subscribers: AtomicUsize,
    /// A registration call failed: retry at the next slot, not only the next epoch.
    pub(crate) registration_due: AtomicBool,
    /// Flips to `true` when the service stops (ends the slot loop and event streams).
    pub(crate) stop: watch::Sender<bool>,
}

impl Shared {
    /// The head block.
    pub(crate) fn head(&self) -> Head {
        self.chain
            .lock()
            .map(|c| c.head())
            .unwrap_or_else(|poisoned| poisoned.into_inner().head())
    }

    /// Runs `f` on the chain.
    pub(crate) fn with_chain<T>(&self, f: impl FnOnce(&mut Chain) -> T) -> T {
        match self.chain.lock() {
            Ok(mut chain) => f(&mut chain),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// The slot running now.
    pub(crate) fn current_slot(&self) -> Slot {
        current_slot(&self.spec, self.clock.now_ms())
    }

    /// Unix milliseconds at which `slot` starts.
    pub(crate) fn slot_start_ms(&self, slot: Slot) -> u64 {
        self.spec.slot_timestamp(slot).saturating_mul(1000)
    }

    /// Milliseconds per slot.
    pub(crate) const fn slot_ms(&self) -> u64 {
        self.spec.seconds_per_slot.saturating_mul(1000)
    }
}

/// The devnet's beacon service.
#[derive(Debug)]
pub struct BeaconService;

impl BeaconService {
    /// Validates `config`, derives the validator keys, anchors the chain at the
    /// execution client's head, serves the REST API, registers every validator with its
    /// builder, and starts proposing from the next slot.
    pub async fn start(config: BeaconConfig) -> Result<BeaconHandle, StartError> {
        Self::start_with_clock(config, Arc::new(SystemClock)).await
    }

    pub(crate) async fn start_with_clock(
        config: BeaconConfig,
        clock: Arc<dyn SlotClock>,
    ) -> Result<BeaconHandle, StartError> {
        let shared = Arc::new(build_shared(&config, clock).await?);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.listen,
            source,
        })?;
        let api = {
            let router = rest::router(shared.clone());
            let mut stopped = shared.stop.subscribe();
            tokio::spawn(async move {
                let shutdown = async move {
                    let _ = stopped.wait_for(|s| *s).await;
                };
                if let Err(error) = axum::serve(listener, router)
                    .with_graceful_shutdown(shutdown)
                    .await
                {
                    tracing::error!(%error, "beacon REST API stopped");
                }
            })
        };
        proposer::register_all(&shared).await;
        let slots = tokio::spawn(proposer::run(shared.clone()));
        let head = shared.head();
        tracing::info!(
            url = %format!("http://{addr}"),
            validators = shared.validators.len(),
            head_slot = head.slot.0,
            head_block = %head.block_hash,
            "beacon service running"
        );
        Ok(BeaconHandle {
            url: format!("http://{addr}"),
            shared,
            tasks: vec![api, slots],
        })
    }
}

pub(crate) async fn build_shared(
    config: &BeaconConfig,
    clock: Arc<dyn SlotClock>,
) -> Result<Shared, StartError> {
    config.validate()?;
    let mut validators = Vec::with_capacity(config.validators.len());
    for (index, setup) in (0u64..).zip(&config.validators) {
        let key = interop_secret_key(index).map_err(|_| StartError::Key { index })?;
        validators.push(Validator {
            index,
            pubkey: key.public_key(),
            key,
            fee_recipient: setup.fee_recipient,
            builder_url: setup.builder_url.clone(),
        });
    }
    let pubkeys: Vec<_> = validators.iter().map(|v| v.pubkey).collect();
    let spec = ChainSpec {
        chain_id: ChainId(config.chain_id),
        genesis_time: config.genesis_time,
        seconds_per_slot: config.seconds_per_slot,
        slots_per_epoch: config.slots_per_epoch,
        genesis_fork_version: config.genesis_fork_version,
        current_fork_version: config.current_fork_version,
        genesis_validators_root: genesis_validators_root(&pubkeys),
    };
    let execution = config.execution.head().await?;
    let anchor_slot = spec.slot_at(execution.timestamp).unwrap_or_default();
    Ok(Shared {
        schedule: ProposerSchedule::new(
            validators.len() as u64,
            config.slots_per_epoch,
            config.schedule_seed,
        ),
        spec,
        validators,
        chain: Mutex::new(Chain::anchored(execution, anchor_slot)),
        events: Events::default(),
        published: Mutex::new(None),
        faults: config.faults.clone(),
        timing: config.timing,
        gas_limit: config.gas_limit,
        engine: config.execution.clone(),
        builders: BuilderClient::new(),
        clock,
        subscribers: AtomicUsize::new(0),
        registration_due: AtomicBool::new(false),
        stop: watch::channel(false).0,
    })
}

/// A running beacon service; dropping it stops it.
#[derive(Debug)]
pub struct BeaconHandle {
    url: String,
    shared: Arc<Shared>,
    tasks: Vec<JoinHandle<()>>,
}

impl BeaconHandle {
    /// The REST API's base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The chain parameters, with the genesis validators root.
    pub fn spec(&self) -> &ChainSpec {
        &self.shared.spec
    }

    /// The current head.
    pub fn head(&self) -> Head {
        self.shared.head()
    }

    /// The fault switches (flip them while running).
    pub fn faults(&self) -> &Faults {
        &self.shared.faults
    }

    /// The proposer of `slot` (validator index).
    pub fn proposer(&self, slot: Slot) -> u64 {
        self.shared.schedule.proposer(slot)
    }

    /// The record of `slot`, once the slot is over.
    pub fn record(&self, slot: Slot) -> Option<SlotRecord> {
        self.shared.with_chain(|c| c.record(slot).cloned())
    }

    /// Records of slots `from..=to`.
    pub fn records(&self, from: Slot, to: Slot) -> Vec<SlotRecord> {
        self.shared.with_chain(|c| c.records(from, to, usize::MAX))
    }

    /// Stops proposing and serving, and waits for the tasks to end.
    pub async fn shutdown(mut self) {
        self.shared.stop.send_replace(true);
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                tracing::warn!("a beacon task did not stop within 5 s; aborted");
                abort.abort();
            }
        }
    }
}

impl Drop for BeaconHandle {
    fn drop(&mut self) {
        self.shared.stop.send_replace(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}
