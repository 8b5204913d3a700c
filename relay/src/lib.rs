//! Baton's relay: a builder-API relay that enforces preconfirmation constraints.
//!
//! It owns the relay side of steps ④–⑥ of the data flow (docs/architecture.md):
//!
//! | step | what | where |
//! |---|---|---|
//! | ④ | delegations and signed constraints, read back and streamed (SSE) to builders | [`service`] (`constraints.rs`), `api/constraints.rs`, [`state::constraints`] |
//! | ⑤ | block submissions: slot, parent, proposer, builder signature, block hash, transactions root, and a multiproof of every constraint; ranking | [`service`] (`submit.rs`), `api/builder.rs`, [`state::auction`] |
//! | ⑥ | validator registrations, `getHeader` and `header_with_proofs`, signed blinded blocks (v1 and v2), publishing to the beacon node | [`service`] (`register.rs`, `proposer.rs`), `api/proposer.rs`, [`beacon`] |
//!
//! Around them: the data API ([`state::history`]), the marketplace slot router
//! ([`market`]: offers from sidecars, operators from the `Registry`), sharing between
//! instances through Redis ([`sharing`]), builder signatures verified on long-lived
//! threads ([`verifier`]), and the simulated proposer, gateway and builder the tests and
//! `baton-relay-loadgen` drive it with ([`sim`]).
//!
//! The current slot's auction lives in memory; Redis is written behind it and never sits
//! between a submission and its bid becoming available. Without Redis the relay runs
//! embedded in one process. The HTTP surface, error codes and limits are in
//! `docs/relay.md`.

pub mod api;
pub mod beacon;
pub mod clock;
pub mod config;
pub mod error;
pub mod market;
pub mod metrics;
pub mod run;
pub mod service;
pub mod sharing;
pub mod sim;
pub mod state;
pub mod verifier;

pub use api::{AppState, router, serve};
pub use config::Config;
pub use error::RelayError;
pub use service::Relay;
