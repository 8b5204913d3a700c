//! What time it is, and where that falls in the slot: the sidecar's deadlines and the
//! relay's cut-offs and expiry (steps ②–⑥).
//!
//! [`SlotClock`] abstracts time so logic is tested with [`ManualClock`] and no sleeps.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use crate::{ChainSpec, Slot};

/// Wall-clock time, in milliseconds since the Unix epoch.
pub trait SlotClock: Send + Sync + std::fmt::Debug {
    /// Now.
    fn now_ms(&self) -> u64;

    /// Now, in microseconds (orders bids that arrive in the same millisecond).
    fn now_us(&self) -> u64 {
        self.now_ms().saturating_mul(1000)
    }
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl SlotClock for SystemClock {
    fn now_ms(&self) -> u64 {
        self.now_us() / 1000
    }

    fn now_us(&self) -> u64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64)
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

/// Milliseconds since `slot` started (negative before it starts).
pub fn ms_into_slot(chain: &ChainSpec, slot: Slot, now_ms: u64) -> i64 {
    let start_ms = chain.slot_timestamp(slot).saturating_mul(1000);
    now_ms as i64 - start_ms as i64
}

/// The slot running at `now_ms` (slot 0 before genesis).
pub fn current_slot(chain: &ChainSpec, now_ms: u64) -> Slot {
    chain.slot_at(now_ms / 1000).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_offsets() {
        let chain = ChainSpec::devnet(1, 1_000);
        let clock = ManualClock::new(1_000_000 + 4_500);
        assert_eq!(current_slot(&chain, clock.now_ms()), Slot(2));
        assert_eq!(ms_into_slot(&chain, Slot(2), clock.now_ms()), 500);
        assert_eq!(ms_into_slot(&chain, Slot(3), clock.now_ms()), -1_500);
        clock.advance_ms(1_500);
        assert_eq!(current_slot(&chain, clock.now_ms()), Slot(3));
        assert_eq!(current_slot(&chain, 0), Slot(0));
    }
}
