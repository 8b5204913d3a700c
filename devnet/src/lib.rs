//! `baton-devnet`: Baton's whole local world from one command.
//!
//! `up` starts, on one machine: the ethereumjs execution client (Prague) from a genesis it
//! writes, driven over the Engine API by [`beacon`], the devnet's own beacon service
//! (slot clock, interop validators, proposer schedule, the beacon REST subset and events,
//! the proposer's builder-API calls, real parent beacon roots); Baton's contracts with the
//! operators opted in; the relay (Redis-backed when `redis-server` is installed); the
//! constraint-aware builder; two demo rollups (anvil L2s and a rollup node deriving them);
//! and the sidecars, each the builder URL of its validators. It writes what runs where to
//! `<data-dir>/devnet.json`, shows a first promise landing, and stops every process on
//! Ctrl-C. `demo` sends real traffic at a running devnet ([`demo`]).
//!
//! Data-flow steps (docs/architecture.md): ⑥ from the validator's side and ⑦ (landing
//! the block) in [`beacon`]; otherwise it wires the crates that own them into one running
//! system.

pub mod beacon;
mod config;
pub mod demo;
mod deploy;
pub mod status;
mod up;
pub mod world;

pub use config::{DevnetConfig, StartFaults};
pub use deploy::{Deployment, RollupInfo, deploy};
pub use up::{run, summary};
pub use world::{Devnet, DevnetInfo};
