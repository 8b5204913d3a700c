//! `baton-engine`: a client of an Ethereum execution client's Engine API.
//!
//! The Engine API is how a consensus-side program makes the execution layer build and
//! accept blocks. Baton drives it in three places: the sidecar's local fallback block
//! (step ⑥), the devnet's beacon service importing each slot's block (step ⑦), and the
//! devnet's constraint-aware builder (step ⑤). Payloads are Baton's own SSZ types
//! (`baton_preconf::ssz`), so a built payload goes straight into a builder bid, a
//! multiproof or a beacon block.
//!
//! Prague only: `engine_forkchoiceUpdatedV3`, `engine_getPayloadV4`, `engine_newPayloadV4`.
//! Every call carries a fresh HS256 JWT ([`JwtSecret`]); decisions use the spec's result
//! fields, never error strings, so any Engine-API client works (tested against ethereumjs).

mod client;
mod json;
mod jwt;

pub use client::{
    BuiltPayload, EVICTING_BUILDS, EngineClient, PayloadAttributes, PayloadId, PayloadStatus,
    versioned_hashes,
};
pub use json::{payload_from_json, payload_to_json, requests_from_json, requests_to_json};
pub use jwt::{JwtError, JwtSecret};

/// What went wrong talking to the execution client.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No answer: connection refused, timeout, or not JSON-RPC.
    #[error("execution client unreachable: {0}")]
    Transport(String),
    /// The JWT was refused (wrong secret, or clocks more than 60 s apart).
    #[error("execution client refused the JWT (wrong secret or clock skew)")]
    Unauthorized,
    /// A JSON-RPC error.
    #[error("{method} failed with JSON-RPC error {code}: {message}")]
    Rpc {
        /// The method.
        method: String,
        /// The JSON-RPC error code.
        code: i64,
        /// The client's message (at most 300 characters; shown, never parsed).
        message: String,
    },
    /// The client answered a status other than `VALID`.
    #[error("{method} answered {status:?}")]
    Status {
        /// The method.
        method: &'static str,
        /// The status.
        status: PayloadStatus,
    },
    /// `forkchoiceUpdated` with attributes gave no payload id.
    #[error("engine_forkchoiceUpdatedV3 started no payload build")]
    NoPayloadId,
    /// The client handed out a payload it had already handed out (no `executionRequests`).
    #[error("the execution client answered a payload it had already handed out")]
    StalePayload,
    /// The answer did not fit the spec.
    #[error("execution client sent a malformed answer: {0}")]
    Decode(String),
}
