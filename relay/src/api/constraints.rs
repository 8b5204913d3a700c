//! Constraints API v0, relay side (step ④): delegations, signed constraints, reading
//! them back, and the SSE stream builders follow.
//!
//! Restricted messages (non-empty `receivers`) are shown only to a reader that sends
//! `X-Receiver-Pubkey` (one of the receivers) and `X-Receiver-Signature` (that key's
//! signature over the slot, see `Relay::check_receiver`).

use std::{convert::Infallible, sync::Arc};

use axum::{
    body::Body,
    extract::{Path, State},
    http::HeaderMap,
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use baton_preconf::{
    BlsPublicKey, BlsSignature, Slot,
    constraints::{CONSTRAINT_TYPE_INCLUSION, SignedConstraints, SignedDelegation},
};
use serde_json::json;
use tokio::sync::broadcast;

use super::{AppState, body, param};
use crate::{error::RelayError, service::visible};

/// Largest delegation body.
pub const MAX_DELEGATION_BODY: usize = 64 * 1024;
/// Largest constraints body (blob transactions in network form are large).
pub const MAX_CONSTRAINTS_BODY: usize = 16 * 1024 * 1024;

pub(crate) async fn delegate(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    let (bytes, _) = body::read(&headers, request, MAX_DELEGATION_BODY, false).await?;
    let delegation: SignedDelegation = body::from_serde(&bytes)?;
    let relay = state.relay.clone();
    tokio::task::spawn_blocking(move || relay.delegate(delegation))
        .await
        .map_err(|_| RelayError::Internal)??;
    Ok(body::ok())
}

pub(crate) async fn submit_constraints(
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Body,
) -> Result<Response, RelayError> {
    let (bytes, _) = body::read(&headers, request, MAX_CONSTRAINTS_BODY, false).await?;
    let messages: Vec<SignedConstraints> = body::from_serde(&bytes)?;
    let relay = state.relay.clone();
    tokio::task::spawn_blocking(move || relay.add_constraints(messages))
        .await
        .map_err(|_| RelayError::Internal)??;
    Ok(body::ok())
}

pub(crate) async fn capabilities() -> Response {
    body::json_answer(&json!({ "constraintTypes": [CONSTRAINT_TYPE_INCLUSION] }))
}

/// The receiver a reader proved, if it sent the headers. `slot` is what it signed.
fn receiver(
    state: &AppState,
    headers: &HeaderMap,
    slot: Slot,
) -> Result<Option<BlsPublicKey>, RelayError> {
    let text = |name: &str| {
        headers
            .get(name)
            .map(|v| {
                v.to_str().map_err(|_| RelayError::ReceiverSignature {
                    reason: format!("{name} is not text"),
                })
            })
            .transpose()
    };
    match (text("X-Receiver-Pubkey")?, text("X-Receiver-Signature")?) {
        (None, None) => Ok(None),
        (Some(key), Some(signature)) => {
            let key: BlsPublicKey = key.parse().map_err(|e| RelayError::ReceiverSignature {
                reason: format!("X-Receiver-Pubkey: {e}"),
            })?;
            let signature: BlsSignature =
                signature
                    .parse()
                    .map_err(|e| RelayError::ReceiverSignature {
                        reason: format!("X-Receiver-Signature: {e}"),
                    })?;
            state.relay.check_receiver(slot, &key, &signature)?;
            Ok(Some(key))
        }
        _ => Err(RelayError::ReceiverSignature {
            reason: "send both X-Receiver-Pubkey and X-Receiver-Signature, or neither".into(),
        }),
    }
}

pub(crate) async fn constraints(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slot): Path<String>,
) -> Result<Response, RelayError> {
    let slot: Slot = param("slot", &slot)?;
    let receiver = receiver(&state, &headers, slot)?;
    let messages = state.relay.constraints_for(slot, receiver.as_ref());
    Ok(body::json_answer(&json!(messages)))
}

pub(crate) async fn delegations(
    State(state): State<AppState>,
    Path(slot): Path<String>,
) -> Result<Response, RelayError> {
    let slot: Slot = param("slot", &slot)?;
    Ok(body::json_answer(&json!(state.relay.delegations_for(slot))))
}

fn stream(
    state: &AppState,
    headers: &HeaderMap,
    slot: Option<Slot>,
) -> Result<Response, RelayError> {
    // A reader of every slot proves its key over slot 0.
    let receiver = receiver(state, headers, slot.unwrap_or_default())?;
    let receiver_stream = state.relay.constraints.subscribe();
    let relay = state.relay.clone();
    // What is already stored first, then what arrives.
    let backlog: Vec<Arc<SignedConstraints>> = match slot {
        Some(slot) if !state.relay.withholding() => {
            state.relay.constraints.messages(slot).into_iter().collect()
        }
        _ => Vec::new(),
    };
    let events = futures_util::stream::unfold(
        (backlog.into_iter(), receiver_stream),
        move |(mut backlog, mut live)| {
            let relay = relay.clone();
            async move {
                loop {
                    let message = match backlog.next() {
                        Some(message) => message,
                        None => match live.recv().await {
                            Ok(message) => message,
                            Err(broadcast::error::RecvError::Lagged(missed)) => {
                                tracing::warn!(missed, "constraints stream reader lagged");
                                continue;
                            }
                            Err(broadcast::error::RecvError::Closed) => return None,
                        },
                    };
                    if slot.is_some_and(|s| message.message.slot != s)
                        || !visible(&message, receiver.as_ref())
                        || relay.withholding()
                    {
                        continue;
                    }
                    let event = Event::default()
                        .event("signed_constraints")
                        .data(json!([&*message]).to_string());
                    return Some((Ok::<_, Infallible>(event), (backlog, live)));
                }
            }
        },
    );
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

pub(crate) async fn constraints_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, RelayError> {
    stream(&state, &headers, None)
}

pub(crate) async fn constraints_stream_slot(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slot): Path<String>,
) -> Result<Response, RelayError> {
    let slot: Slot = param("slot", &slot)?;
    stream(&state, &headers, Some(slot))
}
