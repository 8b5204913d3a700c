//! Events from other relay instances (through Redis) applied to this one's memory.
//! Bids come from instances that already checked them against the full payload (which
//! this instance does not have); signed messages are verified again here.

use std::sync::Arc;

use baton_preconf::{
    constraints::{SignedConstraints, SignedDelegation},
    ssz::{BeaconJson, SignedValidatorRegistration},
};
use serde_json::Value;

use super::Relay;
use crate::{metrics, sharing::decode_bid, state::history::BidRecord};

impl Relay {
    /// Applies one shared event (`kind` and its `data` as written by the writer).
    /// Unknown or malformed events are logged and skipped.
    pub fn apply_shared(&self, kind: &str, data: &[u8]) {
        let applied = match kind {
            "bid" => serde_json::from_slice::<Value>(data)
                .ok()
                .and_then(|v| decode_bid(&v))
                .map(|bid| {
                    if bid.slot >= self.kept_from() {
                        let _ = self.accept(Arc::new(bid), None);
                    }
                }),
            "registrations" => serde_json::from_slice::<Vec<Value>>(data)
                .ok()
                .and_then(|list| {
                    list.iter()
                        .take(super::register::MAX_REGISTRATIONS)
                        .map(SignedValidatorRegistration::from_json)
                        .collect::<Result<Vec<_>, _>>()
                        .ok()
                })
                .map(|registrations| self.apply_registrations(registrations)),
            "delegation" => serde_json::from_slice::<SignedDelegation>(data)
                .ok()
                .map(|d| self.apply_delegation(d)),
            "constraints" => serde_json::from_slice::<Vec<SignedConstraints>>(data)
                .ok()
                .map(|m| self.apply_constraints(m)),
            "delivered" => serde_json::from_slice::<Value>(data)
                .ok()
                .and_then(|v| BidRecord::from_json(&v))
                .map(|record| {
                    self.history.delivered(record);
                }),
            _ => None,
        };
        match applied {
            Some(()) => metrics::record_redis_applied(),
            None => tracing::warn!(kind, "skipping a malformed shared event"),
        }
    }
}
