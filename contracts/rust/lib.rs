//! Rust bindings for Baton's contracts, and their deployment.
//!
//! The Solidity sources live beside this crate (`src/`, a Foundry project); forge exports
//! each deployable contract's ABI and bytecode into `abi/` (committed, checked for
//! freshness by the test command), and this crate loads those files with alloy's `sol!`,
//! so `cargo build` never needs forge.
//!
//! Data-flow steps (docs/architecture.md): ⑦ the `RollupInbox` records each rollup's
//! batch in the slot's L1 block; ⑧ the `Slasher` turns a broken promise into slashed
//! collateral held by the `Registry`, where operators post collateral and bind validators.
//! Parameters, deployment order and the threat model: `docs/contracts.md`.

mod bindings;
mod deploy;
mod send;

pub use bindings::{
    IMarketSlasher, IRegistry, ISlasher, MarketDisputes, Registry, RollupInbox, Slasher,
};
pub use deploy::{DeployError, DeployParams, Deployed, deploy_all};
pub use send::{PRIORITY_FEE, RECEIPT_TIMEOUT, SendError, send_transaction};
