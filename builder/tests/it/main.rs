//! `baton-builder` integration tests: the real builder and relay binaries, a real
//! ethereumjs execution client, and the relay's stub beacon node in the test process.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod flow;
mod world;
