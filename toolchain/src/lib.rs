//! Finds and starts the external programs Baton's tests and devnet depend on.
//!
//! Baton's integration tests and devnet run real parts: anvil, forge, the ethereumjs
//! execution client, Redis, and headless Chromium for the explorer page. This crate is
//! the one place that knows where those binaries come from (the pinned npm packages in
//! the repository's `node_modules/`, or Debian's `redis-server` and `chromium`) and, when
//! one is missing, fails with an error that names the exact command that installs it.
//! It also finds Baton's own binaries of the current build ([`workspace_binary`]) for the
//! devnet and the tests that run them as processes. It owns no step of the data flow; it
//! is plumbing for the crates that do.
//!
//! Processes started here are killed when their handle drops, so a failing test never
//! leaves a node running.

mod chromium;
mod ethereumjs;
mod locate;
mod process;
mod system_contracts;
mod workspace;

pub use chromium::{Headless, HeadlessError};
pub use ethereumjs::{EthereumJs, EthereumJsOptions, prague_genesis};

pub use locate::{Tool, ToolError, locate, repository_root};
pub use process::{Anvil, AnvilOptions, Redis, SpawnError, free_port};
pub use system_contracts::SYSTEM_CONTRACTS;
pub use workspace::{MissingBinary, workspace_bin_dir, workspace_binary};
