//! `baton-devnet`: parses the command line and hands over to the library.

use std::path::PathBuf;

use baton_devnet::DevnetConfig;
use clap::{Parser, Subcommand};

/// Baton's local world from one command.
#[derive(Debug, Parser)]
#[command(name = "baton-devnet", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the devnet and run until Ctrl-C.
    Up(UpArgs),
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Where to write devnet.json and node data.
    #[arg(long, env = "BATON_DEVNET_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// L1 JSON-RPC port (0 picks a free port).
    #[arg(long = "l1.port", env = "BATON_DEVNET_L1_PORT", default_value_t = 8545)]
    l1_port: u16,
    /// L1 chain id.
    #[arg(
        long = "l1.chain-id",
        env = "BATON_DEVNET_L1_CHAIN_ID",
        default_value_t = 3_151_908
    )]
    l1_chain_id: u64,
    /// Seconds per slot (the L1 block time).
    #[arg(long = "slot.seconds", env = "BATON_DEVNET_SECONDS_PER_SLOT", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=12))]
    seconds_per_slot: u64,
}

impl From<UpArgs> for DevnetConfig {
    fn from(args: UpArgs) -> Self {
        Self {
            data_dir: args.data_dir,
            l1_port: (args.l1_port != 0).then_some(args.l1_port),
            l1_chain_id: args.l1_chain_id,
            seconds_per_slot: args.seconds_per_slot,
        }
    }
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Up(args) => baton_devnet::run(args.into()).await,
    }
}
