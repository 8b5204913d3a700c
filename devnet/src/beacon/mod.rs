//! The devnet's beacon service: the consensus side of the devnet's L1, since no modern
//! consensus client installs here.
//!
//! It keeps a slot clock, `N` interop validators ([`interop_secret_key`]), a
//! deterministic proposer schedule ([`ProposerSchedule`]) and a small chain of its own
//! (per slot a signed Electra block whose root is the next payload's
//! `parent_beacon_block_root`, so EIP-4788 stores real roots on L1). It serves the beacon
//! REST subset and SSE events the sidecar, relay and rollup node read, and for every
//! slot runs the proposer's real builder-API calls against the validator's builder URL
//! (step ⑥ from the validator's side), then drives the execution client over the Engine
//! API (step ⑦): `engine_newPayloadV4` + `engine_forkchoiceUpdatedV3`, with a local
//! Engine-API block when no builder delivers.
//!
//! Start it with [`BeaconService::start`]; the returned [`BeaconHandle`] stops it on
//! drop. Routes, events and error codes: `docs/beacon.md`.

mod bid;
mod block;
mod builder_client;
mod chain;
mod config;
mod engine;
mod error;
mod events;
#[cfg(test)]
mod flow_tests;
mod keys;
mod proposer;
mod publish;
mod rest;
#[cfg(test)]
mod rest_tests;
mod schedule;
mod service;
mod sse;
#[cfg(test)]
mod testing;

pub use bid::{BidError, expected_gas_limit};
pub use chain::{BlockSource, Head, MissReason, ProposedBlock, SlotOutcome, SlotRecord};
pub use config::{
    BeaconConfig, ConfigError, DEFAULT_GAS_LIMIT, Faults, MAX_VALIDATORS, ProposerTiming,
    ValidatorSetup,
};
pub use engine::{
    BoxFuture, BuiltPayload, EngineFailure, ExecutionEngine, ExecutionHead, ExecutionLayer,
    PayloadAttributes,
};
pub use error::ApiError;
pub use keys::{genesis_validators_root, interop_secret_key};
pub use rest::{MAX_BLOCK_BODY, MAX_SLOTS_PER_QUERY};
pub use schedule::{DEFAULT_SEED, ProposerSchedule};
pub use service::{BeaconHandle, BeaconService, StartError};
pub use sse::MAX_SUBSCRIBERS;
