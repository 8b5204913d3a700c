//! The soft side of the node (step ⑧): promised placements waiting for their slot, and
//! each one's verdict once L1 decided the slot. A broken promise is a divergence.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use alloy::primitives::{B256, keccak256};
use serde::Serialize;

use crate::{
    chain_spec::ChainSpec,
    derive::{BlockBatches, Divergence, L1BlockRef, Promise, SlotFate, judge},
    types::{Position, RollupId, Slot},
};

/// Most promises waiting for their slot.
pub const MAX_PENDING_PROMISES: usize = 100_000;
/// Verdicts kept for queries (oldest dropped first).
const JUDGED_KEPT: usize = 4_096;
/// Decided slots remembered, to judge promises that arrive after their slot.
const SLOTS_KEPT: usize = 256;

/// A promise was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromiseError {
    /// [`MAX_PENDING_PROMISES`] are already waiting.
    #[error("{max} promises are already pending", max = MAX_PENDING_PROMISES)]
    Full,
    /// The slot was decided before the node's memory of slots begins.
    #[error("slot {slot} was decided too long ago to judge")]
    TooOld {
        /// The slot.
        slot: Slot,
    },
}

/// A promise with L1's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Judged {
    /// The promise.
    pub promise: Promise,
    /// `None`: honoured; otherwise how it was broken.
    pub divergence: Option<Divergence>,
    /// The L1 block that decided it (the slot's block, or the first block after a
    /// missed slot).
    pub decided_by: L1BlockRef,
}

/// What L1 decided for a slot. Only landed slots are stored; a slot between two stored
/// ones that is absent was missed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SlotRecord {
    /// `Some`: the slot's block; `None`: missed.
    landed: Option<L1BlockRef>,
    /// The block that decided the slot.
    decided_by: L1BlockRef,
    /// Transaction hashes of each followed rollup's canonical batch.
    batches: BTreeMap<RollupId, Vec<B256>>,
}

type Key = (Slot, RollupId, Position, B256);

impl SlotRecord {
    const fn missed(decided_by: L1BlockRef) -> Self {
        Self {
            landed: None,
            decided_by,
            batches: BTreeMap::new(),
        }
    }
}

/// Pending promises, decided slots and verdicts.
#[derive(Debug, Default)]
pub(crate) struct PromiseBook {
    pending: BTreeMap<Key, Promise>,
    slots: BTreeMap<Slot, SlotRecord>,
    /// The newest decided slot.
    decided_upto: Option<Slot>,
    judged: VecDeque<Judged>,
}

impl PromiseBook {
    fn verdict(promise: Promise, record: &SlotRecord) -> Judged {
        let fate = match record.landed {
            None => SlotFate::Missed,
            Some(_) => SlotFate::Landed(record.batches.get(&promise.rollup_id).map(Vec::as_slice)),
        };
        Judged {
            promise,
            divergence: judge(&promise, fate).err(),
            decided_by: record.decided_by,
        }
    }

    fn remember(&mut self, judged: Judged) {
        if self.judged.len() == JUDGED_KEPT {
            self.judged.pop_front();
        }
        self.judged.push_back(judged);
    }

    /// Adds a promise; judges it at once when its slot is already decided.
    pub(crate) fn add(&mut self, promise: Promise) -> Result<Option<Judged>, PromiseError> {
        if self.decided_upto.is_some_and(|upto| promise.slot <= upto) {
            let too_old = PromiseError::TooOld { slot: promise.slot };
            let oldest = self.slots.keys().next().copied().ok_or(too_old.clone())?;
            if promise.slot < oldest {
                return Err(too_old);
            }
            let judged = match self.slots.get(&promise.slot) {
                Some(record) => Self::verdict(promise, record),
                None => {
                    // Missed: decided by the first block after it.
                    let (_, next) = self.slots.range(promise.slot..).next().ok_or(too_old)?;
                    Self::verdict(promise, &SlotRecord::missed(next.decided_by))
                }
            };
            self.remember(judged);
            return Ok(Some(judged));
        }
        if self.pending.len() >= MAX_PENDING_PROMISES {
            return Err(PromiseError::Full);
        }
        let key = (
            promise.slot,
            promise.rollup_id,
            promise.position,
            promise.tx_hash,
        );
        self.pending.insert(key, promise);
        Ok(None)
    }

    /// Records a derived L1 block and judges every waiting promise of the slots it decides:
    /// its own slot (landed) and the earlier ones (missed). `first` is true for the first
    /// block the node derives: promises for slots before it predate the node and are
    /// dropped unjudged.
    pub(crate) fn record_block(
        &mut self,
        first: bool,
        batches: &BlockBatches,
        followed: &BTreeSet<RollupId>,
    ) -> Vec<Judged> {
        let block = batches.block;
        let Some(slot) = batches.slot else {
            return Vec::new();
        };
        let record = SlotRecord {
            landed: Some(block),
            decided_by: block,
            batches: batches
                .batches
                .iter()
                .filter(|(id, _)| followed.contains(id))
                .map(|(id, b)| (*id, b.txs.iter().map(keccak256).collect()))
                .collect(),
        };
        let missed = SlotRecord::missed(block);
        let keys: Vec<Key> = self
            .pending
            .range(
                ..=(
                    slot,
                    RollupId(u64::MAX),
                    Position(u64::MAX),
                    B256::repeat_byte(0xff),
                ),
            )
            .map(|(k, _)| *k)
            .collect();
        let mut out = Vec::with_capacity(keys.len());
        for key in keys {
            let Some(promise) = self.pending.remove(&key) else {
                continue;
            };
            if key.0 < slot && first {
                continue;
            }
            let judged = Self::verdict(promise, if key.0 == slot { &record } else { &missed });
            self.remember(judged);
            out.push(judged);
        }
        self.slots.insert(slot, record);
        while self.slots.len() > SLOTS_KEPT {
            self.slots.pop_first();
        }
        self.decided_upto = Some(self.decided_upto.map_or(slot, |u| u.max(slot)));
        out
    }

    /// Undoes every decision made by blocks above `fork` (an L1 reorg): their promises wait
    /// again for the new branch.
    pub(crate) fn rewind(&mut self, fork: &L1BlockRef, spec: &ChainSpec) {
        self.slots.retain(|_, r| r.decided_by.number <= fork.number);
        let mut kept = VecDeque::with_capacity(self.judged.len());
        for judged in self.judged.drain(..) {
            if judged.decided_by.number > fork.number {
                let p = judged.promise;
                self.pending
                    .insert((p.slot, p.rollup_id, p.position, p.tx_hash), p);
            } else {
                kept.push_back(judged);
            }
        }
        self.judged = kept;
        self.decided_upto = spec.slot_at(fork.timestamp);
    }

    /// Promises of `rollup` still waiting, by slot and position.
    pub(crate) fn pending_for(&self, rollup: RollupId) -> Vec<Promise> {
        self.pending
            .values()
            .filter(|p| p.rollup_id == rollup)
            .copied()
            .collect()
    }

    /// The verdicts kept, oldest first.
    pub(crate) fn judged(&self) -> Vec<Judged> {
        self.judged.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{Address, Bytes, keccak256};

    use super::*;
    use crate::derive::CanonicalBatch;

    fn spec() -> ChainSpec {
        ChainSpec::devnet(1, 1_000)
    }

    fn block(number: u64, slot: u64) -> L1BlockRef {
        L1BlockRef {
            number,
            hash: B256::repeat_byte(number as u8),
            parent_hash: B256::repeat_byte(number as u8 - 1),
            timestamp: spec().slot_timestamp(Slot(slot)),
        }
    }

    fn batches(block: L1BlockRef, txs: &[&'static [u8]]) -> BlockBatches {
        let slot = spec().slot_at(block.timestamp).unwrap();
        let mut map = BTreeMap::new();
        if !txs.is_empty() {
            map.insert(
                RollupId(1),
                CanonicalBatch {
                    rollup_id: RollupId(1),
                    slot,
                    submitter: Address::ZERO,
                    root: B256::ZERO,
                    txs: txs.iter().map(|t| Bytes::from_static(t)).collect(),
                    log_index: 0,
                },
            );
        }
        BlockBatches {
            block,
            slot: Some(slot),
            batches: map,
            skipped: vec![],
        }
    }

    fn promise(slot: u64, position: u64, tx: &[u8]) -> Promise {
        Promise {
            request_id: B256::ZERO,
            committer: Address::ZERO,
            slot: Slot(slot),
            rollup_id: RollupId(1),
            position: Position(position),
            tx_hash: keccak256(tx),
        }
    }

    #[test]
    fn judges_landed_missed_and_late_promises_and_undoes_on_reorg() {
        let spec = spec();
        let followed = BTreeSet::from([RollupId(1)]);
        let mut book = PromiseBook::default();
        assert_eq!(book.add(promise(2, 0, b"a")), Ok(None));
        assert_eq!(book.add(promise(3, 0, b"b")), Ok(None));
        assert_eq!(book.add(promise(4, 1, b"c")), Ok(None));
        assert_eq!(book.pending_for(RollupId(1)).len(), 3);

        let b1 = block(1, 2);
        let j = book.record_block(true, &batches(b1, &[b"a"]), &followed);
        assert_eq!(j.len(), 1);
        assert_eq!(j[0].divergence, None);
        // Slot 3 missed, slot 4 lands without the promised position.
        let b2 = block(2, 4);
        let j = book.record_block(false, &batches(b2, &[b"x"]), &followed);
        let got: Vec<_> = j.iter().map(|j| (j.promise.slot, j.divergence)).collect();
        assert_eq!(
            got,
            vec![
                (Slot(3), Some(Divergence::SlotMissed)),
                (Slot(4), Some(Divergence::PositionEmpty { count: 1 }))
            ]
        );
        // A late promise for a decided slot is judged at once.
        let late = book.add(promise(4, 0, b"x")).unwrap().unwrap();
        assert_eq!(late.divergence, None);
        // A late promise for the missed slot 3 is judged missed.
        assert_eq!(
            book.add(promise(3, 5, b"y")).unwrap().unwrap().divergence,
            Some(Divergence::SlotMissed)
        );
        assert_eq!(
            book.add(promise(1, 0, b"x")),
            Err(PromiseError::TooOld { slot: Slot(1) })
        );

        // Reorg back to b1: slots 3 and 4 are undecided again.
        book.rewind(&b1, &spec);
        assert_eq!(book.pending_for(RollupId(1)).len(), 4);
        let b2 = block(2, 3);
        let j = book.record_block(false, &batches(b2, &[b"b"]), &followed);
        assert_eq!(j.len(), 2);
        assert!(j.iter().all(|j| j.promise.slot == Slot(3)));
        assert_eq!(j[0].divergence, None);
        assert_eq!(
            j[1].divergence,
            Some(Divergence::PositionEmpty { count: 1 })
        );
        assert_eq!(book.judged().len(), 3);
    }
}
