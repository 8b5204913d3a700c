//! The commitment journal (step ③): a promise is durable here before its signature
//! leaves the process.
//!
//! [`FileJournal`] is the embedded default: an append-only file of length-prefixed,
//! CRC-checked records in the data directory. Appends are group-committed: a writer thread
//! takes every record queued while the previous `fdatasync` ran, writes them together and
//! syncs once, then acknowledges each caller. Durability therefore costs one sync per
//! batch, not per promise. On open, the file is replayed; a torn tail (the process died
//! mid-write) is cut off at the last complete record, which is safe because no signature
//! was released for a record whose append was not acknowledged.
//!
//! The journal also records each slot's seal ([`SealRecord`], step ④): the batch
//! transactions and constraints, durable before they are sent, so a restart re-sends the
//! same ones; and the auctions' receipted bids and clearings ([`MarketRecord`]).
//!
//! [`RedisJournal`] is the shared backend for two or more sidecars serving the same
//! validators: a Redis list with a signing lease and fenced appends (see its module).

mod file;
mod record;
mod redis;

use std::{io, path::PathBuf, sync::Arc};

use tokio::sync::oneshot;

pub use self::redis::{RedisJournal, RedisOptions};
pub use file::FileJournal;
pub use record::{
    BidRecord, JournalEntry, MarketRecord, Record, Reservation, SealRecord, SealedBatch,
};

/// The journal failed; the promise must not be signed.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// Opening, reading, writing or syncing the file failed.
    #[error("journal I/O at {path}: {source}", path = path.display())]
    Io {
        /// The journal file.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The Redis journal failed, or refused to run without durable writes.
    #[error("journal at {server}: {reason}")]
    Redis {
        /// `redis host:port` (no credentials).
        server: String,
        /// What failed.
        reason: String,
    },
    /// An append was not made durable.
    #[error("journal append to {backend} failed: {reason}")]
    Append {
        /// Which journal.
        backend: String,
        /// What failed.
        reason: String,
    },
    /// A record could not be encoded or decoded.
    #[error("journal record {index} is not valid: {reason}")]
    Corrupt {
        /// Index of the record.
        index: usize,
        /// What was wrong.
        reason: String,
    },
    /// The writer stopped (after an earlier failure, or the signing lease was lost);
    /// nothing more is durable.
    #[error("the journal writer has stopped after an earlier failure")]
    Stopped,
}

/// The journal a sidecar records promises in.
#[derive(Debug, Clone)]
pub enum Journal {
    /// The embedded file journal.
    File(FileJournal),
    /// The shared Redis journal, with this sidecar holding the signing lease.
    Redis(RedisJournal),
}

impl Journal {
    /// Queues `entry` for the next group commit, without waiting. Records are appended in
    /// the order they are submitted: call this while holding the lock that ordered the
    /// reservation, then [`PendingAppend::durable`] after releasing it.
    pub fn submit(&self, entry: &JournalEntry) -> Result<PendingAppend, JournalError> {
        match self {
            Self::File(j) => j.submit(entry),
            Self::Redis(j) => j.submit(entry),
        }
    }
}

impl Journal {
    /// Queues a seal record (step ④) like [`Self::submit`]; nothing of the seal may leave
    /// the process before [`PendingAppend::durable`] succeeds.
    pub fn submit_seal(&self, seal: &SealRecord) -> Result<PendingAppend, JournalError> {
        match self {
            Self::File(j) => j.submit_seal(seal),
            Self::Redis(j) => j.submit_seal(seal),
        }
    }

    /// Queues an auction record (a receipted bid, a clearing) like [`Self::submit`]; the
    /// receipt or clearing is signed only after [`PendingAppend::durable`] succeeds.
    pub fn submit_market(&self, record: &MarketRecord) -> Result<PendingAppend, JournalError> {
        match self {
            Self::File(j) => j.submit_market(record),
            Self::Redis(j) => j.submit_market(record),
        }
    }
}

impl From<FileJournal> for Journal {
    fn from(j: FileJournal) -> Self {
        Self::File(j)
    }
}

impl From<RedisJournal> for Journal {
    fn from(j: RedisJournal) -> Self {
        Self::Redis(j)
    }
}

/// A record queued for the journal; [`Self::durable`] resolves once it is durable.
#[derive(Debug)]
#[must_use = "a promise may be signed only after `durable()` succeeds"]
pub struct PendingAppend {
    ack: oneshot::Receiver<Result<(), String>>,
    backend: Arc<str>,
}

impl PendingAppend {
    pub(crate) const fn new(ack: oneshot::Receiver<Result<(), String>>, backend: Arc<str>) -> Self {
        Self { ack, backend }
    }

    /// Waits until the record is durable (fdatasync'd, or acknowledged by a Redis that
    /// fsyncs every write).
    pub async fn durable(self) -> Result<(), JournalError> {
        match self.ack.await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(reason)) => Err(JournalError::Append {
                backend: self.backend.to_string(),
                reason,
            }),
            Err(_) => Err(JournalError::Stopped),
        }
    }
}
