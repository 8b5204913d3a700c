//! Which upcoming slots are ours, and what time it is (step ②).
//!
//! [`Duties`] holds the proposer schedule for our validators; the beacon client
//! (`/eth/v1/validator/duties/proposer/{epoch}`) fills it, and tests fill it directly.
//! [`SlotClock`] (shared with the relay, from [`baton_preconf::clock`]) abstracts time so
//! logic is tested with [`ManualClock`].

use std::{collections::BTreeMap, sync::RwLock};

use baton_preconf::{BlsPublicKey, Slot};

pub use baton_preconf::clock::{ManualClock, SlotClock, SystemClock};

/// The proposer schedule of this sidecar's validators.
#[derive(Debug, Default)]
pub struct Duties {
    slots: RwLock<BTreeMap<Slot, BlsPublicKey>>,
}

impl Duties {
    /// Records that `validator` proposes `slot`.
    pub fn insert(&self, slot: Slot, validator: BlsPublicKey) {
        if let Ok(mut slots) = self.slots.write() {
            slots.insert(slot, validator);
        }
    }

    /// Our validator proposing `slot`, if any.
    pub fn proposer(&self, slot: Slot) -> Option<BlsPublicKey> {
        self.slots.read().ok().and_then(|s| s.get(&slot).copied())
    }

    /// Our slots in `from..=to`.
    pub fn owned_between(&self, from: Slot, to: Slot) -> Vec<(Slot, BlsPublicKey)> {
        self.slots
            .read()
            .map(|s| s.range(from..=to).map(|(k, v)| (*k, *v)).collect())
            .unwrap_or_default()
    }

    /// Forgets duties before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut slots) = self.slots.write() {
            *slots = slots.split_off(&slot);
        }
    }
}
