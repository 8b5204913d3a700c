//! `baton-relay`: parses the command line and hands over to the library.

use std::{fs, net::SocketAddr, path::PathBuf, sync::Arc};

use baton_preconf::BlsSecretKey;
use baton_relay::config::{
    AdminToken, Config, MarketConfig, RegistrySource, RelayKey, SensitiveUrl, Timing,
};
use clap::Parser;
use eyre::{WrapErr, eyre};
use serde::Deserialize;

/// mimalloc: a submission allocates thousands of small buffers (transactions, JSON).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Baton's relay: builder API, constraints API, data API and the marketplace slot router.
///
/// Every flag also reads a `BATON_RELAY_*` variable; anything unset falls back to the
/// TOML file given with `--config` (same names, `-` and `.` written as `_`), then to the
/// devnet default.
#[derive(Debug, Parser, Default, Deserialize)]
#[command(name = "baton-relay", version)]
#[serde(deny_unknown_fields)]
struct Cli {
    /// A TOML file with any of these settings.
    #[arg(long, env = "BATON_RELAY_CONFIG")]
    #[serde(skip)]
    config: Option<PathBuf>,
    /// HTTP listen address [default: 127.0.0.1:18560].
    #[arg(long = "http.addr", env = "BATON_RELAY_HTTP_ADDR")]
    http_addr: Option<SocketAddr>,
    /// Beacon node REST API [default: http://127.0.0.1:5052].
    #[arg(long = "beacon.url", env = "BATON_RELAY_BEACON_URL")]
    beacon_url: Option<String>,
    /// Redis URL shared by relay instances; unset: embedded, one process.
    #[arg(long = "redis.url", env = "BATON_RELAY_REDIS_URL")]
    redis_url: Option<String>,
    /// Key prefix in Redis [default: baton:relay].
    #[arg(long = "redis.prefix", env = "BATON_RELAY_REDIS_PREFIX")]
    redis_prefix: Option<String>,
    /// Seconds per slot [default: 2].
    #[arg(
        long = "chain.seconds-per-slot",
        env = "BATON_RELAY_CHAIN_SECONDS_PER_SLOT"
    )]
    chain_seconds_per_slot: Option<u64>,
    /// Slots per epoch [default: 8].
    #[arg(
        long = "chain.slots-per-epoch",
        env = "BATON_RELAY_CHAIN_SLOTS_PER_EPOCH"
    )]
    chain_slots_per_epoch: Option<u64>,
    /// File holding the relay's BLS secret key (hex), which signs served bids. Required.
    #[arg(long = "relay.key-file", env = "BATON_RELAY_KEY_FILE")]
    relay_key_file: Option<PathBuf>,
    /// File holding the admin bearer token; unset: admin routes refuse everything.
    #[arg(long = "admin.token-file", env = "BATON_RELAY_ADMIN_TOKEN_FILE")]
    admin_token_file: Option<PathBuf>,
    /// Submissions refused this many ms after their slot starts [default: 3000].
    #[arg(
        long = "timing.submission-cutoff-ms",
        env = "BATON_RELAY_TIMING_SUBMISSION_CUTOFF_MS"
    )]
    timing_submission_cutoff_ms: Option<u64>,
    /// getHeader answers 204 this many ms after the slot starts [default: 3000].
    #[arg(
        long = "timing.get-header-cutoff-ms",
        env = "BATON_RELAY_TIMING_GET_HEADER_CUTOFF_MS"
    )]
    timing_get_header_cutoff_ms: Option<u64>,
    /// Blinded blocks refused this many ms after the slot starts [default: 4000].
    #[arg(
        long = "timing.get-payload-cutoff-ms",
        env = "BATON_RELAY_TIMING_GET_PAYLOAD_CUTOFF_MS"
    )]
    timing_get_payload_cutoff_ms: Option<u64>,
    /// Constraints and delegations refused this many ms after the slot starts [default: 0].
    #[arg(
        long = "timing.constraints-cutoff-ms",
        env = "BATON_RELAY_TIMING_CONSTRAINTS_CUTOFF_MS"
    )]
    timing_constraints_cutoff_ms: Option<u64>,
    /// Slots kept in memory behind the current one [default: 2].
    #[arg(long = "timing.keep-slots", env = "BATON_RELAY_TIMING_KEEP_SLOTS")]
    timing_keep_slots: Option<u64>,
    /// Sidecar JSON-RPC URLs whose offers the slot router lists, comma-separated.
    #[arg(
        long = "market.sidecars",
        env = "BATON_RELAY_MARKET_SIDECARS",
        value_delimiter = ','
    )]
    market_sidecars: Option<Vec<String>>,
    /// How often offers are pulled, ms [default: 1000].
    #[arg(long = "market.refresh-ms", env = "BATON_RELAY_MARKET_REFRESH_MS")]
    market_refresh_ms: Option<u64>,
    /// The Registry contract: list a sidecar only under its operator's validators (needs --l1.rpc).
    #[arg(long = "market.registry", env = "BATON_RELAY_MARKET_REGISTRY")]
    market_registry: Option<alloy_primitives::Address>,
    /// L1 JSON-RPC URL, for reading the Registry.
    #[arg(long = "l1.rpc", env = "BATON_RELAY_L1_RPC")]
    l1_rpc: Option<String>,
    /// Fault for end-to-end tests: behave as a lying relay that hides every slot's
    /// constraints from builders and serves their unproven blocks anyway. Never in
    /// production.
    #[arg(
        long = "fault.withhold-constraints",
        env = "BATON_RELAY_FAULT_WITHHOLD_CONSTRAINTS"
    )]
    #[serde(default)]
    fault_withhold_constraints: bool,
}

macro_rules! merge {
    ($cli:ident, $file:ident, $($field:ident),*) => {
        $( if $cli.$field.is_none() { $cli.$field = $file.$field.take(); } )*
    };
}

fn read_secret(path: &PathBuf, what: &str) -> eyre::Result<String> {
    // Never echo the file's contents: it is a secret.
    fs::read_to_string(path)
        .map(|s| s.trim().to_owned())
        .wrap_err_with(|| format!("reading the {what} file {}", path.display()))
}

impl TryFrom<Cli> for Config {
    type Error = eyre::Report;

    fn try_from(mut cli: Cli) -> eyre::Result<Self> {
        if let Some(path) = &cli.config {
            let text =
                fs::read_to_string(path).wrap_err_with(|| format!("reading {}", path.display()))?;
            let mut file: Cli =
                toml::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))?;
            merge!(
                cli,
                file,
                http_addr,
                beacon_url,
                redis_url,
                redis_prefix,
                chain_seconds_per_slot,
                chain_slots_per_epoch,
                relay_key_file,
                admin_token_file,
                timing_submission_cutoff_ms,
                timing_get_header_cutoff_ms,
                timing_get_payload_cutoff_ms,
                timing_constraints_cutoff_ms,
                timing_keep_slots,
                market_sidecars,
                market_refresh_ms,
                market_registry,
                l1_rpc
            );
        }
        let key_file = cli
            .relay_key_file
            .ok_or_else(|| eyre!("--relay.key-file (BATON_RELAY_KEY_FILE) is required"))?;
        let key_hex = read_secret(&key_file, "relay key")?;
        let key_bytes = hex::decode(key_hex.trim_start_matches("0x"))
            .map_err(|_| eyre!("{} does not hold hex", key_file.display()))?;
        let key = BlsSecretKey::from_bytes(&key_bytes)
            .map_err(|_| eyre!("{} does not hold a BLS secret key", key_file.display()))?;
        let admin_token = match &cli.admin_token_file {
            Some(path) => {
                let token = read_secret(path, "admin token")?;
                if token.len() < 16 {
                    eyre::bail!(
                        "the admin token in {} is shorter than 16 characters",
                        path.display()
                    );
                }
                Some(AdminToken(token))
            }
            None => None,
        };
        let seconds_per_slot = cli.chain_seconds_per_slot.unwrap_or(2);
        let slots_per_epoch = cli.chain_slots_per_epoch.unwrap_or(8);
        if seconds_per_slot == 0 || slots_per_epoch == 0 {
            eyre::bail!("--chain.seconds-per-slot and --chain.slots-per-epoch must be non-zero");
        }
        let defaults = Timing::default();
        Ok(Self {
            http_addr: cli
                .http_addr
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 18_560))),
            beacon_url: cli
                .beacon_url
                .unwrap_or_else(|| "http://127.0.0.1:5052".to_owned()),
            redis_url: cli.redis_url.map(SensitiveUrl),
            redis_prefix: cli.redis_prefix.unwrap_or_else(|| "baton:relay".to_owned()),
            seconds_per_slot,
            slots_per_epoch,
            relay_key: RelayKey(Arc::new(key)),
            admin_token,
            timing: Timing {
                submission_cutoff_ms: cli
                    .timing_submission_cutoff_ms
                    .unwrap_or(defaults.submission_cutoff_ms),
                get_header_cutoff_ms: cli
                    .timing_get_header_cutoff_ms
                    .unwrap_or(defaults.get_header_cutoff_ms),
                get_payload_cutoff_ms: cli
                    .timing_get_payload_cutoff_ms
                    .unwrap_or(defaults.get_payload_cutoff_ms),
                constraints_cutoff_ms: cli
                    .timing_constraints_cutoff_ms
                    .unwrap_or(defaults.constraints_cutoff_ms),
                keep_slots: cli.timing_keep_slots.unwrap_or(defaults.keep_slots),
            },
            withhold_constraints: cli.fault_withhold_constraints,
            market: MarketConfig {
                sidecars: cli.market_sidecars.unwrap_or_default(),
                refresh_ms: cli.market_refresh_ms.unwrap_or(1_000),
                registry: match (cli.market_registry, cli.l1_rpc) {
                    (Some(address), Some(l1_rpc)) => Some(RegistrySource {
                        l1_rpc: SensitiveUrl(l1_rpc),
                        address,
                    }),
                    (Some(_), None) => {
                        eyre::bail!(
                            "--market.registry needs --l1.rpc (BATON_RELAY_L1_RPC) to read it"
                        )
                    }
                    (None, _) => None,
                },
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
    baton_relay::run::run(config, shutdown_signal()).await?;
    Ok(())
}
