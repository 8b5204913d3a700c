//! The devnet's child processes: Baton's own binaries, started from the folder the
//! `baton-devnet` binary runs from, each logging to `<data-dir>/logs/<name>.log`, each
//! recorded in `<data-dir>/pids` so `baton-devnet down` (or a later `up`) can stop what a
//! killed devnet left behind. Dropping a [`Child`] stops it: SIGTERM, then SIGKILL.

use std::{
    fs::{self, OpenOptions},
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use eyre::WrapErr;

/// The path of Baton binary `name`, or an error naming the command that builds it.
pub fn binary(name: &str) -> eyre::Result<PathBuf> {
    Ok(baton_toolchain::workspace_binary(name)?)
}

/// A running child process, stopped on drop.
#[derive(Debug)]
pub struct Child {
    name: String,
    binary: String,
    args: Vec<String>,
    pids: PathBuf,
    child: std::process::Child,
    log: PathBuf,
}

impl Child {
    /// Starts Baton binary `binary` as `name` with `args`, logging to `<logs>/<name>.log`,
    /// and records its pid in `pids`.
    pub fn spawn(
        name: &str,
        binary_name: &str,
        args: &[String],
        logs: &Path,
        pids: &Path,
    ) -> eyre::Result<Self> {
        fs::create_dir_all(logs).wrap_err_with(|| format!("creating {}", logs.display()))?;
        let log = logs.join(format!("{name}.log"));
        let child = start(binary_name, args, &log, pids)?;
        Ok(Self {
            name: name.to_owned(),
            binary: binary_name.to_owned(),
            args: args.to_vec(),
            pids: pids.to_owned(),
            child,
            log,
        })
    }

    /// Starts it again with the same arguments (after [`stop`](Self::stop) or
    /// [`kill`](Self::kill)); its log continues.
    pub fn restart(&mut self) -> eyre::Result<()> {
        self.stop(Duration::from_secs(3));
        self.child = start(&self.binary, &self.args, &self.log, &self.pids)?;
        Ok(())
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether it has exited (and how).
    pub fn exited(&mut self) -> Option<String> {
        self.child.try_wait().ok().flatten().map(|s| s.to_string())
    }

    /// Stops it: SIGTERM, up to `grace` to exit, then SIGKILL.
    pub fn stop(&mut self, grace: Duration) {
        if self.exited().is_some() {
            return;
        }
        signal(self.child.id(), "TERM");
        let started = Instant::now();
        while started.elapsed() < grace {
            if self.exited().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Kills it at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(
    binary_name: &str,
    args: &[String],
    log: &Path,
    pids: &Path,
) -> eyre::Result<std::process::Child> {
    let path = binary(binary_name)?;
    let open = || {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .wrap_err_with(|| format!("opening {}", log.display()))
    };
    let child = Command::new(&path)
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
        )
        .stdin(Stdio::null())
        .stdout(open()?)
        .stderr(open()?)
        .spawn()
        .wrap_err_with(|| format!("starting {}", path.display()))?;
    record_pid(pids, child.id())?;
    Ok(child)
}

impl Drop for Child {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(3));
    }
}

/// Sends `SIG<name>` to `pid` with the system's `kill` (no unsafe code here).
pub(crate) fn signal(pid: u32, name: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Whether process `pid` exists.
pub fn alive(pid: u32) -> bool {
    signal(pid, "0")
}

/// Whether `pid` runs one of the devnet's programs (a recycled pid is left alone).
fn ours(pid: u32) -> bool {
    fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
        let cmdline = String::from_utf8_lossy(&cmdline);
        ["baton-", "ethereumjs", "anvil", "redis-server"]
            .iter()
            .any(|name| cmdline.contains(name))
    })
}

fn record_pid(pids: &Path, pid: u32) -> eyre::Result<()> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(pids)
        .wrap_err_with(|| format!("opening {}", pids.display()))?;
    writeln!(file, "{pid}").wrap_err("recording a pid")
}

/// Records an outside process (the execution client) in the pid file too.
pub(crate) fn record_external(pids: &Path, pid: u32) -> eyre::Result<()> {
    record_pid(pids, pid)
}

/// Stops every process recorded in `pids` that still runs (SIGTERM, then SIGKILL after
/// `grace`), and removes the file. Returns how many were running.
pub fn stop_recorded(pids: &Path, grace: Duration) -> usize {
    let Ok(text) = fs::read_to_string(pids) else {
        return 0;
    };
    let running: Vec<u32> = text
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .filter(|pid| alive(*pid) && ours(*pid))
        .collect();
    for pid in &running {
        signal(*pid, "TERM");
    }
    let started = Instant::now();
    while started.elapsed() < grace && running.iter().any(|p| alive(*p)) {
        std::thread::sleep(Duration::from_millis(50));
    }
    for pid in running.iter().filter(|p| alive(**p)) {
        signal(*pid, "KILL");
    }
    let _ = fs::remove_file(pids);
    running.len()
}
