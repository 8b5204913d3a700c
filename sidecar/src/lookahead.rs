//! Which upcoming slots are ours, and what time it is (step ②).
//!
//! [`Duties`] holds the proposer schedule for our validators; the beacon client (to come:
//! `/eth/v1/validator/duties/proposer/{epoch}` and head events) fills it, and tests fill
//! it directly. [`SlotClock`] abstracts time so logic is tested with [`ManualClock`].

use std::{
    collections::BTreeMap,
    sync::{
        RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::{SystemTime, UNIX_EPOCH},
};

use baton_preconf::{BlsPublicKey, Slot};

/// Wall-clock time, in milliseconds since the Unix epoch.
pub trait SlotClock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now_ms(&self) -> u64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SlotClock for SystemClock {
    fn now_ms(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64)
    }
}

/// A clock tests move by hand.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock showing `now_ms`.
    pub const fn new(now_ms: u64) -> Self {
        Self(AtomicU64::new(now_ms))
    }

    /// Sets the time.
    pub fn set_ms(&self, now_ms: u64) {
        self.0.store(now_ms, Ordering::SeqCst);
    }

    /// Moves time forward.
    pub fn advance_ms(&self, ms: u64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl SlotClock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

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
