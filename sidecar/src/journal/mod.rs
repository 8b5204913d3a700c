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

mod file;
mod record;

pub use file::{FileJournal, JournalError, PendingAppend};
pub use record::{JournalEntry, Reservation};
