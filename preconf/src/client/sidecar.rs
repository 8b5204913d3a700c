//! JSON-RPC to a sidecar (`docs/api.md`).

use std::time::Duration;

use alloy_primitives::B256;
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::ClientError;
use crate::{BlsPublicKey, SignedCommitment, SignedRequest, Slot};

/// One slot a sidecar sells (`baton_slots`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotOffer {
    /// The slot.
    pub slot: Slot,
    /// Its proposer.
    pub validator_pubkey: BlsPublicKey,
    /// L1 gas still promisable (decimal).
    pub l1_gas_left: String,
    /// Minimum priority fee per gas for a transfer now (decimal wei), if it fits.
    pub min_priority_fee_per_gas: Option<String>,
}

/// A sidecar's JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct SidecarClient {
    url: String,
    http: reqwest::Client,
}

impl SidecarClient {
    /// A client for the sidecar at `url`.
    pub fn new(url: &str) -> Result<Self, ClientError> {
        reqwest::Url::parse(url).map_err(|_| ClientError::BadUrl(url.to_owned()))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| ClientError::Transport {
                url: url.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            url: url.to_owned(),
            http,
        })
    }

    /// The sidecar's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: &str,
        params: Value,
    ) -> Result<T, ClientError> {
        let transport = |reason: String| ClientError::Transport {
            url: self.url.clone(),
            reason,
        };
        let answer: Value = self
            .http
            .post(&self.url)
            .json(&json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params }))
            .send()
            .await
            .map_err(|e| transport(e.to_string()))?
            .json()
            .await
            .map_err(|e| transport(e.to_string()))?;
        if let Some(error) = answer.get("error") {
            return Err(ClientError::Refused {
                code: error["code"].as_i64().unwrap_or_default(),
                message: error["message"].as_str().unwrap_or_default().to_owned(),
            });
        }
        serde_json::from_value(answer["result"].clone())
            .map_err(|e| transport(format!("unexpected answer to {method}: {e}")))
    }

    /// `baton_slots`: the slots the sidecar sells now, soonest first.
    pub async fn slots(&self) -> Result<Vec<SlotOffer>, ClientError> {
        self.call("baton_slots", json!([])).await
    }

    /// `baton_requestInclusion`.
    pub async fn request_inclusion(
        &self,
        request: &SignedRequest,
    ) -> Result<SignedCommitment, ClientError> {
        self.call("baton_requestInclusion", json!([request])).await
    }

    /// `baton_requestSequencing`.
    pub async fn request_sequencing(
        &self,
        request: &SignedRequest,
    ) -> Result<SignedCommitment, ClientError> {
        self.call("baton_requestSequencing", json!([request])).await
    }

    /// `baton_commitments`: the promises the sidecar made for slots `from..=to` (at most 64
    /// slots), and whether the answer was cut short.
    pub async fn commitments(
        &self,
        from: Slot,
        to: Slot,
    ) -> Result<(Vec<SignedCommitment>, bool), ClientError> {
        #[derive(Deserialize)]
        struct Listed {
            commitments: Vec<SignedCommitment>,
            truncated: bool,
        }
        let listed: Listed = self
            .call(
                "baton_commitments",
                json!([{ "fromSlot": from, "toSlot": to }]),
            )
            .await?;
        Ok((listed.commitments, listed.truncated))
    }

    /// `baton_getCommitment`: the promise for `request_id`, if the sidecar made one.
    pub async fn commitment(
        &self,
        request_id: B256,
    ) -> Result<Option<SignedCommitment>, ClientError> {
        #[derive(Deserialize)]
        struct Answer {
            commitment: SignedCommitment,
        }
        match self
            .call::<Answer>("baton_getCommitment", json!([request_id]))
            .await
        {
            Ok(answer) => Ok(Some(answer.commitment)),
            Err(ClientError::Refused { code: 1501, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }
}
