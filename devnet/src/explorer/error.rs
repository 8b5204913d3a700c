//! The explorer API's errors: one enum, one place that maps it to HTTP. Every answer is
//! `{"code": <HTTP status>, "message": …, "error_code": <unique number>}` (the table is in
//! `docs/explorer.md`).

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::http::UpstreamError;

/// A request the explorer cannot answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExplorerError {
    /// A query parameter is unknown, does not parse or is out of range.
    #[error("bad {name}: {reason}")]
    BadParameter {
        /// The parameter.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The slot range is reversed or wider than the route allows.
    #[error("need from <= to and at most {max} slots")]
    RangeTooWide {
        /// The route's limit.
        max: u64,
    },
    /// No such route.
    #[error("no such page or API route")]
    NotFound,
    /// Only `GET` is served.
    #[error("method not allowed (only GET)")]
    MethodNotAllowed,
    /// A source the answer needs (the beacon service, L1) did not answer.
    #[error("a source did not answer: {0}")]
    Upstream(#[from] UpstreamError),
    /// A fault of the explorer itself (details in its log).
    #[error("internal error")]
    Internal,
}

impl ExplorerError {
    /// The HTTP status and the unique error code.
    pub const fn codes(&self) -> (StatusCode, u16) {
        match self {
            Self::BadParameter { .. } => (StatusCode::BAD_REQUEST, 9001),
            Self::RangeTooWide { .. } => (StatusCode::BAD_REQUEST, 9002),
            Self::NotFound => (StatusCode::NOT_FOUND, 9404),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, 9405),
            Self::Upstream(_) => (StatusCode::BAD_GATEWAY, 9502),
            Self::Internal => (StatusCode::INTERNAL_SERVER_ERROR, 9500),
        }
    }
}

impl IntoResponse for ExplorerError {
    fn into_response(self) -> Response {
        let (status, error_code) = self.codes();
        if let Self::Upstream(e) = &self {
            tracing::warn!(url = %e.url, reason = %e.reason, "explorer source failed");
        }
        let body = json!({
            "code": status.as_u16(),
            "message": self.to_string(),
            "error_code": error_code,
        });
        (status, Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_error_code_is_unique() {
        let all = [
            ExplorerError::BadParameter {
                name: "from",
                reason: String::new(),
            },
            ExplorerError::RangeTooWide { max: 1 },
            ExplorerError::NotFound,
            ExplorerError::MethodNotAllowed,
            ExplorerError::Upstream(UpstreamError {
                url: String::new(),
                reason: String::new(),
            }),
            ExplorerError::Internal,
        ];
        let codes: HashSet<u16> = all.iter().map(|e| e.codes().1).collect();
        assert_eq!(codes.len(), all.len());
    }
}
