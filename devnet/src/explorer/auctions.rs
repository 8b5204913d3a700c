//! `/api/auctions`: the marketplace's sealed-bid auctions per slot (issue 10), as each
//! sidecar publishes them (`baton_getClearing`), with whether each winner's L1 payment
//! landed. A slot a sidecar does not own, or whose auction is still open, has no row.

use alloy_primitives::{Address, B256, U256};
use baton_preconf::{
    CommitmentKind, SignedCommitment, Slot,
    market::{Product, SignedClearing, SignedReceipt},
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{aggregate::Aggregator, error::ExplorerError};

/// Most slots one `/api/auctions` answer covers (each is one call per sidecar).
pub(crate) const MAX_AUCTION_SLOTS: u64 = 16;
/// Largest `baton_getClearing` answer read (4,096 leaves and 64 awards fit easily).
const CLEARING_ANSWER: usize = 4 * 1024 * 1024;

/// `baton_getClearing`'s answer.
#[derive(Debug, Deserialize)]
struct Published {
    clearing: Option<SignedClearing>,
    #[serde(default)]
    awards: Vec<PublishedAward>,
}

#[derive(Debug, Deserialize)]
struct PublishedAward {
    receipt: SignedReceipt,
    product: Product,
    #[serde(default)]
    commitments: Vec<SignedCommitment>,
}

/// One auction on the page.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuctionRow {
    slot: Slot,
    sidecar: String,
    committer: Address,
    bids: u32,
    bids_root: B256,
    awards: Vec<AwardRow>,
}

/// One awarded product.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AwardRow {
    product_id: B256,
    /// The product, when the sidecar published its preimage.
    product: Option<Product>,
    /// The clearing price (first price: the winning bid), in wei.
    #[serde(with = "decimal")]
    price: U256,
    bid_hash: B256,
    seq: u32,
    /// The payment transaction promised with the award.
    payment_tx: Option<B256>,
    /// Who paid (the payment's sender), once it landed.
    winner: Option<Address>,
    /// `paid` (the payment landed and succeeded), `failed`, or `pending`.
    fee: &'static str,
}

mod decimal {
    pub(super) fn serialize<S: serde::Serializer>(
        value: &alloy_primitives::U256,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.to_string())
    }
}

impl Aggregator {
    /// The auctions of slots `from..=to` (at most [`MAX_AUCTION_SLOTS`]).
    pub(crate) async fn auctions(
        &self,
        from: Slot,
        to: Slot,
    ) -> Result<serde_json::Value, ExplorerError> {
        let mut rows = Vec::new();
        let mut warnings = Vec::new();
        for sidecar in &self.sources.sidecars {
            for slot in from.0..=to.0 {
                let published: Published = match self
                    .http
                    .rpc(
                        &sidecar.rpc_url,
                        "baton_getClearing",
                        json!([{ "slot": slot.to_string() }]),
                        CLEARING_ANSWER,
                    )
                    .await
                {
                    Ok(published) => published,
                    // Not its slot, no auction, or a sidecar without a marketplace.
                    Err(_) => continue,
                };
                let Some(signed) = published.clearing else {
                    continue;
                };
                let clearing = &signed.clearing;
                let mut awards = Vec::with_capacity(clearing.awards.len());
                for award in &clearing.awards {
                    let published_award = published
                        .awards
                        .iter()
                        .find(|a| a.receipt.receipt.bid_hash == award.bid_hash);
                    let payment_tx = published_award.and_then(|a| {
                        a.commitments
                            .iter()
                            .find(|c| c.commitment.kind == CommitmentKind::Inclusion)
                            .and_then(|c| c.commitment.tx_hashes.first().copied())
                    });
                    let (winner, fee) = match payment_tx {
                        Some(hash) => match self.l1.raw_receipt(hash).await {
                            Ok(receipt) if receipt.is_object() => (
                                receipt["from"].as_str().and_then(|a| a.parse().ok()),
                                if receipt["status"] == "0x1" {
                                    "paid"
                                } else {
                                    "failed"
                                },
                            ),
                            Ok(_) => (None, "pending"),
                            Err(e) => {
                                warnings.push(format!("payment {hash}: {e}"));
                                (None, "pending")
                            }
                        },
                        None => (None, "pending"),
                    };
                    awards.push(AwardRow {
                        product_id: award.product.0,
                        product: published_award.map(|a| a.product.clone()),
                        price: award.amount,
                        bid_hash: award.bid_hash,
                        seq: award.seq,
                        payment_tx,
                        winner,
                        fee,
                    });
                }
                rows.push(AuctionRow {
                    slot: clearing.slot,
                    sidecar: sidecar.name.clone(),
                    committer: clearing.committer,
                    bids: clearing.bid_count,
                    bids_root: clearing.bids_root,
                    awards,
                });
            }
        }
        rows.sort_by_key(|r| (r.slot, r.sidecar.clone()));
        Ok(json!({
            "from": from,
            "to": to,
            "auctions": rows,
            "warnings": warnings,
        }))
    }
}
