//! Clearing an auction at its deadline: the highest receipted bid per product wins (first
//! price, ties to the earlier `seq`), products are awarded greedily without conflicts, and
//! the committer signs a [`Clearing`] (EIP-712) with the root over every receipt.
//!
//! [`clear`] is pure and deterministic: the same receipts in any order give the same bytes.

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};

use super::{
    product::{Product, ProductError, ProductId},
    receipt::BidReceipt,
    root::BidsTree,
    typed,
};
use crate::{
    batch::PositionProof,
    eip712::BatonDomain,
    signature::{EcdsaSignature, SignatureError, sign_as},
    types::{RollupId, Slot},
};

/// Most receipts one committer issues for one slot.
pub const MAX_BIDS_PER_SLOT: usize = 4096;
/// Most distinct products bid for in one slot (so also the most awards): the sidecar
/// refuses bids for products it does not offer, and offers at most this many.
pub const MAX_PRODUCTS_PER_SLOT: usize = 64;

/// One product's winner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Award {
    /// The product awarded.
    pub product: ProductId,
    /// The winning bid's hash.
    pub bid_hash: B256,
    /// The winning bid's amount (what the winner pays).
    pub amount: U256,
    /// The winning bid's receipt `seq`.
    pub seq: u32,
}

/// The signed outcome of one slot's auction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clearing {
    /// The slot auctioned.
    pub slot: Slot,
    /// The committer that receipted and cleared.
    pub committer: Address,
    /// The bids root over every receipt (see [`BidsTree`]).
    pub bids_root: B256,
    /// How many receipts the root covers (`seq` 0 to `bid_count - 1`).
    pub bid_count: u32,
    /// The awards, in clearing order (amount descending, then product id ascending).
    pub awards: Vec<Award>,
}

/// A clearing with the committer's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedClearing {
    /// The clearing.
    #[serde(flatten)]
    pub clearing: Clearing,
    /// The committer's EIP-712 signature.
    pub signature: EcdsaSignature,
}

/// A receipt with the product it names: one input of [`clear`] (what the sidecar keeps
/// per receipted bid, next to the bid itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptedBid {
    /// The receipt the committer issued.
    pub receipt: BidReceipt,
    /// The bid's product (its id is `receipt.product`).
    pub product: Product,
}

/// Why receipts cannot be cleared, or a clearing is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClearingError {
    /// More receipts than [`MAX_BIDS_PER_SLOT`].
    #[error("{count} bids, the limit per slot is {max}", max = MAX_BIDS_PER_SLOT)]
    TooManyBids {
        /// Receipts given.
        count: usize,
    },
    /// More distinct products (or awards) than [`MAX_PRODUCTS_PER_SLOT`].
    #[error("{count} products, the limit per slot is {max}", max = MAX_PRODUCTS_PER_SLOT)]
    TooManyProducts {
        /// Products (or awards) counted.
        count: usize,
    },
    /// The receipts' `seq` are not exactly `0..count` (one missing or repeated).
    #[error("expected receipt seq {expected}, found {got}")]
    SeqGap {
        /// The next `seq` in order.
        expected: u32,
        /// The `seq` found there.
        got: u32,
    },
    /// A receipt for another slot.
    #[error("receipt {seq} is for slot {got}, the clearing is for {expected}")]
    WrongSlot {
        /// The receipt's seq.
        seq: u32,
        /// The clearing's slot.
        expected: Slot,
        /// The receipt's slot.
        got: Slot,
    },
    /// A receipt by another committer.
    #[error("receipt {seq} is by {got}, the clearing is by {expected}")]
    WrongCommitter {
        /// The receipt's seq.
        seq: u32,
        /// The clearing's committer.
        expected: Address,
        /// The receipt's committer.
        got: Address,
    },
    /// The product given does not hash to the receipt's product id.
    #[error("receipt {seq} names product {receipt}, the product given hashes to {computed}")]
    ProductMismatch {
        /// The receipt's seq.
        seq: u32,
        /// The receipt's product id.
        receipt: ProductId,
        /// The given product's id.
        computed: ProductId,
    },
    /// A receipted product is malformed (the sidecar receipts only valid bids).
    #[error("receipt {seq}: {source}")]
    InvalidProduct {
        /// The receipt's seq.
        seq: u32,
        /// Why.
        source: ProductError,
    },
    /// A zero amount (receipted or awarded).
    #[error("receipt {seq} has a zero amount")]
    ZeroAmount {
        /// The seq.
        seq: u32,
    },
    /// An award points past the receipts.
    #[error("award {index} names seq {seq}, beyond the {bid_count} receipts")]
    AwardSeqOutOfRange {
        /// The award's index.
        index: usize,
        /// Its seq.
        seq: u32,
        /// The clearing's bid count.
        bid_count: u32,
    },
    /// Two awards for one product.
    #[error("award {index} repeats product {product}")]
    DuplicateAward {
        /// The repeat's index.
        index: usize,
        /// The product.
        product: ProductId,
    },
    /// An empty auction must have the zero root and no awards.
    #[error("a clearing of zero bids must have bidsRoot 0 and no awards")]
    NonEmptyWithoutBids,
    /// Signature malformed, or not the committer's under this domain.
    #[error("clearing signature: {0}")]
    Signature(#[from] SignatureError),
}

/// What [`clear`] returns: the clearing to sign, the tree to answer proofs from, and which
/// inputs won.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClearingOutcome {
    /// The clearing (unsigned).
    pub clearing: Clearing,
    /// The bids tree over every receipt.
    pub tree: BidsTree,
    /// For each award, the index of its winning bid in the input slice.
    pub winners: Vec<usize>,
}

impl ClearingOutcome {
    /// The proof of what leaf `seq` holds: with the receipt's struct hash it shows a bidder
    /// that its receipt is accounted for; `None` when `seq >= bid_count` (which is itself
    /// the omission evidence).
    pub fn omission_proof(&self, seq: u32) -> Option<PositionProof> {
        self.tree.prove(seq)
    }
}

/// Clears `slot`'s auction of `committer` over every receipt it issued, in any order.
///
/// Rules (`docs/marketplace.md`): each product's best bid is its highest amount, ties to
/// the lower `seq`; products are taken in order of best amount descending, then product
/// id ascending, and a product is awarded unless it shares a rollup with one already
/// awarded.
pub fn clear(
    slot: Slot,
    committer: Address,
    bids: &[ReceiptedBid],
) -> Result<ClearingOutcome, ClearingError> {
    if bids.len() > MAX_BIDS_PER_SLOT {
        return Err(ClearingError::TooManyBids { count: bids.len() });
    }
    let mut order: Vec<usize> = (0..bids.len()).collect();
    order.sort_by_key(|&i| bids[i].receipt.seq);
    // Each product's best input index, found in seq order so that ties keep the earlier.
    let mut best: BTreeMap<ProductId, usize> = BTreeMap::new();
    let mut leaves = Vec::with_capacity(bids.len());
    for (expected, &i) in order.iter().enumerate() {
        let ReceiptedBid { receipt, product } = &bids[i];
        let seq = receipt.seq;
        // expected < MAX_BIDS_PER_SLOT, so it fits.
        let expected = expected as u32;
        if seq != expected {
            return Err(ClearingError::SeqGap { expected, got: seq });
        }
        check_receipt(slot, committer, receipt, product)?;
        leaves.push(receipt.struct_hash());
        let entry = best.entry(receipt.product).or_insert(i);
        if receipt.amount > bids[*entry].receipt.amount {
            *entry = i;
        }
        if best.len() > MAX_PRODUCTS_PER_SLOT {
            return Err(ClearingError::TooManyProducts { count: best.len() });
        }
    }
    let mut ranked: Vec<(ProductId, usize)> = best.into_iter().collect();
    ranked.sort_by(|(id_a, a), (id_b, b)| {
        bids[*b]
            .receipt
            .amount
            .cmp(&bids[*a].receipt.amount)
            .then(id_a.cmp(id_b))
    });
    let mut taken: BTreeSet<RollupId> = BTreeSet::new();
    let mut awards = Vec::new();
    let mut winners = Vec::new();
    for (product, i) in ranked {
        let rollups = bids[i].product.rollups();
        if rollups.iter().any(|r| taken.contains(r)) {
            continue;
        }
        taken.extend(rollups.iter().copied());
        let receipt = &bids[i].receipt;
        awards.push(Award {
            product,
            bid_hash: receipt.bid_hash,
            amount: receipt.amount,
            seq: receipt.seq,
        });
        winners.push(i);
    }
    // At most MAX_BIDS_PER_SLOT leaves, within the batch tree's limit.
    let tree = BidsTree::new(&leaves).map_err(|e| ClearingError::TooManyBids { count: e.count })?;
    Ok(ClearingOutcome {
        clearing: Clearing {
            slot,
            committer,
            bids_root: tree.root(),
            bid_count: leaves.len() as u32,
            awards,
        },
        tree,
        winners,
    })
}

fn check_receipt(
    slot: Slot,
    committer: Address,
    receipt: &BidReceipt,
    product: &Product,
) -> Result<(), ClearingError> {
    let seq = receipt.seq;
    if receipt.slot != slot {
        return Err(ClearingError::WrongSlot {
            seq,
            expected: slot,
            got: receipt.slot,
        });
    }
    if receipt.committer != committer {
        return Err(ClearingError::WrongCommitter {
            seq,
            expected: committer,
            got: receipt.committer,
        });
    }
    let computed = product.id();
    if computed != receipt.product {
        return Err(ClearingError::ProductMismatch {
            seq,
            receipt: receipt.product,
            computed,
        });
    }
    product
        .check()
        .map_err(|source| ClearingError::InvalidProduct { seq, source })?;
    if receipt.amount.is_zero() {
        return Err(ClearingError::ZeroAmount { seq });
    }
    Ok(())
}

impl Clearing {
    /// Checks the bounds: counts, award seqs below `bid_count`, one award per product,
    /// non-zero amounts, and the empty auction's zero root.
    pub fn check_shape(&self) -> Result<(), ClearingError> {
        if self.bid_count as usize > MAX_BIDS_PER_SLOT {
            return Err(ClearingError::TooManyBids {
                count: self.bid_count as usize,
            });
        }
        if self.awards.len() > MAX_PRODUCTS_PER_SLOT {
            return Err(ClearingError::TooManyProducts {
                count: self.awards.len(),
            });
        }
        if self.bid_count == 0 && (self.bids_root != B256::ZERO || !self.awards.is_empty()) {
            return Err(ClearingError::NonEmptyWithoutBids);
        }
        for (index, award) in self.awards.iter().enumerate() {
            if award.seq >= self.bid_count {
                return Err(ClearingError::AwardSeqOutOfRange {
                    index,
                    seq: award.seq,
                    bid_count: self.bid_count,
                });
            }
            if award.amount.is_zero() {
                return Err(ClearingError::ZeroAmount { seq: award.seq });
            }
            if self.awards[..index]
                .iter()
                .any(|a| a.product == award.product)
            {
                return Err(ClearingError::DuplicateAward {
                    index,
                    product: award.product,
                });
            }
        }
        Ok(())
    }

    /// The EIP-712 struct.
    pub fn to_eip712(&self) -> typed::Clearing {
        typed::Clearing {
            slot: self.slot.0,
            committer: self.committer,
            bidsRoot: self.bids_root,
            bidCount: self.bid_count,
            awards: self
                .awards
                .iter()
                .map(|a| typed::Award {
                    product: a.product.0,
                    bidHash: a.bid_hash,
                    amount: a.amount,
                    seq: a.seq,
                })
                .collect(),
        }
    }

    /// `hashStruct(clearing)`.
    pub fn struct_hash(&self) -> B256 {
        self.to_eip712().eip712_hash_struct()
    }

    /// The digest the committer signs.
    pub fn digest(&self, domain: &BatonDomain) -> B256 {
        self.to_eip712().eip712_signing_hash(&domain.eip712())
    }

    /// Signs as `committer` (whose address must be `self.committer`).
    pub fn sign(
        self,
        committer: &PrivateKeySigner,
        domain: &BatonDomain,
    ) -> Result<SignedClearing, ClearingError> {
        self.check_shape()?;
        let signature = sign_as(committer, self.committer, self.digest(domain))?;
        Ok(SignedClearing {
            clearing: self,
            signature,
        })
    }
}

impl SignedClearing {
    /// Checks the shape and that `clearing.committer` signed it under `domain`.
    pub fn verify(&self, domain: &BatonDomain) -> Result<(), ClearingError> {
        self.clearing.check_shape()?;
        self.signature
            .verify(self.clearing.digest(domain), self.clearing.committer)?;
        Ok(())
    }
}
