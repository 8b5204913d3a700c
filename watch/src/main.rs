//! `baton-watch`: parses the command line and hands over to the library.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy::{
    network::EthereumWallet, providers::ProviderBuilder, signers::local::PrivateKeySigner,
};
use alloy_primitives::Address;
use baton_contracts::Slasher;
use baton_preconf::{ChainSpec, Slot};
use baton_watch::{SlasherClient, WatchMetrics, Watcher, WatcherConfig};
use clap::{Parser, Subcommand};
use eyre::WrapErr;

/// Baton's watchtower: checks every promise the given sidecars publish against L1 and
/// slashes the broken ones through the Slasher (bonded disputes for L1 inclusion,
/// direct slashes for equivocation, sequencing and missed slots).
///
/// Every flag also reads a `BATON_WATCH_*` variable.
#[derive(Debug, Parser)]
#[command(name = "baton-watch", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Watch sidecars and act on every broken promise.
    Run(Box<RunArgs>),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// L1 JSON-RPC.
    #[arg(
        long = "l1.rpc",
        env = "BATON_WATCH_L1_RPC",
        default_value = "http://127.0.0.1:8545"
    )]
    l1_rpc: String,
    /// The Slasher contract.
    #[arg(long = "slasher", env = "BATON_WATCH_SLASHER")]
    slasher: Address,
    /// The Registry contract.
    #[arg(long = "registry", env = "BATON_WATCH_REGISTRY")]
    registry: Address,
    /// The RollupInbox contract.
    #[arg(long = "rollup-inbox", env = "BATON_WATCH_ROLLUP_INBOX")]
    rollup_inbox: Address,
    /// File holding the challenger's secp256k1 key (hex): it posts dispute bonds and pays
    /// gas, and receives the slashing rewards.
    #[arg(long = "key-file", env = "BATON_WATCH_KEY_FILE")]
    key_file: PathBuf,
    /// A sidecar's JSON-RPC URL whose promises are checked; repeat or comma-separate.
    #[arg(
        long = "sidecar",
        env = "BATON_WATCH_SIDECAR",
        value_delimiter = ',',
        required = true
    )]
    sidecars: Vec<String>,
    /// Milliseconds between polls.
    #[arg(long = "poll-ms", env = "BATON_WATCH_POLL_MS", default_value_t = 1_000)]
    poll_ms: u64,
    /// Slots to wait after a slot before judging it.
    #[arg(
        long = "settle-slots",
        env = "BATON_WATCH_SETTLE_SLOTS",
        default_value_t = 1
    )]
    settle_slots: u64,
    /// The first slot to judge (default: the head's slot at start).
    #[arg(long = "start-slot", env = "BATON_WATCH_START_SLOT")]
    start_slot: Option<u64>,
    /// Where `GET /metrics` is served.
    #[arg(
        long = "metrics.addr",
        env = "BATON_WATCH_METRICS_ADDR",
        default_value = "127.0.0.1:18580"
    )]
    metrics_addr: SocketAddr,
}

async fn shutdown_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
    }
}

fn read_key(path: &PathBuf) -> eyre::Result<PrivateKeySigner> {
    let text = std::fs::read_to_string(path)
        .wrap_err_with(|| format!("reading the key file {}", path.display()))?;
    // The error names the file, never the content.
    text.trim()
        .trim_start_matches("0x")
        .parse()
        .map_err(|_| eyre::eyre!("{} does not hold a hex secp256k1 key", path.display()))
}

async fn run(args: RunArgs) -> eyre::Result<()> {
    let key = read_key(&args.key_file)?;
    let challenger = key.address();
    let url = args.l1_rpc.parse().wrap_err("--l1.rpc")?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key))
        .connect_http(url);
    let contract = Slasher::new(args.slasher, provider.clone());
    let chain_id = alloy::providers::Provider::get_chain_id(&provider)
        .await
        .wrap_err("reading the L1 chain id")?;
    let genesis_time = u64::try_from(
        contract
            .genesisTime()
            .call()
            .await
            .wrap_err("reading the Slasher's genesisTime")?,
    )?;
    let seconds_per_slot = u64::try_from(contract.secondsPerSlot().call().await?)?;
    let mut chain = ChainSpec::devnet(chain_id, genesis_time);
    chain.seconds_per_slot = seconds_per_slot;
    chain.validate()?;

    let metrics = Arc::new(WatchMetrics::default());
    let served = Arc::clone(&metrics);
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let served = Arc::clone(&served);
            async move { served.render() }
        }),
    );
    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .wrap_err_with(|| format!("binding {}", args.metrics_addr))?;
    tokio::spawn(async move { axum::serve(listener, router).await });

    let config = WatcherConfig {
        sidecars: args.sidecars,
        registry: args.registry,
        inbox: args.rollup_inbox,
        l1_rpc: args.l1_rpc,
        poll: Duration::from_millis(args.poll_ms.max(100)),
        settle_slots: args.settle_slots,
        start_slot: args.start_slot.map(Slot),
    };
    let watcher = Watcher::new(
        config,
        SlasherClient::new(args.slasher, provider),
        chain,
        metrics,
    )
    .await?;
    tracing::info!(%challenger, slasher = %args.slasher, metrics = %args.metrics_addr, "watching");
    watcher.run(shutdown_signal()).await;
    Ok(())
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Run(args) => run(*args).await,
    }
}
