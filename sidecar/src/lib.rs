//! Baton's preconfirmation sidecar: the service a validator operator runs next to its
//! beacon node.
//!
//! | module | step (docs/architecture.md) |
//! |---|---|
//! | [`rpc`], [`rate_limit`] | ① the wallet-facing JSON-RPC API, its error codes, rate limits, `/metrics` |
//! | [`lookahead`] | ② which upcoming slots are ours; the slot clock |
//! | [`ledger`], [`pricing`] | ②–③ batch positions, L1 gas, nonces and balances across pending promises; prices |
//! | [`journal`] | ③ the crash-safe record of every promise, durable before signing |
//! | [`service`] | ①–③ request → checks → reservation → journal → signature |
//! | [`keys`] | ③–④ the committer's ECDSA key and the delegate's BLS key, from keystores |
//! | [`beacon`], [`rollups`], [`run`], [`config`] | ② proposer duties from the beacon API; rollups from the `RollupInbox`; wiring and shutdown |
//!
//! Built so far: rollup sequencing promises end to end (cross-rollup bundles all or
//! nothing), the journal with group commit and torn-tail recovery, the JSON-RPC surface, and
//! keystores. Still to come (see the README status table): L1 inclusion promises against
//! live execution state, the Redis backend, and steps ④ and ⑥.

pub mod beacon;
pub mod config;
pub mod journal;
pub mod keys;
pub mod ledger;
pub mod lookahead;
pub(crate) mod metrics;
pub mod pricing;
pub mod rate_limit;
pub mod rollups;
pub mod rpc;
pub mod run;
pub mod service;

pub use metrics::render as render_metrics;
