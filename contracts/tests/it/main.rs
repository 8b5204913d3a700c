//! The contracts on a real anvil, driven through the Rust bindings, with evidence signed
//! and proven by `baton-preconf` from anvil's real blocks.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod disputes;
mod fixture;
mod market;
mod rollup_inbox;
mod slashing;
