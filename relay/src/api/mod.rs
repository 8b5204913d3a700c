//! The HTTP API: one router for the proposer API (builder-specs), the builder API, the
//! constraints API, the data API, the slot router, admin routes and operations
//! (`/metrics`, `/health`, `/ready`). Every route bounds its body and answers errors
//! through [`crate::error::RelayError`]. The routes and their limits are listed in
//! `docs/relay.md`.

mod body;
mod builder;
mod constraints;
mod data;
mod proposer;

use std::{future::Future, str::FromStr, sync::Arc};

use axum::{
    Router,
    extract::{Path, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_preconf::{BlsPublicKey, Slot};

pub use builder::MAX_SUBMISSION_BODY;
pub use constraints::{MAX_CONSTRAINTS_BODY, MAX_DELEGATION_BODY};
pub use proposer::{MAX_BLINDED_BLOCK_BODY, MAX_REGISTRATIONS_BODY};

use crate::{config::AdminToken, error::RelayError, market::Market, metrics, service::Relay};

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The relay.
    pub relay: Arc<Relay>,
    /// The slot router's offers.
    pub market: Arc<Market>,
    /// The admin token (`None`: admin routes refuse everything).
    pub admin: Option<AdminToken>,
}

/// Parses a path or query parameter.
pub(crate) fn param<T: FromStr>(name: &'static str, text: &str) -> Result<T, RelayError>
where
    T::Err: std::fmt::Display,
{
    if text.len() > 256 {
        return Err(RelayError::BadParameter {
            name,
            reason: "longer than 256 characters".to_owned(),
        });
    }
    text.parse().map_err(|e: T::Err| RelayError::BadParameter {
        name,
        reason: e.to_string(),
    })
}

/// Serves [`router`] on `listener` until `shutdown` (in-flight requests drain first).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// Every route of the relay.
pub fn router(state: AppState) -> Router {
    Router::new()
        // Proposer API (builder-specs).
        .route("/eth/v1/builder/status", get(proposer::status))
        .route("/eth/v1/builder/validators", post(proposer::register))
        .route(
            "/eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}",
            get(proposer::get_header),
        )
        .route(
            "/eth/v1/builder/blinded_blocks",
            post(proposer::blinded_blocks_v1),
        )
        .route(
            "/eth/v2/builder/blinded_blocks",
            post(proposer::blinded_blocks_v2),
        )
        // Builder API.
        .route("/relay/v1/builder/validators", get(builder::validators))
        .route("/relay/v1/builder/blocks", post(builder::submit_block))
        // Constraints API v0.
        .route(
            "/constraints/v0/builder/delegate",
            post(constraints::delegate),
        )
        .route(
            "/constraints/v0/builder/constraints",
            post(constraints::submit_constraints),
        )
        .route(
            "/constraints/v0/builder/capabilities",
            get(constraints::capabilities),
        )
        .route(
            "/constraints/v0/builder/header_with_proofs/{slot}/{parent_hash}/{pubkey}",
            get(proposer::header_with_proofs),
        )
        .route(
            "/constraints/v0/relay/constraints/{slot}",
            get(constraints::constraints),
        )
        .route(
            "/constraints/v0/relay/delegations/{slot}",
            get(constraints::delegations),
        )
        .route(
            "/constraints/v0/relay/constraints_stream",
            get(constraints::constraints_stream),
        )
        .route(
            "/constraints/v0/relay/constraints_stream/{slot}",
            get(constraints::constraints_stream_slot),
        )
        .route(
            "/constraints/v0/relay/blocks_with_proofs",
            post(builder::submit_block_with_proofs),
        )
        // Data API.
        .route(
            "/relay/v1/data/bidtraces/proposer_payload_delivered",
            get(data::payload_delivered),
        )
        .route(
            "/relay/v1/data/bidtraces/builder_blocks_received",
            get(data::blocks_received),
        )
        .route(
            "/relay/v1/data/validator_registration",
            get(data::validator_registration),
        )
        // Slot router.
        .route("/market/v1/lookahead", get(lookahead))
        // Admin.
        .route(
            "/admin/v1/builders/{pubkey}/blocked",
            post(block_builder).delete(unblock_builder),
        )
        // Operations.
        .route(
            "/metrics",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                    metrics::render(),
                )
            }),
        )
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(state)
}

async fn ready(State(state): State<AppState>) -> Response {
    let current = state.relay.current_slot();
    if state.relay.duties.get(current).is_some()
        || state.relay.duties.get(Slot(current.0 + 1)).is_some()
    {
        (StatusCode::OK, "ready").into_response()
    } else {
        RelayError::NotReady {
            reason: "no proposer duties loaded for the current slot".to_owned(),
        }
        .into_response()
    }
}

async fn lookahead(State(state): State<AppState>) -> Response {
    let relay = &state.relay;
    let current = relay.current_slot();
    let last = Slot(current.0 + 2 * relay.chain().slots_per_epoch);
    let body = state.market.lookahead(relay, current, last);
    (
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn authorize(state: &AppState, headers: &HeaderMap) -> Result<(), RelayError> {
    let expected = state.admin.as_ref().ok_or(RelayError::Unauthorized)?;
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or(RelayError::Unauthorized)?;
    // Compare without an early exit on the first differing byte.
    let (a, b) = (given.as_bytes(), expected.0.as_bytes());
    let differ = a.len() != b.len()
        || a.iter()
            .zip(b.iter())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            != 0;
    if differ {
        return Err(RelayError::Unauthorized);
    }
    Ok(())
}

async fn set_blocked(
    state: &AppState,
    headers: &HeaderMap,
    pubkey: &str,
    blocked: bool,
) -> Result<Response, RelayError> {
    authorize(state, headers)?;
    let builder: BlsPublicKey = param("pubkey", pubkey)?;
    state.relay.set_builder_blocked(builder, blocked);
    tracing::info!(%builder, blocked, "builder status changed by admin");
    Ok(StatusCode::OK.into_response())
}

async fn block_builder(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(pubkey): Path<String>,
) -> Result<Response, RelayError> {
    set_blocked(&state, &headers, &pubkey, true).await
}

async fn unblock_builder(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(pubkey): Path<String>,
) -> Result<Response, RelayError> {
    set_blocked(&state, &headers, &pubkey, false).await
}

#[cfg(test)]
mod tests;
