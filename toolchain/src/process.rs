//! Child processes that stop when their handle drops.

use std::{
    io,
    net::{SocketAddr, TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    thread,
    time::{Duration, Instant},
};

use crate::{Tool, ToolError, locate};

/// Starting a tool failed.
#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    /// The tool is not installed.
    #[error(transparent)]
    Missing(#[from] ToolError),
    /// The operating system refused to start it.
    #[error("could not start `{tool}` ({path}): {source}", path = path.display())]
    Start {
        /// The tool.
        tool: Tool,
        /// The binary that was run.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// It started but did not accept connections in time, or exited.
    #[error("`{tool}` did not listen on {addr} within {waited:?}{exit}", exit = exit_status.as_deref().map(|s| format!(" (it exited: {s})")).unwrap_or_default())]
    NotReady {
        /// The tool.
        tool: Tool,
        /// Where it was expected to listen.
        addr: SocketAddr,
        /// How long we waited.
        waited: Duration,
        /// Its exit status, if it exited.
        exit_status: Option<String>,
    },
}

/// A free TCP port on 127.0.0.1 (the OS picks it; tiny race until the tool binds it).
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A running child that is killed (and reaped) on drop.
#[derive(Debug)]
pub(crate) struct Guard {
    child: Child,
}

impl Guard {
    /// The child's process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_and_wait(tool: Tool, mut command: Command, addr: SocketAddr) -> Result<Guard, SpawnError> {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    wait_ready(tool, command, addr)
}

/// Like `spawn_and_wait`, with stdout and stderr appended to `log`.
pub(crate) fn spawn_and_wait_with_log(
    tool: Tool,
    mut command: Command,
    addr: SocketAddr,
    log: &Path,
) -> Result<Guard, SpawnError> {
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|source| SpawnError::Start {
                tool,
                path: log.to_owned(),
                source,
            })
    };
    command.stdout(open()?).stderr(open()?);
    wait_ready(tool, command, addr)
}

fn wait_ready(tool: Tool, mut command: Command, addr: SocketAddr) -> Result<Guard, SpawnError> {
    let path = PathBuf::from(command.get_program());
    let child = command
        .stdin(Stdio::null())
        .spawn()
        .map_err(|source| SpawnError::Start { tool, path, source })?;
    let mut guard = Guard { child };
    let timeout = Duration::from_secs(30);
    let started = Instant::now();
    while started.elapsed() < timeout {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(guard);
        }
        if let Ok(Some(status)) = guard.child.try_wait() {
            return Err(SpawnError::NotReady {
                tool,
                addr,
                waited: started.elapsed(),
                exit_status: Some(status.to_string()),
            });
        }
        thread::sleep(Duration::from_millis(25));
    }
    Err(SpawnError::NotReady {
        tool,
        addr,
        waited: timeout,
        exit_status: None,
    })
}

/// Options for [`Anvil::spawn`].
#[derive(Debug, Clone)]
pub struct AnvilOptions {
    /// Hardfork name passed to `--hardfork`.
    pub hardfork: String,
    /// Chain id.
    pub chain_id: u64,
    /// `--block-time` in seconds; `None` mines on every transaction.
    pub block_time: Option<u64>,
    /// Port to listen on; `None` picks a free one.
    pub port: Option<u16>,
    /// Timestamp of the genesis block.
    pub genesis_timestamp: Option<u64>,
    /// Extra arguments, appended last.
    pub extra_args: Vec<String>,
}

impl Default for AnvilOptions {
    fn default() -> Self {
        Self {
            hardfork: "prague".to_owned(),
            chain_id: 31_337,
            block_time: None,
            port: None,
            genesis_timestamp: None,
            extra_args: Vec::new(),
        }
    }
}

/// A running anvil on 127.0.0.1, killed when dropped.
#[derive(Debug)]
pub struct Anvil {
    _guard: Guard,
    port: u16,
    chain_id: u64,
}

impl Anvil {
    /// The private keys of anvil's ten default dev accounts ("test test … junk").
    pub const DEV_KEYS: [&'static str; 10] = [
        "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
        "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
        "5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
        "7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
        "47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
        "8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
        "92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
        "4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
        "dbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
        "2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
    ];

    /// Starts anvil and waits until it accepts connections.
    pub fn spawn(options: &AnvilOptions) -> Result<Self, SpawnError> {
        let path = locate(Tool::Anvil)?;
        let port = match options.port {
            Some(port) => port,
            None => free_port().map_err(|source| SpawnError::Start {
                tool: Tool::Anvil,
                path: path.clone(),
                source,
            })?,
        };
        let mut command = Command::new(&path);
        command
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            .args(["--hardfork", &options.hardfork])
            .args(["--chain-id", &options.chain_id.to_string()])
            .arg("--silent");
        if let Some(block_time) = options.block_time {
            command.args(["--block-time", &block_time.to_string()]);
        }
        if let Some(timestamp) = options.genesis_timestamp {
            command.args(["--timestamp", &timestamp.to_string()]);
        }
        command.args(&options.extra_args);
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let guard = spawn_and_wait(Tool::Anvil, command, addr)?;
        Ok(Self {
            _guard: guard,
            port,
            chain_id: options.chain_id,
        })
    }

    /// The HTTP JSON-RPC endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port anvil listens on.
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self._guard.pid()
    }

    /// The chain id anvil was started with.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }
}

/// A running `redis-server` on 127.0.0.1, killed when dropped.
#[derive(Debug)]
pub struct Redis {
    _guard: Guard,
    port: u16,
}

impl Redis {
    /// Starts `redis-server` on a free port and waits until it accepts connections.
    pub fn spawn() -> Result<Self, SpawnError> {
        Self::spawn_with(&["--save", "", "--appendonly", "no"])
    }

    /// Starts an empty, non-persistent `redis-server` on `port` (a restart where the
    /// previous one listened: clients configured with its URL reconnect to this one).
    pub fn spawn_on_port(port: u16) -> Result<Self, SpawnError> {
        Self::spawn_at(Some(port), &["--save", "", "--appendonly", "no"])
    }

    /// Starts `redis-server` that fsyncs every write to an append-only file in `dir`
    /// (`appendonly yes`, `appendfsync always`): a reply means the write is on disk.
    pub fn spawn_durable(dir: &std::path::Path) -> Result<Self, SpawnError> {
        let dir = dir.to_string_lossy();
        Self::spawn_with(&[
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--dir",
            &dir,
        ])
    }

    fn spawn_with(persistence: &[&str]) -> Result<Self, SpawnError> {
        Self::spawn_at(None, persistence)
    }

    fn spawn_at(port: Option<u16>, persistence: &[&str]) -> Result<Self, SpawnError> {
        let path = locate(Tool::RedisServer)?;
        let port = match port {
            Some(port) => port,
            None => free_port().map_err(|source| SpawnError::Start {
                tool: Tool::RedisServer,
                path: path.clone(),
                source,
            })?,
        };
        let mut command = Command::new(&path);
        command
            .args(["--bind", "127.0.0.1", "--port", &port.to_string()])
            .args(persistence)
            .args(["--daemonize", "no"]);
        let guard = spawn_and_wait(
            Tool::RedisServer,
            command,
            SocketAddr::from(([127, 0, 0, 1], port)),
        )?;
        Ok(Self {
            _guard: guard,
            port,
        })
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self._guard.pid()
    }

    /// The `redis://` URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on.
    pub const fn port(&self) -> u16 {
        self.port
    }
}
