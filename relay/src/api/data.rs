//! Data API (relay transparency, as mev-boost relays serve it): payloads delivered, bids
//! received, and a validator's registration.

use std::collections::HashMap;

use axum::{
    extract::{Query, State},
    response::Response,
};
use baton_preconf::{BlsPublicKey, ssz::BeaconJson};
use serde_json::Value;

use super::{AppState, body, param};
use crate::{error::RelayError, state::history::Filter};

/// Default and largest `limit` of `proposer_payload_delivered`.
pub(crate) const DELIVERED_LIMIT: (usize, usize) = (100, 200);
/// Default and largest `limit` of `builder_blocks_received`.
pub(crate) const RECEIVED_LIMIT: (usize, usize) = (100, 500);

fn filter(
    query: &HashMap<String, String>,
    allowed: &[&str],
    (default_limit, max_limit): (usize, usize),
) -> Result<Filter, RelayError> {
    if let Some(unknown) = query.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(RelayError::BadQuery {
            reason: format!(
                "unknown parameter {unknown}; allowed: {}",
                allowed.join(", ")
            ),
        });
    }
    let get = |name: &str| query.get(name).map(String::as_str);
    let limit = get("limit")
        .map(|l| param::<usize>("limit", l))
        .transpose()?
        .unwrap_or(default_limit);
    if limit == 0 || limit > max_limit {
        return Err(RelayError::BadQuery {
            reason: format!("limit is 1 to {max_limit}"),
        });
    }
    let order_by_value = match get("order_by") {
        None => None,
        Some("value") => Some(false),
        Some("-value") => Some(true),
        Some(other) => {
            return Err(RelayError::BadQuery {
                reason: format!("order_by is value or -value, not {other}"),
            });
        }
    };
    let filter = Filter {
        slot: get("slot").map(|v| param("slot", v)).transpose()?,
        cursor: get("cursor").map(|v| param("cursor", v)).transpose()?,
        block_hash: get("block_hash")
            .map(|v| param("block_hash", v))
            .transpose()?,
        block_number: get("block_number")
            .map(|v| param("block_number", v))
            .transpose()?,
        builder: get("builder_pubkey")
            .map(|v| param("builder_pubkey", v))
            .transpose()?,
        proposer: get("proposer_pubkey")
            .map(|v| param("proposer_pubkey", v))
            .transpose()?,
        limit,
        order_by_value,
    };
    if filter.slot.is_some() && filter.cursor.is_some() {
        return Err(RelayError::BadQuery {
            reason: "give slot or cursor, not both".to_owned(),
        });
    }
    Ok(filter)
}

pub(crate) async fn payload_delivered(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, RelayError> {
    let filter = filter(
        &query,
        &[
            "slot",
            "cursor",
            "limit",
            "block_hash",
            "block_number",
            "proposer_pubkey",
            "builder_pubkey",
            "order_by",
        ],
        DELIVERED_LIMIT,
    )?;
    let records: Vec<Value> = state
        .relay
        .history
        .query_delivered(&filter)
        .iter()
        .map(|r| r.to_json())
        .collect();
    Ok(body::json_answer(&Value::Array(records)))
}

pub(crate) async fn blocks_received(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, RelayError> {
    let filter = filter(
        &query,
        &[
            "slot",
            "limit",
            "block_hash",
            "block_number",
            "builder_pubkey",
        ],
        RECEIVED_LIMIT,
    )?;
    if filter.slot.is_none()
        && filter.block_hash.is_none()
        && filter.block_number.is_none()
        && filter.builder.is_none()
    {
        return Err(RelayError::BadQuery {
            reason: "give at least one of slot, block_hash, block_number, builder_pubkey"
                .to_owned(),
        });
    }
    let records: Vec<Value> = state
        .relay
        .history
        .query_received(&filter)
        .iter()
        .map(|r| r.to_json())
        .collect();
    Ok(body::json_answer(&Value::Array(records)))
}

pub(crate) async fn validator_registration(
    State(state): State<AppState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Response, RelayError> {
    if let Some(unknown) = query.keys().find(|k| k.as_str() != "pubkey") {
        return Err(RelayError::BadQuery {
            reason: format!("unknown parameter {unknown}; allowed: pubkey"),
        });
    }
    let key = query.get("pubkey").ok_or_else(|| RelayError::BadQuery {
        reason: "pubkey is required".to_owned(),
    })?;
    let key: BlsPublicKey = param("pubkey", key)?;
    let registration = state
        .relay
        .registration(&key)
        .ok_or_else(|| RelayError::NotRegistered {
            pubkey: key.to_string(),
        })?;
    Ok(body::json_answer(&registration.to_json()))
}
