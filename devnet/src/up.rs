//! `baton-devnet up`: start, say what runs where, prove a promise lands, run until Ctrl-C
//! or SIGTERM, then stop every process.

use std::{
    fmt::Write as _,
    time::{Duration, Instant},
};

use crate::{Devnet, DevnetConfig, DevnetInfo, demo};

/// The summary `up` prints: URLs, chain ids, contracts, dev keys.
pub fn summary(info: &DevnetInfo) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Baton devnet");
    let _ = writeln!(
        out,
        "  L1 (ethereumjs, Prague)  {}  chain id {}  Engine API {} (JWT {})",
        info.l1_rpc,
        info.l1_chain_id,
        info.l1_engine,
        info.jwt_secret_file.display()
    );
    let _ = writeln!(
        out,
        "  beacon service           {}  {} s slots, {} slots per epoch",
        info.beacon_url, info.seconds_per_slot, info.slots_per_epoch
    );
    let _ = writeln!(
        out,
        "  relay                    {}  pubkey {}{}",
        info.relay_url,
        info.relay_pubkey,
        info.redis_url
            .as_deref()
            .map(|r| format!("  (Redis {r})"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "  builder metrics          {}", info.builder_metrics);
    for sidecar in &info.sidecars {
        let _ = writeln!(
            out,
            "  sidecar {}                JSON-RPC {}  builder API {}  committer {}  validators {:?}",
            sidecar.name,
            sidecar.rpc_url,
            sidecar.builder_url,
            sidecar.committer,
            sidecar.validators
        );
    }
    if let Some(twin) = &info.twin {
        let _ = writeln!(
            out,
            "  sidecar {} (fault)   JSON-RPC {}  same keys as sidecar {}, its own journal",
            twin.name,
            twin.rpc_url,
            info.sidecars.first().map_or("a", |s| s.name.as_str())
        );
    }
    let _ = writeln!(
        out,
        "  watchtower               {}  account {}",
        info.watch_metrics, info.challenger
    );
    let _ = writeln!(
        out,
        "  validators not opted in  {:?} (builder URL: the relay)",
        info.plain_validators
    );
    for rollup in &info.rollups {
        let _ = writeln!(
            out,
            "  rollup {} ({})           L2 {}  chain id {}",
            rollup.id, rollup.name, rollup.l2_rpc, rollup.l2_chain_id
        );
    }
    let _ = writeln!(out, "  rollup node              {}", info.rollup_node_url);
    let _ = writeln!(out, "  explorer                 {}", info.explorer_url);
    let c = &info.contracts;
    let _ = writeln!(
        out,
        "  contracts                Registry {}  RollupInbox {}  Slasher {}",
        c.registry, c.rollup_inbox, c.slasher
    );
    let _ = writeln!(
        out,
        "  dev keys (devnet only; every account holds 1,000,000 ETH):"
    );
    for (role, key) in &info.dev_keys {
        let _ = writeln!(out, "    {role:<12} 0x{key}");
    }
    let _ = writeln!(out, "  logs                     {}", info.logs.display());
    out
}

/// Starts the devnet, reports what runs, shows a first promise landing, and waits for
/// Ctrl-C or SIGTERM.
pub async fn run(config: DevnetConfig) -> eyre::Result<()> {
    let started = Instant::now();
    let mut devnet = Devnet::start(&config).await?;
    #[allow(clippy::print_stdout)]
    {
        println!("{}", summary(&devnet.info));
        println!("written to {}", devnet.info_path.display());
    }
    let first = tokio::select! {
        result = demo::first_promise(&devnet.info) => Some(result),
        () = stopped() => None,
    };
    match first {
        Some(Ok(landed)) => {
            tracing::info!(
                block = landed.block,
                index = landed.index,
                slot = landed.slot,
                seconds_since_start = started.elapsed().as_secs_f64(),
                "first promise included"
            );
            #[allow(clippy::print_stdout)]
            {
                println!(
                    "first promise included: L1 block {} index {} (slot {}), {:.1} s after start; Ctrl-C stops the devnet",
                    landed.block,
                    landed.index,
                    landed.slot,
                    started.elapsed().as_secs_f64()
                );
            }
        }
        Some(Err(error)) => {
            tracing::error!(%error, "the first promise did not land; the devnet keeps running, see the logs");
        }
        None => {
            tracing::info!("stopping the devnet");
            drop(devnet);
            return Ok(());
        }
    }
    let mut watch = tokio::time::interval(Duration::from_secs(2));
    let mut reported = std::collections::HashSet::new();
    let stop = stopped();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            _ = watch.tick() => {
                for (name, status) in devnet.exited() {
                    if reported.insert(name.clone()) {
                        tracing::error!(%name, %status, "a devnet process exited; its log is in the logs folder");
                    }
                }
            }
        }
    }
    tracing::info!("stopping the devnet");
    drop(devnet);
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    let Ok(mut terminate) =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
    else {
        let _ = tokio::signal::ctrl_c().await;
        return;
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
