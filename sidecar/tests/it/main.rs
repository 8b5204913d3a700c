//! The sidecar library served over real HTTP on loopback: a wallet signs requests with
//! `baton-preconf`, the sidecar promises, the wallet verifies; restarts lose nothing.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod beacon;
mod client;
mod failover;
mod fallback;
mod inbox;
mod inclusion;
mod l1_fixture;
mod market;
mod market_fixture;
mod operator;
mod pbs;
mod pbs_fixture;
mod rollup_fixture;
mod sequencing;
mod shared_journal;
