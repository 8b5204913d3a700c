//! `baton-sidecar`: parses the command line and hands over to the library.

use clap::Parser;

/// Command line of `baton-sidecar`.
#[derive(Debug, Parser)]
#[command(name = "baton-sidecar", version, about = baton_sidecar::STATUS)]
struct Cli {}

fn main() -> std::process::ExitCode {
    let _cli = Cli::parse();
    eprintln!("baton-sidecar: {}", baton_sidecar::STATUS);
    std::process::ExitCode::from(2)
}
