//! `baton-devnet`: Baton's whole local world from one command.
//!
//! Today it starts an L1 (anvil, Prague), deploys Baton's contracts from the Rust
//! bindings, registers two demo rollups, writes what it started to `<data-dir>/devnet.json`
//! and prints it, then runs until interrupted. The Engine-API L1, relay, builder, sidecars
//! and rollup nodes join it as their issues land.
//!
//! [`beacon`] is the devnet's beacon service (slot clock, interop validators, proposer
//! schedule, the beacon REST subset and events, the proposer's builder-API calls, and
//! the Engine-API calls that land each block; `docs/beacon.md`).
//!
//! [`explorer`] is the devnet's explorer page: the slot timeline and every promise with its
//! status, read from the beacon service, the relay, L1, the sidecars and the rollups
//! (`docs/explorer.md`).
//!
//! Data-flow steps (docs/architecture.md): ⑥ from the validator's side and ⑦ (landing
//! the block) in [`beacon`]; otherwise it wires the crates that own them into one running
//! system.

pub mod beacon;
mod config;
mod deploy;
pub mod explorer;
mod world;

pub use config::DevnetConfig;
pub use deploy::{Deployment, RollupInfo, deploy};
pub use world::{Devnet, DevnetInfo, run};
