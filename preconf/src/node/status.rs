//! What the node serves (step ⑧): the derived L2 blocks, the safe head, the soft head,
//! and the events a watcher subscribes to.

use alloy::primitives::{Address, B256};
use serde::Serialize;

use super::promises::Judged;
use crate::{
    derive::{L1BlockRef, Promise, TxOutcome},
    types::{RollupId, Slot},
};

/// An L2 block the node built from a canonical batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DerivedL2Block {
    /// The rollup.
    pub rollup_id: RollupId,
    /// L2 block number.
    pub number: u64,
    /// L2 block hash.
    pub hash: B256,
    /// Its L1 origin: the block that carried the batch.
    pub l1: L1BlockRef,
    /// The slot (the L2 block's timestamp is the slot's start, `l1.timestamp`).
    pub slot: Slot,
    /// The canonical batch's root.
    pub batch_root: B256,
    /// Who submitted it.
    pub submitter: Address,
    /// Hashes of the included transactions, in block order.
    pub transactions: Vec<B256>,
    /// One outcome per batch position (included, or skipped with the reason).
    pub outcomes: Vec<TxOutcome>,
}

/// The L2 chain as derived from L1 so far.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SafeHead {
    /// The rollup.
    pub rollup_id: RollupId,
    /// Newest L2 block number (0: genesis, nothing derived yet).
    pub l2_number: u64,
    /// Its hash.
    pub l2_hash: B256,
    /// Its L1 origin (none at genesis).
    pub origin: Option<L1BlockRef>,
    /// The newest L1 block derived: the L2 chain is final with respect to every batch up
    /// to here.
    pub l1: Option<L1BlockRef>,
    /// Newest L2 block whose origin is at or below the L1 finalized block, if known.
    pub finalized_l2_number: Option<u64>,
}

/// The safe head plus what sidecars promised and L1 has not decided yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SoftHead {
    /// The safe head it builds on.
    pub safe: SafeHead,
    /// Promised placements waiting for their slot, by slot and position.
    pub pending: Vec<Promise>,
}

/// Something a watcher of the node wants to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum NodeEvent {
    /// An L2 block was derived.
    L2Block(DerivedL2Block),
    /// An L1 reorg: everything derived above `fork` was undone.
    Reorg {
        /// The newest L1 block still canonical.
        fork: L1BlockRef,
        /// L1 blocks undone.
        depth: u64,
    },
    /// A promise was judged; `divergence` set means L1 did not honour it.
    Promise(Judged),
}
