//! The REST API's errors: one enum, one place that maps it to HTTP. Every answer is
//! `{"code": <HTTP status>, "message": …, "error_code": <unique number>}`: `code` and
//! `message` as beacon-API clients expect, `error_code` to tell the causes apart (the
//! table is in `docs/beacon.md`).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// A request the beacon service refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// A path or query parameter does not parse or is out of range.
    #[error("bad {name}: {reason}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The body is larger than the route accepts.
    #[error("body over {limit} bytes")]
    BodyTooLarge {
        /// The route's limit.
        limit: usize,
    },
    /// The body does not decode.
    #[error("malformed body: {reason}")]
    MalformedBody {
        /// What the decoder said.
        reason: String,
    },
    /// A content type or consensus version the route does not take.
    #[error("unsupported {what}")]
    Unsupported {
        /// What.
        what: String,
    },
    /// Duties asked for more than one epoch ahead.
    #[error("epoch {epoch} is more than one epoch ahead of the current epoch {current}")]
    EpochTooFar {
        /// Asked.
        epoch: u64,
        /// Current.
        current: u64,
    },
    /// An event topic the service does not serve.
    #[error("unknown event topic {topic}")]
    UnknownTopic {
        /// The topic (truncated).
        topic: String,
    },
    /// A published block fails validation.
    #[error("block rejected: {reason}")]
    BlockRejected {
        /// Why.
        reason: String,
    },
    /// No such block or state.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The slot already has another block.
    #[error("slot {slot} already has block {root}")]
    SlotFilled {
        /// The slot.
        slot: u64,
        /// The block it has.
        root: String,
    },
    /// Too many open event streams.
    #[error("too many event subscribers (at most {max})")]
    TooManySubscribers {
        /// The bound.
        max: usize,
    },
    /// A fault on our side (logged, answered generically).
    #[error("internal error")]
    Internal,
}

impl ApiError {
    /// The HTTP status.
    pub const fn status(&self) -> StatusCode {
        match self {
            Self::BadParameter { .. }
            | Self::MalformedBody { .. }
            | Self::EpochTooFar { .. }
            | Self::UnknownTopic { .. }
            | Self::BlockRejected { .. } => StatusCode::BAD_REQUEST,
            Self::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Unsupported { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::NotFound { .. } => StatusCode::NOT_FOUND,
            Self::SlotFilled { .. } => StatusCode::CONFLICT,
            Self::TooManySubscribers { .. } => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The unique error code.
    pub const fn code(&self) -> u32 {
        match self {
            Self::BadParameter { .. } => 4001,
            Self::BodyTooLarge { .. } => 4002,
            Self::MalformedBody { .. } => 4003,
            Self::Unsupported { .. } => 4004,
            Self::EpochTooFar { .. } => 4005,
            Self::UnknownTopic { .. } => 4006,
            Self::BlockRejected { .. } => 4007,
            Self::NotFound { .. } => 4041,
            Self::SlotFilled { .. } => 4091,
            Self::TooManySubscribers { .. } => 5031,
            Self::Internal => 5001,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = json!({
            "code": status.as_u16(),
            "message": self.to_string(),
            "error_code": self.code(),
        });
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_error_code_is_unique_and_matches_its_status_class() {
        let all = [
            ApiError::BadParameter {
                name: "epoch",
                reason: String::new(),
            },
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::MalformedBody {
                reason: String::new(),
            },
            ApiError::Unsupported {
                what: String::new(),
            },
            ApiError::EpochTooFar {
                epoch: 9,
                current: 1,
            },
            ApiError::UnknownTopic {
                topic: String::new(),
            },
            ApiError::BlockRejected {
                reason: String::new(),
            },
            ApiError::NotFound {
                what: String::new(),
            },
            ApiError::SlotFilled {
                slot: 1,
                root: String::new(),
            },
            ApiError::TooManySubscribers { max: 1 },
            ApiError::Internal,
        ];
        let mut seen = HashSet::new();
        for error in &all {
            assert!(seen.insert(error.code()), "duplicate code {}", error.code());
            assert_eq!(
                u32::from(error.status().as_u16() / 100),
                error.code() / 1000,
                "{error:?}"
            );
        }
    }
}
