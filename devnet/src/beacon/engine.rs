//! The execution client as the beacon service sees it: read the head once, build a
//! payload, import a payload. [`ExecutionEngine`] is the seam (unit tests use a fake);
//! [`ExecutionLayer`] is the real one over the Engine API and JSON-RPC.

use std::{fmt, future::Future, pin::Pin};

use alloy_primitives::{Address, B256, U256};
use baton_preconf::ssz::{BlobsBundle, ExecutionPayload, ExecutionRequests, Withdrawal};

/// A boxed future (the trait is used as `Arc<dyn ExecutionEngine>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Engine-API payload attributes (`PayloadAttributesV3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadAttributes {
    /// The payload's timestamp (the slot's start).
    pub timestamp: u64,
    /// The beacon state's RANDAO mix.
    pub prev_randao: B256,
    /// Where the block's fees go.
    pub suggested_fee_recipient: Address,
    /// Withdrawals the payload must carry.
    pub withdrawals: Vec<Withdrawal>,
    /// The parent beacon block root (EIP-4788).
    pub parent_beacon_block_root: B256,
}

/// A payload the execution client built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPayload {
    /// The payload.
    pub payload: ExecutionPayload,
    /// What the block pays its fee recipient (wei).
    pub block_value: U256,
    /// Blobs of its blob transactions.
    pub blobs_bundle: BlobsBundle,
    /// Its execution-layer requests.
    pub execution_requests: ExecutionRequests,
}

/// The execution head at start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionHead {
    /// Block hash.
    pub hash: B256,
    /// Block number.
    pub number: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Gas limit.
    pub gas_limit: u64,
}

/// The execution client refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("execution client: {reason}")]
pub struct EngineFailure {
    /// What went wrong.
    pub reason: String,
}

impl EngineFailure {
    /// From anything printable.
    pub fn new(reason: impl fmt::Display) -> Self {
        Self {
            reason: reason.to_string(),
        }
    }
}

/// What the beacon service asks of the execution client.
pub trait ExecutionEngine: Send + Sync + fmt::Debug {
    /// The latest block.
    fn head(&self) -> BoxFuture<'_, Result<ExecutionHead, EngineFailure>>;

    /// Builds a payload on `parent` with `attributes` (forkchoiceUpdated with
    /// attributes, then getPayload).
    fn build<'a>(
        &'a self,
        parent: B256,
        attributes: &'a PayloadAttributes,
    ) -> BoxFuture<'a, Result<BuiltPayload, EngineFailure>>;

    /// Imports `payload` and makes it the head (newPayload, then forkchoiceUpdated);
    /// an error unless the client says VALID.
    fn import<'a>(
        &'a self,
        payload: &'a ExecutionPayload,
        requests: &'a ExecutionRequests,
        parent_beacon_block_root: B256,
    ) -> BoxFuture<'a, Result<(), EngineFailure>>;
}
