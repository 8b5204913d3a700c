//! Baton's watchtower, and the `Slasher` calls behind every dispute (step ⑧ of the data
//! flow: anyone slashes a broken promise).
//!
//! | module | what |
//! |---|---|
//! | [`evidence`] | reads the chain evidence: a slot's block or the blocks around a missed slot, canonical headers, transaction and account proofs |
//! | [`slasher`] | the `Slasher`'s paths as calls: open, defend and resolve an inclusion dispute; equivocation, sequencing, missing batch, liveness |
//! | [`watcher`] | the `baton-watch run` loop: follows sidecars' published promises, judges each once its slot has passed, and takes the matching path |
//!
//! The sidecar uses [`SlasherClient::defend`] to answer disputes against its operator; the
//! devnet runs `baton-watch` as its watchtower. `docs/watch.md` is the operator's guide.

pub mod evidence;
mod metrics;
pub mod slasher;
pub mod watcher;

pub use evidence::{Evidence, SlotBlock};
pub use metrics::WatchMetrics;
pub use slasher::{Defence, DisputeState, DisputeView, SlasherClient, to_sol};
pub use watcher::{Watcher, WatcherConfig};

use alloy::transports::{RpcError, TransportErrorKind};
use alloy_primitives::B256;

/// What can stop a watch or a Slasher call.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// An L1 JSON-RPC call failed.
    #[error("L1: {0}")]
    Rpc(#[from] RpcError<TransportErrorKind>),
    /// A contract view call failed.
    #[error("contract call: {0}")]
    Contract(#[from] alloy::contract::Error),
    /// A transaction could not be sent or got no receipt.
    #[error(transparent)]
    Send(#[from] baton_contracts::SendError),
    /// The Slasher refuses the call (simulated first); `reason` is its error.
    #[error("{action} refused: {reason}")]
    Refused {
        /// The Slasher function.
        action: &'static str,
        /// The contract's error, decoded when possible.
        reason: String,
    },
    /// The transaction was mined and reverted.
    #[error("{action} reverted in transaction {tx}")]
    Reverted {
        /// The Slasher function.
        action: &'static str,
        /// The transaction.
        tx: B256,
    },
    /// The node has no such block.
    #[error("no block {}", number.map_or_else(|| "latest".to_owned(), |n| n.to_string()))]
    NoBlock {
        /// The block asked for (`None`: latest).
        number: Option<u64>,
    },
    /// The slot's time is before the chain's genesis block.
    #[error("time {time} is before the genesis block ({genesis_time})")]
    BeforeGenesis {
        /// The time asked about.
        time: u64,
        /// The genesis block's timestamp.
        genesis_time: u64,
    },
    /// A header does not re-encode to its hash (an unknown header field).
    #[error("block {number}'s header does not re-encode to its hash")]
    HeaderEncoding {
        /// The block.
        number: u64,
    },
    /// A proof could not be built.
    #[error("proof: {reason}")]
    Proof {
        /// Why.
        reason: String,
    },
    /// ABI conversion failed.
    #[error("ABI: {reason}")]
    Abi {
        /// Why.
        reason: String,
    },
    /// The operator has no defence: the promise was broken.
    #[error("no defence: {reason}")]
    Undefendable {
        /// What the chain shows.
        reason: String,
    },
    /// The evidence does not show a broken promise.
    #[error("not broken: {reason}")]
    NotBroken {
        /// What the chain shows.
        reason: String,
    },
    /// A sidecar's promise feed failed.
    #[error("sidecar {url}: {reason}")]
    Sidecar {
        /// The sidecar.
        url: String,
        /// Why.
        reason: String,
    },
}
