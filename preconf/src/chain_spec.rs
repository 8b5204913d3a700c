//! Slot ↔ timestamp ↔ epoch arithmetic and the fork versions signatures depend on.

use serde::{Deserialize, Serialize};

use crate::types::{ChainId, Epoch, Slot};

/// The consensus parameters Baton needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainSpec {
    /// The L1 execution chain id (EIP-155; the EIP-712 domain's `chainId`).
    pub chain_id: ChainId,
    /// Unix time of slot 0.
    #[serde(with = "crate::types::quoted")]
    pub genesis_time: u64,
    /// Seconds per slot.
    #[serde(with = "crate::types::quoted")]
    pub seconds_per_slot: u64,
    /// Slots per epoch.
    #[serde(with = "crate::types::quoted")]
    pub slots_per_epoch: u64,
    /// `GENESIS_FORK_VERSION` (the builder and constraints domains use it).
    pub genesis_fork_version: [u8; 4],
    /// The fork version in force (the proposer domain uses it).
    pub current_fork_version: [u8; 4],
    /// The beacon state's genesis validators root.
    pub genesis_validators_root: alloy_primitives::B256,
}

/// A chain spec is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainSpecError {
    /// `seconds_per_slot` or `slots_per_epoch` is zero.
    #[error(
        "seconds_per_slot ({seconds_per_slot}) and slots_per_epoch ({slots_per_epoch}) must be non-zero"
    )]
    ZeroPeriod {
        /// The configured seconds per slot.
        seconds_per_slot: u64,
        /// The configured slots per epoch.
        slots_per_epoch: u64,
    },
}

impl ChainSpec {
    /// Ethereum mainnet.
    pub fn mainnet() -> Self {
        Self {
            chain_id: ChainId(1),
            genesis_time: 1_606_824_023,
            seconds_per_slot: 12,
            slots_per_epoch: 32,
            genesis_fork_version: [0, 0, 0, 0],
            current_fork_version: [5, 0, 0, 0],
            genesis_validators_root: alloy_primitives::b256!(
                "4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"
            ),
        }
    }

    /// A local devnet: 2-second slots, 8-slot epochs, interop fork versions.
    pub fn devnet(chain_id: u64, genesis_time: u64) -> Self {
        Self {
            chain_id: ChainId(chain_id),
            genesis_time,
            seconds_per_slot: 2,
            slots_per_epoch: 8,
            genesis_fork_version: [0x10, 0, 0, 0x38],
            current_fork_version: [0x60, 0, 0, 0x38],
            genesis_validators_root: alloy_primitives::B256::ZERO,
        }
    }

    /// Checks the periods are non-zero (every other method assumes it).
    pub const fn validate(&self) -> Result<(), ChainSpecError> {
        if self.seconds_per_slot == 0 || self.slots_per_epoch == 0 {
            return Err(ChainSpecError::ZeroPeriod {
                seconds_per_slot: self.seconds_per_slot,
                slots_per_epoch: self.slots_per_epoch,
            });
        }
        Ok(())
    }

    /// The start time of `slot` (saturating at `u64::MAX`).
    pub const fn slot_timestamp(&self, slot: Slot) -> u64 {
        self.genesis_time
            .saturating_add(slot.0.saturating_mul(self.seconds_per_slot))
    }

    /// The slot running at `timestamp`; `None` before genesis.
    pub const fn slot_at(&self, timestamp: u64) -> Option<Slot> {
        if timestamp < self.genesis_time || self.seconds_per_slot == 0 {
            return None;
        }
        Some(Slot(
            (timestamp - self.genesis_time) / self.seconds_per_slot,
        ))
    }

    /// The slot whose start time is exactly `timestamp`, if any.
    pub const fn slot_starting_at(&self, timestamp: u64) -> Option<Slot> {
        match self.slot_at(timestamp) {
            Some(slot) if self.slot_timestamp(slot) == timestamp => Some(slot),
            _ => None,
        }
    }

    /// The epoch of `slot`.
    pub const fn epoch_of(&self, slot: Slot) -> Epoch {
        Epoch(slot.0 / self.slots_per_epoch)
    }

    /// The first slot of `epoch`.
    pub const fn epoch_start(&self, epoch: Epoch) -> Slot {
        Slot(epoch.0.saturating_mul(self.slots_per_epoch))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn mainnet_figures() {
        let spec = ChainSpec::mainnet();
        spec.validate().unwrap();
        assert_eq!(spec.slot_timestamp(Slot(0)), 1_606_824_023);
        assert_eq!(spec.slot_at(1_606_824_023 + 12 * 100 + 11), Some(Slot(100)));
        assert_eq!(spec.slot_starting_at(1_606_824_023 + 12 * 100 + 11), None);
        assert_eq!(spec.slot_at(0), None);
        assert_eq!(spec.epoch_of(Slot(64)), Epoch(2));
        assert_eq!(spec.epoch_start(Epoch(2)), Slot(64));
    }

    #[test]
    fn zero_periods_are_rejected() {
        let mut spec = ChainSpec::devnet(1, 0);
        spec.seconds_per_slot = 0;
        assert!(matches!(
            spec.validate(),
            Err(ChainSpecError::ZeroPeriod { .. })
        ));
    }

    #[test]
    fn json_quotes_integers() {
        let spec = ChainSpec::devnet(3_151_908, 1_700_000_000);
        let json = serde_json::to_value(&spec).unwrap();
        assert_eq!(json["genesis_time"], "1700000000");
        assert_eq!(serde_json::from_value::<ChainSpec>(json).unwrap(), spec);
    }

    proptest! {
        #[test]
        fn slot_timestamp_round_trips(genesis in 0u64..2_000_000_000, slot in 0u64..100_000_000, secs in 1u64..64) {
            let mut spec = ChainSpec::devnet(1, genesis);
            spec.seconds_per_slot = secs;
            let ts = spec.slot_timestamp(Slot(slot));
            prop_assert_eq!(spec.slot_starting_at(ts), Some(Slot(slot)));
            prop_assert_eq!(spec.slot_at(ts + secs - 1), Some(Slot(slot)));
        }
    }
}
