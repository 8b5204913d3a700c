//! The axum router: JSON-RPC on `POST /`, plus `/metrics`, `/health` and `/ready`.

use std::{future::Future, net::SocketAddr, sync::Arc};

use axum::{
    Router,
    body::Bytes,
    extract::{ConnectInfo, DefaultBodyLimit, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_preconf::SignedRequest;
use serde_json::{Value, json};

use super::RpcError;
use crate::{metrics, service::Service};

/// Largest request body accepted (larger: HTTP 413).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Most calls in one JSON-RPC batch.
pub const MAX_BATCH: usize = 100;

/// Serves `router(service)` on `listener` until `shutdown`, with the client addresses the
/// per-IP rate limit needs.
pub async fn serve(
    listener: tokio::net::TcpListener,
    service: Arc<Service>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(service).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// The sidecar's HTTP routes. Serve them with [`serve`] (the JSON-RPC route reads the
/// client's address).
pub fn router(service: Arc<Service>) -> Router {
    Router::new()
        .route("/", post(rpc))
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
        .merge(super::commitments_api::routes())
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(service)
}

async fn ready(State(service): State<Arc<Service>>) -> Response {
    if service.healthy() {
        (StatusCode::OK, "ready").into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "journal failed; promises suspended",
        )
            .into_response()
    }
}

fn error_response(id: &Value, error: &RpcError) -> Value {
    json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() })
}

fn json_response(value: &Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

async fn rpc(
    State(service): State<Arc<Service>>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    body: Bytes,
) -> Response {
    let parsed: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let err = RpcError::Parse(e.to_string());
            metrics::record_error(&err);
            return json_response(&error_response(&Value::Null, &err));
        }
    };
    match parsed {
        Value::Array(calls) => {
            if calls.is_empty() || calls.len() > MAX_BATCH {
                let err = RpcError::InvalidRequest(format!(
                    "a batch holds 1 to {MAX_BATCH} calls, not {}",
                    calls.len()
                ));
                return json_response(&error_response(&Value::Null, &err));
            }
            let mut answers = Vec::with_capacity(calls.len());
            for call in calls {
                answers.push(handle(&service, client, call).await);
            }
            json_response(&Value::Array(answers))
        }
        call => json_response(&handle(&service, client, call).await),
    }
}

async fn handle(service: &Service, client: SocketAddr, call: Value) -> Value {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    if let Err(err) = service.allow_client(client.ip()) {
        metrics::record_error(&err);
        return error_response(&id, &err);
    }
    let method = match (call.get("jsonrpc"), call.get("method")) {
        (Some(Value::String(v)), Some(Value::String(m))) if v == "2.0" => m.clone(),
        _ => {
            let err =
                RpcError::InvalidRequest("expected {\"jsonrpc\":\"2.0\",\"method\":...}".into());
            metrics::record_error(&err);
            return error_response(&id, &err);
        }
    };
    let params = call.get("params").cloned().unwrap_or(Value::Array(vec![]));
    match dispatch(service, &method, params).await {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(err) => {
            if matches!(
                err,
                RpcError::MethodNotFound(_) | RpcError::InvalidParams(_)
            ) {
                metrics::record_error(&err);
            }
            error_response(&id, &err)
        }
    }
}

/// Parameters of `baton_fee`.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FeeParams {
    slot: baton_preconf::Slot,
    #[serde(default)]
    gas: baton_preconf::Gas,
    #[serde(default, with = "baton_preconf::types::quoted")]
    rollup_txs: u64,
}

/// The single parameter of a method: `[x]` or `x`.
pub(super) fn single_param<T: serde::de::DeserializeOwned>(params: Value) -> Result<T, RpcError> {
    let value = match params {
        Value::Array(mut items) if items.len() == 1 => items.remove(0),
        Value::Array(items) => {
            return Err(RpcError::InvalidParams(format!(
                "expected exactly one parameter, got {}",
                items.len()
            )));
        }
        other => other,
    };
    serde_json::from_value(value).map_err(|e| RpcError::InvalidParams(e.to_string()))
}

async fn dispatch(service: &Service, method: &str, params: Value) -> Result<Value, RpcError> {
    if super::market_api::METHODS.contains(&method) {
        return super::market_api::dispatch(service, method, params).await;
    }
    match method {
        "baton_requestInclusion" => {
            let request: SignedRequest = single_param(params)?;
            let signed = service.request_inclusion(&request).await?;
            serde_json::to_value(signed).map_err(|_| RpcError::Internal)
        }
        "baton_requestSequencing" => {
            let request: SignedRequest = single_param(params)?;
            let signed = service.request_sequencing(&request).await?;
            serde_json::to_value(signed).map_err(|_| RpcError::Internal)
        }
        "baton_getCommitment" => {
            let request_id: alloy_primitives::B256 = single_param(params)?;
            let signed = service
                .commitment(request_id)
                .ok_or_else(|| RpcError::CommitmentNotFound(request_id.to_string()))?;
            Ok(json!({ "status": "pending", "commitment": signed }))
        }
        "baton_commitments" => {
            let (from, to) = single_param::<crate::service::ListParams>(params)?.range()?;
            let (commitments, truncated) = service.commitments_between(from, to)?;
            Ok(json!({ "commitments": commitments, "truncated": truncated }))
        }
        "baton_fee" => {
            let params: FeeParams = single_param(params)?;
            let rollup_txs = usize::try_from(params.rollup_txs)
                .ok()
                .filter(|n| *n <= 1 << 20)
                .ok_or_else(|| RpcError::InvalidParams("rollupTxs is at most 1048576".into()))?;
            let quote = service.quote(params.slot, params.gas.0, rollup_txs)?;
            Ok(json!({
                "slot": quote.slot,
                "minPriorityFeePerGas": quote.min_priority_fee_per_gas.map(|t| t.to_string()),
                "rollupFee": quote.rollup_fee.to_string(),
                "l1GasLeft": quote.l1_gas_left.to_string(),
            }))
        }
        "baton_slots" => {
            serde_json::to_value(service.slot_offers()).map_err(|_| RpcError::Internal)
        }
        "baton_version" => Ok(json!({
            "version": env!("CARGO_PKG_VERSION"),
            "committer": service.committer(),
            "chainId": service.config().domain.chain_id.to_string(),
            "slasher": service.config().domain.verifying_contract,
        })),
        other => Err(RpcError::MethodNotFound(other.to_owned())),
    }
}
