//! The contracts on a real anvil, driven through the Rust bindings, with evidence signed
//! by `baton-preconf`.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod rollup_inbox;
mod slashing;
