//! Builder API (step ⑤): who proposes the coming slots with their registrations, and
//! block submissions (JSON or SSZ, gzip accepted; with proofs through the constraints
//! API's `blocks_with_proofs`, JSON).

use axum::{body::Body, extract::State, http::HeaderMap, response::Response};
use baton_preconf::{
    Epoch,
    ssz::{BeaconJson, InclusionMultiProof, SubmitBlockRequestElectra},
};
use serde::Deserialize;
use serde_json::{Value, json};
use tracing::instrument;

use super::{AppState, body};
use crate::{
    error::RelayError,
    service::{Arrival, Submission},
};

/// Largest block submission (after inflating gzip).
pub const MAX_SUBMISSION_BODY: usize = 32 * 1024 * 1024;

pub(crate) async fn validators(State(state): State<AppState>) -> Response {
    let relay = &state.relay;
    let chain = relay.chain();
    let current = relay.current_slot();
    let next_epoch = Epoch(chain.epoch_of(current).0 + 1);
    let last = chain
        .epoch_start(Epoch(next_epoch.0 + 1))
        .0
        .saturating_sub(1);
    let entries: Vec<Value> = relay
        .duties
        .between(current, baton_preconf::Slot(last))
        .into_iter()
        .filter_map(|duty| {
            relay.registration(&duty.pubkey).map(|registration| {
                json!({
                    "slot": duty.slot,
                    "validator_index": duty.validator_index.to_string(),
                    "entry": registration.to_json(),
                })
            })
        })
        .collect();
    body::json_answer(&Value::Array(entries))
}

/// Decodes and checks a submission on a blocking thread: parsing a large body and
/// verifying it are CPU work, and the async threads must stay free for getHeader.
async fn run_submission(
    state: &AppState,
    decode: impl FnOnce() -> Result<Submission, RelayError> + Send + 'static,
    received: Arrival,
) -> Result<Response, RelayError> {
    let relay = state.relay.clone();
    let bid = tokio::task::spawn_blocking(move || relay.submit(decode()?, received))
        .await
        .map_err(|_| RelayError::Internal)??;
    tracing::debug!(slot = bid.slot.0, block_hash = %bid.block_hash, builder = %bid.builder, value = %bid.value, "bid accepted");
    // A new best bid is signed after the builder has its answer, off the proposer's
    // getHeader path; a bid that does not lead costs no blocking thread.
    if state.relay.is_best(&bid) {
        let relay = state.relay.clone();
        tokio::task::spawn_blocking(move || relay.signed_bid(&bid));
    }
    Ok(body::ok())
}

#[instrument(skip_all)]
pub(crate) async fn submit_block(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    // Arrival is when the request starts, before its body is read.
    let received = state.relay.arrival();
    body::check_fork(&headers)?;
    let (bytes, encoding) = body::read(&headers, request, MAX_SUBMISSION_BODY, true).await?;
    let decode = move || {
        Ok(Submission {
            request: body::container(&bytes, encoding)?,
            proofs: None,
        })
    };
    run_submission(&state, decode, received).await
}

#[instrument(skip_all)]
pub(crate) async fn submit_block_with_proofs(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    let received = state.relay.arrival();
    body::check_fork(&headers)?;
    let (bytes, _) = body::read(&headers, request, MAX_SUBMISSION_BODY, false).await?;
    let decode = move || {
        let value = body::json_value(&bytes)?;
        let request: SubmitBlockRequestElectra = body::from_json(&value)?;
        let proofs = value
            .get("proofs")
            .ok_or_else(|| RelayError::MalformedJson {
                reason: "proofs: missing".to_owned(),
            })?;
        let proofs =
            InclusionMultiProof::deserialize(proofs).map_err(|e| RelayError::MalformedJson {
                reason: format!("proofs: {e}"),
            })?;
        Ok(Submission {
            request,
            proofs: Some(proofs),
        })
    };
    run_submission(&state, decode, received).await
}
