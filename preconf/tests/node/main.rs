//! The rollup node (feature `client`) against real anvil nodes: an L1 with Baton's
//! contracts that the test scripts block by block, and one anvil L2 per rollup that only
//! the node mines.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod beacon_stub;
mod cross_rollup;
mod divergence;
mod history;
mod run_loop;
mod world;
