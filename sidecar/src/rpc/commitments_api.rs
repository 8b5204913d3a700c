//! The eth-fabric Commitments API (v0) as REST aliases of the JSON-RPC methods, for wallets
//! written against that interface. Shapes are mapped, not changed: the request `payload` is
//! a Baton signed request (JSON, as bytes), the commitment `payload` is the Baton
//! commitment (JSON, as bytes), and `signature` is the committer's EIP-712 signature over
//! that Baton commitment. See `docs/api.md` (Commitments API aliases).

use std::{net::SocketAddr, sync::Arc};

use alloy_primitives::{Address, B256, Bytes};
use axum::{
    Json, Router,
    extract::{ConnectInfo, Path, State, rejection::JsonRejection},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_preconf::{Request, SignedCommitment, SignedRequest, request::CheckedBody};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::RpcError;
use crate::{metrics, service::Service};

/// `commitment_type` of a Baton L1 inclusion promise.
pub const TYPE_INCLUSION: u64 = 1;
/// `commitment_type` of a Baton rollup sequencing promise.
pub const TYPE_SEQUENCING: u64 = 2;

/// A `CommitmentRequest`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommitmentRequest {
    commitment_type: u64,
    payload: Bytes,
    slasher: Address,
}

/// A `SignedCommitment` of the Commitments API wrapping a Baton one.
#[derive(Debug, Serialize)]
struct FabricSignedCommitment {
    commitment: FabricCommitment,
    signature: Bytes,
}

#[derive(Debug, Serialize)]
struct FabricCommitment {
    commitment_type: u64,
    payload: Bytes,
    request_hash: B256,
    slasher: Address,
}

/// The Commitments API routes, merged into the sidecar's router.
pub(super) fn routes() -> Router<Arc<Service>> {
    Router::new()
        .route("/commitments/v0/gateway/commitment", post(post_commitment))
        .route(
            "/commitments/v0/gateway/commitment/{request_hash}",
            get(get_commitment),
        )
        .route("/commitments/v0/gateway/slots", get(slots))
        .route("/commitments/v0/gateway/fee", post(fee))
}

fn status_of(error: &RpcError) -> StatusCode {
    match error {
        RpcError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        RpcError::CommitmentNotFound(_) => StatusCode::NOT_FOUND,
        RpcError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
        RpcError::JournalUnavailable | RpcError::ExecutionUnavailable(_) => {
            StatusCode::SERVICE_UNAVAILABLE
        }
        _ => StatusCode::BAD_REQUEST,
    }
}

fn failure(error: &RpcError) -> Response {
    metrics::record_error(error);
    (status_of(error), Json(error.to_json())).into_response()
}

fn wrap(service: &Service, signed: &SignedCommitment) -> Result<FabricSignedCommitment, RpcError> {
    let commitment_type = match signed.commitment.kind {
        baton_preconf::CommitmentKind::Inclusion => TYPE_INCLUSION,
        baton_preconf::CommitmentKind::Sequencing => TYPE_SEQUENCING,
    };
    let payload = serde_json::to_vec(&signed.commitment).map_err(|_| RpcError::Internal)?;
    Ok(FabricSignedCommitment {
        commitment: FabricCommitment {
            commitment_type,
            payload: payload.into(),
            request_hash: signed.commitment.request_id,
            slasher: service.config().domain.verifying_contract,
        },
        signature: Bytes::copy_from_slice(&signed.signature.to_bytes()),
    })
}

/// Checks the type and slasher, and decodes the Baton request the payload carries.
fn unwrap_request(
    service: &Service,
    body: Result<Json<CommitmentRequest>, JsonRejection>,
) -> Result<(u64, serde_json::Value), RpcError> {
    let Json(request) = body.map_err(|e| RpcError::InvalidParams(e.body_text()))?;
    if request.commitment_type != TYPE_INCLUSION && request.commitment_type != TYPE_SEQUENCING {
        return Err(RpcError::UnsupportedCommitmentType(request.commitment_type));
    }
    let slasher = service.config().domain.verifying_contract;
    if request.slasher != slasher {
        return Err(RpcError::WrongSlasher {
            expected: slasher.to_string(),
            got: request.slasher.to_string(),
        });
    }
    let payload = serde_json::from_slice(&request.payload)
        .map_err(|e| RpcError::InvalidParams(format!("payload is not a Baton request: {e}")))?;
    Ok((request.commitment_type, payload))
}

async fn post_commitment(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Result<Json<CommitmentRequest>, JsonRejection>,
) -> Response {
    let result = async {
        service.allow_client(client.ip())?;
        let (commitment_type, payload) = unwrap_request(&service, body)?;
        let request: SignedRequest = serde_json::from_value(payload)
            .map_err(|e| RpcError::InvalidParams(format!("payload: {e}")))?;
        let signed = match (commitment_type, &request.request) {
            (TYPE_INCLUSION, Request::Inclusion(_)) => service.request_inclusion(&request).await?,
            (TYPE_SEQUENCING, Request::Sequencing(_)) => {
                service.request_sequencing(&request).await?
            }
            _ => return Err(RpcError::UnsupportedCommitmentType(commitment_type)),
        };
        wrap(&service, &signed)
    }
    .await;
    match result {
        Ok(wrapped) => Json(wrapped).into_response(),
        Err(e) => failure(&e),
    }
}

async fn get_commitment(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(request_hash): Path<String>,
) -> Response {
    let result = service.allow_client(client.ip()).and_then(|()| {
        let id: B256 = request_hash
            .parse()
            .map_err(|_| RpcError::InvalidParams("request_hash is 32 bytes of 0x-hex".into()))?;
        let signed = service
            .commitment(id)
            .ok_or_else(|| RpcError::CommitmentNotFound(id.to_string()))?;
        wrap(&service, &signed)
    });
    match result {
        Ok(wrapped) => Json(wrapped).into_response(),
        Err(e) => failure(&e),
    }
}

async fn slots(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
) -> Response {
    if let Err(e) = service.allow_client(client.ip()) {
        return failure(&e);
    }
    let l1 = service.config().domain.chain_id;
    let mut offerings = vec![json!({ "chain_id": l1, "commitment_types": [TYPE_INCLUSION] })];
    let mut l2: Vec<u64> = service.l2_chain_ids();
    l2.sort_unstable();
    offerings
        .extend(l2.into_iter().map(
            |chain_id| json!({ "chain_id": chain_id, "commitment_types": [TYPE_SEQUENCING] }),
        ));
    let slots: Vec<_> = service
        .slots()
        .into_iter()
        .map(|(slot, _, _)| json!({ "slot": slot.0, "offerings": offerings }))
        .collect();
    Json(json!({ "slots": slots })).into_response()
}

async fn fee(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Result<Json<CommitmentRequest>, JsonRejection>,
) -> Response {
    let result = (|| {
        service.allow_client(client.ip())?;
        let (commitment_type, payload) = unwrap_request(&service, body)?;
        // A signed request or the bare request: only its contents are priced.
        let request: Request = match serde_json::from_value::<SignedRequest>(payload.clone()) {
            Ok(signed) => signed.request,
            Err(_) => serde_json::from_value(payload)
                .map_err(|e| RpcError::InvalidParams(format!("payload: {e}")))?,
        };
        let body = request
            .decode()
            .map_err(|e| RpcError::MalformedRequest(e.to_string()))?;
        let (gas, rollup_txs) = match body {
            CheckedBody::Inclusion(txs) => (txs.iter().map(|t| t.gas_limit).sum(), 0),
            CheckedBody::Sequencing(txs) => (0, txs.len()),
        };
        let quote = service.quote(request.slot(), gas, rollup_txs)?;
        let payload = json!({
            "slot": quote.slot,
            "minPriorityFeePerGas": quote.min_priority_fee_per_gas.map(|t| t.to_string()),
            "rollupFee": quote.rollup_fee.to_string(),
            "l1GasLeft": quote.l1_gas_left.to_string(),
        });
        Ok::<_, RpcError>(json!({
            "commitment_type": commitment_type,
            "payload": Bytes::from(payload.to_string().into_bytes()),
        }))
    })();
    match result {
        Ok(info) => Json(info).into_response(),
        Err(e) => failure(&e),
    }
}
