//! What a running devnet offers: `<data-dir>/devnet.json`, read back by `demo` and `status`.

use std::path::PathBuf;

use serde::Serialize;

use crate::Deployment;

/// One sidecar as the devnet runs it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SidecarInfo {
    /// Its name.
    pub name: String,
    /// The wallet-facing JSON-RPC.
    pub rpc_url: String,
    /// The builder API (its validators' builder URL).
    pub builder_url: String,
    /// Its committer.
    pub committer: alloy_primitives::Address,
    /// The validators it serves.
    pub validators: Vec<u64>,
}

/// One demo rollup as the devnet runs it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RollupEndpoint {
    /// Its id in the inbox.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// Its L2 chain id.
    pub l2_chain_id: u64,
    /// Its L2 JSON-RPC.
    pub l2_rpc: String,
}

/// What a running devnet offers; written to `<data-dir>/devnet.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DevnetInfo {
    /// L1 JSON-RPC endpoint.
    pub l1_rpc: String,
    /// L1 Engine API (JWT in `jwt_secret_file`).
    pub l1_engine: String,
    /// The Engine API's JWT secret file.
    pub jwt_secret_file: PathBuf,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Beacon genesis time.
    pub genesis_time: u64,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// Slots per epoch.
    pub slots_per_epoch: u64,
    /// The beacon API.
    pub beacon_url: String,
    /// The relay.
    pub relay_url: String,
    /// The relay's BLS public key (checks its bids).
    pub relay_pubkey: String,
    /// Redis shared by the relay, when one runs.
    pub redis_url: Option<String>,
    /// The builder's metrics.
    pub builder_metrics: String,
    /// The rollup node's API.
    pub rollup_node_url: String,
    /// The sidecars.
    pub sidecars: Vec<SidecarInfo>,
    /// Sidecar `a`'s twin, when the equivocation fault runs one (no block production).
    #[serde(default)]
    pub twin: Option<SidecarInfo>,
    /// The watchtower's metrics (`baton-watch`).
    #[serde(default)]
    pub watch_metrics: String,
    /// The watchtower's account (posts dispute bonds, receives slashing rewards).
    #[serde(default)]
    pub challenger: alloy_primitives::Address,
    /// The rollups.
    pub rollups: Vec<RollupEndpoint>,
    /// Validators that did not opt in (their builder URL is the relay).
    pub plain_validators: Vec<u64>,
    /// The deployed contracts.
    pub contracts: Deployment,
    /// Dev keys: `(role, private key)`.
    pub dev_keys: Vec<(String, String)>,
    /// Where every process logs.
    pub logs: PathBuf,
    /// The explorer page.
    pub explorer_url: String,
}
