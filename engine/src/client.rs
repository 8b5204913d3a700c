//! [`EngineClient`]: the Prague methods of the Engine API over HTTP with a fresh JWT per call.
//!
//! Decisions are made on the JSON-RPC result fields the spec defines (`payloadStatus.status`,
//! `payloadId`), never on error strings, so any Engine-API execution client works.

use std::time::Duration;

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, U256, hex};
use baton_preconf::ssz::{BlobsBundle, ExecutionPayload, ExecutionRequests, Withdrawal};
use serde_json::{Value, json};

use crate::{
    EngineError, JwtSecret,
    json::{
        blobs_bundle_from_json, payload_from_json, payload_to_json, requests_from_json,
        requests_to_json, withdrawal_json,
    },
};

/// Builds started to push a frozen payload out of ethereumjs's payload cache (it keeps
/// two, oldest first out).
pub const EVICTING_BUILDS: u64 = 3;

/// Largest response read (a payload with blobs is a few MiB).
const MAX_RESPONSE_BYTES: usize = 64 << 20;

/// What a new block must contain besides transactions (`PayloadAttributesV3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadAttributes {
    /// The block's timestamp.
    pub timestamp: u64,
    /// The beacon chain's randomness for the block.
    pub prev_randao: B256,
    /// Who receives the priority fees.
    pub suggested_fee_recipient: Address,
    /// The withdrawals the block must process.
    pub withdrawals: Vec<Withdrawal>,
    /// The parent beacon block root (EIP-4788).
    pub parent_beacon_block_root: B256,
}

impl PayloadAttributes {
    fn to_json(&self) -> Value {
        json!({
            "timestamp": format!("{:#x}", self.timestamp),
            "prevRandao": self.prev_randao,
            "suggestedFeeRecipient": self.suggested_fee_recipient,
            "withdrawals": self.withdrawals.iter().map(withdrawal_json).collect::<Vec<_>>(),
            "parentBeaconBlockRoot": self.parent_beacon_block_root,
        })
    }
}

/// A payload the execution client built (`engine_getPayloadV4`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPayload {
    /// The payload.
    pub payload: ExecutionPayload,
    /// What the fee recipient earns from it, in wei.
    pub block_value: U256,
    /// The blobs of its blob transactions.
    pub blobs_bundle: BlobsBundle,
    /// Its Electra execution requests.
    pub execution_requests: ExecutionRequests,
}

impl BuiltPayload {
    /// The block hash.
    pub fn block_hash(&self) -> B256 {
        B256::from(self.payload.block_hash)
    }
}

/// An execution client's verdict on a payload or fork choice (`PayloadStatusV1.status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadStatus {
    /// Fully validated.
    Valid,
    /// Invalid, with the client's reason when it gave one.
    Invalid(Option<String>),
    /// The client lacks data to validate it yet.
    Syncing,
    /// Accepted on a side chain without full validation.
    Accepted,
}

impl PayloadStatus {
    fn from_json(value: &Value) -> Result<Self, EngineError> {
        let status = value
            .get("status")
            .and_then(Value::as_str)
            .ok_or_else(|| EngineError::Decode("payloadStatus.status: missing".into()))?;
        Ok(match status {
            "VALID" => Self::Valid,
            "INVALID" | "INVALID_BLOCK_HASH" => Self::Invalid(
                value
                    .get("validationError")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            ),
            "SYNCING" => Self::Syncing,
            "ACCEPTED" => Self::Accepted,
            other => {
                return Err(EngineError::Decode(format!(
                    "payloadStatus.status: unknown value {other:?}"
                )));
            }
        })
    }
}

/// An identifier of a payload being built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PayloadId(pub [u8; 8]);

/// A client of one execution client's Engine API.
#[derive(Debug, Clone)]
pub struct EngineClient {
    http: reqwest::Client,
    url: String,
    jwt: JwtSecret,
}

impl EngineClient {
    /// A client of the Engine API at `url`, authenticating with `jwt`.
    pub fn new(url: &str, jwt: JwtSecret) -> Self {
        Self::with_timeout(url, jwt, Duration::from_secs(8))
    }

    /// As [`new`](Self::new), with a per-call timeout.
    pub fn with_timeout(url: &str, jwt: JwtSecret, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .unwrap_or_default();
        Self {
            http,
            url: url.trim_end_matches('/').to_owned(),
            jwt,
        }
    }

    async fn call(&self, method: &str, params: Value) -> Result<Value, EngineError> {
        let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let mut response = self
            .http
            .post(&self.url)
            .bearer_auth(self.jwt.token())
            .json(&body)
            .send()
            .await
            .map_err(|e| EngineError::Transport(format!("{method}: {e}")))?;
        let status = response.status();
        let mut raw = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| EngineError::Transport(format!("{method}: {e}")))?
        {
            if raw.len() + chunk.len() > MAX_RESPONSE_BYTES {
                return Err(EngineError::Transport(format!(
                    "{method}: response above {MAX_RESPONSE_BYTES} bytes"
                )));
            }
            raw.extend_from_slice(&chunk);
        }
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            return Err(EngineError::Unauthorized);
        }
        let reply: Value = serde_json::from_slice(&raw).map_err(|e| {
            EngineError::Transport(format!("{method}: HTTP {status}, not JSON-RPC: {e}"))
        })?;
        if let Some(error) = reply.get("error") {
            return Err(EngineError::Rpc {
                method: method.to_owned(),
                code: error
                    .get("code")
                    .and_then(Value::as_i64)
                    .unwrap_or_default(),
                message: error
                    .get("message")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .chars()
                    .take(300)
                    .collect(),
            });
        }
        reply
            .get("result")
            .cloned()
            .ok_or_else(|| EngineError::Decode(format!("{method}: no result")))
    }

    /// `engine_forkchoiceUpdatedV3`: makes `head` the head (and the safe and finalized
    /// block: the devnet has no finality of its own) and, with `attributes`, starts
    /// building a payload on it.
    pub async fn forkchoice_updated(
        &self,
        head: B256,
        attributes: Option<&PayloadAttributes>,
    ) -> Result<Option<PayloadId>, EngineError> {
        let state = json!({
            "headBlockHash": head,
            "safeBlockHash": head,
            "finalizedBlockHash": head,
        });
        let attributes = attributes.map_or(Value::Null, PayloadAttributes::to_json);
        let result = self
            .call("engine_forkchoiceUpdatedV3", json!([state, attributes]))
            .await?;
        let status = PayloadStatus::from_json(result.get("payloadStatus").unwrap_or(&Value::Null))?;
        if status != PayloadStatus::Valid {
            return Err(EngineError::Status {
                method: "engine_forkchoiceUpdatedV3",
                status,
            });
        }
        match result.get("payloadId") {
            None | Some(Value::Null) => Ok(None),
            Some(id) => {
                let text = id
                    .as_str()
                    .ok_or_else(|| EngineError::Decode("payloadId: not a string".into()))?;
                let mut raw = [0u8; 8];
                hex::decode_to_slice(text, &mut raw)
                    .map_err(|e| EngineError::Decode(format!("payloadId: {e}")))?;
                Ok(Some(PayloadId(raw)))
            }
        }
    }

    /// `engine_getPayloadV4`.
    pub async fn get_payload(&self, id: PayloadId) -> Result<BuiltPayload, EngineError> {
        let result = self
            .call("engine_getPayloadV4", json!([hex::encode_prefixed(id.0)]))
            .await?;
        let field = |name: &str| {
            result
                .get(name)
                .ok_or_else(|| EngineError::Decode(format!("{name}: missing")))
        };
        let value = field("blockValue")?
            .as_str()
            .and_then(|t| t.strip_prefix("0x"))
            .and_then(|t| U256::from_str_radix(t, 16).ok())
            .ok_or_else(|| EngineError::Decode("blockValue: not a quantity".into()))?;
        // V4 always carries the requests; ethereumjs leaves them out when it hands out a
        // payload a second time (it froze at the first `getPayload`).
        let requests = result
            .get("executionRequests")
            .ok_or(EngineError::StalePayload)?;
        Ok(BuiltPayload {
            payload: payload_from_json(field("executionPayload")?)?,
            block_value: value,
            blobs_bundle: blobs_bundle_from_json(field("blobsBundle")?)?,
            execution_requests: requests_from_json(requests)?,
        })
    }

    /// Builds a block on `parent` from the pool as it is now: `forkchoiceUpdated` with
    /// `attributes`, then `getPayload`.
    ///
    /// Execution clients key payload builds by their attributes. ethereumjs freezes a build
    /// at its first `getPayload` and hands the same block out again, without its requests,
    /// to anyone asking later with the same attributes (the sidecar's fallback, the devnet's
    /// builder and its beacon service share one client). When that happens, this starts
    /// [`EVICTING_BUILDS`] builds with later timestamps, which push the frozen one out of
    /// the client's small cache, and builds once more.
    pub async fn build(
        &self,
        parent: B256,
        attributes: &PayloadAttributes,
    ) -> Result<BuiltPayload, EngineError> {
        match self.build_once(parent, attributes).await {
            Err(EngineError::StalePayload) => {
                tracing::debug!(%parent, "frozen payload for these attributes; evicting it");
                for k in 1..=EVICTING_BUILDS {
                    let other = PayloadAttributes {
                        timestamp: attributes.timestamp + k,
                        ..attributes.clone()
                    };
                    if let Err(error) = self.forkchoice_updated(parent, Some(&other)).await {
                        tracing::debug!(%error, "an evicting build did not start");
                    }
                }
                self.build_once(parent, attributes).await
            }
            other => other,
        }
    }

    async fn build_once(
        &self,
        parent: B256,
        attributes: &PayloadAttributes,
    ) -> Result<BuiltPayload, EngineError> {
        let id = self
            .forkchoice_updated(parent, Some(attributes))
            .await?
            .ok_or(EngineError::NoPayloadId)?;
        self.get_payload(id).await
    }

    /// `engine_newPayloadV4`: the verdict on `payload`. The blob versioned hashes are read
    /// from the payload's own blob transactions.
    pub async fn new_payload(
        &self,
        payload: &ExecutionPayload,
        requests: &ExecutionRequests,
        parent_beacon_block_root: B256,
    ) -> Result<PayloadStatus, EngineError> {
        let hashes = versioned_hashes(payload)?;
        let result = self
            .call(
                "engine_newPayloadV4",
                json!([
                    payload_to_json(payload),
                    hashes,
                    parent_beacon_block_root,
                    requests_to_json(requests)
                ]),
            )
            .await?;
        PayloadStatus::from_json(&result)
    }

    /// Makes `payload` the chain's head: `newPayload`, then `forkchoiceUpdated` to it.
    pub async fn import(
        &self,
        payload: &ExecutionPayload,
        requests: &ExecutionRequests,
        parent_beacon_block_root: B256,
    ) -> Result<(), EngineError> {
        let status = self
            .new_payload(payload, requests, parent_beacon_block_root)
            .await?;
        if status != PayloadStatus::Valid {
            return Err(EngineError::Status {
                method: "engine_newPayloadV4",
                status,
            });
        }
        self.forkchoice_updated(B256::from(payload.block_hash), None)
            .await?;
        Ok(())
    }
}

/// The blob versioned hashes of `payload`'s transactions, in order.
pub fn versioned_hashes(payload: &ExecutionPayload) -> Result<Vec<B256>, EngineError> {
    let mut hashes = Vec::new();
    for (i, raw) in payload.transactions.iter().enumerate() {
        let mut bytes: &[u8] = raw.as_ref();
        let tx = TxEnvelope::decode_2718(&mut bytes)
            .map_err(|e| EngineError::Decode(format!("transactions[{i}]: {e}")))?;
        if let Some(blob_hashes) = tx.blob_versioned_hashes() {
            hashes.extend_from_slice(blob_hashes);
        }
    }
    Ok(hashes)
}
