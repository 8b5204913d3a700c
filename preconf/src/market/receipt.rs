//! The committer's receipt for a bid (EIP-712): "I accepted bid `bidHash` as valid, as
//! number `seq` of my auction for `slot`". The clearing must account for every receipt,
//! which is what makes an ignored or outbid-by-a-lower-bid receipt slashable.

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};

use super::{bid::Bid, product::ProductId, typed};
use crate::{
    eip712::BatonDomain,
    signature::{EcdsaSignature, SignatureError, sign_as},
    types::Slot,
};

/// A receipt for one bid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidReceipt {
    /// The bid's EIP-712 digest.
    pub bid_hash: B256,
    /// The slot auctioned.
    pub slot: Slot,
    /// The bid's product.
    pub product: ProductId,
    /// The bid's amount in wei.
    pub amount: U256,
    /// Arrival order: 0, 1, 2, … per (committer, slot); also the receipt's leaf index in
    /// the clearing's bids root.
    pub seq: u32,
    /// Arrival time, Unix milliseconds (informational: no rule reads it).
    #[serde(with = "crate::types::quoted")]
    pub arrival_ms: u64,
    /// The committer that receipted (and will clear) the auction.
    pub committer: Address,
}

/// A receipt with the committer's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedReceipt {
    /// The receipt.
    #[serde(flatten)]
    pub receipt: BidReceipt,
    /// The committer's EIP-712 signature.
    pub signature: EcdsaSignature,
}

/// Why a receipt failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    /// The receipt does not describe the bid it is checked against.
    #[error("receipt {field} does not match the bid")]
    BidMismatch {
        /// The first field that differs: `bidHash`, `slot`, `product` or `amount`.
        field: &'static str,
    },
    /// Receipted by another committer than the slot's.
    #[error("receipt is by {got}, the slot's committer is {expected}")]
    WrongCommitter {
        /// The committer registered for the slot's proposer.
        expected: Address,
        /// The receipt's committer.
        got: Address,
    },
    /// Signature malformed, or not the committer's under this domain.
    #[error("receipt signature: {0}")]
    Signature(#[from] SignatureError),
}

impl BidReceipt {
    /// The EIP-712 struct.
    pub const fn to_eip712(&self) -> typed::BidReceipt {
        typed::BidReceipt {
            bidHash: self.bid_hash,
            slot: self.slot.0,
            product: self.product.0,
            amount: self.amount,
            seq: self.seq,
            arrivalMs: self.arrival_ms,
            committer: self.committer,
        }
    }

    /// `hashStruct(receipt)`: the receipt's leaf in the bids root.
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
    ) -> Result<SignedReceipt, ReceiptError> {
        let signature = sign_as(committer, self.committer, self.digest(domain))?;
        Ok(SignedReceipt {
            receipt: self,
            signature,
        })
    }

    /// Checks that the receipt describes `bid` (hash under `domain`, slot, product, amount).
    pub fn matches_bid(&self, bid: &Bid, domain: &BatonDomain) -> Result<(), ReceiptError> {
        let mismatch = |field| Err(ReceiptError::BidMismatch { field });
        if self.slot != bid.slot {
            return mismatch("slot");
        }
        if self.product != bid.product.id() {
            return mismatch("product");
        }
        if self.amount != bid.amount {
            return mismatch("amount");
        }
        if self.bid_hash != bid.digest(domain) {
            return mismatch("bidHash");
        }
        Ok(())
    }
}

impl SignedReceipt {
    /// Checks that `receipt.committer` signed it under `domain`.
    pub fn verify(&self, domain: &BatonDomain) -> Result<(), ReceiptError> {
        self.signature
            .verify(self.receipt.digest(domain), self.receipt.committer)?;
        Ok(())
    }

    /// What a bidder checks on the receipt it gets back: signed by `committer` (the one
    /// registered for the slot's proposer) and describing its own `bid`.
    pub fn verify_for(
        &self,
        domain: &BatonDomain,
        bid: &Bid,
        committer: Address,
    ) -> Result<(), ReceiptError> {
        if self.receipt.committer != committer {
            return Err(ReceiptError::WrongCommitter {
                expected: committer,
                got: self.receipt.committer,
            });
        }
        self.receipt.matches_bid(bid, domain)?;
        self.verify(domain)
    }
}
