//! A sealed bid for a product in a slot (EIP-712, signed by the bidder), and its checks on
//! arrival: shape, signature, the auction it names, the reserve, the transactions it runs
//! and its L1 payment. Only a [`ValidBid`] can be receipted.

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};

use super::{
    payment::{PaymentError, PaymentTerms, check_payment},
    product::{MAX_BID_TXS, Product, ProductError},
    receipt::BidReceipt,
    typed,
};
use crate::{
    bls::BlsPublicKey,
    eip712::BatonDomain,
    signature::{EcdsaSignature, SignatureError, sign_as},
    transaction::{L1Transaction, TxDecodeError, rollup_tx_hash},
    types::Slot,
};

/// A bid: "I pay `amount` wei for `product` in `slot` and run these transactions there".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bid {
    /// The slot auctioned.
    pub slot: Slot,
    /// The proposer of `slot` (as in a commitment).
    pub validator_pubkey: BlsPublicKey,
    /// What is bid for; signed as its [`super::ProductId`].
    pub product: Product,
    /// Wei offered (first price: the winner pays its bid).
    pub amount: U256,
    /// keccak256 of each raw rollup transaction, in the product's positions in order (a
    /// bundle rollup by rollup, in the rollups' order).
    pub tx_hashes: Vec<B256>,
    /// The hash of the L1 payment transaction.
    pub payment_tx_hash: B256,
    /// The bidder's address (signs the bid, sends the payment).
    pub bidder: Address,
    /// Chosen by the bidder so that two otherwise equal bids differ.
    #[serde(with = "crate::types::quoted")]
    pub nonce: u64,
}

/// A bid with its signature and the raw transactions its hashes name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignedBid {
    /// The bid.
    #[serde(flatten)]
    pub bid: Bid,
    /// The bidder's EIP-712 signature.
    pub signature: EcdsaSignature,
    /// The raw rollup transactions, one per `tx_hashes` entry, in the same order.
    pub transactions: Vec<Bytes>,
    /// The raw L1 payment transaction (EIP-2718 type 2).
    pub payment: Bytes,
}

/// The auction a bid must belong to, as the sidecar knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BidContext {
    /// The slot auctioned.
    pub slot: Slot,
    /// Its proposer.
    pub validator_pubkey: BlsPublicKey,
    /// Its fee recipient (where payments go).
    pub fee_recipient: Address,
    /// The L1 chain id.
    pub l1_chain_id: u64,
    /// The product's reserve price in wei (zero when none).
    pub reserve: U256,
}

/// Why a bid was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidError {
    /// The product is malformed.
    #[error("bid product: {0}")]
    Product(#[from] ProductError),
    /// The amount is zero.
    #[error("bid amount must be above zero")]
    ZeroAmount,
    /// More transaction hashes than [`MAX_BID_TXS`].
    #[error("bid runs {count} transactions, the limit is {max}", max = MAX_BID_TXS)]
    TooManyTxs {
        /// Hashes given.
        count: usize,
    },
    /// The transaction count does not fit the product.
    #[error("the product takes {min} to {max} transactions, the bid runs {count}")]
    WrongTxCount {
        /// Hashes given.
        count: usize,
        /// Fewest the product takes.
        min: usize,
        /// Most the product takes.
        max: usize,
    },
    /// The same transaction hash twice.
    #[error("transaction {index} repeats an earlier hash")]
    DuplicateTx {
        /// Index of the repeat.
        index: usize,
    },
    /// The bid is for another slot.
    #[error("bid is for slot {got}, the auction is for {expected}")]
    WrongSlot {
        /// The auction's slot.
        expected: Slot,
        /// The bid's slot.
        got: Slot,
    },
    /// The bid names another proposer.
    #[error("bid names another validator than the slot's proposer")]
    WrongValidator,
    /// Under the product's reserve price.
    #[error("bid of {amount} wei is below the reserve of {reserve}")]
    BelowReserve {
        /// The bid amount.
        amount: U256,
        /// The reserve.
        reserve: U256,
    },
    /// Not one raw transaction per hash.
    #[error("bid names {hashes} transaction hashes but carries {transactions} transactions")]
    TransactionCount {
        /// Hashes named.
        hashes: usize,
        /// Raw transactions carried.
        transactions: usize,
    },
    /// A raw rollup transaction is empty or too large.
    #[error("transaction {index}: {source}")]
    RollupTx {
        /// Its index.
        index: usize,
        /// Why.
        source: TxDecodeError,
    },
    /// A raw rollup transaction does not hash to its entry in `tx_hashes`.
    #[error("transaction {index} hashes to {computed}, the bid names {expected}")]
    TxHashMismatch {
        /// Its index.
        index: usize,
        /// The bid's hash.
        expected: B256,
        /// keccak256 of the raw bytes.
        computed: B256,
    },
    /// The payment transaction is refused.
    #[error(transparent)]
    Payment(#[from] PaymentError),
    /// Signature malformed, or not the bidder's under this domain.
    #[error("bid signature: {0}")]
    Signature(#[from] SignatureError),
}

impl Bid {
    /// Checks the product, the amount and the transaction hashes' count and uniqueness.
    pub fn check_shape(&self) -> Result<(), BidError> {
        let count = self.tx_hashes.len();
        if count > MAX_BID_TXS {
            return Err(BidError::TooManyTxs { count });
        }
        self.product.check()?;
        if self.amount.is_zero() {
            return Err(BidError::ZeroAmount);
        }
        let (min, max) = self.product.tx_count_range();
        if !(min..=max).contains(&count) {
            return Err(BidError::WrongTxCount { count, min, max });
        }
        // At most MAX_BID_TXS hashes: quadratic is fine and allocation-free.
        for (index, hash) in self.tx_hashes.iter().enumerate() {
            if self.tx_hashes[..index].contains(hash) {
                return Err(BidError::DuplicateTx { index });
            }
        }
        Ok(())
    }

    /// The EIP-712 struct.
    pub fn to_eip712(&self) -> typed::Bid {
        typed::Bid {
            slot: self.slot.0,
            validatorPubkey: self.validator_pubkey.0.to_vec().into(),
            product: self.product.id().0,
            amount: self.amount,
            txHashes: self.tx_hashes.clone(),
            paymentTxHash: self.payment_tx_hash,
            bidder: self.bidder,
            nonce: self.nonce,
        }
    }

    /// `hashStruct(bid)`.
    pub fn struct_hash(&self) -> B256 {
        self.to_eip712().eip712_hash_struct()
    }

    /// The digest the bidder signs; also the bid's hash (`bidHash`) everywhere else.
    pub fn digest(&self, domain: &BatonDomain) -> B256 {
        self.to_eip712().eip712_signing_hash(&domain.eip712())
    }

    /// Signs as `bidder` (whose address must be `self.bidder`) and attaches the raw
    /// transactions.
    pub fn sign(
        self,
        bidder: &PrivateKeySigner,
        domain: &BatonDomain,
        transactions: Vec<Bytes>,
        payment: Bytes,
    ) -> Result<SignedBid, BidError> {
        self.check_shape()?;
        let signature = sign_as(bidder, self.bidder, self.digest(domain))?;
        Ok(SignedBid {
            bid: self,
            signature,
            transactions,
            payment,
        })
    }
}

impl SignedBid {
    /// Checks the shape and that `bid.bidder` signed it under `domain`; returns the bid hash.
    pub fn verify(&self, domain: &BatonDomain) -> Result<B256, BidError> {
        self.bid.check_shape()?;
        let digest = self.bid.digest(domain);
        self.signature.verify(digest, self.bid.bidder)?;
        Ok(digest)
    }

    /// Everything the sidecar checks on arrival, cheapest first: the shape, the auction,
    /// the reserve, the raw transactions, the signature, the payment.
    pub fn validate(self, domain: &BatonDomain, ctx: &BidContext) -> Result<ValidBid, BidError> {
        let bid = &self.bid;
        bid.check_shape()?;
        if bid.slot != ctx.slot {
            return Err(BidError::WrongSlot {
                expected: ctx.slot,
                got: bid.slot,
            });
        }
        if bid.validator_pubkey != ctx.validator_pubkey {
            return Err(BidError::WrongValidator);
        }
        if bid.amount < ctx.reserve {
            return Err(BidError::BelowReserve {
                amount: bid.amount,
                reserve: ctx.reserve,
            });
        }
        if self.transactions.len() != bid.tx_hashes.len() {
            return Err(BidError::TransactionCount {
                hashes: bid.tx_hashes.len(),
                transactions: self.transactions.len(),
            });
        }
        for (index, (raw, expected)) in self.transactions.iter().zip(&bid.tx_hashes).enumerate() {
            let computed =
                rollup_tx_hash(raw).map_err(|source| BidError::RollupTx { index, source })?;
            if computed != *expected {
                return Err(BidError::TxHashMismatch {
                    index,
                    expected: *expected,
                    computed,
                });
            }
        }
        let bid_hash = self.bid.digest(domain);
        self.signature.verify(bid_hash, bid.bidder)?;
        let payment = check_payment(
            &self.payment,
            &PaymentTerms {
                tx_hash: bid.payment_tx_hash,
                bidder: bid.bidder,
                amount: bid.amount,
                fee_recipient: ctx.fee_recipient,
                chain_id: ctx.l1_chain_id,
            },
        )?;
        Ok(ValidBid {
            signed: self,
            bid_hash,
            payment,
        })
    }
}

/// A bid that passed [`SignedBid::validate`]: the only thing a committer receipts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidBid {
    signed: SignedBid,
    bid_hash: B256,
    payment: L1Transaction,
}

impl ValidBid {
    /// The signed bid.
    pub const fn signed(&self) -> &SignedBid {
        &self.signed
    }

    /// The bid.
    pub const fn bid(&self) -> &Bid {
        &self.signed.bid
    }

    /// The bid's EIP-712 digest (`bidHash`).
    pub const fn bid_hash(&self) -> B256 {
        self.bid_hash
    }

    /// The decoded payment transaction (to promise for inclusion if the bid wins).
    pub const fn payment(&self) -> &L1Transaction {
        &self.payment
    }

    /// The receipt for this bid, arriving as number `seq` of the committer's auction for
    /// the slot at `arrival_ms` (Unix milliseconds). Sign it with [`BidReceipt::sign`].
    pub fn receipt(&self, seq: u32, arrival_ms: u64, committer: Address) -> BidReceipt {
        let bid = self.bid();
        BidReceipt {
            bid_hash: self.bid_hash,
            slot: bid.slot,
            product: bid.product.id(),
            amount: bid.amount,
            seq,
            arrival_ms,
            committer,
        }
    }

    /// Gives the signed bid back.
    pub fn into_signed(self) -> SignedBid {
        self.signed
    }
}
