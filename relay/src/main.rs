//! `baton-relay`: parses the command line and hands over to the library.

use clap::Parser;

/// Command line of `baton-relay`.
#[derive(Debug, Parser)]
#[command(name = "baton-relay", version, about = baton_relay::STATUS)]
struct Cli {}

fn main() -> std::process::ExitCode {
    let _cli = Cli::parse();
    eprintln!("baton-relay: {}", baton_relay::STATUS);
    std::process::ExitCode::from(2)
}
