//! End-to-end scenarios: the real binaries, started as separate processes, asserting
//! on-chain outcomes.

mod devnet_up;
