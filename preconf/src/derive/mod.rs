//! Rollup derivation rules (step ⑧): how a rollup node turns L1 blocks into its L2 chain,
//! as pure functions with no I/O. `docs/derivation.md` is the specification; this module
//! implements it, and the rollup node (feature `client`, [`crate::node`]) feeds it real
//! blocks, logs and state.
//!
//! | stage | function |
//! |---|---|
//! | inbox log → batch | [`decode_batch_log`] |
//! | the batch that counts for (rollup, slot) | [`canonical_batches`] ([`check_batch`], [`Sequencer`]) |
//! | batch → L2 transactions, byte-level checks | [`decode_batch`] ([`decode_l2_tx`]) |
//! | state checks, in batch order | [`select_transactions`] |
//! | missed slots, reorgs | [`missed_slots`], [`L1Window`] |
//! | promises vs. what landed | [`promises_of`], [`judge`] |

mod canonical;
mod chain;
mod event;
mod l2_tx;
mod promise;
mod selection;

pub use canonical::{
    BatchInvalid, BlockBatches, CanonicalBatch, L1BlockRef, MAX_BATCH_LOGS_PER_BLOCK, Sequencer,
    SkipReason, SkippedBatch, canonical_batches, check_batch,
};
pub use chain::{ChainError, DEFAULT_REORG_WINDOW, L1Window, SlotRange, missed_slots};
pub use event::{
    BATCH_SUBMITTED_TOPIC, BatchCandidate, BatchSubmitted, InboxLog, LogError, MAX_BATCH_BYTES,
    MAX_LOG_DATA_BYTES, decode_batch_log,
};
pub use l2_tx::{L2Tx, MAX_INITCODE_BYTES, TxInvalid, decode_l2_tx, intrinsic_gas};
pub use promise::{Divergence, Promise, SlotFate, judge, promises_of};
pub use selection::{
    AccountState, BatchTx, L2BlockParams, Selection, TxOutcome, decode_batch, select_transactions,
};
