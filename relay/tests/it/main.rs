//! `baton-relay` integration tests: the real binary against a stub beacon node in the
//! test process and, where sharing is tested, a real `redis-server` started by the test.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod delegations;
mod flow;
mod harness;
mod market;
mod sharing;
