//! The devnet's configuration (built from the CLI by the binary).

use std::path::PathBuf;

/// Faults the devnet starts with (end-to-end tests flip the others at run time).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartFaults {
    /// The builder leaves one constrained transaction out of its blocks (the relay must
    /// refuse them).
    pub builder_drops_constraint: bool,
    /// The relay lies: it hides constraints from builders and serves their unproven
    /// blocks (the sidecars must refuse those bids and serve their fallback).
    pub relay_withholds_constraints: bool,
    /// Sidecar `a`'s operator leaves each sealed slot's last promised L1 transaction out
    /// (a broken promise, for the dispute and slashing scenarios).
    pub sidecar_drops_promised_tx: bool,
    /// Sidecar `a` runs twice, with the same keys and separate journals (a split brain):
    /// both instances hand out the same rollup positions, which is equivocation.
    pub twin_sidecar: bool,
}

/// How to start the devnet.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Where the devnet writes `devnet.json`, keys, logs and node data.
    pub data_dir: PathBuf,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Seconds per beacon slot (the L1 block time).
    pub seconds_per_slot: u64,
    /// Validators in all.
    pub validators: u64,
    /// Sidecars; sidecar `i` serves validators `i·k .. (i+1)·k` (`k` below); the rest
    /// did not opt in and use the relay directly.
    pub sidecars: usize,
    /// Validators per sidecar (`k`).
    pub validators_per_sidecar: u64,
    /// Sidecars stop promising a slot this many ms before it starts and seal it.
    pub deadline_ms: u64,
    /// Faults from the start.
    pub faults: StartFaults,
    /// The explorer page's port on 127.0.0.1 (0 picks a free one).
    pub explorer_port: u16,
    /// Seconds an operator has to answer a dispute (the Slasher's `defendWindow`).
    pub defend_window: u64,
    /// Ordering rights every sidecar auctions in each of its slots (`--market.products`
    /// of `baton-sidecar`, e.g. `top:1:1@1000000000000000`); empty: no auctions.
    pub market_products: Vec<String>,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".devnet"),
            l1_chain_id: 3_151_908,
            seconds_per_slot: 2,
            validators: 8,
            sidecars: 2,
            validators_per_sidecar: 3,
            deadline_ms: 1_000,
            faults: StartFaults::default(),
            explorer_port: 8600,
            defend_window: 60,
            market_products: Vec::new(),
        }
    }
}
