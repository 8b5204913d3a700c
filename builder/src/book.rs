//! What each relay requires of each slot's block: the verified constraints it served, per
//! relay (a relay checks a proof against exactly its own set), and the delegate keys it
//! proved. Bounded per relay and slot; old slots are pruned.

use std::collections::{BTreeMap, HashSet};

use alloy_primitives::B256;
use baton_preconf::{BlsPublicKey, BlsSignature, Slot, constraints::MAX_CONSTRAINTS_PER_SLOT};

use crate::verify::{ConstrainedTx, VerifiedConstraints};

/// Most distinct messages kept per relay and slot (duplicates of known transactions
/// included).
pub const MAX_MESSAGES_PER_SLOT: usize = 1024;

/// What adding a verified message did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// New transactions for the relay's slot (how many).
    New(usize),
    /// Nothing new: the message or all its transactions were known.
    Known,
    /// Over a per-slot bound; nothing stored.
    Full,
}

#[derive(Debug, Default)]
struct RelaySlot {
    delegates: Vec<BlsPublicKey>,
    seen: HashSet<BlsSignature>,
    txs: Vec<ConstrainedTx>,
}

/// The constraints of one slot, as a build needs them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotConstraints {
    /// Every constrained transaction over all relays, each once, in arrival order.
    pub all: Vec<ConstrainedTx>,
    /// For each relay (by index), the hashes it constrained, in arrival order.
    pub per_relay: Vec<Vec<B256>>,
}

impl SlotConstraints {
    /// No relay constrained anything.
    pub fn is_empty(&self) -> bool {
        self.all.is_empty()
    }
}

/// Verified constraints and delegations, per slot and relay.
#[derive(Debug)]
pub struct ConstraintBook {
    relays: usize,
    slots: BTreeMap<Slot, Vec<RelaySlot>>,
}

impl ConstraintBook {
    /// An empty book for `relays` relays.
    pub fn new(relays: usize) -> Self {
        Self {
            relays,
            slots: BTreeMap::new(),
        }
    }

    fn entry(&mut self, relay: usize, slot: Slot) -> Option<&mut RelaySlot> {
        if relay >= self.relays {
            return None;
        }
        let relays = self.relays;
        self.slots
            .entry(slot)
            .or_insert_with(|| (0..relays).map(|_| RelaySlot::default()).collect())
            .get_mut(relay)
    }

    /// The delegate keys verified for `relay`'s `slot`.
    pub fn delegates(&self, relay: usize, slot: Slot) -> Vec<BlsPublicKey> {
        self.slots
            .get(&slot)
            .and_then(|r| r.get(relay))
            .map(|r| r.delegates.clone())
            .unwrap_or_default()
    }

    /// Adds verified delegate keys (from [`crate::verify::verify_delegations`]).
    pub fn add_delegates(&mut self, relay: usize, slot: Slot, keys: &[BlsPublicKey]) {
        if let Some(entry) = self.entry(relay, slot) {
            for key in keys {
                if !entry.delegates.contains(key)
                    && entry.delegates.len() < crate::verify::MAX_DELEGATIONS_PER_SLOT
                {
                    entry.delegates.push(*key);
                }
            }
        }
    }

    /// Adds a verified message `relay` served. All or nothing: over a bound, nothing is
    /// stored.
    pub fn add(&mut self, relay: usize, verified: VerifiedConstraints) -> Added {
        let Some(entry) = self.entry(relay, verified.slot) else {
            return Added::Full;
        };
        if entry.seen.contains(&verified.signature) {
            return Added::Known;
        }
        if entry.seen.len() >= MAX_MESSAGES_PER_SLOT {
            return Added::Full;
        }
        let known: HashSet<B256> = entry.txs.iter().map(|t| t.hash).collect();
        let mut fresh: Vec<ConstrainedTx> = Vec::new();
        for tx in verified.txs {
            if !known.contains(&tx.hash) && !fresh.iter().any(|f| f.hash == tx.hash) {
                fresh.push(tx);
            }
        }
        if entry.txs.len() + fresh.len() > MAX_CONSTRAINTS_PER_SLOT {
            return Added::Full;
        }
        entry.seen.insert(verified.signature);
        if fresh.is_empty() {
            return Added::Known;
        }
        let count = fresh.len();
        entry.txs.extend(fresh);
        Added::New(count)
    }

    /// The slot's constraints over every relay.
    pub fn slot(&self, slot: Slot) -> SlotConstraints {
        let Some(relays) = self.slots.get(&slot) else {
            return SlotConstraints {
                all: Vec::new(),
                per_relay: vec![Vec::new(); self.relays],
            };
        };
        let mut all: Vec<ConstrainedTx> = Vec::new();
        let mut seen = HashSet::new();
        let mut per_relay = Vec::with_capacity(relays.len());
        for relay in relays {
            per_relay.push(relay.txs.iter().map(|t| t.hash).collect());
            for tx in &relay.txs {
                if seen.insert(tx.hash) {
                    all.push(tx.clone());
                }
            }
        }
        SlotConstraints { all, per_relay }
    }

    /// Forgets slots before `slot`.
    pub fn prune_before(&mut self, slot: Slot) {
        self.slots = self.slots.split_off(&slot);
    }

    /// Slots held.
    pub fn slots(&self) -> usize {
        self.slots.len()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Bytes;

    use super::*;

    fn tx(tag: u8) -> ConstrainedTx {
        ConstrainedTx {
            hash: B256::repeat_byte(tag),
            raw: Bytes::from(vec![tag]),
            canonical: Bytes::from(vec![tag]),
        }
    }

    fn message(slot: u64, sig: u8, txs: &[u8]) -> VerifiedConstraints {
        VerifiedConstraints {
            slot: Slot(slot),
            signer: BlsPublicKey([1; 48]),
            signature: BlsSignature([sig; 96]),
            txs: txs.iter().map(|&t| tx(t)).collect(),
        }
    }

    #[test]
    fn per_relay_sets_union_dedupe_and_prune() {
        let mut book = ConstraintBook::new(2);
        assert_eq!(book.add(0, message(5, 1, &[1, 2, 1])), Added::New(2));
        assert_eq!(
            book.add(0, message(5, 1, &[1, 2])),
            Added::Known,
            "same message"
        );
        assert_eq!(book.add(0, message(5, 2, &[2])), Added::Known, "known tx");
        assert_eq!(book.add(1, message(5, 3, &[2, 3])), Added::New(2));
        assert_eq!(book.add(2, message(5, 4, &[4])), Added::Full, "no relay 2");
        let slot = book.slot(Slot(5));
        assert_eq!(
            slot.all.iter().map(|t| t.hash[0]).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(
            slot.per_relay[0],
            vec![B256::repeat_byte(1), B256::repeat_byte(2)]
        );
        assert_eq!(
            slot.per_relay[1],
            vec![B256::repeat_byte(2), B256::repeat_byte(3)]
        );
        assert!(book.slot(Slot(6)).is_empty());
        assert_eq!(book.slot(Slot(6)).per_relay.len(), 2);

        book.add_delegates(1, Slot(5), &[BlsPublicKey([7; 48]), BlsPublicKey([7; 48])]);
        assert_eq!(book.delegates(1, Slot(5)), vec![BlsPublicKey([7; 48])]);
        assert!(book.delegates(0, Slot(5)).is_empty());

        book.prune_before(Slot(6));
        assert!(book.slot(Slot(5)).is_empty());
        assert_eq!(book.slots(), 0);
    }

    #[test]
    fn a_slot_holds_at_most_the_protocol_limit() {
        let mut book = ConstraintBook::new(1);
        let many: Vec<ConstrainedTx> = (0..MAX_CONSTRAINTS_PER_SLOT as u64)
            .map(|i| ConstrainedTx {
                hash: B256::left_padding_from(&(i + 1000).to_be_bytes()),
                raw: Bytes::new(),
                canonical: Bytes::new(),
            })
            .collect();
        let mut full = message(9, 1, &[]);
        full.txs = many;
        assert_eq!(book.add(0, full), Added::New(MAX_CONSTRAINTS_PER_SLOT));
        assert_eq!(book.add(0, message(9, 2, &[1])), Added::Full);
        assert_eq!(book.slot(Slot(9)).all.len(), MAX_CONSTRAINTS_PER_SLOT);
        // A refused message is not remembered as seen: nothing was stored.
        assert_eq!(book.add(0, message(9, 2, &[1])), Added::Full);
    }
}
