//! Helpers for Baton's end-to-end scenarios (`scenarios/`), which run the project's real
//! binaries against a real devnet and assert on-chain outcomes, never log lines.
//!
//! Data-flow steps: all of them, from the outside.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use eyre::{WrapErr, eyre};

/// The path of one of the workspace's binaries (`baton-devnet`, `baton-sidecar`, …) in
/// the target folder of the current build profile. Fails loudly, naming the build
/// command, when it has not been built.
pub fn binary(name: &str) -> eyre::Result<PathBuf> {
    let root = baton_toolchain::repository_root()
        .ok_or_else(|| eyre!("cannot find the repository root (set BATON_ROOT)"))?;
    let target =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let profile = if cfg!(debug_assertions) {
        "debug"
    } else {
        "release"
    };
    let path = target.join(profile).join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(eyre!(
            "{} is not built; run `cargo build --bins` first",
            path.display()
        ))
    }
}

/// A child process of a scenario, killed on drop.
#[derive(Debug)]
pub struct Process {
    child: Child,
}

impl Process {
    /// Starts `binary` with `args`, its output going to the test's output.
    pub fn start(binary: &str, args: &[&str]) -> eyre::Result<Self> {
        let path = self::binary(binary)?;
        let child = Command::new(&path)
            .args(args)
            .stdin(Stdio::null())
            .spawn()
            .wrap_err_with(|| format!("starting {}", path.display()))?;
        Ok(Self { child })
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(mut self) -> eyre::Result<std::process::ExitStatus> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .wrap_err("running kill")?;
        eyre::ensure!(status.success(), "kill -TERM failed: {status}");
        Ok(self.child.wait()?)
    }

    /// Sends SIGKILL (no chance to clean up) and reaps the process.
    pub fn kill(mut self) -> eyre::Result<std::process::ExitStatus> {
        self.child.kill().wrap_err("SIGKILL")?;
        Ok(self.child.wait()?)
    }

    /// Whether the process has exited (without waiting).
    pub fn exited(&mut self) -> eyre::Result<Option<std::process::ExitStatus>> {
        Ok(self.child.try_wait()?)
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
