//! Rust bindings for Baton's contracts.
//!
//! The Solidity sources live beside this crate (`src/`, a Foundry project); forge exports
//! each deployable contract's ABI and bytecode into `abi/` (committed, checked for
//! freshness by the test command), and this crate loads those files with alloy's `sol!`,
//! so `cargo build` never needs forge.
//!
//! Data-flow steps (docs/architecture.md): ⑦ the `RollupInbox` records each rollup's
//! batch in the slot's L1 block; ⑧ the `Slasher` turns a broken promise into slashed
//! collateral. Operators register in the `Registry`.

#![allow(missing_docs, unreachable_pub, clippy::too_many_arguments)] // generated code

alloy::sol!(
    /// The rollup batch inbox: rollups register, sequencers post each slot's batch.
    #[sol(rpc)]
    #[derive(Debug, PartialEq, Eq)]
    RollupInbox,
    "abi/RollupInbox.json"
);
