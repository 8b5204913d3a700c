//! Baton's preconfirmation sidecar: the service a validator operator runs next to its
//! beacon node.
//!
//! | module | step (docs/architecture.md) |
//! |---|---|
//! | [`rpc`], [`rate_limit`] | ① the wallet-facing JSON-RPC API, its error codes, rate limits, `/metrics` |
//! | [`lookahead`] | ② which upcoming slots are ours; the slot clock |
//! | [`execution`], [`l2`] | ② the L1 head, worst-case fees of upcoming slots, accounts' nonce, balance and code; rollup senders' L2 nonce and balance |
//! | [`ledger`], [`pricing`] | ②–③ batch positions, L1 gas, nonces and balances across pending promises; prices |
//! | [`journal`] | ③ the crash-safe record of every promise (and bid receipt, and clearing), durable before signing |
//! | [`market`] | ①–③ the ordering marketplace: products offered per slot, sealed bids receipted, each auction cleared at its close and its winners promised |
//! | [`service`] | ①–③ request → checks → reservation → journal → signature |
//! | [`operator`] | ④, ⑧ the operator's commands: Registry opt-in and exit, status, delegations |
//! | [`pbs`] | ④ delegations kept published, sealing (batch transactions, constraints) at each slot's deadline; ⑥ the builder API for the beacon node: relay bids checked against our promises, the fallback block through the Engine API |
//! | [`defender`] | ⑧ disputes against our operator answered with the chain's evidence (inclusion proofs, or the user's spent nonce) |
//! | [`keys`] | ③–④ the committer's ECDSA key and the delegate's BLS key, from keystores |
//! | [`beacon`], [`head_events`], [`rollups`], [`run`], [`config`] | ② proposer duties and head events from the beacon API; rollups from the `RollupInbox`; wiring and shutdown |
//!
//! Built so far: L1 inclusion promises against live execution state, rollup sequencing
//! promises (cross-rollup bundles all or nothing), the journal with group commit and
//! torn-tail recovery or shared in Redis under a signing lease, keystores, the JSON-RPC
//! surface, block production (steps ④ and ⑥, [`pbs`], with `--builder.addr`), and the
//! slot auctions of the ordering marketplace ([`market`], with `--market.products`).

pub mod beacon;
pub mod cli;
pub mod config;
pub mod defender;
pub mod execution;
pub mod head_events;
pub mod journal;
pub mod keys;
pub mod l2;
pub mod ledger;
pub mod lookahead;
pub mod market;
pub(crate) mod metrics;
pub mod operator;
pub mod pbs;
pub mod pricing;
pub mod rate_limit;
pub mod rollups;
pub mod rpc;
pub mod run;
pub mod sample;
pub mod service;

pub use metrics::render as render_metrics;
