//! The relay's logic, independent of HTTP: every API call is one method here, each
//! turning untrusted input into verified state or a [`RelayError`]. Handlers in
//! `crate::api` only decode bodies and encode answers.
//!
//! | file | calls | data-flow step |
//! |---|---|---|
//! | `register.rs` | validator registrations | ⑥ (proposers' preferences) |
//! | `constraints.rs` | delegations, constraints, their reads | ④ |
//! | `submit.rs` | block submissions with or without proofs | ⑤ |
//! | `proposer.rs` | getHeader, header_with_proofs, blinded blocks | ⑥ |
//! | `shared.rs` | events from other instances (Redis) | ④–⑥ |

mod constraints;
mod proposer;
mod register;
mod shared;
mod submit;

use std::{
    collections::HashSet,
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use baton_preconf::{BlsPublicKey, ChainSpec, Slot};
use tokio::sync::mpsc;

pub use constraints::{MAX_MESSAGES_PER_REQUEST, visible};
pub use proposer::{PayloadVersion, ServedBid};
pub use register::MAX_REGISTRATIONS;
pub use submit::{Arrival, Submission};

use crate::{
    beacon::{BeaconClient, PayloadAttributes, ProposerDuty},
    clock::{SlotClock, current_slot},
    config::{RelayKey, Timing},
    sharing::{SharedEvent, SharedStore},
    state::{
        auction::{Auction, Payloads},
        constraints::ConstraintStore,
        history::History,
        leaves::LeafCache,
        registrations::Registrations,
        schedule::{Duties, Heads},
    },
};

/// The relay: its state and the rules that change it.
#[derive(Debug)]
pub struct Relay {
    chain: ChainSpec,
    timing: Timing,
    key: RelayKey,
    pubkey: BlsPublicKey,
    clock: Arc<dyn SlotClock>,
    /// Validator registrations.
    pub registrations: Registrations,
    /// Proposer duties.
    pub duties: Duties,
    /// Payload attributes per slot.
    pub heads: Heads,
    /// Delegations and constraints.
    pub constraints: ConstraintStore,
    /// Bids.
    pub auction: Auction,
    /// Payloads of bids that can still be asked for.
    pub payloads: Payloads,
    /// What the data API reports.
    pub history: History,
    /// SSZ leaves of transactions already seen.
    pub leaves: LeafCache,
    blocked: RwLock<HashSet<BlsPublicKey>>,
    beacon: Option<BeaconClient>,
    sink: OnceLock<mpsc::Sender<SharedEvent>>,
    shared: OnceLock<SharedStore>,
    withhold_constraints: AtomicBool,
}

impl Relay {
    /// A relay for `chain` (genesis, fork versions and slot lengths filled in), signing
    /// bids with `key`, publishing through `beacon` (`None`: blinded blocks cannot be
    /// published, for tests of everything else).
    pub fn new(
        chain: ChainSpec,
        timing: Timing,
        key: RelayKey,
        clock: Arc<dyn SlotClock>,
        beacon: Option<BeaconClient>,
    ) -> Self {
        let pubkey = key.0.public_key();
        Self {
            chain,
            timing,
            key,
            pubkey,
            clock,
            registrations: Registrations::default(),
            duties: Duties::default(),
            heads: Heads::default(),
            constraints: ConstraintStore::default(),
            auction: Auction::default(),
            payloads: Payloads::default(),
            history: History::default(),
            leaves: LeafCache::default(),
            blocked: RwLock::new(HashSet::new()),
            beacon,
            sink: OnceLock::new(),
            shared: OnceLock::new(),
            withhold_constraints: AtomicBool::new(false),
        }
    }

    /// Fault for end-to-end tests: from now on, hide every slot's constraints from
    /// builders and accept unproven blocks for constrained slots (a lying relay).
    pub fn withhold_constraints(&self) {
        tracing::warn!("fault switch: this relay now withholds constraints from builders");
        self.withhold_constraints.store(true, Ordering::Relaxed);
    }

    /// Whether the lying-relay fault is on.
    pub fn withholding(&self) -> bool {
        self.withhold_constraints.load(Ordering::Relaxed)
    }

    /// The chain parameters.
    pub const fn chain(&self) -> &ChainSpec {
        &self.chain
    }

    /// The cut-offs.
    pub const fn timing(&self) -> &Timing {
        &self.timing
    }

    /// The key bids are signed with.
    pub const fn pubkey(&self) -> BlsPublicKey {
        self.pubkey
    }

    /// Now, in Unix ms.
    pub fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Now, in Unix µs.
    pub fn now_us(&self) -> u64 {
        self.clock.now_us()
    }

    /// The slot running now.
    pub fn current_slot(&self) -> Slot {
        current_slot(&self.chain, self.clock.now_ms())
    }

    /// Sends accepted state to Redis from now on (write-behind; never blocks).
    pub fn share_through(&self, sink: mpsc::Sender<SharedEvent>, store: SharedStore) {
        let _ = self.sink.set(sink);
        let _ = self.shared.set(store);
    }

    fn share(&self, event: SharedEvent) {
        let (Some(sink), Some(shared)) = (self.sink.get(), self.shared.get()) else {
            return;
        };
        shared.queued(1);
        if sink.try_send(event).is_err() {
            // The writer is behind (Redis slow or down): it resyncs from memory later.
            shared.queued(-1);
            crate::metrics::record_redis_error();
            shared.mark_dirty();
        }
    }

    /// Waits (up to `limit`) until every event handed to the Redis writer is written or
    /// given up on: a graceful shutdown loses nothing another instance should know.
    pub async fn flush_shared(&self, limit: std::time::Duration) {
        let Some(shared) = self.shared.get() else {
            return;
        };
        let deadline = tokio::time::Instant::now() + limit;
        while shared.pending() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }

    /// Records a proposer duty from the beacon node.
    pub fn add_duty(&self, duty: ProposerDuty) {
        self.duties.insert(duty);
    }

    /// Records a slot's payload attributes from the beacon node.
    pub fn add_head(&self, attributes: PayloadAttributes) {
        tracing::debug!(slot = attributes.proposal_slot.0, parent = %attributes.parent_block_hash, "payload attributes");
        self.heads.insert(attributes);
    }

    /// Blocks or unblocks a builder (admin).
    pub fn set_builder_blocked(&self, builder: BlsPublicKey, blocked: bool) {
        if let Ok(mut set) = self.blocked.write() {
            if blocked {
                set.insert(builder);
            } else {
                set.remove(&builder);
            }
        }
    }

    fn is_blocked(&self, builder: &BlsPublicKey) -> bool {
        self.blocked.read().is_ok_and(|s| s.contains(builder))
    }

    /// Forgets everything of slots older than the kept window.
    pub fn expire(&self) {
        let keep_from = Slot(self.current_slot().0.saturating_sub(self.timing.keep_slots));
        self.auction.prune_before(keep_from);
        self.payloads.prune_before(keep_from);
        self.constraints.prune_before(keep_from);
        self.heads.prune_before(keep_from);
        self.duties.prune_before(keep_from);
    }

    /// The first slot still kept in memory.
    pub fn kept_from(&self) -> Slot {
        Slot(self.current_slot().0.saturating_sub(self.timing.keep_slots))
    }
}

/// A key in its SSZ container form.
pub(crate) fn pubkey_bytes(key: &BlsPublicKey) -> baton_preconf::ssz::BlsPubkeyBytes {
    baton_preconf::ssz::BlsPubkeyBytes::try_from(key.0.to_vec()).unwrap_or_default()
}

/// Formats a key or hash for an error message.
pub(crate) fn show(value: impl std::fmt::Display) -> String {
    value.to_string()
}
