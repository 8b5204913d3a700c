//! The one place where relay errors become HTTP answers. Every code is documented in
//! `docs/relay.md`; a unit test asserts that no two errors share a code.
//!
//! The body follows builder-specs (`{"code": <HTTP status>, "message": ...}`) and adds
//! `error_code`, Baton's stable number for the exact reason.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::metrics::{self, Rejection};

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayError {
    /// The body is over the route's size limit.
    #[error("body is over the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// Content type or encoding this route does not take.
    #[error("unsupported content: {detail}")]
    UnsupportedContent {
        /// What was sent.
        detail: String,
    },
    /// gzip that does not inflate (or inflates past the limit).
    #[error("bad gzip body: {reason}")]
    BadGzip {
        /// Why.
        reason: String,
    },
    /// Not JSON, or JSON of the wrong shape.
    #[error("malformed JSON: {reason}")]
    MalformedJson {
        /// Where and why.
        reason: String,
    },
    /// Not a valid SSZ encoding of the expected container.
    #[error("malformed SSZ: {reason}")]
    MalformedSsz {
        /// Why.
        reason: String,
    },
    /// A path or query parameter does not parse.
    #[error("bad parameter {name}: {reason}")]
    BadParameter {
        /// Which.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// Admin route without the right bearer token.
    #[error("admin token missing or wrong")]
    Unauthorized,
    /// A list is empty or over its limit.
    #[error("{what} holds {len} items; 1 to {max} allowed")]
    BadCount {
        /// Which list.
        what: &'static str,
        /// Items given.
        len: usize,
        /// The limit.
        max: usize,
    },

    /// A validator registration's signature does not verify.
    #[error("registration {index} (validator {pubkey}): bad signature")]
    RegistrationSignature {
        /// Position in the request.
        index: usize,
        /// The validator.
        pubkey: String,
    },
    /// A validator registration is timestamped in the future.
    #[error("registration {index}: timestamp {timestamp} is more than 10 s ahead of now ({now})")]
    RegistrationFromFuture {
        /// Position in the request.
        index: usize,
        /// Its timestamp.
        timestamp: u64,
        /// Relay time, seconds.
        now: u64,
    },
    /// A registration field is out of range (gas limit zero).
    #[error("registration {index}: {reason}")]
    RegistrationInvalid {
        /// Position in the request.
        index: usize,
        /// Why.
        reason: String,
    },

    /// The slot is not open for this call (past its cut-off, or not the next slot).
    #[error("slot {slot} is not open for this call: {reason}")]
    SlotClosed {
        /// The slot.
        slot: u64,
        /// Why.
        reason: String,
    },
    /// The relay does not know who proposes the slot (duties not loaded).
    #[error("no proposer known for slot {slot}")]
    UnknownProposer {
        /// The slot.
        slot: u64,
    },
    /// The named proposer is not the slot's proposer.
    #[error("slot {slot} is proposed by {expected}, not {got}")]
    WrongProposer {
        /// The slot.
        slot: u64,
        /// The slot's proposer.
        expected: String,
        /// The key named.
        got: String,
    },
    /// The proposer never registered with this relay.
    #[error("proposer {pubkey} has no validator registration")]
    NotRegistered {
        /// The proposer.
        pubkey: String,
    },
    /// The relay has not seen the payload attributes (parent) of the slot yet.
    #[error("no payload attributes known for slot {slot} yet")]
    UnknownParent {
        /// The slot.
        slot: u64,
    },
    /// The block does not build on the slot's parent.
    #[error("parent hash {got} is not the slot's parent {expected}")]
    WrongParent {
        /// The slot's parent.
        expected: String,
        /// The parent named.
        got: String,
    },
    /// The builder's signature does not verify.
    #[error("builder signature does not verify")]
    BuilderSignature,
    /// The signed trace and the payload disagree.
    #[error("trace and payload disagree on {field}")]
    TraceMismatch {
        /// The field.
        field: &'static str,
    },
    /// The payload's block hash is not the hash of its header.
    #[error("block hash {claimed} is wrong; the payload hashes to {computed}")]
    BlockHash {
        /// Claimed.
        claimed: String,
        /// Computed.
        computed: String,
    },
    /// A payload field does not match the slot (timestamp, prevRandao, withdrawals,
    /// fee recipient, gas limit).
    #[error("payload {field} is {got}, the slot needs {expected}")]
    PayloadMismatch {
        /// The field.
        field: &'static str,
        /// Expected.
        expected: String,
        /// Given.
        got: String,
    },
    /// The blobs bundle does not match the payload.
    #[error("blobs bundle: {reason}")]
    BlobsBundle {
        /// Why.
        reason: String,
    },
    /// The slot has constraints and the block carries no proofs (use blocks_with_proofs).
    #[error("slot {slot} has {count} constraints; the block must prove them")]
    ProofsRequired {
        /// The slot.
        slot: u64,
        /// Constraints in force.
        count: usize,
    },
    /// The inclusion proof does not prove every constraint.
    #[error("inclusion proof rejected: {reason}")]
    BadProof {
        /// Why.
        reason: String,
    },
    /// The builder is blocked by the operator.
    #[error("builder {pubkey} is blocked by this relay")]
    BuilderBlocked {
        /// The builder.
        pubkey: String,
    },

    /// The proposer's signature on the blinded block does not verify.
    #[error("proposer signature on the blinded block does not verify")]
    ProposerSignature,
    /// The blinded block's header is not one this relay offered for the slot.
    #[error("no bid with block hash {block_hash} for slot {slot}")]
    UnknownBid {
        /// The slot.
        slot: u64,
        /// The block hash.
        block_hash: String,
    },
    /// The blinded block's header differs from the offered one.
    #[error("the signed header differs from the header offered for block {block_hash}")]
    HeaderMismatch {
        /// The block hash.
        block_hash: String,
    },
    /// A different block was already delivered for this slot.
    #[error("slot {slot} already delivered block {delivered}")]
    AlreadyDelivered {
        /// The slot.
        slot: u64,
        /// The block delivered.
        delivered: String,
    },
    /// The payload is no longer (or not yet) available.
    #[error("payload of block {block_hash} is not available")]
    PayloadUnavailable {
        /// The block hash.
        block_hash: String,
    },
    /// The beacon node refused or did not take the block.
    #[error("publishing the block failed: {reason}")]
    PublishFailed {
        /// Why.
        reason: String,
    },
    /// `Eth-Consensus-Version` names a fork this relay does not serve.
    #[error("fork {version} is not served (electra only)")]
    UnsupportedFork {
        /// The header's value.
        version: String,
    },

    /// A delegation's signature does not verify.
    #[error("delegation signature does not verify")]
    DelegationSignature,
    /// A constraints message's signature does not verify.
    #[error("constraints message {index}: signature does not verify")]
    ConstraintsSignature {
        /// Position in the request.
        index: usize,
    },
    /// The signer is neither the proposer nor its delegate for the slot.
    #[error(
        "constraints message {index}: {signer} is not the proposer or a delegate for slot {slot}"
    )]
    NotDelegated {
        /// Position in the request.
        index: usize,
        /// The signer.
        signer: String,
        /// The slot.
        slot: u64,
    },
    /// A constraint this relay cannot enforce (type or payload).
    #[error("constraints message {index}, constraint {position}: {reason}")]
    BadConstraint {
        /// Message position.
        index: usize,
        /// Constraint position.
        position: usize,
        /// Why.
        reason: String,
    },
    /// Over the per-slot constraint limit.
    #[error("slot {slot} would hold {count} constraints; the limit is {max}")]
    TooManyConstraints {
        /// The slot.
        slot: u64,
        /// Count with this request.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// `X-Receiver-Signature` is malformed or signed by no allowed receiver.
    #[error("X-Receiver-Signature: {reason}")]
    ReceiverSignature {
        /// Why.
        reason: String,
    },

    /// A query filter combination the data API does not serve.
    #[error("bad query: {reason}")]
    BadQuery {
        /// Why.
        reason: String,
    },

    /// The relay is not ready (no chain information from the beacon node yet).
    #[error("relay not ready: {reason}")]
    NotReady {
        /// Why.
        reason: String,
    },
    /// A fault on our side; details are logged, not returned.
    #[error("internal error")]
    Internal,
}

impl RelayError {
    /// Baton's stable code for this error (`docs/relay.md`).
    pub const fn code(&self) -> u32 {
        match self {
            Self::BodyTooLarge { .. } => 1001,
            Self::UnsupportedContent { .. } => 1002,
            Self::BadGzip { .. } => 1003,
            Self::MalformedJson { .. } => 1004,
            Self::MalformedSsz { .. } => 1005,
            Self::BadParameter { .. } => 1006,
            Self::Unauthorized => 1007,
            Self::BadCount { .. } => 1008,
            Self::RegistrationSignature { .. } => 2001,
            Self::RegistrationFromFuture { .. } => 2002,
            Self::RegistrationInvalid { .. } => 2003,
            Self::SlotClosed { .. } => 3001,
            Self::UnknownProposer { .. } => 3002,
            Self::WrongProposer { .. } => 3003,
            Self::NotRegistered { .. } => 3004,
            Self::UnknownParent { .. } => 3005,
            Self::WrongParent { .. } => 3006,
            Self::BuilderSignature => 4001,
            Self::TraceMismatch { .. } => 4002,
            Self::BlockHash { .. } => 4003,
            Self::PayloadMismatch { .. } => 4004,
            Self::BlobsBundle { .. } => 4005,
            Self::ProofsRequired { .. } => 4006,
            Self::BadProof { .. } => 4007,
            Self::BuilderBlocked { .. } => 4008,
            Self::ProposerSignature => 5001,
            Self::UnknownBid { .. } => 5002,
            Self::HeaderMismatch { .. } => 5003,
            Self::AlreadyDelivered { .. } => 5004,
            Self::PayloadUnavailable { .. } => 5005,
            Self::PublishFailed { .. } => 5006,
            Self::UnsupportedFork { .. } => 5007,
            Self::DelegationSignature => 6001,
            Self::ConstraintsSignature { .. } => 6002,
            Self::NotDelegated { .. } => 6003,
            Self::BadConstraint { .. } => 6004,
            Self::TooManyConstraints { .. } => 6005,
            Self::ReceiverSignature { .. } => 6006,
            Self::BadQuery { .. } => 7001,
            Self::NotReady { .. } => 9001,
            Self::Internal => 9002,
        }
    }

    /// The HTTP status.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedContent { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::UnknownBid { .. } | Self::PayloadUnavailable { .. } => StatusCode::NOT_FOUND,
            Self::PublishFailed { .. } => StatusCode::BAD_GATEWAY,
            Self::NotReady { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// The metrics label of this refusal.
    pub const fn rejection(&self) -> Rejection {
        match self.code() / 1000 {
            1 | 7 => Rejection::BadRequest,
            2 => Rejection::Registration,
            3 => Rejection::Slot,
            4 => Rejection::Block,
            5 => Rejection::Payload,
            6 => Rejection::Constraints,
            _ => Rejection::Internal,
        }
    }
}

impl IntoResponse for RelayError {
    fn into_response(self) -> Response {
        metrics::record_rejection(self.rejection());
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, code = self.code(), "request failed");
        } else {
            tracing::debug!(error = %self, code = self.code(), "request refused");
        }
        (
            status,
            Json(json!({
                "code": status.as_u16(),
                "message": self.to_string(),
                "error_code": self.code(),
            })),
        )
            .into_response()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::HashSet;

    use super::*;

    /// One of each variant (a new variant must be added here, or the match in
    /// `code` fails to compile first and this list reminds you).
    pub(crate) fn every_error() -> Vec<RelayError> {
        let s = String::new;
        vec![
            RelayError::BodyTooLarge { limit: 1 },
            RelayError::UnsupportedContent { detail: s() },
            RelayError::BadGzip { reason: s() },
            RelayError::MalformedJson { reason: s() },
            RelayError::MalformedSsz { reason: s() },
            RelayError::BadParameter {
                name: "x",
                reason: s(),
            },
            RelayError::Unauthorized,
            RelayError::BadCount {
                what: "x",
                len: 0,
                max: 1,
            },
            RelayError::RegistrationSignature {
                index: 0,
                pubkey: s(),
            },
            RelayError::RegistrationFromFuture {
                index: 0,
                timestamp: 0,
                now: 0,
            },
            RelayError::RegistrationInvalid {
                index: 0,
                reason: s(),
            },
            RelayError::SlotClosed {
                slot: 0,
                reason: s(),
            },
            RelayError::UnknownProposer { slot: 0 },
            RelayError::WrongProposer {
                slot: 0,
                expected: s(),
                got: s(),
            },
            RelayError::NotRegistered { pubkey: s() },
            RelayError::UnknownParent { slot: 0 },
            RelayError::WrongParent {
                expected: s(),
                got: s(),
            },
            RelayError::BuilderSignature,
            RelayError::TraceMismatch { field: "x" },
            RelayError::BlockHash {
                claimed: s(),
                computed: s(),
            },
            RelayError::PayloadMismatch {
                field: "x",
                expected: s(),
                got: s(),
            },
            RelayError::BlobsBundle { reason: s() },
            RelayError::ProofsRequired { slot: 0, count: 0 },
            RelayError::BadProof { reason: s() },
            RelayError::BuilderBlocked { pubkey: s() },
            RelayError::ProposerSignature,
            RelayError::UnknownBid {
                slot: 0,
                block_hash: s(),
            },
            RelayError::HeaderMismatch { block_hash: s() },
            RelayError::AlreadyDelivered {
                slot: 0,
                delivered: s(),
            },
            RelayError::PayloadUnavailable { block_hash: s() },
            RelayError::PublishFailed { reason: s() },
            RelayError::UnsupportedFork { version: s() },
            RelayError::DelegationSignature,
            RelayError::ConstraintsSignature { index: 0 },
            RelayError::NotDelegated {
                index: 0,
                signer: s(),
                slot: 0,
            },
            RelayError::BadConstraint {
                index: 0,
                position: 0,
                reason: s(),
            },
            RelayError::TooManyConstraints {
                slot: 0,
                count: 0,
                max: 0,
            },
            RelayError::ReceiverSignature { reason: s() },
            RelayError::BadQuery { reason: s() },
            RelayError::NotReady { reason: s() },
            RelayError::Internal,
        ]
    }

    #[test]
    fn codes_are_unique_and_documented() {
        let errors = every_error();
        let codes: HashSet<u32> = errors.iter().map(RelayError::code).collect();
        assert_eq!(codes.len(), errors.len(), "two errors share a code");
        let doc = include_str!("../../docs/relay.md");
        for error in &errors {
            assert!(
                doc.contains(&format!("| {} |", error.code())),
                "code {} ({error:?}) is not in docs/relay.md",
                error.code()
            );
        }
    }
}
