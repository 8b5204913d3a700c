//! Where a promise stands, from the evidence gathered for its slot (step ⑧ as a
//! watcher sees it). Pure: the callers fetch, this module judges.
//!
//! Per transaction: `promised` until the slot is sealed, `sealed` once the relay's
//! constraints for the slot hold it, then, after the slot, `included` or `broken`. A
//! promise combines its transactions (all included: included; any broken: broken; all at
//! least sealed: sealed), and the contracts override: a `Slasher` event naming its digest
//! makes it `slashed`, an open `InclusionDisputes` dispute `disputed`.

use std::collections::{HashMap, HashSet};

use alloy_primitives::{Address, B256};
use baton_preconf::{
    Commitment, CommitmentKind, Placement, RollupId,
    derive::{Divergence, Promise, SlotFate, judge},
};

use super::model::{ItemView, OnChain, PromiseStatus};

/// What happened in the promised slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotFact {
    /// The slot has not ended (no record yet).
    Open,
    /// No block.
    Missed,
    /// The slot's L1 block.
    Landed {
        /// Number.
        number: u64,
        /// Hash.
        hash: B256,
    },
}

/// Where an L1 transaction landed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Receipt {
    /// Its block.
    pub block_number: u64,
    /// Its block's hash.
    pub block_hash: B256,
}

/// A rollup's canonical batch in the slot's L1 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LandedBatch {
    /// Its transactions' batch hashes, in order.
    pub tx_hashes: Vec<B256>,
    /// The `submitBatch` transaction.
    pub l1_tx: Option<B256>,
}

/// Everything known about one slot.
#[derive(Debug, Clone, Default)]
pub(crate) struct Evidence {
    /// What happened in the slot (`Open` when unknown).
    pub slot: Option<SlotFact>,
    /// Whether the relay's constraints for the (open) slot were read.
    pub constraints_read: bool,
    /// Hashes of the L1 transactions in the slot's verified constraints.
    pub sealed_l1: HashSet<B256>,
    /// Batches in the slot's constraints: `(rollup, submitter)` → batch hashes in order.
    pub sealed_batches: HashMap<(RollupId, Address), Vec<B256>>,
    /// Hashes of the transactions in the slot's block, once it landed.
    pub slot_txs: HashSet<B256>,
    /// Receipts of the promised L1 transactions that are not in the slot's block and
    /// have one (they landed elsewhere).
    pub l1_receipts: HashMap<B256, Receipt>,
    /// Canonical batches in the slot's block, by rollup.
    pub landed_batches: HashMap<RollupId, LandedBatch>,
    /// Per rollup whose L2 is read: promised transactions' L2 receipt block numbers.
    pub l2_receipts: HashMap<RollupId, HashMap<B256, u64>>,
}

/// The verdict on one transaction.
fn verdict(status: PromiseStatus, reason: impl Into<String>) -> (PromiseStatus, String) {
    (status, reason.into())
}

fn judge_l1(hash: B256, ev: &Evidence) -> ItemView {
    let mut item = ItemView {
        tx_hash: hash,
        rollup_id: None,
        rollup: None,
        l2_chain_id: None,
        position: None,
        status: PromiseStatus::Promised,
        reason: String::new(),
        l1_tx: None,
        l1_block: None,
        l2_block: None,
    };
    let receipt = ev.l1_receipts.get(&hash);
    if let Some(r) = receipt {
        item.l1_tx = Some(hash);
        item.l1_block = Some(r.block_number);
    }
    if let Some(SlotFact::Landed { number, .. }) = ev.slot
        && ev.slot_txs.contains(&hash)
    {
        item.l1_tx = Some(hash);
        item.l1_block = Some(number);
    }
    (item.status, item.reason) = match (ev.slot.unwrap_or(SlotFact::Open), receipt) {
        (SlotFact::Open, _) if ev.sealed_l1.contains(&hash) => verdict(
            PromiseStatus::Sealed,
            "in the slot's constraints at the relay",
        ),
        (SlotFact::Open, _) if ev.constraints_read => {
            verdict(PromiseStatus::Promised, "not in the slot's constraints yet")
        }
        (SlotFact::Open, _) => verdict(PromiseStatus::Promised, "the slot has not come yet"),
        (SlotFact::Missed, _) => verdict(PromiseStatus::Broken, "the slot was missed"),
        (SlotFact::Landed { .. }, _) if ev.slot_txs.contains(&hash) => {
            verdict(PromiseStatus::Included, "in the slot's block")
        }
        (
            SlotFact::Landed {
                number,
                hash: block,
            },
            Some(r),
        ) if r.block_hash != block => verdict(
            PromiseStatus::Broken,
            format!(
                "landed in block {}, not the slot's block {number}",
                r.block_number
            ),
        ),
        (SlotFact::Landed { number, .. }, _) => verdict(
            PromiseStatus::Broken,
            format!("not in the slot's block {number}"),
        ),
    };
    item
}

fn judge_placement(c: &Commitment, p: &Placement, ev: &Evidence) -> ItemView {
    let mut item = ItemView {
        tx_hash: p.tx_hash,
        rollup_id: Some(p.rollup_id),
        rollup: None,
        l2_chain_id: None,
        position: Some(p.position),
        status: PromiseStatus::Promised,
        reason: String::new(),
        l1_tx: None,
        l1_block: None,
        l2_block: None,
    };
    let at_position = |hashes: &[B256]| {
        usize::try_from(p.position.0)
            .ok()
            .and_then(|i| hashes.get(i))
            == Some(&p.tx_hash)
    };
    let landed = match ev.slot.unwrap_or(SlotFact::Open) {
        SlotFact::Open => {
            let sealed = ev
                .sealed_batches
                .get(&(p.rollup_id, c.committer))
                .is_some_and(|hashes| at_position(hashes));
            (item.status, item.reason) = if sealed {
                verdict(PromiseStatus::Sealed, "at its position in the sealed batch")
            } else if ev.constraints_read {
                verdict(PromiseStatus::Promised, "no sealed batch holds it yet")
            } else {
                verdict(PromiseStatus::Promised, "the slot has not come yet")
            };
            return item;
        }
        SlotFact::Missed => SlotFate::Missed,
        SlotFact::Landed { number, .. } => {
            item.l1_block = Some(number);
            let batch = ev.landed_batches.get(&p.rollup_id);
            item.l1_tx = batch.and_then(|b| b.l1_tx);
            SlotFate::Landed(batch.map(|b| b.tx_hashes.as_slice()))
        }
    };
    let promise = Promise {
        request_id: c.request_id,
        committer: c.committer,
        slot: c.slot,
        rollup_id: p.rollup_id,
        position: p.position,
        tx_hash: p.tx_hash,
    };
    (item.status, item.reason) = match judge(&promise, landed) {
        Err(Divergence::SlotMissed) => verdict(PromiseStatus::Broken, "the slot was missed"),
        Err(Divergence::NoBatch) => verdict(
            PromiseStatus::Broken,
            "the slot's block has no canonical batch for the rollup",
        ),
        Err(Divergence::PositionEmpty { count }) => verdict(
            PromiseStatus::Broken,
            format!("the batch has {count} transactions; the position is empty"),
        ),
        Err(Divergence::OtherTransaction { actual }) => verdict(
            PromiseStatus::Broken,
            format!("the position holds {actual}"),
        ),
        Ok(()) => match ev.l2_receipts.get(&p.rollup_id) {
            None => verdict(
                PromiseStatus::Included,
                "at its position in the batch (no L2 RPC to read)",
            ),
            Some(receipts) => match receipts.get(&p.tx_hash) {
                Some(block) => {
                    item.l2_block = Some(*block);
                    verdict(PromiseStatus::Included, "at its position; L2 receipt found")
                }
                None => verdict(
                    PromiseStatus::Sealed,
                    "at its position in the landed batch; no L2 receipt yet",
                ),
            },
        },
    };
    item
}

/// Judges a (signature-checked) commitment against its slot's evidence and what the
/// contracts said about its digest. Returns the status, the reason and each item.
pub(crate) fn judge_commitment(
    c: &Commitment,
    ev: &Evidence,
    on_chain: &OnChain,
) -> (PromiseStatus, String, Vec<ItemView>) {
    let items: Vec<ItemView> = match c.kind {
        CommitmentKind::Inclusion => c.tx_hashes.iter().map(|h| judge_l1(*h, ev)).collect(),
        CommitmentKind::Sequencing => c
            .placements
            .iter()
            .map(|p| judge_placement(c, p, ev))
            .collect(),
    };
    if let Some(event) = on_chain.slash {
        return (PromiseStatus::Slashed, format!("{event} names it"), items);
    }
    if on_chain.dispute == Some("open") {
        return (
            PromiseStatus::Disputed,
            "an inclusion dispute is open".to_owned(),
            items,
        );
    }
    let of = |s: PromiseStatus| items.iter().filter(|i| i.status == s).count();
    let (status, reason) =
        if let Some(broken) = items.iter().find(|i| i.status == PromiseStatus::Broken) {
            (PromiseStatus::Broken, broken.reason.clone())
        } else if !items.is_empty() && of(PromiseStatus::Included) == items.len() {
            (PromiseStatus::Included, items[0].reason.clone())
        } else if of(PromiseStatus::Promised) == 0 && !items.is_empty() {
            let kept = of(PromiseStatus::Included);
            let sealed = items.iter().find(|i| i.status == PromiseStatus::Sealed);
            match sealed {
                Some(item) if kept == 0 => (PromiseStatus::Sealed, item.reason.clone()),
                _ => (
                    PromiseStatus::Sealed,
                    format!("{kept} of {} transactions kept so far", items.len()),
                ),
            }
        } else {
            let waiting = items.iter().find(|i| i.status == PromiseStatus::Promised);
            (
                PromiseStatus::Promised,
                waiting.map_or_else(|| "covers nothing".to_owned(), |i| i.reason.clone()),
            )
        };
    let reason = if on_chain.dispute == Some("defended") {
        format!("{reason}; a dispute was defended")
    } else {
        reason
    };
    (status, reason, items)
}
