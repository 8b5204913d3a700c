//! `baton-devnet`: parses the command line and hands over to the library.

use std::{path::PathBuf, time::Duration};

use baton_devnet::{DevnetConfig, StartFaults, demo, status};
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
    /// Send real traffic at a running devnet and show each promise landing.
    Demo(DemoArgs),
    /// The current slot, the last blocks and promise counts of a running devnet.
    Status(DirArgs),
    /// Stop a devnet that is still running (or that a crash left behind).
    Down(DirArgs),
}

#[derive(Debug, clap::Args)]
struct DirArgs {
    /// The running devnet's data folder.
    #[arg(long, env = "BATON_DEVNET_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// The running devnet's data folder.
    #[arg(long, env = "BATON_DEVNET_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// Keep sending traffic for this many slots and report every promise (fails if any
    /// promise is not kept); without it, one round of each kind.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    slots: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct UpArgs {
    /// Where to write devnet.json, keys, logs and node data.
    #[arg(long, env = "BATON_DEVNET_DATA_DIR", default_value = ".devnet")]
    data_dir: PathBuf,
    /// L1 chain id.
    #[arg(
        long = "l1.chain-id",
        env = "BATON_DEVNET_L1_CHAIN_ID",
        default_value_t = 3_151_908
    )]
    l1_chain_id: u64,
    /// Seconds per slot (the L1 block time).
    #[arg(long = "slot.seconds", env = "BATON_DEVNET_SECONDS_PER_SLOT", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(2..=12))]
    seconds_per_slot: u64,
    /// Validators in all.
    #[arg(long, env = "BATON_DEVNET_VALIDATORS", default_value_t = 8,
          value_parser = clap::value_parser!(u64).range(1..=256))]
    validators: u64,
    /// Sidecars (each serves `--validators-per-sidecar` validators; the rest use the
    /// relay directly).
    #[arg(long, env = "BATON_DEVNET_SIDECARS", default_value_t = 2,
          value_parser = clap::value_parser!(u64).range(1..=3))]
    sidecars: u64,
    /// Validators per sidecar.
    #[arg(long, env = "BATON_DEVNET_VALIDATORS_PER_SIDECAR", default_value_t = 3)]
    validators_per_sidecar: u64,
    /// Sidecars seal a slot this many ms before it starts.
    #[arg(long, env = "BATON_DEVNET_DEADLINE_MS", default_value_t = 1_000)]
    deadline_ms: u64,
    /// The explorer page's port on 127.0.0.1 (0 picks a free one).
    #[arg(
        long = "explorer.port",
        env = "BATON_DEVNET_EXPLORER_PORT",
        default_value_t = 8600
    )]
    explorer_port: u16,
    /// Fault: the builder leaves one constrained transaction out of its blocks.
    #[arg(
        long = "fault.builder-drops-constraint",
        env = "BATON_DEVNET_FAULT_BUILDER_DROPS_CONSTRAINT"
    )]
    builder_drops_constraint: bool,
    /// Fault: the relay hides constraints from builders and serves unproven blocks.
    #[arg(
        long = "fault.relay-withholds-constraints",
        env = "BATON_DEVNET_FAULT_RELAY_WITHHOLDS_CONSTRAINTS"
    )]
    relay_withholds_constraints: bool,
    /// Fault: sidecar a leaves each sealed slot's last promised L1 transaction out.
    #[arg(
        long = "fault.sidecar-drops-promised-tx",
        env = "BATON_DEVNET_FAULT_SIDECAR_DROPS_PROMISED_TX"
    )]
    sidecar_drops_promised_tx: bool,
    /// Fault: sidecar a runs twice with the same keys and separate journals, so both
    /// instances promise the same rollup positions (equivocation).
    #[arg(long = "fault.twin-sidecar", env = "BATON_DEVNET_FAULT_TWIN_SIDECAR")]
    twin_sidecar: bool,
    /// Seconds an operator has to answer a dispute before the watchtower can have it
    /// slashed (the Slasher's defend window).
    #[arg(long = "slasher.defend-window", env = "BATON_DEVNET_DEFEND_WINDOW", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(4..=86_400))]
    defend_window: u64,
    /// Ordering rights each sidecar auctions in every slot it owns, comma-separated, as
    /// `baton-sidecar --market.products` takes them (`top:<rollup>:<k>[@<reserve wei>]`,
    /// `whole:<rollup>`, `bundle:<r1>+<r2>:<k>`); none: no auctions.
    #[arg(
        long = "market.products",
        env = "BATON_DEVNET_MARKET_PRODUCTS",
        value_delimiter = ','
    )]
    market_products: Vec<String>,
}

impl From<UpArgs> for DevnetConfig {
    fn from(args: UpArgs) -> Self {
        Self {
            data_dir: args.data_dir,
            l1_chain_id: args.l1_chain_id,
            seconds_per_slot: args.seconds_per_slot,
            validators: args.validators,
            sidecars: usize::try_from(args.sidecars).unwrap_or(2),
            validators_per_sidecar: args.validators_per_sidecar,
            deadline_ms: args.deadline_ms,
            explorer_port: args.explorer_port,
            faults: StartFaults {
                builder_drops_constraint: args.builder_drops_constraint,
                relay_withholds_constraints: args.relay_withholds_constraints,
                sidecar_drops_promised_tx: args.sidecar_drops_promised_tx,
                twin_sidecar: args.twin_sidecar,
            },
            defend_window: args.defend_window,
            market_products: args.market_products,
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
        Command::Demo(args) => {
            let info = status::read_info(&args.data_dir)?;
            if let Some(slots) = args.slots {
                let report = demo::soak(&info, slots).await;
                #[allow(clippy::print_stdout)]
                {
                    print!("{}", demo::table(&report.kept));
                    println!(
                        "{} slots: {} promises, {} transactions landed as promised, {} promises not kept",
                        report.slots,
                        report.promised,
                        report.kept.len(),
                        report.failed.len()
                    );
                    for reason in &report.failed {
                        println!("not kept: {reason}");
                    }
                }
                eyre::ensure!(
                    report.failed.is_empty(),
                    "{} promises were not kept",
                    report.failed.len()
                );
                return Ok(());
            }
            let landed = demo::run_demo(&info).await?;
            #[allow(clippy::print_stdout)]
            {
                print!("{}", demo::table(&landed));
            }
            Ok(())
        }
        Command::Status(args) => {
            let info = status::read_info(&args.data_dir)?;
            let report = status::status(&info).await?;
            #[allow(clippy::print_stdout)]
            {
                print!("{report}");
            }
            Ok(())
        }
        Command::Down(args) => {
            let stopped = baton_devnet::world::stop_recorded(
                &args.data_dir.join("pids"),
                Duration::from_secs(5),
            );
            #[allow(clippy::print_stdout)]
            {
                println!("stopped {stopped} devnet processes");
            }
            Ok(())
        }
    }
}
