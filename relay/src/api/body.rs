//! Reading request bodies (bounded, JSON or SSZ, optionally gzip) and writing the
//! versioned answers of the builder API.

use std::io::Read;

use axum::{
    body::{Body, Bytes},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use baton_preconf::ssz::{BeaconJson, decode};
use flate2::read::GzDecoder;
use serde_json::{Value, json};
use ssz_rs::SimpleSerialize;

use crate::error::RelayError;

/// The fork this relay serves.
pub(crate) const FORK: &str = "electra";

/// How a body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `application/json` (or no content type).
    Json,
    /// `application/octet-stream`.
    Ssz,
}

/// Reads a body of at most `limit` bytes (after inflating gzip).
pub(crate) async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    allow_ssz: bool,
) -> Result<(Bytes, Encoding), RelayError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let encoding = match content_type.as_deref() {
        None | Some("application/json") => Encoding::Json,
        Some("application/octet-stream") if allow_ssz => Encoding::Ssz,
        Some(other) => {
            return Err(RelayError::UnsupportedContent {
                detail: format!("content type {other}"),
            });
        }
    };
    let gzip = match headers
        .get(header::CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.trim().to_ascii_lowercase())
        .as_deref()
    {
        None | Some("identity") => false,
        Some("gzip") => true,
        Some(other) => {
            return Err(RelayError::UnsupportedContent {
                detail: format!("content encoding {other}"),
            });
        }
    };
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| RelayError::BodyTooLarge { limit })?;
    if !gzip {
        return Ok((bytes, encoding));
    }
    let mut inflated = Vec::new();
    GzDecoder::new(&bytes[..])
        .take(limit as u64 + 1)
        .read_to_end(&mut inflated)
        .map_err(|e| RelayError::BadGzip {
            reason: e.to_string(),
        })?;
    if inflated.len() > limit {
        return Err(RelayError::BodyTooLarge { limit });
    }
    Ok((Bytes::from(inflated), encoding))
}

/// Parses JSON into a `serde_json::Value`.
pub(crate) fn json_value(bytes: &[u8]) -> Result<Value, RelayError> {
    serde_json::from_slice(bytes).map_err(|e| RelayError::MalformedJson {
        reason: e.to_string(),
    })
}

/// Parses the beacon-API JSON form of a container.
pub(crate) fn from_json<T: BeaconJson>(value: &Value) -> Result<T, RelayError> {
    T::from_json(value).map_err(|e| RelayError::MalformedJson {
        reason: e.to_string(),
    })
}

/// Parses a serde type from JSON bytes.
pub(crate) fn from_serde<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, RelayError> {
    serde_json::from_slice(bytes).map_err(|e| RelayError::MalformedJson {
        reason: e.to_string(),
    })
}

/// Parses an SSZ container.
pub(crate) fn from_ssz<T: SimpleSerialize>(bytes: &[u8]) -> Result<T, RelayError> {
    decode(bytes).map_err(|e| RelayError::MalformedSsz {
        reason: e.to_string(),
    })
}

/// Parses a body as `T`, from JSON or SSZ.
pub(crate) fn container<T: BeaconJson + SimpleSerialize>(
    bytes: &[u8],
    encoding: Encoding,
) -> Result<T, RelayError> {
    match encoding {
        Encoding::Json => from_json(&json_value(bytes)?),
        Encoding::Ssz => from_ssz(bytes),
    }
}

/// Refuses an `Eth-Consensus-Version` other than electra.
pub(crate) fn check_fork(headers: &HeaderMap) -> Result<(), RelayError> {
    match headers.get("Eth-Consensus-Version").map(|v| v.to_str()) {
        None => Ok(()),
        Some(Ok(v)) if v.eq_ignore_ascii_case(FORK) => Ok(()),
        Some(v) => Err(RelayError::UnsupportedFork {
            version: v.unwrap_or("<not text>").chars().take(32).collect(),
        }),
    }
}

/// Whether the caller asked for SSZ.
pub(crate) fn wants_ssz(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream"))
}

/// `{"version": "electra", "data": ...}` with the version header.
pub(crate) fn versioned(data: &Value) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("eth-consensus-version"),
                HeaderValue::from_static(FORK),
            ),
        ],
        json!({ "version": FORK, "data": data }).to_string(),
    )
        .into_response()
}

/// An SSZ answer with the version header.
pub(crate) fn ssz_answer<T: SimpleSerialize>(value: &T) -> Response {
    match ssz_rs::serialize(value) {
        Ok(bytes) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/octet-stream"),
                ),
                (
                    header::HeaderName::from_static("eth-consensus-version"),
                    HeaderValue::from_static(FORK),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => RelayError::Internal.into_response(),
    }
}

/// A JSON answer.
pub(crate) fn json_answer(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

/// An empty 200.
pub(crate) fn ok() -> Response {
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::{Compression, write::GzEncoder};

    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[tokio::test]
    async fn limits_encodings_and_types() {
        let plain = read(&headers(&[]), Body::from("[1]"), 10, false)
            .await
            .unwrap();
        assert_eq!(
            (plain.0.as_ref(), plain.1),
            (b"[1]".as_ref(), Encoding::Json)
        );
        assert_eq!(
            read(&headers(&[]), Body::from(vec![b' '; 11]), 10, false).await,
            Err(RelayError::BodyTooLarge { limit: 10 })
        );
        let ssz = [("content-type", "application/octet-stream")];
        assert!(matches!(
            read(&headers(&ssz), Body::from("x"), 10, false).await,
            Err(RelayError::UnsupportedContent { .. })
        ));
        assert_eq!(
            read(&headers(&ssz), Body::from("x"), 10, true)
                .await
                .unwrap()
                .1,
            Encoding::Ssz
        );
        let gz = [("content-encoding", "gzip")];
        let inflated = read(&headers(&gz), Body::from(gzip(b"[2]")), 100, false)
            .await
            .unwrap();
        assert_eq!(inflated.0.as_ref(), b"[2]");
        // A small gzip bomb inflating past the limit.
        assert_eq!(
            read(&headers(&gz), Body::from(gzip(&[0; 1000])), 100, false).await,
            Err(RelayError::BodyTooLarge { limit: 100 })
        );
        assert!(matches!(
            read(&headers(&gz), Body::from("not gzip"), 100, false).await,
            Err(RelayError::BadGzip { .. })
        ));
        assert!(matches!(
            read(
                &headers(&[("content-encoding", "br")]),
                Body::from("x"),
                100,
                false
            )
            .await,
            Err(RelayError::UnsupportedContent { .. })
        ));
        assert!(check_fork(&headers(&[("eth-consensus-version", "Electra")])).is_ok());
        assert!(matches!(
            check_fork(&headers(&[("eth-consensus-version", "deneb")])),
            Err(RelayError::UnsupportedFork { .. })
        ));
    }
}
