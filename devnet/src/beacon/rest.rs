//! The beacon REST subset the sidecar, the relay and the rollup node call, plus the
//! devnet's own slot query. Routes and limits are listed in `docs/beacon.md`.

use std::sync::Arc;

use alloy_primitives::B256;
use axum::{
    Json, Router,
    body::{Body, Bytes},
    extract::{Path, RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use baton_preconf::{
    Epoch, Slot,
    ssz::{BeaconJson, SignedBlockContentsElectra, decode},
};
use serde_json::{Value, json};

use super::{
    builder_client::redact,
    chain::SlotRecord,
    error::ApiError,
    publish::{self, Accepted},
    service::Shared,
    sse,
};

/// Largest published block (a full payload with six blobs fits with room).
pub const MAX_BLOCK_BODY: usize = 16 * 1024 * 1024;
/// Most slots one `/baton/v1/slots` answer covers.
pub const MAX_SLOTS_PER_QUERY: u64 = 1_024;
/// Longest path or query parameter read.
const MAX_PARAM: usize = 256;

type AppState = State<Arc<Shared>>;

/// Every route.
pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/eth/v1/beacon/genesis", get(genesis))
        .route("/eth/v1/beacon/states/{state_id}/fork", get(fork))
        .route("/eth/v1/beacon/headers/{block_id}", get(block_header))
        .route("/eth/v1/config/spec", get(spec))
        .route("/eth/v1/node/version", get(version))
        .route("/eth/v1/node/syncing", get(syncing))
        .route("/eth/v1/node/health", get(health))
        .route("/eth/v1/validator/duties/proposer/{epoch}", get(duties))
        .route("/eth/v1/events", get(sse::events))
        .route("/eth/v1/beacon/blocks", post(publish_block))
        .route("/eth/v2/beacon/blocks", post(publish_block))
        .route("/baton/v1/slots", get(slots))
        .route("/baton/v1/validators", get(validators))
        .with_state(shared)
}

fn param<T: std::str::FromStr>(name: &'static str, text: &str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    if text.len() > MAX_PARAM {
        return Err(ApiError::BadParameter {
            name,
            reason: format!("longer than {MAX_PARAM} characters"),
        });
    }
    text.parse().map_err(|e: T::Err| ApiError::BadParameter {
        name,
        reason: e.to_string(),
    })
}

fn fork_hex(version: [u8; 4]) -> String {
    format!("0x{}", hex::encode(version))
}

async fn genesis(State(shared): AppState) -> Json<Value> {
    let spec = &shared.spec;
    Json(json!({ "data": {
        "genesis_time": spec.genesis_time.to_string(),
        "genesis_validators_root": spec.genesis_validators_root,
        "genesis_fork_version": fork_hex(spec.genesis_fork_version),
    }}))
}

/// A state or block id: `head`, `genesis`, `finalized`, `justified`, a slot, or a root.
enum Id {
    Head,
    Genesis,
    Slot(Slot),
    Root(B256),
}

fn parse_id(name: &'static str, text: &str) -> Result<Id, ApiError> {
    match text {
        "head" | "finalized" | "justified" => Ok(Id::Head),
        "genesis" => Ok(Id::Genesis),
        _ if text.starts_with("0x") => param(name, text).map(Id::Root),
        _ => param(name, text).map(|s: u64| Id::Slot(Slot(s))),
    }
}

async fn fork(
    State(shared): AppState,
    Path(state_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    parse_id("state_id", &state_id)?;
    let spec = &shared.spec;
    Ok(Json(json!({
        "execution_optimistic": false,
        "finalized": false,
        "data": {
            "previous_version": fork_hex(spec.current_fork_version),
            "current_version": fork_hex(spec.current_fork_version),
            "epoch": "0",
        }
    })))
}

async fn block_header(
    State(shared): AppState,
    Path(block_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_id("block_id", &block_id)?;
    let not_found = || ApiError::NotFound {
        what: format!("block {}", block_id.chars().take(80).collect::<String>()),
    };
    let (anchor, head) = shared.with_chain(|c| (c.anchor(), c.head()));
    let record: Option<SlotRecord> = shared.with_chain(|c| match id {
        Id::Head => c.record(head.slot).cloned(),
        Id::Genesis => None,
        Id::Slot(slot) => c.record(slot).cloned(),
        Id::Root(root) => c.by_root(root).cloned(),
    });
    if let Some(record) = record {
        let header = record.header().ok_or_else(not_found)?;
        let signature = record.block().map(|b| b.signature).unwrap_or_default();
        let root = record.block().map(|b| b.root).unwrap_or_default();
        return Ok(Json(json!({
            "execution_optimistic": false,
            "finalized": false,
            "data": {
                "root": root,
                "canonical": true,
                "header": { "message": header.to_json(), "signature": signature },
            }
        })));
    }
    // The anchor block (no record): the head before the first proposal, or genesis.
    let is_anchor = match id {
        Id::Head => head.root == anchor.root,
        Id::Genesis => true,
        Id::Slot(slot) => slot == anchor.slot,
        Id::Root(root) => root == anchor.root,
    };
    if !is_anchor {
        return Err(not_found());
    }
    Ok(Json(json!({
        "execution_optimistic": false,
        "finalized": true,
        "data": {
            "root": anchor.root,
            "canonical": true,
            "header": {
                "message": {
                    "slot": anchor.slot,
                    "proposer_index": "0",
                    "parent_root": B256::ZERO,
                    "state_root": anchor.state_root,
                    "body_root": B256::ZERO,
                },
                "signature": baton_preconf::BlsSignature::default(),
            },
        }
    })))
}

async fn spec(State(shared): AppState) -> Json<Value> {
    let spec = &shared.spec;
    Json(json!({ "data": {
        "CONFIG_NAME": "baton-devnet",
        "PRESET_BASE": "minimal",
        "SECONDS_PER_SLOT": spec.seconds_per_slot.to_string(),
        "SLOTS_PER_EPOCH": spec.slots_per_epoch.to_string(),
        "GENESIS_FORK_VERSION": fork_hex(spec.genesis_fork_version),
        "ELECTRA_FORK_VERSION": fork_hex(spec.current_fork_version),
        "ELECTRA_FORK_EPOCH": "0",
        "DEPOSIT_CHAIN_ID": spec.chain_id.0.to_string(),
        "DOMAIN_BEACON_PROPOSER": "0x00000000",
        "DOMAIN_RANDAO": "0x02000000",
        "DOMAIN_APPLICATION_BUILDER": "0x00000001",
    }}))
}

async fn version() -> Json<Value> {
    Json(json!({ "data": {
        "version": format!("baton-devnet-beacon/v{}", env!("CARGO_PKG_VERSION")),
    }}))
}

async fn syncing(State(shared): AppState) -> Json<Value> {
    Json(json!({ "data": {
        "head_slot": shared.head().slot,
        "sync_distance": "0",
        "is_syncing": false,
        "is_optimistic": false,
        "el_offline": false,
    }}))
}

async fn health() -> StatusCode {
    StatusCode::OK
}

async fn duties(
    State(shared): AppState,
    Path(epoch): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let epoch = Epoch(param::<u64>("epoch", &epoch)?);
    let current = shared.spec.epoch_of(shared.current_slot());
    if epoch.0 > current.0 + 1 {
        return Err(ApiError::EpochTooFar {
            epoch: epoch.0,
            current: current.0,
        });
    }
    let data: Vec<Value> = shared
        .schedule
        .epoch_duties(epoch)
        .into_iter()
        .map(|(slot, index)| {
            json!({
                "pubkey": shared.validators[index as usize].pubkey,
                "validator_index": index.to_string(),
                "slot": slot,
            })
        })
        .collect();
    let dependent_root = shared.with_chain(|c| c.anchor().root);
    Ok(Json(json!({
        "dependent_root": dependent_root,
        "execution_optimistic": false,
        "data": data,
    })))
}

async fn publish_block(
    State(shared): AppState,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    if let Some(version) = headers.get("Eth-Consensus-Version") {
        let version = version.to_str().unwrap_or_default();
        if !version.eq_ignore_ascii_case("electra") {
            return Err(ApiError::Unsupported {
                what: format!(
                    "consensus version {}",
                    version.chars().take(16).collect::<String>()
                ),
            });
        }
    }
    let ssz = match headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
        .as_deref()
    {
        Some("application/octet-stream") => true,
        None | Some("application/json") => false,
        Some(other) => {
            return Err(ApiError::Unsupported {
                what: format!(
                    "content type {}",
                    other.chars().take(64).collect::<String>()
                ),
            });
        }
    };
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BLOCK_BODY)
        .await
        .map_err(|_| ApiError::BodyTooLarge {
            limit: MAX_BLOCK_BODY,
        })?;
    let malformed = |reason: String| ApiError::MalformedBody { reason };
    let contents: SignedBlockContentsElectra = if ssz {
        decode(&bytes).map_err(|e| malformed(e.to_string()))?
    } else {
        let value: Value = serde_json::from_slice(&bytes).map_err(|e| malformed(e.to_string()))?;
        SignedBlockContentsElectra::from_json(&value).map_err(|e| malformed(e.to_string()))?
    };
    let slot = contents.signed_block.message.slot;
    let accepted = tokio::task::spawn_blocking(move || publish::accept(&shared, contents))
        .await
        .map_err(|_| ApiError::Internal)??;
    tracing::info!(slot, ?accepted, "block published to the beacon service");
    Ok(match accepted {
        Accepted::Kept | Accepted::AlreadyImported => StatusCode::OK.into_response(),
    })
}

/// `from` and `to` from a query string (`from=&to=`), other keys refused.
fn slot_range(query: Option<&str>, head: Slot) -> Result<(Slot, Slot), ApiError> {
    let mut from = None;
    let mut to = None;
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
        .take(8)
    {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "from" => from = Some(Slot(param::<u64>("from", value)?)),
            "to" => to = Some(Slot(param::<u64>("to", value)?)),
            _ => {
                return Err(ApiError::BadParameter {
                    name: "query",
                    reason: format!("unknown key {}", key.chars().take(32).collect::<String>()),
                });
            }
        }
    }
    let to = to.unwrap_or(head);
    let from = from.unwrap_or(Slot(to.0.saturating_sub(63)));
    if from > to || to.0 - from.0 >= MAX_SLOTS_PER_QUERY {
        return Err(ApiError::BadParameter {
            name: "from",
            reason: format!("need from <= to and at most {MAX_SLOTS_PER_QUERY} slots"),
        });
    }
    Ok((from, to))
}

async fn slots(
    State(shared): AppState,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (from, to) = slot_range(query.as_deref(), shared.current_slot())?;
    let records = shared.with_chain(|c| c.records(from, to, MAX_SLOTS_PER_QUERY as usize));
    Ok(Json(json!({ "data": records })))
}

async fn validators(State(shared): AppState) -> Json<Value> {
    let data: Vec<Value> = shared
        .validators
        .iter()
        .map(|v| {
            json!({
                "index": v.index.to_string(),
                "pubkey": v.pubkey,
                "fee_recipient": v.fee_recipient,
                "builder_url": v.builder_url.as_deref().map(redact),
            })
        })
        .collect();
    Json(json!({ "data": data }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_ranges_are_bounded_and_validated() {
        assert_eq!(slot_range(None, Slot(100)).unwrap(), (Slot(37), Slot(100)));
        assert_eq!(
            slot_range(Some("from=3&to=9"), Slot(100)).unwrap(),
            (Slot(3), Slot(9))
        );
        assert!(slot_range(Some("from=9&to=3"), Slot(100)).is_err());
        assert!(slot_range(Some("from=0&to=5000"), Slot(100)).is_err());
        assert!(slot_range(Some("from=x"), Slot(100)).is_err());
        assert!(slot_range(Some("limit=3"), Slot(100)).is_err());
    }
}
