//! Step ④'s delegations, kept published while the sidecar runs: each of our validator keys
//! lets the delegate key sign constraints for each slot it proposes (the current and next
//! epoch, from the duties the sidecar follows). Signing is the operator's
//! [`crate::operator::sign_delegations`]; this module keeps every relay supplied.
//!
//! A relay that restarts in memory forgets them. Every half slot, each relay is asked for
//! the delegation of the nearest slot it accepted; if ours is gone, everything is sent to
//! it again. A relay that refuses constraints as "not delegated" triggers the same.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_primitives::Address;
use baton_preconf::{BlsPublicKey, BlsSecretKey, ChainSpec, Slot, constraints::SignedDelegation};
use tokio::sync::Notify;

use super::relays::RelayClient;
use crate::{
    lookahead::{Duties, SlotClock},
    operator::sign_delegations,
};

/// Keeps every relay supplied with our delegations.
#[derive(Debug)]
pub struct Delegator {
    keys: Arc<Vec<BlsSecretKey>>,
    delegate: BlsPublicKey,
    committer: Address,
    chain: ChainSpec,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
    relays: Vec<RelayClient>,
    signed: Mutex<BTreeMap<(Slot, BlsPublicKey), SignedDelegation>>,
    /// Per relay: the slots whose delegation it accepted.
    accepted: Mutex<Vec<BTreeSet<Slot>>>,
    wake: Notify,
}

impl Delegator {
    /// A delegator for our validator `keys`.
    pub fn new(
        keys: Arc<Vec<BlsSecretKey>>,
        (delegate, committer): (BlsPublicKey, Address),
        chain: ChainSpec,
        duties: Arc<Duties>,
        clock: Arc<dyn SlotClock>,
        relays: Vec<RelayClient>,
    ) -> Self {
        let accepted = vec![BTreeSet::new(); relays.len()];
        Self {
            keys,
            delegate,
            committer,
            chain,
            duties,
            clock,
            relays,
            signed: Mutex::new(BTreeMap::new()),
            accepted: Mutex::new(accepted),
            wake: Notify::new(),
        }
    }

    /// Forgets what relay `index` accepted and publishes everything to it again now.
    pub fn republish(&self, index: usize) {
        if let Ok(mut accepted) = self.accepted.lock()
            && let Some(set) = accepted.get_mut(index)
        {
            set.clear();
        }
        self.wake.notify_one();
    }

    /// Publishes forever: every half slot, or at once after [`Self::republish`].
    pub async fn run(self: Arc<Self>) {
        let pause = Duration::from_millis((self.chain.seconds_per_slot * 500).max(250));
        loop {
            self.round().await;
            tokio::select! {
                () = tokio::time::sleep(pause) => {}
                () = self.wake.notified() => {}
            }
        }
    }

    /// One round: sign what is new, check each relay still holds what it accepted, and
    /// send it what it lacks. Returns how many delegations each relay holds afterwards.
    pub async fn round(&self) -> Vec<usize> {
        let current = self
            .chain
            .slot_at(self.clock.now_ms() / 1000)
            .unwrap_or_default();
        let wanted = self.sign_new(current);
        let rounds = self
            .relays
            .iter()
            .enumerate()
            .map(|(i, relay)| self.supply(i, relay, current, &wanted));
        futures_util::future::join_all(rounds).await
    }

    fn sign_new(&self, current: Slot) -> Vec<SignedDelegation> {
        let last = Slot(current.0 + 2 * self.chain.slots_per_epoch);
        let duties = self.duties.owned_between(current.next(), last);
        let Ok(mut signed) = self.signed.lock() else {
            return Vec::new();
        };
        *signed = signed.split_off(&(current.next(), BlsPublicKey([0; 48])));
        let new: Vec<_> = duties
            .into_iter()
            .filter(|duty| !signed.contains_key(duty))
            .collect();
        match sign_delegations(
            &self.keys,
            new,
            self.delegate,
            self.committer,
            self.chain.genesis_fork_version,
        ) {
            Ok(list) => {
                for d in list {
                    signed.insert((d.message.slot, d.message.proposer), d);
                }
            }
            Err(error) => tracing::error!(%error, "signing delegations failed"),
        }
        signed.values().cloned().collect()
    }

    async fn supply(
        &self,
        index: usize,
        relay: &RelayClient,
        current: Slot,
        wanted: &[SignedDelegation],
    ) -> usize {
        let nearest = self.accepted.lock().ok().and_then(|mut a| {
            let set = a.get_mut(index)?;
            *set = set.split_off(&current.next());
            set.first().copied()
        });
        if let Some(slot) = nearest {
            match relay.delegations(slot).await {
                Ok(held) if !held.iter().any(|d| d.message.delegate == self.delegate) => {
                    tracing::warn!(
                        relay = relay.label(),
                        slot = slot.0,
                        "the relay lost our delegations (restarted?); publishing them again"
                    );
                    self.republish_quietly(index);
                }
                Ok(_) => {}
                Err(error) => {
                    tracing::debug!(%error, "reading delegations back failed");
                }
            }
        }
        let accepted: BTreeSet<Slot> = self
            .accepted
            .lock()
            .ok()
            .and_then(|a| a.get(index).cloned())
            .unwrap_or_default();
        let mut newly = Vec::new();
        for delegation in wanted
            .iter()
            .filter(|d| !accepted.contains(&d.message.slot))
        {
            match relay.delegate(delegation).await {
                Ok(()) => newly.push(delegation.message.slot),
                Err(error) => {
                    tracing::debug!(%error, slot = delegation.message.slot.0, "delegation not accepted (yet)");
                    if error.retryable() {
                        break; // the relay is down: try again next round
                    }
                }
            }
        }
        if !newly.is_empty() {
            tracing::info!(
                relay = relay.label(),
                count = newly.len(),
                "delegations published"
            );
        }
        self.accepted
            .lock()
            .ok()
            .and_then(|mut a| {
                let set = a.get_mut(index)?;
                set.extend(newly);
                Some(set.len())
            })
            .unwrap_or(0)
    }

    fn republish_quietly(&self, index: usize) {
        if let Ok(mut accepted) = self.accepted.lock()
            && let Some(set) = accepted.get_mut(index)
        {
            set.clear();
        }
    }
}
