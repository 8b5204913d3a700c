//! Headless Chromium: load a page, let its scripts run, then read the rendered DOM or
//! take a screenshot. Each run gets a fresh profile directory, removed afterwards.

use std::{
    fs,
    io::{self, Read},
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::atomic::{AtomicU64, Ordering},
    thread,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use crate::{Tool, ToolError, locate};

/// Flags every run gets: no sandbox (tests run as root in containers), no GPU, no network
/// traffic of Chromium's own (updates, sync, QUIC probes), no first-run UI.
const BASE_FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// Most of Chromium's stderr kept for an error message.
const STDERR_TAIL: usize = 2_000;

/// A headless run failed.
#[derive(Debug, thiserror::Error)]
pub enum HeadlessError {
    /// Chromium is not installed.
    #[error(transparent)]
    Missing(#[from] ToolError),
    /// The profile directory, the process or its output failed.
    #[error("running chromium: {0}")]
    Io(#[from] io::Error),
    /// It ran longer than the time limit and was killed.
    #[error("chromium did not finish within {limit:?}; stderr ends: {stderr}")]
    Timeout {
        /// The limit.
        limit: Duration,
        /// The end of its stderr.
        stderr: String,
    },
    /// It exited with a failure, or wrote nothing.
    #[error("chromium failed ({status}); stderr ends: {stderr}")]
    Failed {
        /// Exit status, or what was missing.
        status: String,
        /// The end of its stderr.
        stderr: String,
    },
}

/// Runs Chromium headless.
#[derive(Debug, Clone)]
pub struct Headless {
    binary: PathBuf,
    /// Virtual milliseconds the page's scripts get before the DOM is read or the
    /// screenshot taken (`--virtual-time-budget`; network waits do not use it up).
    pub virtual_time_ms: u64,
    /// Window size of screenshots, in CSS pixels.
    pub window: (u32, u32),
    /// Wall-clock limit of one run.
    pub timeout: Duration,
}

impl Headless {
    /// Finds Chromium ([`Tool::Chromium`]).
    pub fn locate() -> Result<Self, ToolError> {
        Ok(Self {
            binary: locate(Tool::Chromium)?,
            virtual_time_ms: 5_000,
            window: (1_280, 1_000),
            timeout: Duration::from_secs(90),
        })
    }

    /// Loads `url` and returns the DOM after its scripts ran (`--dump-dom`).
    pub fn dump_dom(&self, url: &str) -> Result<String, HeadlessError> {
        let stdout = self.run(&["--dump-dom".to_owned()], url)?;
        if stdout.trim().is_empty() {
            return Err(HeadlessError::Failed {
                status: "no DOM on stdout".to_owned(),
                stderr: String::new(),
            });
        }
        Ok(stdout)
    }

    /// Loads `url` and writes a PNG screenshot of the window to `path`.
    pub fn screenshot(&self, url: &str, path: &Path) -> Result<(), HeadlessError> {
        let _ = fs::remove_file(path);
        let (width, height) = self.window;
        self.run(
            &[
                format!("--screenshot={}", path.display()),
                format!("--window-size={width},{height}"),
            ],
            url,
        )?;
        let png = fs::read(path).unwrap_or_default();
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(HeadlessError::Failed {
                status: format!("no PNG written to {}", path.display()),
                stderr: String::new(),
            });
        }
        Ok(())
    }

    fn run(&self, extra: &[String], url: &str) -> Result<String, HeadlessError> {
        let profile = Profile::create()?;
        let stderr_path = profile.0.join("stderr.log");
        let mut child = Command::new(&self.binary)
            .args(BASE_FLAGS)
            .arg(format!(
                "--user-data-dir={}",
                profile.0.join("data").display()
            ))
            .arg(format!("--virtual-time-budget={}", self.virtual_time_ms))
            .args(extra)
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(fs::File::create(&stderr_path)?)
            .spawn()?;
        // Read stdout on a thread so a large DOM never blocks the child on a full pipe.
        let mut pipe = child
            .stdout
            .take()
            .ok_or_else(|| io::Error::other("no stdout"))?;
        let reader = thread::spawn(move || {
            let mut out = Vec::new();
            pipe.read_to_end(&mut out).map(|_| out)
        });
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait()? {
                break status;
            }
            if started.elapsed() > self.timeout {
                let _ = child.kill();
                let _ = child.wait();
                return Err(HeadlessError::Timeout {
                    limit: self.timeout,
                    stderr: tail(&stderr_path),
                });
            }
            thread::sleep(Duration::from_millis(50));
        };
        let stdout = reader
            .join()
            .map_err(|_| io::Error::other("stdout reader panicked"))??;
        if !status.success() {
            return Err(HeadlessError::Failed {
                status: status.to_string(),
                stderr: tail(&stderr_path),
            });
        }
        Ok(String::from_utf8_lossy(&stdout).into_owned())
    }
}

/// The last [`STDERR_TAIL`] bytes of a log file.
fn tail(path: &Path) -> String {
    let text = fs::read(path).unwrap_or_default();
    let start = text.len().saturating_sub(STDERR_TAIL);
    String::from_utf8_lossy(&text[start..]).into_owned()
}

/// A fresh directory for one run, removed on drop.
struct Profile(PathBuf);

impl Profile {
    fn create() -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "baton-chromium-{}-{}-{nanos}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&dir)?;
        Ok(Self(dir))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_fresh_and_removed() {
        let a = Profile::create().unwrap();
        let b = Profile::create().unwrap();
        assert_ne!(a.0, b.0);
        let path = a.0.clone();
        assert!(path.is_dir());
        drop(a);
        assert!(!path.exists());
    }

    #[test]
    fn stderr_tail_is_bounded() {
        let profile = Profile::create().unwrap();
        let log = profile.0.join("err");
        fs::write(&log, "x".repeat(5_000) + "end").unwrap();
        let text = tail(&log);
        assert_eq!(text.len(), STDERR_TAIL);
        assert!(text.ends_with("end"));
    }
}
