//! Starting, describing and stopping the devnet.

use std::{
    fs,
    path::PathBuf,
    time::{SystemTime, UNIX_EPOCH},
};

use baton_contracts::DeployParams;
use baton_toolchain::{Anvil, AnvilOptions};
use eyre::WrapErr;
use serde::Serialize;

use crate::{Deployment, DevnetConfig, deploy};

/// What a running devnet offers; written to `<data-dir>/devnet.json`.
#[derive(Debug, Clone, Serialize)]
pub struct DevnetInfo {
    /// L1 JSON-RPC endpoint.
    pub l1_rpc: String,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Beacon genesis time used by the contracts' slot arithmetic.
    pub genesis_time: u64,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// The deployed contracts.
    pub contracts: Deployment,
}

/// A running devnet; dropping it stops every process it started.
#[derive(Debug)]
pub struct Devnet {
    _l1: Anvil,
    /// What it offers.
    pub info: DevnetInfo,
    /// Where `info` was written.
    pub info_path: PathBuf,
}

impl Devnet {
    /// Starts the L1, deploys the contracts, writes `devnet.json`.
    pub async fn start(config: &DevnetConfig) -> eyre::Result<Self> {
        fs::create_dir_all(&config.data_dir)
            .wrap_err_with(|| format!("creating {}", config.data_dir.display()))?;
        let genesis_time = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let options = AnvilOptions {
            chain_id: config.l1_chain_id,
            block_time: Some(config.seconds_per_slot),
            port: config.l1_port,
            genesis_timestamp: Some(genesis_time),
            ..AnvilOptions::default()
        };
        let l1 = tokio::task::spawn_blocking(move || Anvil::spawn(&options))
            .await?
            .wrap_err("starting the L1 (anvil)")?;
        let params = DeployParams::devnet(genesis_time, config.seconds_per_slot);
        let contracts = deploy(&l1.endpoint(), Anvil::DEV_KEYS[0], &params)
            .await
            .wrap_err("deploying the contracts")?;
        let info = DevnetInfo {
            l1_rpc: l1.endpoint(),
            l1_chain_id: config.l1_chain_id,
            genesis_time,
            seconds_per_slot: config.seconds_per_slot,
            contracts,
        };
        let info_path = config.data_dir.join("devnet.json");
        fs::write(&info_path, serde_json::to_string_pretty(&info)? + "\n")
            .wrap_err_with(|| format!("writing {}", info_path.display()))?;
        Ok(Self {
            _l1: l1,
            info,
            info_path,
        })
    }
}

/// Starts the devnet, reports what runs, and waits for Ctrl-C or SIGTERM.
pub async fn run(config: DevnetConfig) -> eyre::Result<()> {
    let devnet = Devnet::start(&config).await?;
    let info = &devnet.info;
    tracing::info!(l1_rpc = %info.l1_rpc, chain_id = info.l1_chain_id, "L1 (anvil, prague) running");
    let contracts = &info.contracts;
    tracing::info!(
        registry = %contracts.registry,
        rollup_inbox = %contracts.rollup_inbox,
        slasher = %contracts.slasher,
        "contracts deployed"
    );
    for rollup in &info.contracts.rollups {
        tracing::info!(id = rollup.id, l2_chain_id = rollup.l2_chain_id, name = %rollup.name, "rollup registered");
    }
    tracing::info!(path = %devnet.info_path.display(), "devnet ready; Ctrl-C stops it");

    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("stopping the devnet");
    drop(devnet);
    Ok(())
}
