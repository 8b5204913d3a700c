//! The `baton-sidecar` command line: `run` serves promises; `register`, `status`,
//! `opt-out`, `withdraw`, `delegate` and `keys` are the operator's commands. Every command
//! reads the same flags, `BATON_*` variables and `--config` TOML file.

mod args;
mod operator;

use std::future::Future;

use clap::{Parser, Subcommand};

use crate::config::Config;
use args::RunArgs;

/// Baton's preconfirmation sidecar.
#[derive(Debug, Parser)]
#[command(name = "baton-sidecar", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve preconfirmations for this operator's validators.
    Run(Box<RunArgs>),
    /// Register as an operator (committer and collateral) and bind validator keys from
    /// EIP-2335 keystores.
    Register(Box<operator::RegisterArgs>),
    /// Show the operator's registration, collateral, exit, disputes, slashes, validator
    /// keys and the sidecar's next slots.
    Status(Box<RunArgs>),
    /// Start leaving: the keys stop counting now; collateral can be withdrawn after the
    /// exit delay.
    OptOut(Box<operator::ConfirmArgs>),
    /// Withdraw the collateral once the exit delay has passed.
    Withdraw(Box<RunArgs>),
    /// Sign delegations (validator keys to the delegate key) for the coming slots and send
    /// them to the relays.
    Delegate(Box<RunArgs>),
    /// List the keys this configuration uses (public parts only).
    Keys(Box<RunArgs>),
}

impl Cli {
    /// Runs the command; `shutdown` ends `run`.
    pub async fn execute(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> eyre::Result<()> {
        match self.command {
            Command::Run(args) => {
                let config = Config::try_from(args.load()?)?;
                crate::run::run(config, shutdown).await?;
                Ok(())
            }
            Command::Register(args) => operator::register(*args).await,
            Command::Status(args) => operator::status(args.load()?).await,
            Command::OptOut(args) => operator::opt_out(*args).await,
            Command::Withdraw(args) => operator::withdraw(args.load()?).await,
            Command::Delegate(args) => operator::delegate(args.load()?).await,
            Command::Keys(args) => operator::keys(&args.load()?),
        }
    }
}
