//! The beacon node, as the relay sees it: genesis and fork, proposer duties, payload
//! attributes (the parent each slot's block must build on), and publishing the unblinded
//! block (step ⑥). [`stub`] is a small in-process beacon API for tests and the load
//! generator.

mod client;
pub mod stub;

pub use baton_preconf::ssz::PayloadAttributes;
pub use client::read_limited;
pub use client::{BeaconClient, BeaconError, ChainInfo, ProposerDuty, SseParser};
