//! The L1 blocks derivation has read, so a reorg can be found and undone (step ⑧;
//! `docs/derivation.md`, "Missed slots" and "L1 reorgs").

use std::collections::VecDeque;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use super::canonical::L1BlockRef;
use crate::{chain_spec::ChainSpec, types::Slot};

/// How far back a reorg is followed by default: two epochs of mainnet slots, past which
/// an L1 block is finalized and cannot reorg.
pub const DEFAULT_REORG_WINDOW: usize = 64;

/// A block does not extend the window.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The block's parent is not the window's tip.
    #[error(
        "block {number} (parent {parent_hash}) does not extend the tip {tip_number} ({tip_hash})"
    )]
    NotChild {
        /// The block's number.
        number: u64,
        /// Its parent hash.
        parent_hash: B256,
        /// The tip's number.
        tip_number: u64,
        /// The tip's hash.
        tip_hash: B256,
    },
    /// A rewind below the oldest block kept: the reorg is deeper than the window.
    #[error("cannot rewind to block {to}: the window starts at block {oldest}")]
    BelowWindow {
        /// Block rewound to.
        to: u64,
        /// Oldest block kept.
        oldest: u64,
    },
}

/// The last `capacity` L1 blocks read, each with what derivation made of it, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Window<T> {
    blocks: VecDeque<(L1BlockRef, T)>,
    capacity: usize,
}

impl<T> L1Window<T> {
    /// An empty window keeping at most `capacity` blocks (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            blocks: VecDeque::with_capacity(capacity.clamp(1, 1 << 16)),
            capacity: capacity.max(1),
        }
    }

    /// The newest block.
    pub fn tip(&self) -> Option<&(L1BlockRef, T)> {
        self.blocks.back()
    }

    /// The oldest block kept.
    pub fn oldest(&self) -> Option<&L1BlockRef> {
        self.blocks.front().map(|(block, _)| block)
    }

    /// Block `number`, if kept.
    pub fn get(&self, number: u64) -> Option<&(L1BlockRef, T)> {
        let first = self.oldest()?.number;
        let index = usize::try_from(number.checked_sub(first)?).ok()?;
        self.blocks.get(index)
    }

    /// Kept blocks, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &(L1BlockRef, T)> {
        self.blocks.iter()
    }

    /// Appends the tip's child (any block when empty); the oldest block falls out when full.
    pub fn push(&mut self, block: L1BlockRef, value: T) -> Result<(), ChainError> {
        if let Some((tip, _)) = self.blocks.back()
            && (block.parent_hash != tip.hash || block.number != tip.number + 1)
        {
            return Err(ChainError::NotChild {
                number: block.number,
                parent_hash: block.parent_hash,
                tip_number: tip.number,
                tip_hash: tip.hash,
            });
        }
        if self.blocks.len() == self.capacity {
            self.blocks.pop_front();
        }
        self.blocks.push_back((block, value));
        Ok(())
    }

    /// Drops every block above `number` (the fork point: the newest block still
    /// canonical), newest first in the result.
    pub fn rewind_to(&mut self, number: u64) -> Result<Vec<(L1BlockRef, T)>, ChainError> {
        if let Some(oldest) = self.oldest().map(|b| b.number)
            && number < oldest
        {
            return Err(ChainError::BelowWindow { to: number, oldest });
        }
        let mut dropped = Vec::new();
        while self.blocks.back().is_some_and(|(b, _)| b.number > number) {
            if let Some(entry) = self.blocks.pop_back() {
                dropped.push(entry);
            }
        }
        Ok(dropped)
    }
}

/// Slots `start..end` (end exclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotRange {
    /// First slot.
    pub start: Slot,
    /// One past the last slot.
    pub end: Slot,
}

impl SlotRange {
    /// Whether `slot` is in the range.
    pub const fn contains(&self, slot: Slot) -> bool {
        self.start.0 <= slot.0 && slot.0 < self.end.0
    }

    /// Whether the range is empty.
    pub const fn is_empty(&self) -> bool {
        self.start.0 >= self.end.0
    }
}

/// The slots between two consecutive L1 blocks that have no block: missed slots.
pub fn missed_slots(spec: &ChainSpec, parent: &L1BlockRef, child: &L1BlockRef) -> SlotRange {
    let after = spec.slot_at(parent.timestamp).map_or(0, |s| s.0 + 1);
    let upto = spec.slot_at(child.timestamp).map_or(0, |s| s.0);
    SlotRange {
        start: Slot(after),
        end: Slot(upto.max(after)),
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, Bytes, keccak256};
    use proptest::prelude::*;

    use super::*;
    use crate::{
        batch::batch_root,
        derive::{
            canonical::{BlockBatches, Sequencer, canonical_batches},
            event::{BatchCandidate, InboxLog, tests::inbox_log},
        },
        types::RollupId,
    };

    const INBOX: Address = Address::repeat_byte(0x1b);

    fn spec() -> ChainSpec {
        ChainSpec::devnet(1, 1_000)
    }

    /// A scripted L1 block: which slots it skips before it, and its batches as
    /// (rollup, submitter) pairs.
    type Script = (u64, Vec<(u64, u8)>);

    /// Builds blocks following `parent` (or genesis), with hashes that depend on the
    /// branch, so two branches never share a block above their fork point.
    fn build(
        parent: Option<L1BlockRef>,
        branch: u8,
        script: &[Script],
    ) -> Vec<(L1BlockRef, Vec<InboxLog>)> {
        let spec = spec();
        let mut parent = parent.unwrap_or(L1BlockRef {
            number: 0,
            hash: B256::ZERO,
            parent_hash: B256::ZERO,
            timestamp: spec.genesis_time,
        });
        let mut out = Vec::new();
        for (skip, batches) in script {
            let slot = spec.slot_at(parent.timestamp).unwrap_or_default().0 + 1 + skip;
            let number = parent.number + 1;
            let block = L1BlockRef {
                number,
                hash: keccak256([&number.to_be_bytes()[..], &[branch]].concat()),
                parent_hash: parent.hash,
                timestamp: spec.slot_timestamp(Slot(slot)),
            };
            let logs = batches
                .iter()
                .enumerate()
                .map(|(i, &(rollup, submitter))| {
                    let txs = vec![Bytes::from(vec![branch, submitter, i as u8])];
                    let candidate = BatchCandidate {
                        rollup_id: RollupId(rollup),
                        slot: Slot(slot),
                        submitter: Address::repeat_byte(submitter),
                        root: batch_root(&[keccak256(&txs[0])]).unwrap_or_default(),
                        txs,
                        log_index: i as u64,
                    };
                    inbox_log(INBOX, &candidate)
                })
                .collect();
            out.push((block, logs));
            parent = block;
        }
        out
    }

    /// Submitter 1 is the committer of even slots; odd slots are open.
    fn derive_into(window: &mut L1Window<BlockBatches>, blocks: &[(L1BlockRef, Vec<InboxLog>)]) {
        let spec = spec();
        for (block, logs) in blocks {
            let slot = spec.slot_at(block.timestamp).unwrap_or_default();
            let sequencer = if slot.0.is_multiple_of(2) {
                Sequencer::Committer(Address::repeat_byte(1))
            } else {
                Sequencer::Open
            };
            let batches = canonical_batches(&spec, INBOX, *block, sequencer, logs);
            window.push(*block, batches).unwrap();
        }
    }

    fn arb_script() -> impl Strategy<Value = Vec<Script>> {
        proptest::collection::vec(
            (
                0u64..3,
                proptest::collection::vec((1u64..=2, 1u8..=3), 0..4),
            ),
            1..12,
        )
    }

    #[test]
    fn push_checks_the_parent_and_rewind_checks_the_window() {
        let blocks = build(None, 0, &[(0, vec![]), (1, vec![]), (0, vec![])]);
        let mut window = L1Window::new(2);
        window.push(blocks[0].0, ()).unwrap();
        assert!(matches!(
            window.push(blocks[2].0, ()),
            Err(ChainError::NotChild { number: 3, .. })
        ));
        window.push(blocks[1].0, ()).unwrap();
        window.push(blocks[2].0, ()).unwrap();
        assert_eq!(window.oldest().map(|b| b.number), Some(2));
        assert_eq!(window.get(3).map(|(b, _)| b.hash), Some(blocks[2].0.hash));
        assert_eq!(
            window.rewind_to(1),
            Err(ChainError::BelowWindow { to: 1, oldest: 2 })
        );
        assert_eq!(window.rewind_to(2).unwrap().len(), 1);
        assert_eq!(window.tip().map(|(b, _)| b.number), Some(2));
    }

    #[test]
    fn missed_slots_between_blocks() {
        let blocks = build(None, 0, &[(0, vec![]), (2, vec![]), (0, vec![])]);
        let spec = spec();
        // Slots 1, then 4 (2 and 3 missed), then 5.
        let missed = missed_slots(&spec, &blocks[0].0, &blocks[1].0);
        assert_eq!(
            missed,
            SlotRange {
                start: Slot(2),
                end: Slot(4)
            }
        );
        assert!(missed.contains(Slot(3)) && !missed.contains(Slot(4)));
        assert!(missed_slots(&spec, &blocks[1].0, &blocks[2].0).is_empty());
    }

    proptest! {
        /// Deriving a history, reorging at any fork point and deriving the new branch gives
        /// exactly what deriving the new branch's history from scratch gives.
        #[test]
        fn rederiving_from_the_fork_point_equals_deriving_afresh(
            first in arb_script(),
            second in arb_script(),
            keep in 0usize..12,
        ) {
            let a = build(None, 1, &first);
            let keep = keep.min(a.len());
            let fork = if keep == 0 { None } else { Some(a[keep - 1].0) };
            let b = build(fork, 2, &second);

            let mut followed = L1Window::new(64);
            derive_into(&mut followed, &a);
            if let Some(fork) = fork {
                let dropped = followed.rewind_to(fork.number).unwrap();
                prop_assert_eq!(dropped.len(), a.len() - keep);
            } else {
                followed = L1Window::new(64);
            }
            derive_into(&mut followed, &b);

            let mut fresh = L1Window::new(64);
            derive_into(&mut fresh, &a[..keep]);
            derive_into(&mut fresh, &b);
            prop_assert_eq!(followed, fresh);
        }
    }
}
