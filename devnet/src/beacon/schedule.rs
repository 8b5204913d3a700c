//! The proposer schedule: which validator proposes each slot.
//!
//! Per epoch, the validator indices are shuffled (Fisher–Yates driven by
//! `sha256(seed ‖ epoch ‖ step)`) and slot `k` of the epoch goes to entry `k mod N` of
//! the shuffle. So the schedule is deterministic, known for any epoch in advance, and
//! every validator proposes `⌊slots_per_epoch / N⌋` or one more slots per epoch.

use baton_preconf::{Epoch, Slot};
use sha2::{Digest, Sha256};

/// The seed every devnet shares unless configured otherwise.
pub const DEFAULT_SEED: [u8; 32] = *b"baton-devnet-proposer-schedule!!";

/// A deterministic proposer schedule over `validators` validators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposerSchedule {
    validators: u64,
    slots_per_epoch: u64,
    seed: [u8; 32],
}

impl ProposerSchedule {
    /// A schedule; `validators` and `slots_per_epoch` must be non-zero (the service
    /// checks its configuration before building one).
    pub const fn new(validators: u64, slots_per_epoch: u64, seed: [u8; 32]) -> Self {
        Self {
            validators: if validators == 0 { 1 } else { validators },
            slots_per_epoch: if slots_per_epoch == 0 {
                1
            } else {
                slots_per_epoch
            },
            seed,
        }
    }

    /// The shuffled validator indices of `epoch`.
    pub fn shuffle(&self, epoch: Epoch) -> Vec<u64> {
        let mut order: Vec<u64> = (0..self.validators).collect();
        for step in (1..order.len()).rev() {
            let digest = Sha256::new()
                .chain_update(self.seed)
                .chain_update(epoch.0.to_le_bytes())
                .chain_update((step as u64).to_le_bytes())
                .finalize();
            let mut word = [0u8; 8];
            word.copy_from_slice(&digest[..8]);
            // The modulo bias over 2^64 is negligible for a devnet's validator count.
            let pick = (u64::from_le_bytes(word) % (step as u64 + 1)) as usize;
            order.swap(step, pick);
        }
        order
    }

    /// The proposer of `slot`.
    pub fn proposer(&self, slot: Slot) -> u64 {
        let epoch = Epoch(slot.0 / self.slots_per_epoch);
        let position = (slot.0 % self.slots_per_epoch) % self.validators;
        self.shuffle(epoch)[position as usize]
    }

    /// Every slot of `epoch` with its proposer.
    pub fn epoch_duties(&self, epoch: Epoch) -> Vec<(Slot, u64)> {
        let order = self.shuffle(epoch);
        let first = epoch.0.saturating_mul(self.slots_per_epoch);
        (0..self.slots_per_epoch)
            .map(|k| {
                (
                    Slot(first.saturating_add(k)),
                    order[(k % self.validators) as usize],
                )
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    #[test]
    fn the_schedule_is_deterministic_and_fair() {
        let a = ProposerSchedule::new(4, 8, DEFAULT_SEED);
        let b = ProposerSchedule::new(4, 8, DEFAULT_SEED);
        for epoch in 0..20 {
            let duties = a.epoch_duties(Epoch(epoch));
            assert_eq!(duties, b.epoch_duties(Epoch(epoch)));
            assert_eq!(duties.len(), 8);
            let mut count = HashMap::new();
            for (slot, proposer) in &duties {
                assert_eq!(slot.0 / 8, epoch);
                assert_eq!(a.proposer(*slot), *proposer);
                *count.entry(*proposer).or_insert(0) += 1;
            }
            // 8 slots over 4 validators: everyone proposes exactly twice.
            assert!(count.values().all(|c| *c == 2), "{count:?}");
        }
        // The order changes from epoch to epoch, and with the seed.
        assert!((1..20).any(|e| a.shuffle(Epoch(e)) != a.shuffle(Epoch(0))));
        let other = ProposerSchedule::new(4, 8, [7; 32]);
        assert!((0..20).any(|e| other.shuffle(Epoch(e)) != a.shuffle(Epoch(e))));
    }

    #[test]
    fn more_validators_than_slots_and_a_single_validator() {
        let wide = ProposerSchedule::new(100, 8, DEFAULT_SEED);
        let duties = wide.epoch_duties(Epoch(3));
        let mut seen: Vec<u64> = duties.iter().map(|(_, p)| *p).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 8, "distinct proposers within an epoch");
        assert!(seen.iter().all(|p| *p < 100));
        let single = ProposerSchedule::new(1, 8, DEFAULT_SEED);
        assert!((0..40).all(|s| single.proposer(Slot(s)) == 0));
    }
}
