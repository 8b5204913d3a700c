//! Reading `RollupInbox.BatchSubmitted` logs (step ⑦ → ⑧): the only L1 input derivation
//! needs besides block headers and the slot's sequencer.

use alloy_primitives::{Address, B256, Bytes};
use alloy_sol_types::SolEvent;

use crate::{
    batch::MAX_BATCH_TXS,
    types::{RollupId, Slot},
};

alloy_sol_types::sol! {
    /// `IRollupInbox.BatchSubmitted`, as the inbox emits it.
    #[derive(Debug, PartialEq, Eq)]
    event BatchSubmitted(
        uint64 indexed rollupId,
        uint64 indexed slot,
        address indexed submitter,
        bytes32 root,
        bytes[] txs
    );
}

/// Largest sum of transaction sizes in one batch (bytes).
pub const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;

/// Largest log data decoded: the transactions, plus the ABI head, offsets, lengths and
/// padding of a maximal batch.
pub const MAX_LOG_DATA_BYTES: usize = MAX_BATCH_BYTES + 96 * MAX_BATCH_TXS + 128;

/// The event's `topic0`.
pub const BATCH_SUBMITTED_TOPIC: B256 = BatchSubmitted::SIGNATURE_HASH;

/// A log of an L1 block, as an execution client returns it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxLog {
    /// The emitting contract.
    pub address: Address,
    /// The log's topics.
    pub topics: Vec<B256>,
    /// The log's data.
    pub data: Bytes,
    /// Index of the log in its block (block order).
    pub log_index: u64,
}

/// A batch as submitted: not yet checked against the rules of `docs/derivation.md`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchCandidate {
    /// The rollup.
    pub rollup_id: RollupId,
    /// The slot the submitter named.
    pub slot: Slot,
    /// Who called `submitBatch`.
    pub submitter: Address,
    /// The root the inbox stored.
    pub root: B256,
    /// The raw rollup transactions, in batch order.
    pub txs: Vec<Bytes>,
    /// Index of the log in its block.
    pub log_index: u64,
}

/// A log that is not a readable `BatchSubmitted` of the inbox.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LogError {
    /// Emitted by another contract.
    #[error("log {log_index} comes from {address}, not the inbox")]
    OtherContract {
        /// Index of the log in its block.
        log_index: u64,
        /// The emitter.
        address: Address,
    },
    /// Another event of the inbox.
    #[error("log {log_index} is not a BatchSubmitted event")]
    OtherEvent {
        /// Index of the log in its block.
        log_index: u64,
    },
    /// Log data over [`MAX_LOG_DATA_BYTES`].
    #[error("log {log_index} carries {len} bytes of data, the limit is {max}", max = MAX_LOG_DATA_BYTES)]
    TooLarge {
        /// Index of the log in its block.
        log_index: u64,
        /// Bytes of data.
        len: usize,
    },
    /// The ABI encoding does not decode.
    #[error("log {log_index} does not decode: {reason}")]
    Malformed {
        /// Index of the log in its block.
        log_index: u64,
        /// The decoder's message.
        reason: String,
    },
}

/// Decodes one inbox log into a [`BatchCandidate`], bounded before decoding.
pub fn decode_batch_log(inbox: Address, log: &InboxLog) -> Result<BatchCandidate, LogError> {
    let log_index = log.log_index;
    if log.address != inbox {
        return Err(LogError::OtherContract {
            log_index,
            address: log.address,
        });
    }
    if log.topics.first() != Some(&BATCH_SUBMITTED_TOPIC) {
        return Err(LogError::OtherEvent { log_index });
    }
    if log.data.len() > MAX_LOG_DATA_BYTES {
        return Err(LogError::TooLarge {
            log_index,
            len: log.data.len(),
        });
    }
    let event = BatchSubmitted::decode_raw_log_validate(log.topics.iter().copied(), &log.data)
        .map_err(|e| LogError::Malformed {
            log_index,
            reason: e.to_string(),
        })?;
    Ok(BatchCandidate {
        rollup_id: RollupId(event.rollupId),
        slot: Slot(event.slot),
        submitter: event.submitter,
        root: event.root,
        txs: event.txs,
        log_index,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_primitives::LogData;

    use super::*;

    /// The log the inbox emits for this batch.
    pub(crate) fn inbox_log(inbox: Address, candidate: &BatchCandidate) -> InboxLog {
        let event = BatchSubmitted {
            rollupId: candidate.rollup_id.0,
            slot: candidate.slot.0,
            submitter: candidate.submitter,
            root: candidate.root,
            txs: candidate.txs.clone(),
        };
        let data: LogData = event.encode_log_data();
        InboxLog {
            address: inbox,
            topics: data.topics().to_vec(),
            data: data.data,
            log_index: candidate.log_index,
        }
    }

    #[test]
    fn round_trips_and_rejects_strangers() {
        let inbox = Address::repeat_byte(0x1b);
        let candidate = BatchCandidate {
            rollup_id: RollupId(2),
            slot: Slot(77),
            submitter: Address::repeat_byte(5),
            root: B256::repeat_byte(9),
            txs: vec![Bytes::from_static(b"\x02abc"), Bytes::new()],
            log_index: 3,
        };
        let log = inbox_log(inbox, &candidate);
        assert_eq!(decode_batch_log(inbox, &log).unwrap(), candidate);

        let elsewhere = Address::repeat_byte(0x1c);
        assert!(matches!(
            decode_batch_log(elsewhere, &log),
            Err(LogError::OtherContract { log_index: 3, .. })
        ));
        let mut other = log.clone();
        other.topics[0] = B256::repeat_byte(1);
        assert_eq!(
            decode_batch_log(inbox, &other),
            Err(LogError::OtherEvent { log_index: 3 })
        );
        let mut truncated = log.clone();
        truncated.data = truncated.data.slice(..truncated.data.len() - 40);
        assert!(matches!(
            decode_batch_log(inbox, &truncated),
            Err(LogError::Malformed { .. })
        ));
        let mut huge = log;
        huge.data = vec![0u8; MAX_LOG_DATA_BYTES + 1].into();
        assert!(matches!(
            decode_batch_log(inbox, &huge),
            Err(LogError::TooLarge { .. })
        ));
    }
}
