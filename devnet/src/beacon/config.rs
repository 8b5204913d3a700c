//! How the beacon service runs: chain parameters, validators, the execution client,
//! where it listens, proposer timings and the fault switches end-to-end tests flip.

use std::{
    collections::BTreeSet,
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::Address;
use baton_preconf::Slot;

use super::{engine::ExecutionEngine, schedule::DEFAULT_SEED};

/// The gas limit validators register with their builders.
pub const DEFAULT_GAS_LIMIT: u64 = 30_000_000;

/// One validator's setup (its key is interop key `index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatorSetup {
    /// Where its blocks pay.
    pub fee_recipient: Address,
    /// Its builder URL: the sidecar's builder API for opted-in validators, a relay for
    /// the others; `None` builds every block locally.
    pub builder_url: Option<String>,
}

/// Deadlines of the proposer flow, measured from the slot's start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProposerTiming {
    /// Longest wait for `getHeader`.
    pub header_timeout: Duration,
    /// Time kept at the end of the slot for a local block: the builder path (getHeader
    /// and submitBlindedBlock) must be done `local_reserve` before the slot ends.
    pub local_reserve: Duration,
}

impl Default for ProposerTiming {
    fn default() -> Self {
        Self {
            header_timeout: Duration::from_millis(950),
            // ethereumjs builds a block in about 0.7 s here.
            local_reserve: Duration::from_millis(1_000),
        }
    }
}

/// Fault switches, shared with the running service (flip them at any time).
#[derive(Debug, Clone, Default)]
pub struct Faults(Arc<Mutex<FaultSet>>);

#[derive(Debug, Default)]
struct FaultSet {
    missed: BTreeSet<Slot>,
}

impl Faults {
    /// The proposer of `slot` proposes nothing.
    pub fn miss_slot(&self, slot: Slot) {
        if let Ok(mut set) = self.0.lock() {
            set.missed.insert(slot);
        }
    }

    /// Whether `slot` is to be missed.
    pub fn is_missed(&self, slot: Slot) -> bool {
        self.0.lock().is_ok_and(|set| set.missed.contains(&slot))
    }
}

/// Everything [`super::BeaconService::start`] needs.
#[derive(Debug, Clone)]
pub struct BeaconConfig {
    /// Unix time of slot 0 (the execution genesis block's timestamp).
    pub genesis_time: u64,
    /// Seconds per slot (2 on the devnet).
    pub seconds_per_slot: u64,
    /// Slots per epoch (8 on the devnet).
    pub slots_per_epoch: u64,
    /// The L1 chain id (for the chain spec handed to clients).
    pub chain_id: u64,
    /// `GENESIS_FORK_VERSION` (builder-API signatures).
    pub genesis_fork_version: [u8; 4],
    /// The fork version in force (Electra; proposer signatures).
    pub current_fork_version: [u8; 4],
    /// The validators; validator `i` holds interop key `i`.
    pub validators: Vec<ValidatorSetup>,
    /// The gas limit validators register.
    pub gas_limit: u64,
    /// Seed of the proposer schedule.
    pub schedule_seed: [u8; 32],
    /// The execution client.
    pub execution: Arc<dyn ExecutionEngine>,
    /// Where the REST API listens (port 0 picks one).
    pub listen: SocketAddr,
    /// Proposer deadlines.
    pub timing: ProposerTiming,
    /// Fault switches.
    pub faults: Faults,
}

impl BeaconConfig {
    /// The devnet's defaults: 2-second slots, 8-slot epochs, the interop fork versions,
    /// a loopback listener on a free port.
    pub fn devnet(
        genesis_time: u64,
        chain_id: u64,
        validators: Vec<ValidatorSetup>,
        execution: Arc<dyn ExecutionEngine>,
    ) -> Self {
        let chain = baton_preconf::ChainSpec::devnet(chain_id, genesis_time);
        Self {
            genesis_time,
            seconds_per_slot: chain.seconds_per_slot,
            slots_per_epoch: chain.slots_per_epoch,
            chain_id,
            genesis_fork_version: chain.genesis_fork_version,
            current_fork_version: chain.current_fork_version,
            validators,
            gas_limit: DEFAULT_GAS_LIMIT,
            schedule_seed: DEFAULT_SEED,
            execution,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            timing: ProposerTiming::default(),
            faults: Faults::default(),
        }
    }
}

/// The configuration cannot run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// No validators.
    #[error("the beacon service needs at least one validator")]
    NoValidators,
    /// More validators than the devnet handles.
    #[error("{count} validators; at most {max}")]
    TooManyValidators {
        /// Configured.
        count: usize,
        /// Allowed.
        max: usize,
    },
    /// A zero period.
    #[error(
        "seconds_per_slot ({seconds_per_slot}) and slots_per_epoch ({slots_per_epoch}) must be non-zero"
    )]
    ZeroPeriod {
        /// Configured seconds per slot.
        seconds_per_slot: u64,
        /// Configured slots per epoch.
        slots_per_epoch: u64,
    },
    /// A builder URL that is not http(s).
    #[error("validator {index}: builder URL must start with http:// or https://")]
    BadBuilderUrl {
        /// The validator.
        index: usize,
    },
}

/// Most validators a devnet runs (keys are derived and held in memory).
pub const MAX_VALIDATORS: usize = 1_024;

impl BeaconConfig {
    /// Checks the configuration.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.validators.is_empty() {
            return Err(ConfigError::NoValidators);
        }
        if self.validators.len() > MAX_VALIDATORS {
            return Err(ConfigError::TooManyValidators {
                count: self.validators.len(),
                max: MAX_VALIDATORS,
            });
        }
        if self.seconds_per_slot == 0 || self.slots_per_epoch == 0 {
            return Err(ConfigError::ZeroPeriod {
                seconds_per_slot: self.seconds_per_slot,
                slots_per_epoch: self.slots_per_epoch,
            });
        }
        for (index, validator) in self.validators.iter().enumerate() {
            if let Some(url) = &validator.builder_url
                && !(url.starts_with("http://") || url.starts_with("https://"))
            {
                return Err(ConfigError::BadBuilderUrl { index });
            }
        }
        Ok(())
    }
}
