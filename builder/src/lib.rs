//! Baton's constraint-aware block builder: it builds each slot's L1 block through an
//! execution client's Engine API, keeps every constrained transaction in it, proves them
//! with one SSZ multiproof per relay over the payload's `transactions_root`, and submits
//! the signed block to the relays.
//!
//! It owns the builder side of step ⑤ of the data flow (docs/architecture.md):
//!
//! | what | where |
//! |---|---|
//! | inputs: `payload_attributes` events and proposer duties (beacon node), registered proposers, constraints (stream and catch-up) and delegations (relays) | [`service`], [`relay_client`], [`mod@run`] |
//! | trusting constraints: BLS signatures, the signer is the slot's proposer or its verified delegate, transactions decoded | [`verify`], [`book`] |
//! | building: constrained transactions to the execution client's pool, `engine_forkchoiceUpdatedV3` + `engine_getPayloadV4`, the payload checked for every constrained transaction | [`slot`], [`pool`] |
//! | proving and submitting: per relay, a multiproof of exactly its constraints (`blocks_with_proofs`), or plain (`/relay/v1/builder/blocks`); a block missing a relay's constraint is not sent to it | [`assemble`], [`slot`] |
//!
//! The bid trace, its signature and the multiproof come from `baton_preconf::ssz`
//! (`sign_submission`, `prove_transactions`), shared with the relay's simulated builder.
//! Rebuilds: new constraints for a slot trigger a new build and submission until the
//! slot's cut-off. Fault switch for end-to-end tests: [`Faults::drop_constraint`].
//! Flags, metrics and behaviour: `docs/builder.md`.

pub mod assemble;
pub mod book;
pub mod config;
pub mod metrics;
pub mod pool;
pub mod relay_client;
pub mod run;
pub mod service;
pub mod slot;
pub mod verify;

pub use config::{BuilderKey, Config, Faults};
pub use run::{RunError, run};
pub use service::Builder;
