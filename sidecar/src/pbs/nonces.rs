//! The committer's nonces for batch transactions (step ④): the account's nonce at the L1
//! head, plus the batches sealed for slots that can still land before the one being
//! sealed.
//!
//! A batch sealed for a slot that passed without landing (the slot was missed, or the
//! block left it out) stops counting as soon as the slot is over, and the head's nonce is
//! read again at every seal: a missed batch leaves a gap for one slot at most, never for
//! good. A nonce used again gets fees at least an eighth higher than last time, so the
//! new transaction replaces the stale one in the execution client's pool.

use std::collections::BTreeMap;

use baton_preconf::Slot;

/// Slots of history kept.
const KEEP_SLOTS: u64 = 64;

/// The fees of a batch transaction (wei per gas).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchFees {
    /// `maxFeePerGas`.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`.
    pub max_priority_fee_per_gas: u128,
}

/// Nonces and fees of the batches this sidecar sealed.
#[derive(Debug, Default, Clone)]
pub struct NonceBook {
    /// Per slot, the nonces its batches use.
    sealed: BTreeMap<Slot, Vec<u64>>,
    /// The fees last used with each nonce.
    fees: BTreeMap<u64, BatchFees>,
}

impl NonceBook {
    /// The first nonce for the batches of a slot sealed now: `l1_nonce` (at the head, which
    /// is in `head_slot`) plus the batches sealed for slots after the head that have not
    /// passed yet (`current` is the slot in progress).
    pub fn next(&self, l1_nonce: u64, head_slot: Slot, current: Slot) -> u64 {
        let from = Slot(head_slot.0.saturating_add(1).max(current.0));
        self.sealed
            .range(from..)
            .flat_map(|(_, nonces)| nonces.iter().copied())
            .filter(|n| *n >= l1_nonce)
            .max()
            .map_or(l1_nonce, |n| n + 1)
            .max(l1_nonce)
    }

    /// The fees for `nonce`: `wanted`, raised to replace an earlier transaction with the
    /// same nonce if there was one.
    pub fn fees(&self, nonce: u64, wanted: BatchFees) -> BatchFees {
        let bump = |old: u128| old.saturating_add(old / 8).saturating_add(1);
        match self.fees.get(&nonce) {
            None => wanted,
            Some(old) => BatchFees {
                max_fee_per_gas: wanted.max_fee_per_gas.max(bump(old.max_fee_per_gas)),
                max_priority_fee_per_gas: wanted
                    .max_priority_fee_per_gas
                    .max(bump(old.max_priority_fee_per_gas)),
            },
        }
    }

    /// Records that `slot`'s batches use `nonces` with `fees` (also on journal replay).
    pub fn record(&mut self, slot: Slot, nonces: &[(u64, BatchFees)]) {
        let entry = self.sealed.entry(slot).or_default();
        for (nonce, fees) in nonces {
            entry.push(*nonce);
            self.fees.insert(*nonce, *fees);
        }
        let keep = Slot(slot.0.saturating_sub(KEEP_SLOTS));
        self.sealed = self.sealed.split_off(&keep);
        if let Some(lowest) = self.sealed.values().flatten().min().copied() {
            self.fees = self.fees.split_off(&lowest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEES: BatchFees = BatchFees {
        max_fee_per_gas: 100,
        max_priority_fee_per_gas: 10,
    };

    #[test]
    fn batches_not_yet_landed_count_and_missed_ones_stop_counting() {
        let mut book = NonceBook::default();
        // Head in slot 9 with nonce 5; slot 10 is sealed during slot 9.
        assert_eq!(book.next(5, Slot(9), Slot(9)), 5);
        book.record(Slot(10), &[(5, FEES), (6, FEES)]);
        // Slot 11 is sealed during slot 10, before slot 10's block is seen: 7 next.
        assert_eq!(book.next(5, Slot(9), Slot(10)), 7);
        // Slot 10's block landed with both batches.
        assert_eq!(book.next(7, Slot(10), Slot(10)), 7);
        // Slot 10 was missed: once slot 11 is under way, its nonces are free again.
        assert_eq!(book.next(5, Slot(9), Slot(11)), 5);
        // A stale, higher nonce does not count below the head's.
        assert_eq!(book.next(9, Slot(9), Slot(10)), 9);
    }

    #[test]
    fn a_reused_nonce_gets_fees_high_enough_to_replace_the_old_transaction() {
        let mut book = NonceBook::default();
        assert_eq!(book.fees(5, FEES), FEES);
        book.record(Slot(10), &[(5, FEES)]);
        let again = book.fees(5, FEES);
        assert_eq!(again.max_fee_per_gas, 113);
        assert_eq!(again.max_priority_fee_per_gas, 12);
        let higher = BatchFees {
            max_fee_per_gas: 1_000,
            max_priority_fee_per_gas: 50,
        };
        assert_eq!(book.fees(5, higher), higher, "already above the bump");
        // Old slots are forgotten.
        book.record(Slot(200), &[(9, FEES)]);
        assert_eq!(book.fees(5, FEES), FEES);
    }
}
