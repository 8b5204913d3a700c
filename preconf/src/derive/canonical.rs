//! Which batch of an L1 block counts for each rollup (step ⑧): the batch envelope rules
//! and the canonical choice of `docs/derivation.md` ("Canonical batch").

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, Bytes, keccak256};
use serde::{Deserialize, Serialize};

use super::event::{BatchCandidate, InboxLog, LogError, MAX_BATCH_BYTES, decode_batch_log};
use crate::{
    batch::{MAX_BATCH_TXS, batch_root},
    chain_spec::ChainSpec,
    transaction::MAX_ROLLUP_TX_BYTES,
    types::{RollupId, Slot},
};

/// Most `BatchSubmitted` logs of one L1 block that derivation reads; later ones are
/// skipped. A `submitBatch` call costs well over 50,000 gas, so no real block gets near.
pub const MAX_BATCH_LOGS_PER_BLOCK: usize = 2048;

/// An L1 block's identity and place in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct L1BlockRef {
    /// Block number.
    #[serde(with = "crate::types::quoted")]
    pub number: u64,
    /// Block hash.
    pub hash: B256,
    /// Parent block hash.
    pub parent_hash: B256,
    /// Block timestamp (seconds).
    #[serde(with = "crate::types::quoted")]
    pub timestamp: u64,
}

/// Who may sequence the rollups in a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequencer {
    /// The slot's proposer opted in: only its registered committer's batches count.
    Committer(Address),
    /// The proposer has not opted in: the first valid batch of each rollup counts.
    Open,
}

/// Why a batch envelope is invalid (the whole batch is dropped).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchInvalid {
    /// The named slot does not start at the block's timestamp.
    #[error(
        "batch names slot {slot}, but the block's timestamp {block_timestamp} is not its start"
    )]
    WrongSlot {
        /// Slot named.
        slot: Slot,
        /// Timestamp of the carrying block.
        block_timestamp: u64,
    },
    /// No transactions, or more than [`MAX_BATCH_TXS`].
    #[error("batch holds {count} transactions, allowed 1 to {max}", max = MAX_BATCH_TXS)]
    BadCount {
        /// Transactions in the batch.
        count: usize,
    },
    /// A transaction over [`MAX_ROLLUP_TX_BYTES`].
    #[error("transaction at position {position} is {len} bytes, the limit is {max}", max = MAX_ROLLUP_TX_BYTES)]
    TxTooLarge {
        /// Its position.
        position: usize,
        /// Its size.
        len: usize,
    },
    /// All transactions together over [`MAX_BATCH_BYTES`].
    #[error("batch carries {total} bytes of transactions, the limit is {max}", max = MAX_BATCH_BYTES)]
    TooManyBytes {
        /// Sum of transaction sizes.
        total: usize,
    },
    /// The logged root is not the root of the logged transactions.
    #[error("logged root {logged} differs from the transactions' root {computed}")]
    RootMismatch {
        /// Root in the log.
        logged: B256,
        /// Root recomputed.
        computed: B256,
    },
}

/// Checks a batch envelope: everything that can be decided without decoding a transaction.
pub fn check_batch(
    spec: &ChainSpec,
    block_timestamp: u64,
    batch: &BatchCandidate,
) -> Result<(), BatchInvalid> {
    if spec.slot_starting_at(block_timestamp) != Some(batch.slot) {
        return Err(BatchInvalid::WrongSlot {
            slot: batch.slot,
            block_timestamp,
        });
    }
    let count = batch.txs.len();
    if count == 0 || count > MAX_BATCH_TXS {
        return Err(BatchInvalid::BadCount { count });
    }
    let mut total = 0usize;
    for (position, tx) in batch.txs.iter().enumerate() {
        if tx.len() > MAX_ROLLUP_TX_BYTES {
            return Err(BatchInvalid::TxTooLarge {
                position,
                len: tx.len(),
            });
        }
        total += tx.len();
    }
    if total > MAX_BATCH_BYTES {
        return Err(BatchInvalid::TooManyBytes { total });
    }
    let hashes: Vec<B256> = batch.txs.iter().map(keccak256).collect();
    let computed = batch_root(&hashes).map_err(|e| BatchInvalid::BadCount { count: e.count })?;
    if computed != batch.root {
        return Err(BatchInvalid::RootMismatch {
            logged: batch.root,
            computed,
        });
    }
    Ok(())
}

/// A rollup's canonical batch for one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CanonicalBatch {
    /// The rollup.
    pub rollup_id: RollupId,
    /// The slot.
    pub slot: Slot,
    /// Who submitted it.
    pub submitter: Address,
    /// Its root.
    pub root: B256,
    /// The raw transactions, in batch order.
    pub txs: Vec<Bytes>,
    /// Index of its log in the L1 block.
    #[serde(with = "crate::types::quoted")]
    pub log_index: u64,
}

/// Why a batch log was not chosen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SkipReason {
    /// The log does not decode.
    #[error(transparent)]
    Unreadable(#[from] LogError),
    /// The envelope breaks a rule.
    #[error(transparent)]
    Invalid(#[from] BatchInvalid),
    /// The slot belongs to an opted-in proposer, and this is not its committer.
    #[error("the slot is sequenced by committer {committer}")]
    NotTheCommitter {
        /// The slot's committer.
        committer: Address,
    },
    /// An open slot, and an earlier valid batch of the rollup won.
    #[error("log {winner} already carries this rollup's batch for the slot")]
    NotFirst {
        /// Log index of the canonical batch.
        winner: u64,
    },
    /// Beyond [`MAX_BATCH_LOGS_PER_BLOCK`].
    #[error("more than {max} batch logs in the block", max = MAX_BATCH_LOGS_PER_BLOCK)]
    OverLogLimit,
}

/// A batch log that derivation did not use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedBatch {
    /// Index of the log in the block.
    pub log_index: u64,
    /// The rollup, when the log decoded.
    pub rollup_id: Option<RollupId>,
    /// The submitter, when the log decoded.
    pub submitter: Option<Address>,
    /// Why.
    pub reason: SkipReason,
}

/// What one L1 block contributes: at most one canonical batch per rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBatches {
    /// The block.
    pub block: L1BlockRef,
    /// The slot starting at the block's timestamp (none: no batch can count).
    pub slot: Option<Slot>,
    /// Canonical batches by rollup.
    pub batches: BTreeMap<RollupId, CanonicalBatch>,
    /// Every other batch log, with the reason.
    pub skipped: Vec<SkippedBatch>,
}

/// Applies the rules of `docs/derivation.md` to one L1 block's inbox logs. `logs` may
/// come in any order (block order, by log index, is restored here); logs of other
/// contracts or events are skipped as unreadable.
pub fn canonical_batches(
    spec: &ChainSpec,
    inbox: Address,
    block: L1BlockRef,
    sequencer: Sequencer,
    logs: &[InboxLog],
) -> BlockBatches {
    let mut ordered: Vec<&InboxLog> = logs.iter().collect();
    ordered.sort_by_key(|log| log.log_index);
    let mut out = BlockBatches {
        block,
        slot: spec.slot_starting_at(block.timestamp),
        batches: BTreeMap::new(),
        skipped: Vec::new(),
    };
    for (index, log) in ordered.into_iter().enumerate() {
        let skip = |rollup_id, submitter, reason| SkippedBatch {
            log_index: log.log_index,
            rollup_id,
            submitter,
            reason,
        };
        if index >= MAX_BATCH_LOGS_PER_BLOCK {
            out.skipped.push(skip(None, None, SkipReason::OverLogLimit));
            continue;
        }
        let candidate = match decode_batch_log(inbox, log) {
            Ok(candidate) => candidate,
            Err(error) => {
                out.skipped.push(skip(None, None, error.into()));
                continue;
            }
        };
        let (rollup_id, submitter) = (Some(candidate.rollup_id), Some(candidate.submitter));
        if let Err(invalid) = check_batch(spec, block.timestamp, &candidate) {
            out.skipped.push(skip(rollup_id, submitter, invalid.into()));
            continue;
        }
        if let Sequencer::Committer(committer) = sequencer
            && candidate.submitter != committer
        {
            out.skipped.push(skip(
                rollup_id,
                submitter,
                SkipReason::NotTheCommitter { committer },
            ));
            continue;
        }
        if let Some(winner) = out.batches.get(&candidate.rollup_id) {
            let reason = SkipReason::NotFirst {
                winner: winner.log_index,
            };
            out.skipped.push(skip(rollup_id, submitter, reason));
            continue;
        }
        out.batches.insert(
            candidate.rollup_id,
            CanonicalBatch {
                rollup_id: candidate.rollup_id,
                slot: candidate.slot,
                submitter: candidate.submitter,
                root: candidate.root,
                txs: candidate.txs,
                log_index: candidate.log_index,
            },
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::derive::event::tests::inbox_log;

    const INBOX: Address = Address::repeat_byte(0x1b);
    const GENESIS: u64 = 1_000;

    fn spec() -> ChainSpec {
        ChainSpec::devnet(1, GENESIS)
    }

    fn block(slot: u64) -> L1BlockRef {
        L1BlockRef {
            number: slot + 10,
            hash: B256::repeat_byte(slot as u8),
            parent_hash: B256::ZERO,
            timestamp: spec().slot_timestamp(Slot(slot)),
        }
    }

    /// A batch whose logged root is right.
    fn candidate(
        rollup: u64,
        slot: u64,
        submitter: u8,
        txs: &[&[u8]],
        log_index: u64,
    ) -> BatchCandidate {
        let txs: Vec<Bytes> = txs.iter().map(|t| Bytes::copy_from_slice(t)).collect();
        let hashes: Vec<B256> = txs.iter().map(keccak256).collect();
        BatchCandidate {
            rollup_id: RollupId(rollup),
            slot: Slot(slot),
            submitter: Address::repeat_byte(submitter),
            root: batch_root(&hashes).unwrap_or_default(),
            txs,
            log_index,
        }
    }

    #[test]
    fn envelope_rules() {
        let spec = spec();
        let ts = spec.slot_timestamp(Slot(5));
        let good = candidate(1, 5, 1, &[b"a", b"b"], 0);
        assert_eq!(check_batch(&spec, ts, &good), Ok(()));
        assert!(matches!(
            check_batch(&spec, ts + 2, &good),
            Err(BatchInvalid::WrongSlot { .. })
        ));
        let empty = candidate(1, 5, 1, &[], 0);
        assert_eq!(
            check_batch(&spec, ts, &empty),
            Err(BatchInvalid::BadCount { count: 0 })
        );
        let big = vec![7u8; MAX_ROLLUP_TX_BYTES + 1];
        let oversize = candidate(1, 5, 1, &[b"a", &big], 0);
        assert_eq!(
            check_batch(&spec, ts, &oversize),
            Err(BatchInvalid::TxTooLarge {
                position: 1,
                len: MAX_ROLLUP_TX_BYTES + 1
            })
        );
        let mut lying = good;
        lying.root = B256::repeat_byte(3);
        assert!(matches!(
            check_batch(&spec, ts, &lying),
            Err(BatchInvalid::RootMismatch { .. })
        ));
    }

    #[test]
    fn opted_in_slot_takes_only_the_committer() {
        let spec = spec();
        let logs = [
            inbox_log(INBOX, &candidate(1, 3, 0xaa, &[b"x"], 0)),
            inbox_log(INBOX, &candidate(1, 3, 0xcc, &[b"y"], 1)),
            inbox_log(INBOX, &candidate(2, 3, 0xaa, &[b"z"], 2)),
        ];
        let committer = Address::repeat_byte(0xcc);
        let out = canonical_batches(
            &spec,
            INBOX,
            block(3),
            Sequencer::Committer(committer),
            &logs,
        );
        assert_eq!(out.slot, Some(Slot(3)));
        assert_eq!(out.batches.len(), 1);
        assert_eq!(
            out.batches[&RollupId(1)].txs,
            vec![Bytes::from_static(b"y")]
        );
        assert_eq!(out.skipped.len(), 2);
        assert!(
            out.skipped
                .iter()
                .all(|s| s.reason == SkipReason::NotTheCommitter { committer })
        );
    }

    #[test]
    fn open_slot_takes_the_first_valid_batch_in_block_order() {
        let spec = spec();
        let big = vec![1u8; MAX_ROLLUP_TX_BYTES + 1];
        // Given out of order: block order is by log index.
        let logs = [
            inbox_log(INBOX, &candidate(1, 4, 3, &[b"third"], 7)),
            inbox_log(INBOX, &candidate(1, 4, 2, &[b"second"], 5)),
            inbox_log(INBOX, &candidate(1, 4, 1, &[&big], 2)),
        ];
        let out = canonical_batches(&spec, INBOX, block(4), Sequencer::Open, &logs);
        let chosen = &out.batches[&RollupId(1)];
        assert_eq!(
            (chosen.log_index, chosen.submitter),
            (5, Address::repeat_byte(2))
        );
        assert!(matches!(
            out.skipped[0].reason,
            SkipReason::Invalid(BatchInvalid::TxTooLarge { .. })
        ));
        assert_eq!(out.skipped[1].reason, SkipReason::NotFirst { winner: 5 });
    }

    #[test]
    fn a_block_off_the_slot_grid_carries_nothing() {
        let spec = spec();
        let mut off = block(4);
        off.timestamp += 1;
        let logs = [inbox_log(INBOX, &candidate(1, 4, 1, &[b"a"], 0))];
        let out = canonical_batches(&spec, INBOX, off, Sequencer::Open, &logs);
        assert_eq!(out.slot, None);
        assert!(out.batches.is_empty());
        assert!(matches!(
            out.skipped[0].reason,
            SkipReason::Invalid(BatchInvalid::WrongSlot { .. })
        ));
    }

    /// (rollup 1..=3, submitter 1..=4, valid?) for the logs of one block.
    fn arb_logs() -> impl Strategy<Value = Vec<(u64, u8, bool)>> {
        proptest::collection::vec((1u64..=3, 1u8..=4, any::<bool>()), 0..24)
    }

    /// Logs at indexes `first, first + stride, …`.
    fn build(slot: u64, spec: &[(u64, u8, bool)], first: u64, stride: u64) -> Vec<InboxLog> {
        spec.iter()
            .enumerate()
            .map(|(i, &(rollup, submitter, valid))| {
                let tx = [submitter, i as u8, rollup as u8];
                let log_index = first + stride * i as u64;
                let mut c = candidate(rollup, slot, submitter, &[&tx], log_index);
                if !valid {
                    c.root = B256::repeat_byte(0xee);
                }
                inbox_log(INBOX, &c)
            })
            .collect()
    }

    proptest! {
        /// Every log is accounted for exactly once, at most one batch per rollup wins, and the
        /// winner is what the rule names: the committer's valid batch, or the first valid one.
        #[test]
        fn canonical_choice_follows_the_rule(logs in arb_logs(), committer in proptest::option::of(1u8..=4)) {
            let spec = spec();
            let built = build(6, &logs, 0, 1);
            let sequencer = committer.map_or(Sequencer::Open, |c| Sequencer::Committer(Address::repeat_byte(c)));
            let out = canonical_batches(&spec, INBOX, block(6), sequencer, &built);
            prop_assert_eq!(out.batches.len() + out.skipped.len(), logs.len());
            for rollup in 1..=3u64 {
                let expected = logs.iter().enumerate().find(|(_, (r, s, valid))| {
                    *r == rollup && *valid && committer.is_none_or(|c| c == *s)
                });
                let got = out.batches.get(&RollupId(rollup)).map(|b| b.log_index);
                prop_assert_eq!(got, expected.map(|(i, _)| i as u64));
            }
        }

        /// Adding batches from outsiders never changes an opted-in slot's outcome.
        #[test]
        fn outsiders_cannot_touch_an_opted_in_slot(logs in arb_logs(), extra in arb_logs()) {
            let spec = spec();
            let committer = Sequencer::Committer(Address::repeat_byte(1));
            let base = canonical_batches(&spec, INBOX, block(6), committer, &build(6, &logs, 1, 2));
            let outsiders: Vec<_> = extra.into_iter().map(|(r, s, v)| (r, if s == 1 { 2 } else { s }, v)).collect();
            // Interleaved: outsiders at even log indexes, before and between the committer's.
            let mut mixed = build(6, &logs, 1, 2);
            mixed.extend(build(6, &outsiders, 0, 2));
            let with = canonical_batches(&spec, INBOX, block(6), committer, &mixed);
            prop_assert_eq!(base.batches, with.batches);
        }
    }
}
