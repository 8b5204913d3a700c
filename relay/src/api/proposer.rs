//! builder-specs proposer API (step ⑥): status, validator registrations, getHeader and
//! signed blinded blocks (v1 answers the payload, v2 answers 202), plus the constraints
//! API's `header_with_proofs`.

use std::time::Instant;

use alloy_primitives::B256;
use axum::{
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{
        BeaconJson, ExecutionPayloadAndBlobsBundle, SignedBlindedBeaconBlockElectra,
        SignedValidatorRegistration,
    },
};
use serde_json::json;
use ssz_rs::List;
use tracing::instrument;

use super::{
    AppState,
    body::{self, Encoding},
    param,
};
use crate::{
    error::RelayError,
    metrics,
    service::{PayloadVersion, ServedBid},
};

/// Largest registrations body (10,000 registrations in JSON fit).
pub const MAX_REGISTRATIONS_BODY: usize = 8 * 1024 * 1024;
/// Largest signed blinded block body.
pub const MAX_BLINDED_BLOCK_BODY: usize = 2 * 1024 * 1024;

pub(crate) async fn status() -> Response {
    body::ok()
}

pub(crate) async fn register(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    let (bytes, encoding) = body::read(&headers, request, MAX_REGISTRATIONS_BODY, true).await?;
    let registrations: Vec<SignedValidatorRegistration> = match encoding {
        Encoding::Ssz => body::from_ssz::<
            List<SignedValidatorRegistration, { crate::service::MAX_REGISTRATIONS }>,
        >(&bytes)?
        .to_vec(),
        Encoding::Json => {
            let value = body::json_value(&bytes)?;
            let list = value.as_array().ok_or_else(|| RelayError::MalformedJson {
                reason: "expected an array of signed registrations".to_owned(),
            })?;
            if list.len() > crate::service::MAX_REGISTRATIONS {
                return Err(RelayError::BadCount {
                    what: "registrations",
                    len: list.len(),
                    max: crate::service::MAX_REGISTRATIONS,
                });
            }
            list.iter()
                .enumerate()
                .map(|(i, item)| {
                    SignedValidatorRegistration::from_json(item).map_err(|e| {
                        RelayError::MalformedJson {
                            reason: e.at(&format!("[{i}]")).to_string(),
                        }
                    })
                })
                .collect::<Result<_, _>>()?
        }
    };
    let relay = state.relay.clone();
    let changed = tokio::task::spawn_blocking(move || relay.register(registrations))
        .await
        .map_err(|_| RelayError::Internal)??;
    tracing::debug!(changed, "validator registrations");
    Ok(body::ok())
}

fn served_json(served: &ServedBid, with_proofs: bool) -> serde_json::Value {
    let mut data = served.signed.to_json();
    if with_proofs {
        data["proofs"] = json!(served.bid.proofs);
    }
    data
}

async fn header(
    state: &AppState,
    headers: &HeaderMap,
    (slot, parent_hash, pubkey): (String, String, String),
    with_proofs: bool,
) -> Result<Response, RelayError> {
    let started = Instant::now();
    let slot: Slot = param("slot", &slot)?;
    let parent_hash: B256 = param("parent_hash", &parent_hash)?;
    let pubkey: BlsPublicKey = param("pubkey", &pubkey)?;
    let served = state.relay.get_header(slot, parent_hash, &pubkey)?;
    let response = match served {
        None => StatusCode::NO_CONTENT.into_response(),
        Some(served) if body::wants_ssz(headers) && !with_proofs => {
            body::ssz_answer(&served.signed)
        }
        Some(served) => {
            tracing::info!(slot = slot.0, block_hash = %served.bid.block_hash, value = %served.bid.value, "bid served");
            body::versioned(&served_json(&served, with_proofs))
        }
    };
    metrics::record_get_header(started.elapsed());
    Ok(response)
}

#[instrument(skip_all, fields(slot = %path.0))]
pub(crate) async fn get_header(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, RelayError> {
    header(&state, &headers, path, false).await
}

#[instrument(skip_all, fields(slot = %path.0))]
pub(crate) async fn header_with_proofs(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(path): Path<(String, String, String)>,
) -> Result<Response, RelayError> {
    header(&state, &headers, path, true).await
}

async fn blinded_block(
    state: &AppState,
    headers: &HeaderMap,
    request: Body,
    version: PayloadVersion,
) -> Result<Response, RelayError> {
    let started = Instant::now();
    body::check_fork(headers)?;
    let (bytes, encoding) = body::read(headers, request, MAX_BLINDED_BLOCK_BODY, true).await?;
    let block: SignedBlindedBeaconBlockElectra = body::container(&bytes, encoding)?;
    let contents = state.relay.get_payload(&block).await?;
    metrics::record_delivery(started.elapsed());
    Ok(match version {
        PayloadVersion::V2 => StatusCode::ACCEPTED.into_response(),
        PayloadVersion::V1 => {
            let answer = ExecutionPayloadAndBlobsBundle {
                execution_payload: contents.payload.clone(),
                blobs_bundle: contents.blobs_bundle.clone(),
            };
            if body::wants_ssz(headers) {
                body::ssz_answer(&answer)
            } else {
                body::versioned(&answer.to_json())
            }
        }
    })
}

#[instrument(skip_all)]
pub(crate) async fn blinded_blocks_v1(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    blinded_block(&state, &headers, request, PayloadVersion::V1).await
}

#[instrument(skip_all)]
pub(crate) async fn blinded_blocks_v2(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    blinded_block(&state, &headers, request, PayloadVersion::V2).await
}
