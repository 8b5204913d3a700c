//! End-to-end scenarios: the real binaries, started as separate processes, asserting
//! outcomes users care about.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod auction;
mod devnet_crash;
mod devnet_up;
mod disputes;
mod pbs_faults;
mod promise_to_final;
mod promises;
mod sidecar_crash;
mod support;
