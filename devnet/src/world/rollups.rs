//! The two demo rollups: each an anvil L2 (its own chain id, no mining of its own: blocks
//! come only from derivation) and one rollup node, in-process, that derives both from
//! what lands on L1 (step ⑧) and serves their heads over HTTP.

use std::{sync::Arc, time::Duration};

use alloy_primitives::Address;
use baton_preconf::{
    BatonDomain, ChainSpec, RollupId,
    node::{BeaconProposers, NodeConfig, NodeHandle, RollupConfig, RollupNode},
};
use baton_toolchain::{Anvil, AnvilOptions};
use eyre::WrapErr;
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};

use crate::RollupInfo;

/// A running demo rollup's L2.
#[derive(Debug)]
pub struct RollupL2 {
    /// What the inbox knows of it.
    pub info: RollupInfo,
    /// Its execution node.
    pub anvil: Anvil,
}

/// The L2s and the node deriving them; dropping it stops them.
#[derive(Debug)]
pub struct Rollups {
    /// The L2s.
    pub l2s: Vec<RollupL2>,
    /// The node's handle (heads, derived blocks, promises judged).
    pub node: NodeHandle,
    /// The node's HTTP API.
    pub node_url: String,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for Rollups {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// What the rollup node needs from the rest of the devnet.
#[derive(Debug, Clone)]
pub(crate) struct RollupsSetup {
    /// The L1 clock.
    pub chain: ChainSpec,
    /// The L1 JSON-RPC.
    pub l1_rpc: String,
    /// The beacon API (proposers of each slot).
    pub beacon_url: String,
    /// The `RollupInbox`.
    pub inbox: Address,
    /// The `Registry`.
    pub registry: Address,
    /// The `Slasher` (EIP-712 domain).
    pub slasher: Address,
    /// The first L1 block to derive from.
    pub start_block: u64,
}

/// Starts an anvil L2 per rollup at `genesis_time` and the rollup node.
pub(crate) async fn start(
    rollups: &[RollupInfo],
    genesis_time: u64,
    setup: RollupsSetup,
) -> eyre::Result<Rollups> {
    let mut l2s = Vec::with_capacity(rollups.len());
    for info in rollups {
        let options = AnvilOptions {
            chain_id: info.l2_chain_id,
            genesis_timestamp: Some(genesis_time),
            extra_args: vec!["--no-mining".into(), "--order".into(), "fifo".into()],
            ..AnvilOptions::default()
        };
        let anvil = tokio::task::spawn_blocking(move || Anvil::spawn(&options))
            .await?
            .wrap_err_with(|| format!("starting rollup {}'s L2 (anvil)", info.name))?;
        l2s.push(RollupL2 {
            info: info.clone(),
            anvil,
        });
    }
    let config = NodeConfig {
        chain: setup.chain.clone(),
        l1_rpc: setup.l1_rpc.clone(),
        inbox: setup.inbox,
        registry: setup.registry,
        domain: BatonDomain {
            chain_id: setup.chain.chain_id.0,
            verifying_contract: setup.slasher,
        },
        start_block: setup.start_block,
        rollups: l2s
            .iter()
            .map(|l2| RollupConfig {
                id: RollupId(l2.info.id),
                l2_rpc: l2.anvil.endpoint(),
            })
            .collect(),
        reorg_window: 64,
        max_blocks_per_sync: 256,
        poll_interval: Duration::from_millis(300),
    };
    let node = RollupNode::connect(
        config,
        Arc::new(BeaconProposers::new(&setup.beacon_url, setup.chain)),
    )
    .await
    .wrap_err("starting the rollup node")?;
    let handle = node.handle();
    let (stop, stopped) = watch::channel(false);
    let wait = |mut rx: watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .wrap_err("binding the rollup node's API")?;
    let node_url = format!("http://{}", listener.local_addr()?);
    let tasks = vec![
        tokio::spawn(node.run(wait(stopped.clone()))),
        tokio::spawn({
            let handle = handle.clone();
            let shutdown = wait(stopped);
            async move {
                if let Err(error) = baton_preconf::node::serve(listener, handle, shutdown).await {
                    tracing::warn!(%error, "the rollup node's API stopped");
                }
            }
        }),
    ];
    Ok(Rollups {
        l2s,
        node: handle,
        node_url,
        stop,
        tasks,
    })
}
