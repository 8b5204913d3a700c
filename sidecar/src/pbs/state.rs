//! What the block producer knows about each upcoming slot (steps ④–⑥): what it sealed and
//! constrained, the beacon node's payload attributes, the local fallback block, and every
//! header it served (so a signed blinded block is matched to its source).

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{
    BlsPublicKey, Slot,
    constraints::SignedConstraints,
    ssz::{
        ExecutionPayloadAndBlobsBundle, PayloadAttributes, SignedBuilderBidElectra,
        transaction_leaf,
    },
    transaction::decode_l1_transaction,
};
use tokio::sync::watch;

use crate::journal::SealRecord;

/// Slots kept behind the current one.
const KEEP_SLOTS: u64 = 4;
/// Most slots ahead the book holds (a beacon node announcing far-future slots is bounded).
const MAX_SLOTS_AHEAD: u64 = 64;
/// Most headers served per slot that are remembered.
const MAX_SERVED_PER_SLOT: usize = 16;

/// One transaction constrained for a slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstrainedTx {
    /// Its hash (of the canonical form).
    pub hash: B256,
    /// Its SSZ leaf in `transactions_root`.
    pub leaf: B256,
    /// The bytes sent to the execution client's pool (network form).
    pub raw: Bytes,
    /// Sender, nonce and worst-case cost: why it could not be included, if it was not.
    pub sender: Address,
    /// Sender nonce.
    pub nonce: u64,
    /// Worst-case cost (gas, blob gas, value).
    pub max_cost: U256,
}

impl ConstrainedTx {
    /// Decodes a raw (network-form) transaction; `None` if it does not decode.
    pub fn decode(raw: &Bytes) -> Option<Self> {
        let tx = decode_l1_transaction(raw).ok()?;
        Some(Self {
            hash: tx.hash,
            leaf: transaction_leaf(&tx.canonical),
            raw: raw.clone(),
            sender: tx.sender,
            nonce: tx.nonce,
            max_cost: tx.max_cost(),
        })
    }
}

/// A sealed slot: what every block for it must contain, and the constraints that say so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    /// The slot.
    pub slot: Slot,
    /// Its proposer.
    pub proposer: BlsPublicKey,
    /// Inclusion promises' transactions, then the batch transactions.
    pub constrained: Vec<ConstrainedTx>,
    /// The constraints sent to relays.
    pub constraints: Option<SignedConstraints>,
}

impl Sealed {
    /// From a journal seal record. A transaction that no longer decodes (it did when it
    /// was promised) is logged and left out: no block can carry it.
    pub fn from_record(record: &SealRecord) -> Self {
        let raws = record
            .inclusions
            .iter()
            .chain(record.batches.iter().map(|b| &b.tx));
        let constrained = raws
            .filter_map(|raw| {
                let tx = ConstrainedTx::decode(raw);
                if tx.is_none() {
                    tracing::error!(slot = record.slot.0, "a sealed transaction does not decode");
                }
                tx
            })
            .collect();
        Self {
            slot: record.slot,
            proposer: record.proposer,
            constrained,
            constraints: record.constraints.clone(),
        }
    }

    /// `(hash, leaf)` of every constrained transaction, for proof checks.
    pub fn leaves(&self) -> Vec<(B256, B256)> {
        self.constrained.iter().map(|c| (c.hash, c.leaf)).collect()
    }
}

/// A slot's payload attributes with the fee recipient the beacon node suggested.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotAttributes {
    /// The attributes.
    pub attributes: PayloadAttributes,
    /// `suggested_fee_recipient`.
    pub fee_recipient: Address,
}

/// The local block for a slot, built through the execution client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fallback {
    /// The parent it builds on.
    pub parent_hash: B256,
    /// The bid, signed with the delegate key.
    pub signed: SignedBuilderBidElectra,
    /// Its payload and blobs.
    pub contents: ExecutionPayloadAndBlobsBundle,
    /// Constrained transactions it does not carry (an alarm was raised for each).
    pub missing: Vec<B256>,
}

/// Where a served header came from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The relay at this index of the configuration.
    Relay(usize),
    /// Our fallback block.
    Fallback(Arc<Fallback>),
}

/// A header served for a slot.
#[derive(Debug, Clone)]
pub(crate) struct Served {
    /// The bid served.
    pub signed: SignedBuilderBidElectra,
    /// Where it came from.
    pub source: Source,
    /// The proposer it was served to.
    pub proposer: BlsPublicKey,
}

/// The fallback for a slot: being built for a parent, or done.
pub(crate) type FallbackWatch = watch::Receiver<Option<Arc<Fallback>>>;

#[derive(Debug, Default)]
struct SlotState {
    sealed: Option<Arc<Sealed>>,
    attributes: Option<Arc<SlotAttributes>>,
    fallback: Option<(B256, FallbackWatch)>,
    served: Vec<Served>,
}

/// Per-slot state, pruned as slots pass.
#[derive(Debug, Default)]
pub(crate) struct Book {
    slots: Mutex<BTreeMap<Slot, SlotState>>,
}

impl Book {
    fn with<T>(&self, slot: Slot, f: impl FnOnce(&mut SlotState) -> T) -> Option<T> {
        let mut slots = self.slots.lock().ok()?;
        Some(f(slots.entry(slot).or_default()))
    }

    fn read<T>(&self, slot: Slot, f: impl FnOnce(&SlotState) -> Option<T>) -> Option<T> {
        self.slots.lock().ok()?.get(&slot).and_then(f)
    }

    /// Forgets slots before `current - 4` and refuses to hold more than 64 ahead.
    pub(crate) fn prune(&self, current: Slot) {
        if let Ok(mut slots) = self.slots.lock() {
            *slots = slots.split_off(&Slot(current.0.saturating_sub(KEEP_SLOTS)));
            let _ = slots.split_off(&Slot(current.0.saturating_add(MAX_SLOTS_AHEAD)));
        }
    }

    /// Records a sealed slot.
    pub(crate) fn seal(&self, sealed: &Arc<Sealed>) {
        self.with(sealed.slot, |s| s.sealed = Some(sealed.clone()));
    }

    /// The sealed slot, if sealed.
    pub(crate) fn sealed(&self, slot: Slot) -> Option<Arc<Sealed>> {
        self.read(slot, |s| s.sealed.clone())
    }

    /// Records the slot's payload attributes (the latest announcement wins).
    pub(crate) fn set_attributes(&self, attributes: &Arc<SlotAttributes>) {
        let slot = attributes.attributes.proposal_slot;
        self.with(slot, |s| s.attributes = Some(attributes.clone()));
    }

    /// The slot's payload attributes.
    pub(crate) fn attributes(&self, slot: Slot) -> Option<Arc<SlotAttributes>> {
        self.read(slot, |s| s.attributes.clone())
    }

    /// Claims the fallback build of `slot` on `parent`: `Some(sender)` if nobody builds on
    /// that parent yet (the caller builds and sends the result), `None` otherwise.
    pub(crate) fn start_fallback(
        &self,
        slot: Slot,
        parent: B256,
    ) -> Option<watch::Sender<Option<Arc<Fallback>>>> {
        self.with(slot, |s| {
            if s.fallback.as_ref().is_some_and(|(p, _)| *p == parent) {
                return None;
            }
            let (tx, rx) = watch::channel(None);
            s.fallback = Some((parent, rx));
            Some(tx)
        })
        .flatten()
    }

    /// The fallback of `slot` on `parent` (built or being built).
    pub(crate) fn fallback(&self, slot: Slot, parent: B256) -> Option<FallbackWatch> {
        self.read(slot, |s| {
            s.fallback
                .as_ref()
                .filter(|(p, _)| *p == parent)
                .map(|(_, rx)| rx.clone())
        })
    }

    /// Records a header served for `slot`.
    pub(crate) fn served(&self, slot: Slot, served: Served) {
        self.with(slot, |s| {
            if s.served.len() >= MAX_SERVED_PER_SLOT {
                s.served.remove(0);
            }
            s.served.push(served);
        });
    }

    /// The header served for `slot` with this block hash.
    pub(crate) fn served_with_hash(&self, slot: Slot, block_hash: B256) -> Option<Served> {
        self.read(slot, |s| {
            s.served
                .iter()
                .rev()
                .find(|x| x.signed.message.header.block_hash == block_hash.0)
                .cloned()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fallback_is_built_once_per_parent_and_slots_are_pruned() {
        let book = Book::default();
        let first = book.start_fallback(Slot(5), B256::repeat_byte(1));
        assert!(first.is_some());
        assert!(book.start_fallback(Slot(5), B256::repeat_byte(1)).is_none());
        assert!(book.fallback(Slot(5), B256::repeat_byte(1)).is_some());
        assert!(book.fallback(Slot(5), B256::repeat_byte(2)).is_none());
        // A new parent (a reorg, or a late head) starts another build.
        assert!(book.start_fallback(Slot(5), B256::repeat_byte(2)).is_some());
        book.prune(Slot(20));
        assert!(book.fallback(Slot(5), B256::repeat_byte(2)).is_none());
        book.with(Slot(100), |_| ());
        book.prune(Slot(20));
        assert!(
            book.read(Slot(100), |_| Some(())).is_none(),
            "far ahead dropped"
        );
    }
}
