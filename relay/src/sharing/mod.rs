//! Sharing state between relay instances through Redis, written behind the hot path
//! (steps ④–⑥). Accepted bids, constraints, delegations, registrations and deliveries
//! become [`SharedEvent`]s: a writer task appends them to one Redis stream (payloads go
//! to their own keys), and every instance reads the stream and applies the others'
//! events to its memory.
//!
//! Nothing on the hot path waits for Redis: events are handed over with `try_send`.
//! While Redis is down the relay serves from memory; when Redis answers again the
//! writer rewrites its whole live state (a resync) and the readers re-read the stream
//! from the start, so every instance catches up. Applying an event is idempotent.

mod codec;
mod redis_store;

use std::sync::Arc;

use baton_preconf::{
    constraints::{SignedConstraints, SignedDelegation},
    ssz::SignedValidatorRegistration,
};

pub use codec::{decode_bid, encode_bid};
pub use redis_store::{SharedStore, spawn};

use crate::state::{
    auction::{Bid, PayloadContents},
    history::BidRecord,
};

/// Something an instance accepted that the others should know.
#[derive(Debug, Clone)]
pub enum SharedEvent {
    /// A validated bid and its payload.
    Bid(Arc<Bid>, Arc<PayloadContents>),
    /// Verified validator registrations.
    Registrations(Vec<SignedValidatorRegistration>),
    /// A verified delegation.
    Delegation(SignedDelegation),
    /// Verified constraints messages of one slot.
    Constraints(Vec<SignedConstraints>),
    /// A payload delivered for a slot.
    Delivered(BidRecord),
}
