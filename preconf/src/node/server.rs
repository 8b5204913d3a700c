//! The node's HTTP face (step ⑧): JSON-RPC 2.0 on `POST /` for the safe head, the soft
//! head, the derived blocks, promise verdicts and handing in a commitment; Prometheus
//! metrics on `GET /metrics`. Every method takes one parameter (`[x]` or `x`).

use std::{future::Future, sync::Arc};

use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, State},
    routing::{get, post},
};
use serde_json::{Value, json};

use super::{AddPromiseError, NodeHandle};
use crate::{commitment::SignedCommitment, types::RollupId};

/// Largest request body (a commitment with 256 placements is about 40 KiB).
const MAX_BODY_BYTES: usize = 256 * 1024;

// JSON-RPC error codes of the node; unique (tested), documented in `docs/derivation.md`.
/// No such method.
const METHOD_NOT_FOUND: i64 = -32601;
/// Parameters missing or malformed.
const INVALID_PARAMS: i64 = -32602;
/// The rollup is not followed by this node.
const NOT_FOLLOWED: i64 = 2001;
/// The commitment's shape or signature is wrong.
const BAD_COMMITMENT: i64 = 2002;
/// The promise book refused a placement (full, or the slot too old).
const PROMISE_REFUSED: i64 = 2003;

fn error(code: i64, message: impl Into<String>) -> Value {
    json!({ "code": code, "message": message.into() })
}

fn single_param(params: Value) -> Result<Value, Value> {
    match params {
        Value::Array(mut items) if items.len() == 1 => Ok(items.remove(0)),
        Value::Array(items) => Err(error(
            INVALID_PARAMS,
            format!("expected one parameter, got {}", items.len()),
        )),
        other => Ok(other),
    }
}

fn rollup_param(params: Value) -> Result<RollupId, Value> {
    serde_json::from_value(single_param(params)?).map_err(|e| error(INVALID_PARAMS, e.to_string()))
}

fn not_followed(rollup: RollupId) -> Value {
    error(
        NOT_FOLLOWED,
        format!("rollup {rollup} is not followed by this node"),
    )
}

fn dispatch(handle: &NodeHandle, method: &str, params: Value) -> Result<Value, Value> {
    match method {
        "baton_safeHead" => {
            let rollup = rollup_param(params)?;
            let head = handle
                .safe_head(rollup)
                .ok_or_else(|| not_followed(rollup))?;
            Ok(to_json(&head))
        }
        "baton_softHead" => {
            let rollup = rollup_param(params)?;
            let head = handle
                .soft_head(rollup)
                .ok_or_else(|| not_followed(rollup))?;
            Ok(to_json(&head))
        }
        "baton_derivedBlocks" => {
            let rollup = rollup_param(params)?;
            handle
                .chain_id(rollup)
                .ok_or_else(|| not_followed(rollup))?;
            Ok(to_json(&handle.derived_blocks(rollup)))
        }
        "baton_promiseVerdicts" => Ok(to_json(&handle.judged())),
        "baton_addCommitment" => {
            let signed: SignedCommitment = serde_json::from_value(single_param(params)?)
                .map_err(|e| error(INVALID_PARAMS, e.to_string()))?;
            match handle.add_commitment(&signed) {
                Ok(judged) => Ok(to_json(&judged)),
                Err(AddPromiseError::Commitment(e)) => Err(error(BAD_COMMITMENT, e.to_string())),
                Err(AddPromiseError::Promise(e)) => Err(error(PROMISE_REFUSED, e.to_string())),
            }
        }
        other => Err(error(METHOD_NOT_FOUND, format!("method {other} not found"))),
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Value {
    // Our types serialise infallibly (no maps with non-string keys).
    serde_json::to_value(value).unwrap_or(Value::Null)
}

async fn rpc(State(handle): State<Arc<NodeHandle>>, Json(call): Json<Value>) -> Json<Value> {
    let id = call.get("id").cloned().unwrap_or(Value::Null);
    let method = call
        .get("method")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let params = call.get("params").cloned().unwrap_or(Value::Null);
    Json(match dispatch(&handle, method, params) {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error }),
    })
}

async fn metrics(State(handle): State<Arc<NodeHandle>>) -> String {
    handle.metrics().render()
}

/// The node's routes.
pub fn router(handle: NodeHandle) -> Router {
    Router::new()
        .route("/", post(rpc))
        .route("/metrics", get(metrics))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(Arc::new(handle))
}

/// Serves [`router`] on `listener` until `shutdown` resolves.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: NodeHandle,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(handle))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn error_codes_are_unique() {
        let all = [
            METHOD_NOT_FOUND,
            INVALID_PARAMS,
            NOT_FOLLOWED,
            BAD_COMMITMENT,
            PROMISE_REFUSED,
        ];
        assert_eq!(all.iter().collect::<HashSet<_>>().len(), all.len());
    }
}
