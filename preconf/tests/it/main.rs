//! `baton-preconf` integration tests: the golden vectors, and proofs over real transaction
//! encodings (type-3 blob transactions in network and canonical form).

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod blob_transactions;
mod vectors;
