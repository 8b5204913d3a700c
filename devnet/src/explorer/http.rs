//! The explorer's HTTP reads of the relay, the sidecars and (when given a URL) the beacon
//! service: bounded answers, short timeouts, errors without credentials.

use std::time::Duration;

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, SignedCommitment, Slot,
    constraints::{SignedConstraints, SignedDelegation},
};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::sources::redact;

/// Longest wait for one answer.
const TIMEOUT: Duration = Duration::from_secs(4);
/// Largest answer of a small route (JSON lists of records).
pub(crate) const SMALL_ANSWER: usize = 4 * 1024 * 1024;
/// Largest constraints answer (256 transactions, blobs included, as JSON hex).
const CONSTRAINTS_ANSWER: usize = 64 * 1024 * 1024;

/// A source did not answer usefully.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {reason}")]
pub struct UpstreamError {
    /// The URL asked (no credentials).
    pub url: String,
    /// What went wrong.
    pub reason: String,
}

/// One HTTP client for every source.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
}

impl Http {
    pub(crate) fn new() -> Self {
        let client = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self { client }
    }

    async fn read(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
        limit: usize,
    ) -> Result<Vec<u8>, UpstreamError> {
        let fail = |reason: String| UpstreamError {
            url: redact(url),
            reason,
        };
        let mut response = request
            .send()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?;
        let status = response.status();
        if response.content_length().is_some_and(|l| l > limit as u64) {
            return Err(fail(format!("answer over {limit} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| fail(e.without_url().to_string()))?
        {
            if body.len() + chunk.len() > limit {
                return Err(fail(format!("answer over {limit} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let text = String::from_utf8_lossy(&body);
            return Err(fail(format!(
                "HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            )));
        }
        Ok(body)
    }

    /// `GET url`, decoded as `T`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        url: &str,
        limit: usize,
    ) -> Result<T, UpstreamError> {
        let body = self.read(self.client.get(url), url, limit).await?;
        serde_json::from_slice(&body).map_err(|e| UpstreamError {
            url: redact(url),
            reason: format!("unexpected answer: {e}"),
        })
    }

    /// A JSON-RPC call; the `result`.
    pub(crate) async fn rpc<T: DeserializeOwned>(
        &self,
        url: &str,
        method: &str,
        params: Value,
        limit: usize,
    ) -> Result<T, UpstreamError> {
        let call = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
        let body = self
            .read(self.client.post(url).json(&call), url, limit)
            .await?;
        let fail = |reason: String| UpstreamError {
            url: redact(url),
            reason: format!("{method}: {reason}"),
        };
        let mut answer: Value = serde_json::from_slice(&body).map_err(|e| fail(e.to_string()))?;
        if let Some(error) = answer.get("error") {
            return Err(fail(error.to_string().chars().take(300).collect()));
        }
        serde_json::from_value(answer["result"].take()).map_err(|e| fail(e.to_string()))
    }
}

/// A payload the relay delivered (its data API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Delivered {
    /// The slot.
    pub slot: Slot,
    /// The block.
    pub block_hash: B256,
    /// The winning builder.
    pub builder: BlsPublicKey,
    /// The bid's value (wei, decimal).
    pub value: String,
}

#[derive(Deserialize)]
struct DeliveredWire {
    slot: Slot,
    block_hash: B256,
    builder_pubkey: BlsPublicKey,
    value: String,
}

/// The relay's routes the explorer reads.
#[derive(Clone)]
pub(crate) struct Relay {
    pub(crate) url: String,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Relay({})", redact(&self.url))
    }
}

impl Relay {
    /// Payloads delivered for slots `from..=to` (at most 200 slots).
    pub(crate) async fn delivered(
        &self,
        http: &Http,
        from: Slot,
        to: Slot,
    ) -> Result<Vec<Delivered>, UpstreamError> {
        let limit = (to.0 - from.0 + 1).clamp(1, 200);
        let url = format!(
            "{}/relay/v1/data/bidtraces/proposer_payload_delivered?cursor={to}&limit={limit}",
            self.url.trim_end_matches('/')
        );
        let wire: Vec<DeliveredWire> = http.get(&url, SMALL_ANSWER).await?;
        Ok(wire
            .into_iter()
            .filter(|d| d.slot >= from && d.slot <= to)
            .map(|d| Delivered {
                slot: d.slot,
                block_hash: d.block_hash,
                builder: d.builder_pubkey,
                value: d.value,
            })
            .collect())
    }

    /// The public constraints of `slot`.
    pub(crate) async fn constraints(
        &self,
        http: &Http,
        slot: Slot,
    ) -> Result<Vec<SignedConstraints>, UpstreamError> {
        let url = format!(
            "{}/constraints/v0/relay/constraints/{slot}",
            self.url.trim_end_matches('/')
        );
        http.get(&url, CONSTRAINTS_ANSWER).await
    }

    /// The delegations of `slot`.
    pub(crate) async fn delegations(
        &self,
        http: &Http,
        slot: Slot,
    ) -> Result<Vec<SignedDelegation>, UpstreamError> {
        let url = format!(
            "{}/constraints/v0/relay/delegations/{slot}",
            self.url.trim_end_matches('/')
        );
        http.get(&url, SMALL_ANSWER).await
    }
}

/// `baton_commitments`' answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Listed {
    pub(crate) commitments: Vec<SignedCommitment>,
    pub(crate) truncated: bool,
}

/// A sidecar's promises for slots `from..=to` (at most 64 slots).
pub(crate) async fn sidecar_commitments(
    http: &Http,
    rpc_url: &str,
    from: Slot,
    to: Slot,
) -> Result<Listed, UpstreamError> {
    http.rpc(
        rpc_url,
        "baton_commitments",
        json!([{ "fromSlot": from, "toSlot": to }]),
        // 4,096 promises of up to 256 items each.
        64 * 1024 * 1024,
    )
    .await
}
