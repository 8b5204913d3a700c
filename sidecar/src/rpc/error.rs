//! The one place where sidecar errors become JSON-RPC errors. Every code is documented in
//! `docs/api.md`; a unit test asserts that no two errors share a code.

use serde_json::{Value, json};

use baton_preconf::market::BidError;

use crate::{ledger::LedgerError, metrics::Rejection};

/// A JSON-RPC error the sidecar answers with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RpcError {
    /// The body is not JSON.
    #[error("parse error: {0}")]
    Parse(String),
    /// Not a JSON-RPC 2.0 request object.
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// No such method.
    #[error("method not found: {0}")]
    MethodNotFound(String),
    /// Parameters have the wrong shape.
    #[error("invalid params: {0}")]
    InvalidParams(String),
    /// A fault on our side; details are logged, not returned.
    #[error("internal error")]
    Internal,
    /// The request's transactions or structure are malformed (bounded decoding failed).
    #[error("malformed request: {0}")]
    MalformedRequest(String),
    /// A Commitments API request names a commitment type this sidecar does not make.
    #[error("commitment type {0} is not offered (1 = L1 inclusion, 2 = rollup sequencing)")]
    UnsupportedCommitmentType(u64),
    /// A Commitments API request names another slasher than this sidecar's.
    #[error("slasher {got} is not this sidecar's ({expected})")]
    WrongSlasher {
        /// Our Slasher.
        expected: String,
        /// The one requested.
        got: String,
    },
    /// The wallet's EIP-712 signature is malformed or does not recover.
    #[error("bad request signature: {0}")]
    BadSignature(String),
    /// The slot is not proposed by one of this sidecar's validators.
    #[error("slot {0} is not ours")]
    SlotNotOurs(u64),
    /// The slot's promise deadline has passed.
    #[error("slot {slot} closed for promises {late_ms} ms ago")]
    PastDeadline {
        /// The slot.
        slot: u64,
        /// How late the request is.
        late_ms: u64,
    },
    /// The slot is further ahead than the lookahead window.
    #[error("slot {slot} is beyond the lookahead window (last slot {last})")]
    OutOfWindow {
        /// The slot.
        slot: u64,
        /// The last slot promises are sold for.
        last: u64,
    },
    /// The rollup id is not registered in the RollupInbox.
    #[error("rollup {0} is not registered")]
    UnknownRollup(u64),
    /// No room left in a rollup's batch.
    #[error("{0}")]
    BatchFull(String),
    /// The transaction is already promised in that batch.
    #[error("{0}")]
    AlreadyPromised(String),
    /// A rollup transaction names another chain than the rollup's L2 chain id.
    #[error(
        "rollup transaction {index} is for chain {got:?}, rollup {rollup_id} is chain {expected}"
    )]
    WrongL2ChainId {
        /// Index in the bundle.
        index: usize,
        /// The rollup.
        rollup_id: u64,
        /// The rollup's L2 chain id.
        expected: u64,
        /// Chain id in the transaction.
        got: Option<u64>,
    },
    /// A rollup transaction is not a signed L2 transaction the rollup can execute.
    #[error("{0}")]
    BadRollupTransaction(String),
    /// A rollup transaction's nonce is not its sender's next on the L2.
    #[error("{0}")]
    L2NonceMismatch(String),
    /// A rollup transaction's sender cannot pay on the L2 for all its pending promises.
    #[error("{0}")]
    L2InsufficientBalance(String),
    /// A rollup's L2 RPC could not be read.
    #[error("rollup {rollup_id}'s L2 state is unavailable: {reason}")]
    L2Unavailable {
        /// The rollup.
        rollup_id: u64,
        /// What failed.
        reason: String,
    },
    /// An L1 transaction names another chain.
    #[error("transaction {index} is for chain {got:?}, this L1 is {expected}")]
    WrongChainId {
        /// Index in the bundle.
        index: usize,
        /// Chain id of this L1.
        expected: u64,
        /// Chain id in the transaction.
        got: Option<u64>,
    },
    /// Max fee below the projected base fee (or blob base fee) of the slot.
    #[error("{0}")]
    FeeTooLow(String),
    /// Nonce is not the sender's next, counting earlier promises.
    #[error("{0}")]
    NonceMismatch(String),
    /// The sender cannot pay for all its pending promises.
    #[error("{0}")]
    InsufficientBalance(String),
    /// The slot's L1 gas is promised away.
    #[error("{0}")]
    SlotGasFull(String),
    /// The sender has code (a contract, or an EIP-7702 delegation): its nonce and balance
    /// can move without its own transactions, so inclusion cannot be promised.
    #[error("sender {0} has code (contract or EIP-7702 delegation); inclusion cannot be promised")]
    SenderHasCode(String),
    /// The sender is an EIP-7702 delegated account: code it does not control can move its
    /// balance and nonce, so inclusion cannot be promised.
    #[error("sender {sender} delegates to {delegate} (EIP-7702); inclusion cannot be promised")]
    SenderDelegated {
        /// The sender.
        sender: String,
        /// Its delegate.
        delegate: String,
    },
    /// EIP-7702 set-code transactions are not promised: their authorizations can change
    /// other accounts' code and so break other promises.
    #[error("transaction {0} is an EIP-7702 set-code transaction; these are not promised")]
    SetCodeUnsupported(usize),
    /// The slot's blob capacity is promised away.
    #[error("{0}")]
    BlobsFull(String),
    /// The priority fee is below the slot's current minimum (the congestion curve).
    #[error("{0}")]
    TipTooLow(String),
    /// Too many requests from this client or sender.
    #[error("rate limited: {0}")]
    RateLimited(String),
    /// No commitment with that request id.
    #[error("no commitment for request {0}")]
    CommitmentNotFound(String),
    /// The execution client has not given a head yet, or cannot be read.
    #[error("L1 execution state unavailable: {0}")]
    ExecutionUnavailable(String),
    /// The journal failed; no promise can be made until the sidecar restarts.
    #[error("promises are suspended: the commitment journal failed")]
    JournalUnavailable,
    /// Ordinary sequencing in a rollup whose positions in the slot are auctioned.
    #[error(
        "positions of rollup {rollup_id} in slot {slot} are under auction until {until_ms}; retry after the clearing"
    )]
    UnderAuction {
        /// The rollup.
        rollup_id: u64,
        /// The slot.
        slot: u64,
        /// When the auction closes (Unix ms); the clearing follows at once.
        until_ms: u64,
    },
    /// The rollup's whole batch in the slot was sold at auction.
    #[error("rollup {rollup_id}'s whole batch in slot {slot} was sold at auction")]
    BatchSold {
        /// The rollup.
        rollup_id: u64,
        /// The slot.
        slot: u64,
    },
    /// The bid's product is not offered in the slot (or no auction runs here).
    #[error("{0}")]
    ProductNotOffered(String),
    /// The slot's auction closed.
    #[error("the auction for slot {slot} closed {late_ms} ms ago")]
    AuctionClosed {
        /// The slot.
        slot: u64,
        /// How late the bid is.
        late_ms: u64,
    },
    /// The bid's product, amount, transactions or hashes are malformed.
    #[error("malformed bid: {0}")]
    MalformedBid(String),
    /// The bid names another validator than the slot's proposer.
    #[error("{0}")]
    BidWrongValidator(String),
    /// The bid's signature is not its bidder's.
    #[error("bid signature: {0}")]
    BidBadSignature(String),
    /// The bid is under the product's reserve price.
    #[error("bid of {amount} wei is below the reserve of {reserve} wei")]
    BelowReserve {
        /// The bid amount.
        amount: String,
        /// The reserve.
        reserve: String,
    },
    /// The payment transaction does not pay the bid (decoding, hash, type, chain, sender,
    /// recipient, value).
    #[error("{0}")]
    BadPayment(String),
    /// The payment's nonce is not the bidder's next, counting earlier promises.
    #[error("payment: {0}")]
    PaymentNonce(String),
    /// The bidder cannot pay the payment and its pending promises.
    #[error("payment: {0}")]
    PaymentBalance(String),
    /// The payment's max fee is below the slot's worst-case base fee.
    #[error("payment: {0}")]
    PaymentFeeTooLow(String),
    /// The slot's auction holds its most bids.
    #[error("the auction for slot {0} holds its limit of bids")]
    AuctionFull(u64),
    /// No auction for the slot here.
    #[error("no auction for slot {0} here (not one of our slots, or no products offered)")]
    AuctionNotFound(u64),
    /// No receipt for that bid hash.
    #[error("no receipt for bid {0}")]
    ReceiptNotFound(String),
}

impl RpcError {
    /// The JSON-RPC error code (see docs/api.md).
    pub const fn code(&self) -> i64 {
        match self {
            Self::Parse(_) => -32700,
            Self::InvalidRequest(_) => -32600,
            Self::MethodNotFound(_) => -32601,
            Self::InvalidParams(_) => -32602,
            Self::Internal => -32603,
            Self::MalformedRequest(_) => 1001,
            Self::BadSignature(_) => 1002,
            Self::UnsupportedCommitmentType(_) => 1003,
            Self::WrongSlasher { .. } => 1004,
            Self::SlotNotOurs(_) => 1101,
            Self::PastDeadline { .. } => 1102,
            Self::OutOfWindow { .. } => 1103,
            Self::UnknownRollup(_) => 1201,
            Self::BatchFull(_) => 1202,
            Self::AlreadyPromised(_) => 1203,
            Self::WrongL2ChainId { .. } => 1204,
            Self::BadRollupTransaction(_) => 1205,
            Self::L2NonceMismatch(_) => 1206,
            Self::L2InsufficientBalance(_) => 1207,
            Self::WrongChainId { .. } => 1301,
            Self::FeeTooLow(_) => 1302,
            Self::NonceMismatch(_) => 1303,
            Self::InsufficientBalance(_) => 1304,
            Self::SlotGasFull(_) => 1305,
            Self::SenderHasCode(_) => 1306,
            Self::SenderDelegated { .. } => 1307,
            Self::SetCodeUnsupported(_) => 1308,
            Self::BlobsFull(_) => 1309,
            Self::TipTooLow(_) => 1310,
            Self::RateLimited(_) => 1401,
            Self::CommitmentNotFound(_) => 1501,
            Self::JournalUnavailable => 1901,
            Self::ExecutionUnavailable(_) => 1902,
            Self::L2Unavailable { .. } => 1903,
            Self::UnderAuction { .. } => 1701,
            Self::BatchSold { .. } => 1702,
            Self::ProductNotOffered(_) => 1703,
            Self::AuctionClosed { .. } => 1704,
            Self::MalformedBid(_) => 1705,
            Self::BidWrongValidator(_) => 1706,
            Self::BidBadSignature(_) => 1707,
            Self::BelowReserve { .. } => 1708,
            Self::BadPayment(_) => 1709,
            Self::PaymentNonce(_) => 1710,
            Self::PaymentBalance(_) => 1711,
            Self::PaymentFeeTooLow(_) => 1712,
            Self::AuctionFull(_) => 1713,
            Self::AuctionNotFound(_) => 1714,
            Self::ReceiptNotFound(_) => 1715,
        }
    }

    /// The metric label of this refusal.
    pub(crate) const fn rejection(&self) -> Rejection {
        match self {
            Self::Parse(_)
            | Self::InvalidRequest(_)
            | Self::MethodNotFound(_)
            | Self::InvalidParams(_) => Rejection::BadRequest,
            Self::Internal
            | Self::JournalUnavailable
            | Self::ExecutionUnavailable(_)
            | Self::L2Unavailable { .. } => Rejection::Internal,
            Self::SlotNotOurs(_)
            | Self::PastDeadline { .. }
            | Self::OutOfWindow { .. }
            | Self::AuctionClosed { .. } => Rejection::Slot,
            Self::BatchFull(_)
            | Self::SlotGasFull(_)
            | Self::BlobsFull(_)
            | Self::UnderAuction { .. }
            | Self::BatchSold { .. }
            | Self::AuctionFull(_) => Rejection::Capacity,
            Self::RateLimited(_) => Rejection::RateLimited,
            Self::MalformedRequest(_)
            | Self::BadSignature(_)
            | Self::UnsupportedCommitmentType(_)
            | Self::WrongSlasher { .. }
            | Self::UnknownRollup(_)
            | Self::AlreadyPromised(_)
            | Self::WrongChainId { .. }
            | Self::FeeTooLow(_)
            | Self::NonceMismatch(_)
            | Self::InsufficientBalance(_)
            | Self::SenderHasCode(_)
            | Self::SenderDelegated { .. }
            | Self::SetCodeUnsupported(_)
            | Self::TipTooLow(_)
            | Self::WrongL2ChainId { .. }
            | Self::BadRollupTransaction(_)
            | Self::L2NonceMismatch(_)
            | Self::L2InsufficientBalance(_)
            | Self::CommitmentNotFound(_)
            | Self::ProductNotOffered(_)
            | Self::MalformedBid(_)
            | Self::BidWrongValidator(_)
            | Self::BidBadSignature(_)
            | Self::BelowReserve { .. }
            | Self::BadPayment(_)
            | Self::PaymentNonce(_)
            | Self::PaymentBalance(_)
            | Self::PaymentFeeTooLow(_)
            | Self::AuctionNotFound(_)
            | Self::ReceiptNotFound(_) => Rejection::Invalid,
        }
    }

    /// The JSON-RPC `error` object.
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code(), "message": self.to_string() })
    }
}

impl From<BidError> for RpcError {
    fn from(e: BidError) -> Self {
        let text = e.to_string();
        match e {
            BidError::WrongValidator => Self::BidWrongValidator(text),
            BidError::BelowReserve { amount, reserve } => Self::BelowReserve {
                amount: amount.to_string(),
                reserve: reserve.to_string(),
            },
            BidError::Payment(_) => Self::BadPayment(text),
            BidError::Signature(_) => Self::BidBadSignature(text),
            _ => Self::MalformedBid(text),
        }
    }
}

impl From<LedgerError> for RpcError {
    fn from(e: LedgerError) -> Self {
        let text = e.to_string();
        match e {
            LedgerError::BatchFull { .. } => Self::BatchFull(text),
            LedgerError::SlotGasFull { .. } => Self::SlotGasFull(text),
            LedgerError::NonceMismatch { .. } => Self::NonceMismatch(text),
            LedgerError::InsufficientBalance { .. } => Self::InsufficientBalance(text),
            LedgerError::AlreadyPromised { .. } => Self::AlreadyPromised(text),
            LedgerError::BlobsFull { .. } => Self::BlobsFull(text),
            LedgerError::L2NonceMismatch { .. } => Self::L2NonceMismatch(text),
            LedgerError::L2InsufficientBalance { .. } => Self::L2InsufficientBalance(text),
            LedgerError::Sealed { slot } => Self::PastDeadline {
                slot: slot.0,
                late_ms: 0,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// One value of every variant; adding a variant without listing it here fails to
    /// compile in `code()` first, and this list keeps the uniqueness check complete.
    fn every_error() -> Vec<RpcError> {
        vec![
            RpcError::Parse(String::new()),
            RpcError::InvalidRequest(String::new()),
            RpcError::MethodNotFound(String::new()),
            RpcError::InvalidParams(String::new()),
            RpcError::Internal,
            RpcError::MalformedRequest(String::new()),
            RpcError::BadSignature(String::new()),
            RpcError::UnsupportedCommitmentType(0),
            RpcError::WrongSlasher {
                expected: String::new(),
                got: String::new(),
            },
            RpcError::SlotNotOurs(0),
            RpcError::PastDeadline {
                slot: 0,
                late_ms: 0,
            },
            RpcError::OutOfWindow { slot: 0, last: 0 },
            RpcError::UnknownRollup(0),
            RpcError::BatchFull(String::new()),
            RpcError::AlreadyPromised(String::new()),
            RpcError::WrongChainId {
                index: 0,
                expected: 0,
                got: None,
            },
            RpcError::FeeTooLow(String::new()),
            RpcError::NonceMismatch(String::new()),
            RpcError::InsufficientBalance(String::new()),
            RpcError::SlotGasFull(String::new()),
            RpcError::SenderHasCode(String::new()),
            RpcError::SenderDelegated {
                sender: String::new(),
                delegate: String::new(),
            },
            RpcError::SetCodeUnsupported(0),
            RpcError::BlobsFull(String::new()),
            RpcError::TipTooLow(String::new()),
            RpcError::WrongL2ChainId {
                index: 0,
                rollup_id: 0,
                expected: 0,
                got: None,
            },
            RpcError::BadRollupTransaction(String::new()),
            RpcError::L2NonceMismatch(String::new()),
            RpcError::L2InsufficientBalance(String::new()),
            RpcError::L2Unavailable {
                rollup_id: 0,
                reason: String::new(),
            },
            RpcError::ExecutionUnavailable(String::new()),
            RpcError::RateLimited(String::new()),
            RpcError::CommitmentNotFound(String::new()),
            RpcError::JournalUnavailable,
            RpcError::UnderAuction {
                rollup_id: 0,
                slot: 0,
                until_ms: 0,
            },
            RpcError::BatchSold {
                rollup_id: 0,
                slot: 0,
            },
            RpcError::ProductNotOffered(String::new()),
            RpcError::AuctionClosed {
                slot: 0,
                late_ms: 0,
            },
            RpcError::MalformedBid(String::new()),
            RpcError::BidWrongValidator(String::new()),
            RpcError::BidBadSignature(String::new()),
            RpcError::BelowReserve {
                amount: String::new(),
                reserve: String::new(),
            },
            RpcError::BadPayment(String::new()),
            RpcError::PaymentNonce(String::new()),
            RpcError::PaymentBalance(String::new()),
            RpcError::PaymentFeeTooLow(String::new()),
            RpcError::AuctionFull(0),
            RpcError::AuctionNotFound(0),
            RpcError::ReceiptNotFound(String::new()),
        ]
    }

    #[test]
    fn every_code_is_unique_and_documented() {
        // The JSON-RPC codes and the builder API's codes share one space.
        let codes: Vec<i64> = every_error()
            .iter()
            .map(RpcError::code)
            .chain(crate::pbs::ProxyError::every().iter().map(|e| e.code()))
            .collect();
        let unique: HashSet<i64> = codes.iter().copied().collect();
        assert_eq!(unique.len(), codes.len(), "two errors share a code");
        let api = include_str!("../../../docs/api.md");
        for code in &codes {
            assert!(
                api.contains(&format!("| {code} |")),
                "code {code} missing from docs/api.md"
            );
        }
    }

    #[test]
    fn internal_errors_say_nothing_more() {
        assert_eq!(RpcError::Internal.to_json()["message"], "internal error");
    }
}
