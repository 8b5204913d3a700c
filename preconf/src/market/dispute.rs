//! The evidence of an unfair clearing, checked exactly as the `Slasher` checks it
//! (step ⑧). Each `check_*` function returns `Ok(())` when the evidence proves the fault
//! (the committer is slashable) and an error saying why not otherwise.
//!
//! | fault | Slasher function | evidence |
//! |---|---|---|
//! | (a) a receipted bid is not leaf `seq` of the root | `slashOmittedBid` | receipt, clearing, [`OmissionEvidence`] |
//! | (b) a product went to a lower (or equal and later) bid than a receipted one | `slashLowerWinner` | receipt, clearing, award index |
//! | (a') a receipted product got nothing although no awarded product conflicts with it | `slashIgnoredProduct` | receipt, its product, clearing, every award's product |

use alloy_primitives::B256;
use serde::{Deserialize, Serialize};

use super::{
    clearing::{ClearingError, SignedClearing},
    product::{Product, ProductError, ProductId},
    receipt::{ReceiptError, SignedReceipt},
};
use crate::{
    batch::{PositionProof, PositionProofError},
    eip712::BatonDomain,
    types::{Position, Slot},
};

/// How a receipt is shown to be missing from a clearing's root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum OmissionEvidence {
    /// The receipt's `seq` is at or past the clearing's `bidCount`.
    BeyondCount,
    /// Leaf `seq` of the root holds `leaf`, which is not the receipt's struct hash.
    OtherLeaf {
        /// The struct hash at leaf `seq`.
        leaf: B256,
        /// Its position proof (position `seq`, count `bidCount`).
        proof: PositionProof,
    },
}

/// Why evidence does not prove a fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DisputeError {
    /// The receipt's signature is not its committer's.
    #[error("receipt: {0}")]
    Receipt(#[from] ReceiptError),
    /// The clearing is malformed or not its committer's.
    #[error("clearing: {0}")]
    Clearing(#[from] ClearingError),
    /// Receipt and clearing are for different slots.
    #[error("receipt is for slot {receipt}, the clearing for {clearing}")]
    SlotMismatch {
        /// The receipt's slot.
        receipt: Slot,
        /// The clearing's slot.
        clearing: Slot,
    },
    /// Receipt and clearing are by different committers.
    #[error("receipt and clearing are by different committers")]
    CommitterMismatch,
    /// `BeyondCount`, but the receipt's seq is below `bidCount`.
    #[error("receipt seq {seq} is below the bid count {bid_count}")]
    WithinCount {
        /// The receipt's seq.
        seq: u32,
        /// The clearing's bid count.
        bid_count: u32,
    },
    /// The proof is for another position or count than the receipt's seq and the clearing's.
    #[error("the proof is for position {position} of {count}, expected {seq} of {bid_count}")]
    ProofMisplaced {
        /// The proof's position.
        position: Position,
        /// The proof's count.
        count: u64,
        /// The receipt's seq.
        seq: u32,
        /// The clearing's bid count.
        bid_count: u32,
    },
    /// The proof does not verify against the clearing's root.
    #[error("omission proof: {0}")]
    Proof(#[from] PositionProofError),
    /// Leaf `seq` holds this very receipt.
    #[error("leaf {seq} holds the receipt: nothing is omitted")]
    ReceiptPresent {
        /// The receipt's seq.
        seq: u32,
    },
    /// No award at this index.
    #[error("award index {index} is outside the {count} awards")]
    AwardOutOfRange {
        /// The index given.
        index: usize,
        /// Awards in the clearing.
        count: usize,
    },
    /// The award is for another product than the receipt.
    #[error("the award is for product {award}, the receipt for {receipt}")]
    DifferentProduct {
        /// The receipt's product.
        receipt: ProductId,
        /// The award's product.
        award: ProductId,
    },
    /// The award's bid beats (or is) the receipted one.
    #[error("the award ({award_amount} wei, seq {award_seq}) is not below the receipt")]
    AwardNotLower {
        /// The award's amount.
        award_amount: alloy_primitives::U256,
        /// The award's seq.
        award_seq: u32,
    },
    /// The product given does not hash to the id it stands for.
    #[error("product preimage {index} hashes to {computed}, expected {expected}")]
    PreimageMismatch {
        /// `0` for the receipt's product, `i + 1` for award `i`'s.
        index: usize,
        /// The id it should have.
        expected: ProductId,
        /// The id it has.
        computed: ProductId,
    },
    /// The receipt's product is malformed (a committer never receipts one; an honest
    /// clearing cannot be computed with it).
    #[error("receipted product: {0}")]
    InvalidProduct(#[from] ProductError),
    /// Not one product preimage per award.
    #[error("{given} award products given for {awards} awards")]
    AwardProductCount {
        /// Preimages given.
        given: usize,
        /// Awards in the clearing.
        awards: usize,
    },
    /// The receipt's product was awarded.
    #[error("the receipt's product is award {index}")]
    ProductAwarded {
        /// The award's index.
        index: usize,
    },
    /// An awarded product shares a rollup with the receipt's product, so skipping it was
    /// the rule.
    #[error("award {index} conflicts with the receipt's product")]
    ConflictingAward {
        /// The award's index.
        index: usize,
    },
}

/// Signatures, slot and committer: the part every dispute shares.
fn same_auction(
    domain: &BatonDomain,
    receipt: &SignedReceipt,
    clearing: &SignedClearing,
) -> Result<(), DisputeError> {
    receipt.verify(domain)?;
    clearing.verify(domain)?;
    let (r, c) = (&receipt.receipt, &clearing.clearing);
    if r.slot != c.slot {
        return Err(DisputeError::SlotMismatch {
            receipt: r.slot,
            clearing: c.slot,
        });
    }
    if r.committer != c.committer {
        return Err(DisputeError::CommitterMismatch);
    }
    Ok(())
}

/// Fault (a), `Slasher.slashOmittedBid`: the receipted bid is not leaf `seq` of the root.
pub fn check_omitted_bid(
    domain: &BatonDomain,
    receipt: &SignedReceipt,
    clearing: &SignedClearing,
    evidence: &OmissionEvidence,
) -> Result<(), DisputeError> {
    same_auction(domain, receipt, clearing)?;
    let (seq, bid_count) = (receipt.receipt.seq, clearing.clearing.bid_count);
    match evidence {
        OmissionEvidence::BeyondCount if seq >= bid_count => Ok(()),
        OmissionEvidence::BeyondCount => Err(DisputeError::WithinCount { seq, bid_count }),
        OmissionEvidence::OtherLeaf { leaf, proof } => {
            if proof.position != Position(u64::from(seq)) || proof.count != u64::from(bid_count) {
                return Err(DisputeError::ProofMisplaced {
                    position: proof.position,
                    count: proof.count,
                    seq,
                    bid_count,
                });
            }
            proof.verify(*leaf, clearing.clearing.bids_root)?;
            if *leaf == receipt.receipt.struct_hash() {
                return Err(DisputeError::ReceiptPresent { seq });
            }
            Ok(())
        }
    }
}

/// Fault (b), `Slasher.slashLowerWinner`: award `award_index` is for the receipt's product
/// with a lower amount, or the same amount and a later `seq`.
pub fn check_lower_winner(
    domain: &BatonDomain,
    receipt: &SignedReceipt,
    clearing: &SignedClearing,
    award_index: usize,
) -> Result<(), DisputeError> {
    same_auction(domain, receipt, clearing)?;
    let awards = &clearing.clearing.awards;
    let award = awards
        .get(award_index)
        .ok_or(DisputeError::AwardOutOfRange {
            index: award_index,
            count: awards.len(),
        })?;
    let r = &receipt.receipt;
    if award.product != r.product {
        return Err(DisputeError::DifferentProduct {
            receipt: r.product,
            award: award.product,
        });
    }
    if r.amount > award.amount || (r.amount == award.amount && r.seq < award.seq) {
        Ok(())
    } else {
        Err(DisputeError::AwardNotLower {
            award_amount: award.amount,
            award_seq: award.seq,
        })
    }
}

/// Fault (a'), `Slasher.slashIgnoredProduct`: the receipt's product got no award although
/// no awarded product shares a rollup with it, so the greedy rule had to award it.
/// `award_products[i]` is the preimage of award `i`'s product id.
pub fn check_ignored_product(
    domain: &BatonDomain,
    receipt: &SignedReceipt,
    product: &Product,
    clearing: &SignedClearing,
    award_products: &[Product],
) -> Result<(), DisputeError> {
    same_auction(domain, receipt, clearing)?;
    let expected = receipt.receipt.product;
    let computed = product.id();
    if computed != expected {
        return Err(DisputeError::PreimageMismatch {
            index: 0,
            expected,
            computed,
        });
    }
    product.check()?;
    let awards = &clearing.clearing.awards;
    if award_products.len() != awards.len() {
        return Err(DisputeError::AwardProductCount {
            given: award_products.len(),
            awards: awards.len(),
        });
    }
    // Bounded: a verified clearing has at most MAX_PRODUCTS_PER_SLOT awards.
    for (index, (award, awarded)) in awards.iter().zip(award_products).enumerate() {
        let computed = awarded.id();
        if computed != award.product {
            return Err(DisputeError::PreimageMismatch {
                index: index + 1,
                expected: award.product,
                computed,
            });
        }
        if award.product == expected {
            return Err(DisputeError::ProductAwarded { index });
        }
        if awarded.conflicts_with(product) {
            return Err(DisputeError::ConflictingAward { index });
        }
    }
    Ok(())
}
