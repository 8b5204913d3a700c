//! The builder's shared state and its inputs: proposer duties (beacon node), verified
//! constraints and delegations per relay (stream and catch-up), the proposers'
//! registrations, and one worker per slot announced by a `payload_attributes` event
//! ([`crate::slot`] does the building).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
};

use alloy_primitives::{Address, B256};
use baton_engine::EngineClient;
use baton_preconf::{
    BlsPublicKey, ChainSpec, Epoch, Slot,
    clock::{SlotClock, current_slot, ms_into_slot},
    constraints::SignedConstraints,
};
use baton_relay::beacon::{BeaconClient, PayloadAttributes};
use tokio::{sync::watch, task::AbortHandle};

use crate::{
    book::{Added, ConstraintBook},
    config::{BuilderKey, Faults},
    metrics::Metrics,
    pool::Pool,
    relay_client::RelayClient,
    verify::{verify_constraints, verify_delegations},
};

/// How far ahead (in epochs) constraints are accepted: duties are known this far.
const EPOCHS_AHEAD: u64 = 2;

/// A registered proposer's wishes for its slot, verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Registered {
    /// Where it is paid (the payload's fee recipient and the trace's).
    pub fee_recipient: Address,
    /// Its preferred gas limit (the execution client sets the payload's; logged when
    /// they differ).
    pub gas_limit: u64,
}

#[derive(Debug)]
struct SlotWork {
    parent: B256,
    changed: watch::Sender<u64>,
    task: AbortHandle,
}

#[derive(Debug)]
struct State {
    book: ConstraintBook,
    duties: BTreeMap<Slot, BlsPublicKey>,
    work: BTreeMap<Slot, SlotWork>,
}

/// The builder.
#[derive(Debug)]
pub struct Builder {
    pub(crate) chain: ChainSpec,
    pub(crate) key: BuilderKey,
    pub(crate) engine: EngineClient,
    pub(crate) pool: Pool,
    pub(crate) beacon: BeaconClient,
    pub(crate) relays: Vec<RelayClient>,
    pub(crate) faults: Faults,
    pub(crate) cutoff_ms: u64,
    pub(crate) coinbase: Option<Address>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) clock: Arc<dyn SlotClock>,
    state: Mutex<State>,
}

/// The parts a [`Builder`] is made of.
#[derive(Debug)]
pub struct Parts {
    /// Chain timing and fork versions.
    pub chain: ChainSpec,
    /// The signing key.
    pub key: BuilderKey,
    /// The execution client's Engine API.
    pub engine: EngineClient,
    /// The execution client's pool.
    pub pool: Pool,
    /// The beacon node.
    pub beacon: BeaconClient,
    /// The relays.
    pub relays: Vec<RelayClient>,
    /// Fault switches.
    pub faults: Faults,
    /// Rebuild cut-off, ms into the slot.
    pub cutoff_ms: u64,
    /// The fee recipient of built blocks, if not the proposer's.
    pub coinbase: Option<Address>,
    /// The clock.
    pub clock: Arc<dyn SlotClock>,
}

impl Builder {
    /// A builder with nothing received yet.
    pub fn new(parts: Parts) -> Self {
        Self {
            state: Mutex::new(State {
                book: ConstraintBook::new(parts.relays.len()),
                duties: BTreeMap::new(),
                work: BTreeMap::new(),
            }),
            chain: parts.chain,
            key: parts.key,
            engine: parts.engine,
            pool: parts.pool,
            beacon: parts.beacon,
            relays: parts.relays,
            faults: parts.faults,
            cutoff_ms: parts.cutoff_ms,
            coinbase: parts.coinbase,
            metrics: Arc::new(Metrics::default()),
            clock: parts.clock,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data; keep going with it.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The metrics.
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    pub(crate) fn current_slot(&self) -> Slot {
        current_slot(&self.chain, self.clock.now_ms())
    }

    /// Milliseconds left until `slot`'s rebuild cut-off (negative once passed).
    pub(crate) fn ms_to_cutoff(&self, slot: Slot) -> i64 {
        self.cutoff_ms as i64 - ms_into_slot(&self.chain, slot, self.clock.now_ms())
    }

    /// The slot's proposer, from the beacon node's duties (fetched once per epoch).
    pub(crate) async fn proposer(&self, slot: Slot) -> Option<BlsPublicKey> {
        if let Some(key) = self.state().duties.get(&slot) {
            return Some(*key);
        }
        let epoch: Epoch = self.chain.epoch_of(slot);
        match self.beacon.proposer_duties(epoch).await {
            Ok(duties) => {
                let mut state = self.state();
                for duty in duties {
                    if self.chain.epoch_of(duty.slot) == epoch {
                        state.duties.insert(duty.slot, duty.pubkey);
                    }
                }
                state.duties.get(&slot).copied()
            }
            Err(error) => {
                tracing::warn!(%error, epoch = epoch.0, "cannot read proposer duties");
                None
            }
        }
    }

    /// The proposer's verified registration for `slot` at the first relay that has one.
    pub(crate) async fn registration(
        &self,
        slot: Slot,
        proposer: &BlsPublicKey,
    ) -> Option<Registered> {
        for relay in &self.relays {
            let entries = match relay.validators().await {
                Ok(entries) => entries,
                Err(error) => {
                    tracing::warn!(%error, "cannot read registered proposers");
                    continue;
                }
            };
            for entry in entries.iter().filter(|e| e.slot == slot) {
                let message = &entry.registration.message;
                if message.pubkey.as_slice() != proposer.0.as_slice() {
                    tracing::warn!(relay = %relay.name(), slot = slot.0, "the relay lists another key than the slot's proposer");
                    continue;
                }
                if entry
                    .registration
                    .verify(self.chain.genesis_fork_version)
                    .is_err()
                {
                    tracing::warn!(relay = %relay.name(), slot = slot.0, "the relay serves a registration whose signature does not verify");
                    continue;
                }
                return Some(Registered {
                    fee_recipient: Address::from(message.fee_recipient),
                    gas_limit: message.gas_limit,
                });
            }
        }
        None
    }

    /// Reads, verifies and keeps `relay`'s delegations for `slot`.
    async fn refresh_delegations(&self, relay: usize, slot: Slot, proposer: &BlsPublicKey) {
        let Some(client) = self.relays.get(relay) else {
            return;
        };
        let delegations = match client.delegations(slot).await {
            Ok(delegations) => delegations,
            Err(error) => {
                tracing::warn!(%error, slot = slot.0, "cannot read delegations");
                return;
            }
        };
        let fork = self.chain.genesis_fork_version;
        let proposer = *proposer;
        let checked = tokio::task::spawn_blocking(move || {
            verify_delegations(&delegations, slot, &proposer, fork)
        })
        .await;
        let Ok((keys, refused)) = checked else {
            return;
        };
        for why in &refused {
            self.metrics.refused(why);
            tracing::warn!(relay = %client.name(), slot = slot.0, reason = %why, "delegation not trusted");
        }
        self.state().book.add_delegates(relay, slot, &keys);
    }

    /// Takes one constraints message `relay` served: checks the slot is coming, the
    /// signer is the proposer or its verified delegate (reading the relay's delegations
    /// when the signer is unknown) and the signature; keeps it and wakes the slot's
    /// worker if it adds transactions.
    pub async fn ingest(&self, relay: usize, signed: SignedConstraints) {
        let slot = signed.message.slot;
        let current = self.current_slot();
        let horizon = current.0 + EPOCHS_AHEAD * self.chain.slots_per_epoch;
        if slot < current || slot.0 > horizon || self.ms_to_cutoff(slot) < 0 {
            tracing::debug!(
                slot = slot.0,
                current = current.0,
                "constraints for a slot not being built"
            );
            return;
        }
        let Some(proposer) = self.proposer(slot).await else {
            tracing::warn!(
                slot = slot.0,
                "constraints for a slot whose proposer is unknown"
            );
            return;
        };
        let signer = signed.message.delegate;
        if signer != proposer && !self.state().book.delegates(relay, slot).contains(&signer) {
            self.refresh_delegations(relay, slot, &proposer).await;
        }
        let delegates = self.state().book.delegates(relay, slot);
        let fork = self.chain.genesis_fork_version;
        let verified = tokio::task::spawn_blocking(move || {
            verify_constraints(&signed, &proposer, &delegates, fork)
        })
        .await;
        let verified = match verified {
            Ok(Ok(verified)) => verified,
            Ok(Err(why)) => {
                self.metrics.refused(&why);
                tracing::warn!(relay = %self.relay_name(relay), slot = slot.0, reason = %why, "constraints not trusted; ignored");
                return;
            }
            Err(_) => return,
        };
        let mut state = self.state();
        match state.book.add(relay, verified) {
            Added::New(count) => {
                self.metrics.constraints_seen(count);
                tracing::info!(relay = %self.relay_name(relay), slot = slot.0, count, "new constrained transactions");
                if let Some(work) = state.work.get(&slot) {
                    work.changed.send_modify(|generation| *generation += 1);
                }
            }
            Added::Known => {}
            Added::Full => {
                tracing::warn!(relay = %self.relay_name(relay), slot = slot.0, "constraints over the slot's limit; ignored");
            }
        }
    }

    /// Reads every relay's stored constraints (and delegations) for `slot`: what was sent
    /// before the builder followed the streams.
    pub(crate) async fn catch_up(&self, slot: Slot, proposer: &BlsPublicKey) {
        for (relay, client) in self.relays.iter().enumerate() {
            self.refresh_delegations(relay, slot, proposer).await;
            match client.constraints(slot).await {
                Ok(messages) => {
                    for message in messages
                        .into_iter()
                        .take(crate::book::MAX_MESSAGES_PER_SLOT)
                    {
                        if message.message.slot == slot {
                            self.ingest(relay, message).await;
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, slot = slot.0, "cannot read constraints"),
            }
        }
    }

    /// Slots with work under way (or finished, until a later slot is announced).
    pub fn working_on(&self) -> Vec<(Slot, B256)> {
        self.state()
            .work
            .iter()
            .map(|(slot, work)| (*slot, work.parent))
            .collect()
    }

    pub(crate) fn relay_name(&self, relay: usize) -> String {
        self.relays
            .get(relay)
            .map(RelayClient::name)
            .unwrap_or_default()
    }

    pub(crate) fn slot_constraints(&self, slot: Slot) -> crate::book::SlotConstraints {
        self.state().book.slot(slot)
    }

    /// Starts building for the slot `attributes` announce (once per slot and parent; a
    /// new parent replaces the earlier work), and ends the work on earlier slots: the
    /// beacon node announces a slot once the previous one's block is in, and a rebuild on
    /// an old parent would move the execution client's head back.
    pub fn announce(self: &Arc<Self>, attributes: PayloadAttributes) {
        let slot = attributes.proposal_slot;
        if self.ms_to_cutoff(slot) < 0 {
            tracing::debug!(
                slot = slot.0,
                "payload attributes for a slot past its cut-off"
            );
            return;
        }
        let mut state = self.state();
        let keep_from = Slot(self.current_slot().0.saturating_sub(1));
        state.book.prune_before(keep_from);
        state.duties = state.duties.split_off(&keep_from);
        let old = std::mem::take(&mut state.work);
        for (s, work) in old {
            if s >= slot {
                state.work.insert(s, work);
            } else {
                work.task.abort();
            }
        }
        if let Some(work) = state.work.get(&slot) {
            if work.parent == attributes.parent_block_hash {
                return;
            }
            tracing::info!(slot = slot.0, parent = %attributes.parent_block_hash, "new parent for the slot; rebuilding");
            work.task.abort();
        }
        let (changed, receiver) = watch::channel(0u64);
        let parent = attributes.parent_block_hash;
        let task = tokio::spawn(crate::slot::work(self.clone(), attributes, receiver));
        state.work.insert(
            slot,
            SlotWork {
                parent,
                changed,
                task: task.abort_handle(),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use baton_engine::JwtSecret;
    use baton_preconf::{BlsSecretKey, clock::ManualClock};

    use super::*;

    fn attributes(slot: u64, parent: u8) -> PayloadAttributes {
        PayloadAttributes {
            proposal_slot: Slot(slot),
            proposer_index: 0,
            parent_block_hash: B256::repeat_byte(parent),
            parent_block_number: slot,
            parent_beacon_block_root: B256::ZERO,
            timestamp: 1_000 + 2 * slot,
            prev_randao: B256::ZERO,
            withdrawals: Default::default(),
        }
    }

    #[tokio::test]
    async fn a_later_slot_or_a_new_parent_replaces_earlier_work() {
        // Nothing listens on these ports: the workers give up at once.
        let dead = "http://127.0.0.1:9";
        let chain = ChainSpec::devnet(1, 1_000);
        let clock = Arc::new(ManualClock::new(1_000_000 + 10 * 2_000 + 500));
        let builder = Arc::new(Builder::new(Parts {
            chain,
            key: BuilderKey(Arc::new(BlsSecretKey::from_ikm(&[1; 32]).unwrap())),
            engine: EngineClient::new(dead, JwtSecret::random()),
            pool: Pool::new(dead),
            beacon: BeaconClient::new(dead),
            relays: vec![RelayClient::new(dead)],
            faults: Faults::default(),
            cutoff_ms: 3_000,
            coinbase: None,
            clock: clock.clone(),
        }));
        builder.announce(attributes(11, 1));
        assert_eq!(builder.working_on(), vec![(Slot(11), B256::repeat_byte(1))]);
        builder.announce(attributes(11, 1));
        assert_eq!(builder.working_on().len(), 1, "the same announcement twice");
        builder.announce(attributes(11, 2));
        assert_eq!(
            builder.working_on(),
            vec![(Slot(11), B256::repeat_byte(2))],
            "a new parent replaces the work"
        );
        clock.advance_ms(2_000);
        builder.announce(attributes(12, 3));
        assert_eq!(
            builder.working_on(),
            vec![(Slot(12), B256::repeat_byte(3))],
            "a later slot ends the earlier one"
        );
        // Past its cut-off (3 s into the slot), a slot is not started.
        clock.advance_ms(6_000);
        builder.announce(attributes(12, 4));
        assert_eq!(builder.working_on(), vec![(Slot(12), B256::repeat_byte(3))]);
    }
}
