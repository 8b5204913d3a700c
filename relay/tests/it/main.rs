//! `baton-relay` integration tests (to come in this file's modules).

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]
