//! The devnet's parts started in-process against a real ethereumjs L1 (the whole world,
//! as `baton-devnet up` starts it, is tested end to end in `tests/scenarios/devnet_up.rs`).

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod beacon_fixture;
mod beacon_local;
mod beacon_relay;
mod explorer_page;
mod explorer_sidecar;
