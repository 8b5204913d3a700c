//! Delegations and constraints per slot (step ④, relay side), holding only verified
//! messages. Each constrained transaction is kept with its canonical bytes, hash and SSZ
//! leaf, so checking a block's proof (step ⑤) never re-decodes or re-hashes them.

use std::{
    collections::{BTreeMap, HashSet},
    sync::{Arc, RwLock},
};

use alloy_primitives::{B256, Bytes};
use baton_preconf::{
    BlsPublicKey, Slot,
    constraints::{MAX_CONSTRAINTS_PER_SLOT, SignedConstraints, SignedDelegation},
};
use tokio::sync::broadcast;

/// One transaction a slot's block must include.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstrainedTx {
    /// keccak256 of the canonical encoding.
    pub hash: B256,
    /// The canonical EIP-2718 encoding (type 3 without blobs): what the block carries.
    pub canonical: Bytes,
    /// Its SSZ leaf in a payload's transactions tree.
    pub leaf: B256,
}

#[derive(Debug, Default)]
struct SlotConstraints {
    delegations: Vec<Arc<SignedDelegation>>,
    messages: Vec<Arc<SignedConstraints>>,
    txs: Arc<Vec<ConstrainedTx>>,
}

/// What adding constraints did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Stored; the slot now has this many constrained transactions.
    Stored {
        /// Constrained transactions in force.
        total: usize,
    },
    /// Over the per-slot limit; nothing stored.
    TooMany {
        /// What the count would have been.
        count: usize,
    },
}

/// The constraints store.
#[derive(Debug)]
pub struct ConstraintStore {
    slots: RwLock<BTreeMap<Slot, SlotConstraints>>,
    stream: broadcast::Sender<Arc<SignedConstraints>>,
}

impl Default for ConstraintStore {
    fn default() -> Self {
        Self {
            slots: RwLock::new(BTreeMap::new()),
            stream: broadcast::channel(1024).0,
        }
    }
}

impl ConstraintStore {
    /// Keys that hold a delegation from `proposer` for `slot`.
    pub fn delegates(&self, slot: Slot, proposer: &BlsPublicKey) -> Vec<BlsPublicKey> {
        self.slots
            .read()
            .ok()
            .and_then(|s| {
                s.get(&slot).map(|c| {
                    c.delegations
                        .iter()
                        .filter(|d| d.message.proposer == *proposer)
                        .map(|d| d.message.delegate)
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// Stores a verified delegation; `false` if it was already stored.
    pub fn add_delegation(&self, delegation: SignedDelegation) -> bool {
        let Ok(mut slots) = self.slots.write() else {
            return false;
        };
        let entry = slots.entry(delegation.message.slot).or_default();
        if entry.delegations.iter().any(|d| **d == delegation) {
            return false;
        }
        entry.delegations.push(Arc::new(delegation));
        true
    }

    /// Stores verified constraints messages of one slot with their decoded transactions,
    /// all or nothing. Messages already stored are skipped; transactions already
    /// constrained are not counted twice.
    pub fn add(
        &self,
        slot: Slot,
        messages: Vec<SignedConstraints>,
        txs: Vec<ConstrainedTx>,
    ) -> Added {
        let Ok(mut slots) = self.slots.write() else {
            return Added::TooMany { count: usize::MAX };
        };
        let entry = slots.entry(slot).or_default();
        let mut known: HashSet<B256> = entry.txs.iter().map(|t| t.hash).collect();
        let mut merged: Vec<ConstrainedTx> = entry.txs.as_ref().clone();
        for tx in txs {
            if known.insert(tx.hash) {
                merged.push(tx);
            }
        }
        if merged.len() > MAX_CONSTRAINTS_PER_SLOT {
            return Added::TooMany {
                count: merged.len(),
            };
        }
        let total = merged.len();
        entry.txs = Arc::new(merged);
        for message in messages {
            if entry.messages.iter().any(|m| **m == message) {
                continue;
            }
            let message = Arc::new(message);
            entry.messages.push(message.clone());
            // No subscriber is fine: the stream is best effort, `GET constraints` is not.
            let _ = self.stream.send(message);
        }
        Added::Stored { total }
    }

    /// The transactions `slot`'s block must include.
    pub fn constrained(&self, slot: Slot) -> Arc<Vec<ConstrainedTx>> {
        self.slots
            .read()
            .ok()
            .and_then(|s| s.get(&slot).map(|c| c.txs.clone()))
            .unwrap_or_default()
    }

    /// The stored messages of `slot`.
    pub fn messages(&self, slot: Slot) -> Vec<Arc<SignedConstraints>> {
        self.slots
            .read()
            .ok()
            .and_then(|s| s.get(&slot).map(|c| c.messages.clone()))
            .unwrap_or_default()
    }

    /// The stored delegations of `slot`.
    pub fn delegations(&self, slot: Slot) -> Vec<Arc<SignedDelegation>> {
        self.slots
            .read()
            .ok()
            .and_then(|s| s.get(&slot).map(|c| c.delegations.clone()))
            .unwrap_or_default()
    }

    /// Slots with anything stored.
    pub fn slots(&self) -> Vec<Slot> {
        self.slots
            .read()
            .map(|s| s.keys().copied().collect())
            .unwrap_or_default()
    }

    /// New constraints messages as they are stored (the SSE stream).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<SignedConstraints>> {
        self.stream.subscribe()
    }

    /// Forgets slots before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut slots) = self.slots.write() {
            *slots = slots.split_off(&slot);
        }
    }
}

#[cfg(test)]
mod tests {
    use baton_preconf::constraints::ConstraintsMessage;

    use super::*;

    fn message(slot: u64, tag: u8) -> SignedConstraints {
        SignedConstraints {
            message: ConstraintsMessage {
                proposer: BlsPublicKey([1; 48]),
                delegate: BlsPublicKey([2; 48]),
                slot: Slot(slot),
                constraints: vec![],
                receivers: vec![],
            },
            signature: baton_preconf::BlsSignature([tag; 96]),
        }
    }

    fn tx(tag: u8) -> ConstrainedTx {
        ConstrainedTx {
            hash: B256::repeat_byte(tag),
            canonical: Bytes::from(vec![tag]),
            leaf: B256::ZERO,
        }
    }

    #[test]
    fn dedupes_bounds_and_streams() {
        let store = ConstraintStore::default();
        let mut stream = store.subscribe();
        assert_eq!(
            store.add(Slot(3), vec![message(3, 1)], vec![tx(1), tx(2), tx(1)]),
            Added::Stored { total: 2 }
        );
        assert_eq!(
            store.add(Slot(3), vec![message(3, 1)], vec![tx(2)]),
            Added::Stored { total: 2 }
        );
        assert_eq!(store.messages(Slot(3)).len(), 1);
        assert_eq!(stream.try_recv().map(|m| m.message.slot), Ok(Slot(3)));
        assert!(stream.try_recv().is_err(), "a duplicate is not streamed");

        let many: Vec<ConstrainedTx> = (0..=MAX_CONSTRAINTS_PER_SLOT)
            .map(|i| ConstrainedTx {
                hash: B256::left_padding_from(&(i as u64 + 1000).to_be_bytes()),
                canonical: Bytes::new(),
                leaf: B256::ZERO,
            })
            .collect();
        assert!(matches!(
            store.add(Slot(3), vec![message(3, 2)], many),
            Added::TooMany { .. }
        ));
        assert_eq!(store.constrained(Slot(3)).len(), 2, "nothing stored");
        assert_eq!(store.messages(Slot(3)).len(), 1);
        store.prune_before(Slot(4));
        assert!(store.constrained(Slot(3)).is_empty());
    }
}
