//! JSON-RPC to a sidecar (`docs/api.md`).

use std::time::Duration;

use alloy_primitives::B256;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

use super::ClientError;
use crate::{
    BlsPublicKey, RollupId, SignedCommitment, SignedRequest, Slot,
    market::{ClearingPublication, Product, ProductId, SignedBid, SignedReceipt},
};

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
    /// Products auctioned in the slot while its auction is open (empty from sidecars
    /// without auctions, or older ones).
    #[serde(default)]
    pub products: Vec<AuctionedProduct>,
    /// Remaining capacity (`None` from older sidecars).
    #[serde(default)]
    pub capacity: Option<SlotCapacity>,
}

/// A product auctioned in a slot (`baton_slots`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuctionedProduct {
    /// The ordering right.
    pub product: Product,
    /// Its id.
    pub product_id: ProductId,
    /// Reserve price (decimal wei).
    pub reserve_wei: String,
    /// When the auction closes (decimal Unix ms).
    pub closes_at_ms: String,
    /// Where a bid's payment goes (absent from older sidecars).
    #[serde(default)]
    pub payment_recipient: Option<alloy_primitives::Address>,
}

/// A slot's remaining capacity (`baton_slots`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotCapacity {
    /// L1 gas still promisable (decimal).
    pub l1_gas_left: String,
    /// Each sequenced rollup's batch.
    pub rollups: Vec<RollupCapacity>,
}

/// What one rollup's batch still takes in a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupCapacity {
    /// The rollup.
    pub rollup_id: RollupId,
    /// Transactions still promisable (decimal).
    pub batch_txs_left: String,
    /// Bytes still promisable (decimal).
    pub batch_bytes_left: String,
    /// Fee per rollup transaction (decimal wei).
    pub fee_per_tx: String,
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

    /// `baton_submitBid`: the signed receipt of a bid (check it with
    /// [`SignedReceipt::verify_for`] and keep it).
    pub async fn submit_bid(&self, bid: &SignedBid) -> Result<SignedReceipt, ClientError> {
        self.call("baton_submitBid", json!([bid])).await
    }

    /// `baton_getClearing`: the slot's published clearing (`clearing: None` while the
    /// auction is open); check it with [`ClearingPublication::check`].
    pub async fn get_clearing(&self, slot: Slot) -> Result<ClearingPublication, ClientError> {
        self.call("baton_getClearing", json!([{ "slot": slot }]))
            .await
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
