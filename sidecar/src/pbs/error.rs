//! The one place where builder-API errors become HTTP answers (step ⑥): `{"code": <HTTP
//! status>, "message": "...", "error_code": <code>}`, every code documented in
//! `docs/api.md` and unique among all the sidecar's codes (a unit test in `rpc::error`
//! checks both sets together).

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An error the builder API answers with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProxyError {
    /// The body is over the route's limit.
    #[error("body over {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// A content type the route does not take.
    #[error("unsupported {detail}")]
    UnsupportedContent {
        /// What was sent.
        detail: String,
    },
    /// The body does not parse as the route's container.
    #[error("malformed body: {reason}")]
    Malformed {
        /// What is wrong (the field).
        reason: String,
    },
    /// A path parameter does not parse.
    #[error("bad {name}: {reason}")]
    BadParam {
        /// The parameter.
        name: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// A list is empty or over its limit.
    #[error("{len} {what}: 1 to {max} accepted")]
    BadCount {
        /// What was counted.
        what: &'static str,
        /// How many were sent.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// `Eth-Consensus-Version` names another fork.
    #[error("fork {version} is not served (electra only)")]
    UnsupportedFork {
        /// The version sent (shortened).
        version: String,
    },
    /// The key asked for is not the slot's proposer.
    #[error("{pubkey} does not propose slot {slot}")]
    WrongProposer {
        /// The slot.
        slot: u64,
        /// The key asked for (shortened).
        pubkey: String,
    },
    /// No header with that block hash was served for the slot.
    #[error("no header with block hash {block_hash} was served for slot {slot}")]
    UnknownHeader {
        /// The slot.
        slot: u64,
        /// The block hash in the signed block.
        block_hash: String,
    },
    /// The signed block's header differs from the one served.
    #[error("the signed header differs from the one served for block {block_hash}")]
    HeaderMismatch {
        /// The block hash.
        block_hash: String,
    },
    /// The proposer's signature on the blinded block does not verify.
    #[error("the proposer's signature on the blinded block does not verify")]
    ProposerSignature,
    /// The relay whose bid was signed did not answer its payload (or a wrong one).
    #[error("the relay did not deliver the payload: {reason}")]
    RelayFailed {
        /// What failed.
        reason: String,
    },
    /// Every relay refused the registrations.
    #[error("no relay accepted the registrations: {reason}")]
    RegistrationRefused {
        /// The first refusal.
        reason: String,
    },
    /// A fault on our side; details are logged only.
    #[error("internal error")]
    Internal,
}

impl ProxyError {
    /// Baton's error code (`docs/api.md`).
    pub const fn code(&self) -> i64 {
        match self {
            Self::BodyTooLarge { .. } => 1601,
            Self::UnsupportedContent { .. } => 1602,
            Self::Malformed { .. } => 1603,
            Self::BadParam { .. } => 1604,
            Self::BadCount { .. } => 1605,
            Self::UnsupportedFork { .. } => 1606,
            Self::WrongProposer { .. } => 1607,
            Self::UnknownHeader { .. } => 1608,
            Self::HeaderMismatch { .. } => 1609,
            Self::ProposerSignature => 1610,
            Self::RelayFailed { .. } => 1611,
            Self::RegistrationRefused { .. } => 1612,
            Self::Internal => 1699,
        }
    }

    /// The HTTP status.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedContent { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UnknownHeader { .. } => StatusCode::NOT_FOUND,
            Self::RelayFailed { .. } | Self::RegistrationRefused { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }

    /// One of each, for the uniqueness test.
    pub fn every() -> Vec<Self> {
        vec![
            Self::BodyTooLarge { limit: 0 },
            Self::UnsupportedContent {
                detail: String::new(),
            },
            Self::Malformed {
                reason: String::new(),
            },
            Self::BadParam {
                name: "",
                reason: String::new(),
            },
            Self::BadCount {
                what: "",
                len: 0,
                max: 0,
            },
            Self::UnsupportedFork {
                version: String::new(),
            },
            Self::WrongProposer {
                slot: 0,
                pubkey: String::new(),
            },
            Self::UnknownHeader {
                slot: 0,
                block_hash: String::new(),
            },
            Self::HeaderMismatch {
                block_hash: String::new(),
            },
            Self::ProposerSignature,
            Self::RelayFailed {
                reason: String::new(),
            },
            Self::RegistrationRefused {
                reason: String::new(),
            },
            Self::Internal,
        ]
    }
}

impl IntoResponse for ProxyError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "code": status.as_u16(),
            "message": self.to_string(),
            "error_code": self.code(),
        });
        (
            status,
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}
