//! What a sidecar publishes for a cleared auction (`baton_getClearing`): the signed
//! clearing, every leaf of its bids root, and for each award the winning receipt, the
//! product's preimage and the promises made for it. [`ClearingPublication::check`] is what a
//! bidder or watcher runs on it before building evidence.

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use super::{
    clearing::{MAX_BIDS_PER_SLOT, SignedClearing},
    product::Product,
    receipt::SignedReceipt,
    root::BidsTree,
};
use crate::{PositionProof, SignedCommitment, eip712::BatonDomain};

/// One award as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedAward {
    /// The winning bid's receipt.
    pub receipt: SignedReceipt,
    /// The product's preimage (its id is `receipt.product`).
    pub product: Product,
    /// The promises made for the award: the sequencing of the winning transactions, then
    /// the payment's inclusion (empty when they could not be made).
    pub commitments: Vec<SignedCommitment>,
}

/// `baton_getClearing`'s answer: `clearing` is `null` (and the lists empty) while the
/// auction is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClearingPublication {
    /// The signed clearing.
    pub clearing: Option<SignedClearing>,
    /// `hashStruct(BidReceipt)` of every receipt, in `seq` order.
    pub leaves: Vec<B256>,
    /// The awards, in the clearing's order.
    pub awards: Vec<PublishedAward>,
}

/// Why a publication does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicationError {
    /// The clearing's signature or shape.
    #[error("clearing: {0}")]
    Clearing(String),
    /// The leaves are not `bidCount` hashes under `bidsRoot`.
    #[error("the {leaves} published leaves do not rebuild the bids root of {bid_count} receipts")]
    Leaves {
        /// Leaves published.
        leaves: usize,
        /// The clearing's count.
        bid_count: u32,
    },
    /// Not one published award per clearing award, or one that does not match.
    #[error("published award {index} does not match the clearing's: {reason}")]
    Award {
        /// Its index.
        index: usize,
        /// What differs.
        reason: String,
    },
}

impl ClearingPublication {
    /// Checks the clearing's signature under `domain`, that the leaves rebuild its bids
    /// root, and that each published award is the clearing's (signed receipt, same bid,
    /// amount, seq and product, its leaf at `seq`). An open auction (`clearing: null`)
    /// checks trivially.
    pub fn check(&self, domain: &BatonDomain) -> Result<(), PublicationError> {
        let Some(signed) = &self.clearing else {
            return Ok(());
        };
        signed
            .verify(domain)
            .map_err(|e| PublicationError::Clearing(e.to_string()))?;
        let clearing = &signed.clearing;
        let leaves_err = || PublicationError::Leaves {
            leaves: self.leaves.len(),
            bid_count: clearing.bid_count,
        };
        if self.leaves.len() != clearing.bid_count as usize || self.leaves.len() > MAX_BIDS_PER_SLOT
        {
            return Err(leaves_err());
        }
        let tree = BidsTree::new(&self.leaves).map_err(|_| leaves_err())?;
        if tree.root() != clearing.bids_root {
            return Err(leaves_err());
        }
        if self.awards.len() != clearing.awards.len() {
            return Err(PublicationError::Award {
                index: self.awards.len().min(clearing.awards.len()),
                reason: format!(
                    "{} published, {} in the clearing",
                    self.awards.len(),
                    clearing.awards.len()
                ),
            });
        }
        for (index, (published, award)) in self.awards.iter().zip(&clearing.awards).enumerate() {
            let bad = |reason: &str| PublicationError::Award {
                index,
                reason: reason.to_owned(),
            };
            let receipt = &published.receipt.receipt;
            published
                .receipt
                .verify(domain)
                .map_err(|e| bad(&e.to_string()))?;
            if receipt.committer != clearing.committer || receipt.slot != clearing.slot {
                return Err(bad("receipt of another auction"));
            }
            if (
                receipt.bid_hash,
                receipt.amount,
                receipt.seq,
                receipt.product,
            ) != (award.bid_hash, award.amount, award.seq, award.product)
            {
                return Err(bad("receipt differs from the award"));
            }
            if published.product.id() != award.product {
                return Err(bad("product preimage does not hash to the award's id"));
            }
            if self.leaves.get(award.seq as usize) != Some(&receipt.struct_hash()) {
                return Err(bad("the receipt is not the leaf at its seq"));
            }
        }
        Ok(())
    }

    /// The position proof of leaf `seq` (`None` when open, or `seq >= bidCount`): with a
    /// receipt's struct hash it shows the receipt is counted.
    pub fn proof(&self, seq: u32) -> Option<PositionProof> {
        self.clearing.as_ref()?;
        BidsTree::new(&self.leaves).ok()?.prove(seq)
    }
}
