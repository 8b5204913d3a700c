//! Helpers for Baton's end-to-end scenarios (`scenarios/`), which run the project's real
//! binaries against a real devnet and assert on-chain outcomes, never log lines.
//!
//! Data-flow steps: all of them, from the outside.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
};

use eyre::WrapErr;

/// The path of one of the workspace's binaries (`baton-devnet`, `baton-sidecar`, …) of
/// this build. Fails loudly, naming the build command, when it has not been built.
pub fn binary(name: &str) -> eyre::Result<PathBuf> {
    Ok(baton_toolchain::workspace_binary(name)?)
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

    /// Starts `binary` with `args`, its stdout and stderr appended to `log`.
    pub fn start_logged(binary: &str, args: &[&str], log: &std::path::Path) -> eyre::Result<Self> {
        let path = self::binary(binary)?;
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .wrap_err_with(|| format!("opening {}", log.display()))
        };
        let child = Command::new(&path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(open()?)
            .stderr(open()?)
            .spawn()
            .wrap_err_with(|| format!("starting {}", path.display()))?;
        Ok(Self { child })
    }

    /// Sends SIGINT (what Ctrl-C sends) and waits for the exit status.
    pub fn interrupt(mut self) -> eyre::Result<std::process::ExitStatus> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .wrap_err("running kill")?;
        eyre::ensure!(status.success(), "kill -INT failed: {status}");
        Ok(self.child.wait()?)
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

/// Whether process `pid` is alive (`kill -0`).
pub fn alive(pid: u32) -> bool {
    Command::new("kill")
        .args(["-0", &pid.to_string()])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Runs `binary` with `args` to completion; returns its exit status and stdout.
pub fn run(binary: &str, args: &[&str]) -> eyre::Result<(std::process::ExitStatus, String)> {
    let path = self::binary(binary)?;
    let output = Command::new(&path)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .wrap_err_with(|| format!("running {}", path.display()))?;
    Ok((
        output.status,
        String::from_utf8_lossy(&output.stdout).into_owned(),
    ))
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
