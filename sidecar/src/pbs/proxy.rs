//! The builder API the beacon node calls (step ⑥; the sidecar is its builder URL,
//! ethereum/builder-specs, Electra): `status`, `registerValidator` (forwarded to the
//! relays), `getHeader` (the best valid relay bid, else the fallback block) and
//! `submitBlindedBlock`. Bodies are bounded and parsed field by field; errors are answered
//! by [`ProxyError`].

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{
    Router,
    body::{Body, Bytes},
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{BeaconJson, SignedBlindedBeaconBlockElectra, SignedValidatorRegistration, decode},
};
use serde_json::{Value, json};
use ssz_rs::{List, SimpleSerialize};
use tracing::instrument;

use super::{error::ProxyError, producer::Producer};

/// Most registrations in one request (builder-specs allows a validator client's whole set).
pub const MAX_REGISTRATIONS: usize = 10_000;
/// Largest registrations body.
pub(crate) const MAX_REGISTRATIONS_BODY: usize = 8 * 1024 * 1024;
/// Largest signed blinded block body.
pub const MAX_BLINDED_BLOCK_BODY: usize = 2 * 1024 * 1024;
const FORK: &str = "electra";

/// The builder API's routes over `producer`.
pub fn router(producer: Arc<Producer>) -> Router {
    Router::new()
        .route("/eth/v1/builder/status", get(status))
        .route("/eth/v1/builder/validators", post(register))
        .route(
            "/eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}",
            get(get_header),
        )
        .route("/eth/v1/builder/blinded_blocks", post(blinded_block))
        .route("/metrics", get(metrics))
        .with_state(producer)
}

/// Serves the builder API on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    producer: Arc<Producer>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(producer))
        .with_graceful_shutdown(shutdown)
        .await
}

async fn status() -> StatusCode {
    StatusCode::OK
}

async fn metrics() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        crate::metrics::render(),
    )
        .into_response()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Json,
    Ssz,
}

async fn read(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<(Bytes, Encoding), ProxyError> {
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
        Some("application/octet-stream") => Encoding::Ssz,
        Some(other) => {
            return Err(ProxyError::UnsupportedContent {
                detail: format!(
                    "content type {}",
                    other.chars().take(64).collect::<String>()
                ),
            });
        }
    };
    if headers.contains_key(header::CONTENT_ENCODING) {
        return Err(ProxyError::UnsupportedContent {
            detail: "content encoding".to_owned(),
        });
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| ProxyError::BodyTooLarge { limit })?;
    Ok((bytes, encoding))
}

fn check_fork(headers: &HeaderMap) -> Result<(), ProxyError> {
    match headers.get("Eth-Consensus-Version").map(|v| v.to_str()) {
        None => Ok(()),
        Some(Ok(v)) if v.eq_ignore_ascii_case(FORK) => Ok(()),
        Some(v) => Err(ProxyError::UnsupportedFork {
            version: v.unwrap_or("<not text>").chars().take(32).collect(),
        }),
    }
}

fn wants_ssz(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/octet-stream") && !v.contains("application/json"))
}

fn versioned(
    headers: &HeaderMap,
    json_data: impl FnOnce() -> Value,
    ssz: impl FnOnce() -> Option<Vec<u8>>,
) -> Response {
    let version = (
        header::HeaderName::from_static("eth-consensus-version"),
        HeaderValue::from_static(FORK),
    );
    if wants_ssz(headers) {
        return match ssz() {
            Some(bytes) => (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("application/octet-stream"),
                    ),
                    version,
                ],
                bytes,
            )
                .into_response(),
            None => ProxyError::Internal.into_response(),
        };
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            version,
        ],
        json!({ "version": FORK, "data": json_data() }).to_string(),
    )
        .into_response()
}

fn ssz_bytes<T: SimpleSerialize>(value: &T) -> Option<Vec<u8>> {
    ssz_rs::serialize(value).ok()
}

fn param<T: std::str::FromStr>(name: &'static str, text: &str) -> Result<T, ProxyError>
where
    T::Err: std::fmt::Display,
{
    text.parse().map_err(|e: T::Err| ProxyError::BadParam {
        name,
        reason: e.to_string().chars().take(100).collect(),
    })
}

#[instrument(skip_all)]
async fn register(
    State(producer): State<Arc<Producer>>,
    headers: HeaderMap,
    body: Body,
) -> Result<StatusCode, ProxyError> {
    let (bytes, encoding) = read(&headers, body, MAX_REGISTRATIONS_BODY).await?;
    let count = match encoding {
        Encoding::Ssz => decode::<List<SignedValidatorRegistration, MAX_REGISTRATIONS>>(&bytes)
            .map_err(|e| ProxyError::Malformed {
                reason: e.to_string(),
            })?
            .len(),
        Encoding::Json => {
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|e| ProxyError::Malformed {
                    reason: e.to_string(),
                })?;
            let list = value.as_array().ok_or_else(|| ProxyError::Malformed {
                reason: "expected an array of signed registrations".to_owned(),
            })?;
            if list.len() > MAX_REGISTRATIONS {
                return Err(ProxyError::BadCount {
                    what: "registrations",
                    len: list.len(),
                    max: MAX_REGISTRATIONS,
                });
            }
            for (i, item) in list.iter().enumerate() {
                SignedValidatorRegistration::from_json(item).map_err(|e| {
                    ProxyError::Malformed {
                        reason: e.at(&format!("[{i}]")).to_string(),
                    }
                })?;
            }
            list.len()
        }
    };
    if count == 0 {
        return Err(ProxyError::BadCount {
            what: "registrations",
            len: 0,
            max: MAX_REGISTRATIONS,
        });
    }
    let content_type = match encoding {
        Encoding::Json => "application/json",
        Encoding::Ssz => "application/octet-stream",
    };
    producer.register(bytes, content_type).await?;
    tracing::debug!(count, "registrations forwarded");
    Ok(StatusCode::OK)
}

#[instrument(skip_all, fields(slot = %path.0))]
async fn get_header(
    State(producer): State<Arc<Producer>>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, ProxyError> {
    let slot: Slot = param("slot", &path.0)?;
    let parent_hash: B256 = param("parent_hash", &path.1)?;
    let pubkey: BlsPublicKey = param("pubkey", &path.2)?;
    Ok(
        match producer.get_header(slot, parent_hash, pubkey).await? {
            None => StatusCode::NO_CONTENT.into_response(),
            Some(signed) => versioned(&headers, || signed.to_json(), || ssz_bytes(&signed)),
        },
    )
}

#[instrument(skip_all)]
async fn blinded_block(
    State(producer): State<Arc<Producer>>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ProxyError> {
    check_fork(&headers)?;
    let (bytes, encoding) = read(&headers, body, MAX_BLINDED_BLOCK_BODY).await?;
    let block: SignedBlindedBeaconBlockElectra = match encoding {
        Encoding::Ssz => decode(&bytes).map_err(|e| ProxyError::Malformed {
            reason: e.to_string(),
        })?,
        Encoding::Json => {
            let value: Value =
                serde_json::from_slice(&bytes).map_err(|e| ProxyError::Malformed {
                    reason: e.to_string(),
                })?;
            // builder-specs wraps nothing here; some clients send `{"data": ...}`.
            let inner = value
                .get("data")
                .filter(|_| value.get("message").is_none())
                .unwrap_or(&value);
            SignedBlindedBeaconBlockElectra::from_json(inner).map_err(|e| {
                ProxyError::Malformed {
                    reason: e.to_string(),
                }
            })?
        }
    };
    let contents = producer.submit_blinded(&block).await?;
    Ok(versioned(
        &headers,
        || contents.to_json(),
        || ssz_bytes(&contents),
    ))
}

#[cfg(test)]
mod tests;
