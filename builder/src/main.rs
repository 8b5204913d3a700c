//! `baton-builder`: parses the command line and hands over to the library.

use std::{fs, net::SocketAddr, path::PathBuf, sync::Arc};

use baton_builder::{BuilderKey, Config, Faults};
use baton_engine::JwtSecret;
use baton_preconf::BlsSecretKey;
use baton_relay::config::SensitiveUrl;
use clap::Parser;
use eyre::{WrapErr, eyre};

/// Baton's constraint-aware block builder: builds each slot's block through the execution
/// client's Engine API with every constrained transaction inside, proves them, and
/// submits to the relays.
///
/// Every flag also reads a `BATON_BUILDER_*` variable.
#[derive(Debug, Parser)]
#[command(name = "baton-builder", version)]
struct Cli {
    /// Beacon node REST API (genesis, duties, `payload_attributes` events).
    #[arg(
        long = "beacon-url",
        env = "BATON_BUILDER_BEACON_URL",
        default_value = "http://127.0.0.1:5052"
    )]
    beacon_url: String,
    /// A relay to follow and submit to; repeat the flag (or comma-separate) for several.
    #[arg(
        long = "relay-url",
        env = "BATON_BUILDER_RELAY_URL",
        value_delimiter = ',',
        required = true
    )]
    relay_url: Vec<String>,
    /// The execution client's JSON-RPC (constrained transactions go to its pool).
    #[arg(
        long = "el.rpc",
        env = "BATON_BUILDER_EL_RPC",
        default_value = "http://127.0.0.1:8545"
    )]
    el_rpc: String,
    /// The execution client's Engine API.
    #[arg(
        long = "el.engine-url",
        env = "BATON_BUILDER_EL_ENGINE_URL",
        default_value = "http://127.0.0.1:8551"
    )]
    el_engine_url: String,
    /// File holding the Engine API's JWT secret (hex).
    #[arg(long = "el.jwt-secret", env = "BATON_BUILDER_EL_JWT_SECRET")]
    el_jwt_secret: PathBuf,
    /// File holding the builder's BLS secret key (hex).
    #[arg(long = "builder.key", env = "BATON_BUILDER_KEY")]
    builder_key: PathBuf,
    /// Where `GET /metrics` is served.
    #[arg(
        long = "metrics-addr",
        env = "BATON_BUILDER_METRICS_ADDR",
        default_value = "127.0.0.1:18570"
    )]
    metrics_addr: SocketAddr,
    /// Seconds per slot.
    #[arg(
        long = "chain.seconds-per-slot",
        env = "BATON_BUILDER_CHAIN_SECONDS_PER_SLOT",
        default_value_t = 2
    )]
    chain_seconds_per_slot: u64,
    /// Slots per epoch.
    #[arg(
        long = "chain.slots-per-epoch",
        env = "BATON_BUILDER_CHAIN_SLOTS_PER_EPOCH",
        default_value_t = 8
    )]
    chain_slots_per_epoch: u64,
    /// Rebuild for new constraints until this many ms after the slot starts (the relays'
    /// getHeader cut-off).
    #[arg(
        long = "timing.cutoff-ms",
        env = "BATON_BUILDER_TIMING_CUTOFF_MS",
        default_value_t = 3000
    )]
    timing_cutoff_ms: u64,
    /// Build blocks paying this address (the builder's coinbase) instead of the proposer's
    /// registered fee recipient; the bid still names the proposer's. Builders on a shared
    /// execution client use it so their builds never share a payload with the proposer's
    /// own local block [default: the proposer's fee recipient].
    #[arg(long = "builder.coinbase", env = "BATON_BUILDER_COINBASE")]
    builder_coinbase: Option<alloy_primitives::Address>,
    /// Fault switch for tests: leave one constrained transaction out of each block and
    /// submit anyway (the relay must refuse it).
    #[arg(
        long = "fault.drop-constraint",
        env = "BATON_BUILDER_FAULT_DROP_CONSTRAINT"
    )]
    fault_drop_constraint: bool,
}

impl TryFrom<Cli> for Config {
    type Error = eyre::Report;

    fn try_from(cli: Cli) -> eyre::Result<Self> {
        // Never echo the key file's contents: it is a secret.
        let key_hex = fs::read_to_string(&cli.builder_key).wrap_err_with(|| {
            format!("reading the builder key file {}", cli.builder_key.display())
        })?;
        let key_bytes = hex::decode(key_hex.trim().trim_start_matches("0x"))
            .map_err(|_| eyre!("{} does not hold hex", cli.builder_key.display()))?;
        let key = BlsSecretKey::from_bytes(&key_bytes).map_err(|_| {
            eyre!(
                "{} does not hold a BLS secret key",
                cli.builder_key.display()
            )
        })?;
        let jwt = JwtSecret::read(&cli.el_jwt_secret).map_err(|_| {
            eyre!(
                "{} does not hold a 32-byte hex JWT secret",
                cli.el_jwt_secret.display()
            )
        })?;
        if cli.chain_seconds_per_slot == 0 || cli.chain_slots_per_epoch == 0 {
            eyre::bail!("--chain.seconds-per-slot and --chain.slots-per-epoch must be non-zero");
        }
        Ok(Self {
            beacon_url: cli.beacon_url,
            relays: cli.relay_url,
            el_rpc: SensitiveUrl(cli.el_rpc),
            el_engine_url: SensitiveUrl(cli.el_engine_url),
            jwt,
            key: BuilderKey(Arc::new(key)),
            metrics_addr: cli.metrics_addr,
            seconds_per_slot: cli.chain_seconds_per_slot,
            slots_per_epoch: cli.chain_slots_per_epoch,
            cutoff_ms: cli.timing_cutoff_ms,
            coinbase: cli.builder_coinbase,
            faults: Faults {
                drop_constraint: cli.fault_drop_constraint,
            },
        })
    }
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

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let config = Config::try_from(Cli::parse())?;
    baton_builder::run(config, shutdown_signal()).await?;
    Ok(())
}
