//! The execution client as the beacon service sees it: read the head once, build a
//! payload, import a payload. [`ExecutionEngine`] is the seam (unit tests use a fake);
//! [`ExecutionLayer`] is the real one: `baton_engine::EngineClient` for the Engine API
//! and the client's JSON-RPC for the head.

use std::{fmt, future::Future, pin::Pin, time::Duration};

use alloy_primitives::B256;
use baton_engine::EngineClient;
use baton_preconf::ssz::{ExecutionPayload, ExecutionRequests};
use serde_json::{Value, json};

/// A boxed future (the trait is used as `Arc<dyn ExecutionEngine>`).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub use baton_engine::{BuiltPayload, PayloadAttributes};

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

/// The real execution client: the Engine API through [`EngineClient`], the head through
/// JSON-RPC `eth_getBlockByNumber`. A payload a builder on the same client already
/// fetched is rebuilt fresh by [`EngineClient::build`].
#[derive(Debug, Clone)]
pub struct ExecutionLayer {
    engine: EngineClient,
    rpc_url: String,
    http: reqwest::Client,
}

impl ExecutionLayer {
    /// The client behind `engine`, whose JSON-RPC is at `rpc_url`.
    pub fn new(engine: EngineClient, rpc_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            engine,
            rpc_url: rpc_url.to_owned(),
            http,
        }
    }

    async fn latest(&self) -> Result<ExecutionHead, EngineFailure> {
        let request = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_getBlockByNumber",
            "params": ["latest", false],
        });
        let reply: Value = self
            .http
            .post(&self.rpc_url)
            .json(&request)
            .send()
            .await
            .map_err(EngineFailure::new)?
            .json()
            .await
            .map_err(EngineFailure::new)?;
        let block = reply
            .get("result")
            .filter(|r| r.is_object())
            .ok_or_else(|| EngineFailure::new("eth_getBlockByNumber: no block"))?;
        let quantity = |name: &str| {
            block
                .get(name)
                .and_then(Value::as_str)
                .and_then(|t| t.strip_prefix("0x"))
                .and_then(|t| u64::from_str_radix(t, 16).ok())
                .ok_or_else(|| EngineFailure::new(format!("eth_getBlockByNumber: bad {name}")))
        };
        let hash = block
            .get("hash")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<B256>().ok())
            .ok_or_else(|| EngineFailure::new("eth_getBlockByNumber: bad hash"))?;
        Ok(ExecutionHead {
            hash,
            number: quantity("number")?,
            timestamp: quantity("timestamp")?,
            gas_limit: quantity("gasLimit")?,
        })
    }
}

impl ExecutionEngine for ExecutionLayer {
    fn head(&self) -> BoxFuture<'_, Result<ExecutionHead, EngineFailure>> {
        Box::pin(self.latest())
    }

    fn build<'a>(
        &'a self,
        parent: B256,
        attributes: &'a PayloadAttributes,
    ) -> BoxFuture<'a, Result<BuiltPayload, EngineFailure>> {
        Box::pin(async move {
            self.engine
                .build(parent, attributes)
                .await
                .map_err(EngineFailure::new)
        })
    }

    fn import<'a>(
        &'a self,
        payload: &'a ExecutionPayload,
        requests: &'a ExecutionRequests,
        parent_beacon_block_root: B256,
    ) -> BoxFuture<'a, Result<(), EngineFailure>> {
        Box::pin(async move {
            self.engine
                .import(payload, requests, parent_beacon_block_root)
                .await
                .map_err(EngineFailure::new)
        })
    }
}
