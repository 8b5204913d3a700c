//! The ethereumjs execution client as a post-merge Prague L1: a geth-style genesis written
//! here (prefunded accounts, the Prague system contracts), a fresh JWT secret, and the
//! client driven only through its Engine API by whoever holds the secret.

use std::{
    fs, io,
    net::SocketAddr,
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicU64, Ordering},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, U256};
use serde_json::{Map, Value, json};

use crate::{
    SpawnError, Tool, free_port, locate,
    process::{Guard, spawn_and_wait_with_log},
    system_contracts::SYSTEM_CONTRACTS,
};

/// Options for [`EthereumJs::start`].
#[derive(Debug, Clone)]
pub struct EthereumJsOptions {
    /// The chain id.
    pub chain_id: u64,
    /// Accounts funded at genesis.
    pub prefunded: Vec<(Address, U256)>,
    /// The genesis block's timestamp (the beacon side's genesis time).
    pub genesis_time: u64,
    /// The genesis gas limit.
    pub gas_limit: u64,
    /// Where the genesis, JWT secret, chain data and log go; `None` uses a fresh folder
    /// under the system temp dir that is removed on drop.
    pub data_dir: Option<PathBuf>,
    /// Extra arguments, appended last (e.g. `--logLevel debug`).
    pub extra_args: Vec<String>,
}

impl Default for EthereumJsOptions {
    fn default() -> Self {
        Self {
            chain_id: 3_151_908,
            prefunded: Vec::new(),
            genesis_time: now(),
            gas_limit: 30_000_000,
            data_dir: None,
            extra_args: Vec::new(),
        }
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The geth-style genesis of a post-merge chain at Prague from its first block: every fork
/// through Prague at time 0, the Cancun and Prague blob schedules, the four system contracts
/// and `prefunded`.
pub fn prague_genesis(options: &EthereumJsOptions) -> Value {
    let mut alloc = Map::new();
    for (_, address, code) in SYSTEM_CONTRACTS {
        alloc.insert(
            address.to_lowercase(),
            json!({ "balance": "0x0", "nonce": "0x1", "code": code }),
        );
    }
    for (address, balance) in &options.prefunded {
        alloc.insert(
            format!("{address:#x}"),
            json!({ "balance": format!("{balance:#x}") }),
        );
    }
    let mut config = Map::new();
    config.insert("chainId".into(), json!(options.chain_id));
    for block_fork in [
        "homesteadBlock",
        "eip150Block",
        "eip155Block",
        "eip158Block",
        "byzantiumBlock",
        "constantinopleBlock",
        "petersburgBlock",
        "istanbulBlock",
        "berlinBlock",
        "londonBlock",
        "mergeNetsplitBlock",
    ] {
        config.insert(block_fork.into(), json!(0));
    }
    for time_fork in ["shanghaiTime", "cancunTime", "pragueTime"] {
        config.insert(time_fork.into(), json!(0));
    }
    config.insert("terminalTotalDifficulty".into(), json!(0));
    config.insert("terminalTotalDifficultyPassed".into(), json!(true));
    config.insert(
        "depositContractAddress".into(),
        json!("0x00000000219ab540356cBB839Cbe05303d7705Fa"),
    );
    config.insert(
        "blobSchedule".into(),
        json!({
            "cancun": { "target": 3, "max": 6, "baseFeeUpdateFraction": 3_338_477 },
            "prague": { "target": 6, "max": 9, "baseFeeUpdateFraction": 5_007_716 },
        }),
    );
    json!({
        "config": config,
        "nonce": "0x0",
        "timestamp": format!("{:#x}", options.genesis_time),
        "extraData": "0x",
        "gasLimit": format!("{:#x}", options.gas_limit),
        "difficulty": "0x0",
        "mixHash": format!("0x{}", "00".repeat(32)),
        "coinbase": format!("0x{}", "00".repeat(20)),
        "parentHash": format!("0x{}", "00".repeat(32)),
        "number": "0x0",
        "baseFeePerGas": "0x3b9aca00",
        "excessBlobGas": "0x0",
        "blobGasUsed": "0x0",
        "alloc": alloc,
    })
}

/// A running ethereumjs client on 127.0.0.1, killed when dropped.
#[derive(Debug)]
pub struct EthereumJs {
    guard: Option<Guard>,
    rpc_port: u16,
    engine_port: u16,
    jwt_hex: String,
    dir: PathBuf,
    remove_dir: bool,
    chain_id: u64,
    genesis_time: u64,
}

fn io_error(path: &Path, source: io::Error) -> SpawnError {
    SpawnError::Start {
        tool: Tool::EthereumJs,
        path: path.to_owned(),
        source,
    }
}

/// 32 random bytes as hex, from the OS.
fn random_hex32() -> io::Result<String> {
    let mut bytes = [0u8; 32];
    let mut file = fs::File::open("/dev/urandom")?;
    io::Read::read_exact(&mut file, &mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

impl EthereumJs {
    /// Writes the genesis and a JWT secret, starts the client and waits until its
    /// JSON-RPC answers (about 4 s here).
    pub fn start(options: &EthereumJsOptions) -> Result<Self, SpawnError> {
        let path = locate(Tool::EthereumJs)?;
        let (dir, remove_dir) = match &options.data_dir {
            Some(dir) => (dir.clone(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "baton-ethereumjs-{}-{}",
                    std::process::id(),
                    NEXT_DIR.fetch_add(1, Ordering::Relaxed)
                )),
                true,
            ),
        };
        fs::create_dir_all(&dir).map_err(|e| io_error(&dir, e))?;
        let genesis = dir.join("genesis.json");
        fs::write(&genesis, prague_genesis(options).to_string())
            .map_err(|e| io_error(&genesis, e))?;
        let jwt_path = dir.join("jwt.hex");
        let jwt_hex = random_hex32().map_err(|e| io_error(&jwt_path, e))?;
        fs::write(&jwt_path, &jwt_hex).map_err(|e| io_error(&jwt_path, e))?;
        let chain_dir = dir.join("chain");
        // A restart on the same folder would resume an old chain from a new genesis.
        let _ = fs::remove_dir_all(&chain_dir);
        let port = || free_port().map_err(|e| io_error(&path, e));
        let (rpc_port, engine_port, p2p_port) = (port()?, port()?, port()?);
        let mut command = Command::new(&path);
        command
            .arg("--gethGenesis")
            .arg(&genesis)
            .arg("--dataDir")
            .arg(&chain_dir)
            .args(["--rpc", "--rpcAddr", "127.0.0.1", "--rpcPort"])
            .arg(rpc_port.to_string())
            .args([
                "--rpcEngine",
                "--rpcEngineAddr",
                "127.0.0.1",
                "--rpcEnginePort",
            ])
            .arg(engine_port.to_string())
            .arg("--jwtSecret")
            .arg(&jwt_path)
            .args(["--isSingleNode", "--port"])
            .arg(p2p_port.to_string())
            .args(["--discV4", "false", "--discDns", "false", "--maxPeers", "0"])
            // `--logFile false` is taken as a file name in the working directory; keep the
            // client's own log file in its folder, errors only (stdout has the rest).
            .arg("--logFile")
            .arg(dir.join("ethereumjs-errors.log"))
            .args(["--logLevelFile", "error", "--logRotate", "false"])
            .args(&options.extra_args);
        let log = dir.join("ethereumjs.log");
        let guard = spawn_and_wait_with_log(
            Tool::EthereumJs,
            command,
            SocketAddr::from(([127, 0, 0, 1], rpc_port)),
            &log,
        )?;
        Ok(Self {
            guard: Some(guard),
            rpc_port,
            engine_port,
            jwt_hex,
            dir,
            remove_dir,
            chain_id: options.chain_id,
            genesis_time: options.genesis_time,
        })
    }

    /// The JSON-RPC endpoint (`eth_*`, `txpool_*`, `debug_*`).
    pub fn rpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.rpc_port)
    }

    /// The authenticated Engine API endpoint.
    pub fn engine_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.engine_port)
    }

    /// The JWT secret, hex without `0x`. Whoever holds it can drive the chain.
    pub fn jwt_hex(&self) -> &str {
        &self.jwt_hex
    }

    /// The file holding the JWT secret.
    pub fn jwt_path(&self) -> PathBuf {
        self.dir.join("jwt.hex")
    }

    /// The client's log file (stdout and stderr).
    pub fn log_path(&self) -> PathBuf {
        self.dir.join("ethereumjs.log")
    }

    /// The chain id.
    pub const fn chain_id(&self) -> u64 {
        self.chain_id
    }

    /// The genesis block's timestamp.
    pub const fn genesis_time(&self) -> u64 {
        self.genesis_time
    }

    /// The client's process id.
    pub fn pid(&self) -> Option<u32> {
        self.guard.as_ref().map(Guard::pid)
    }
}

impl Drop for EthereumJs {
    fn drop(&mut self) {
        // Stop the client before its folder goes.
        drop(self.guard.take());
        if self.remove_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_is_prague_from_block_zero_with_system_contracts_and_funds() {
        let funded = Address::repeat_byte(0xab);
        let genesis = prague_genesis(&EthereumJsOptions {
            chain_id: 7,
            prefunded: vec![(funded, U256::from(1_000u64))],
            genesis_time: 0x6000_0000,
            ..Default::default()
        });
        assert_eq!(genesis["config"]["chainId"], 7);
        assert_eq!(genesis["config"]["pragueTime"], 0);
        assert_eq!(genesis["config"]["terminalTotalDifficultyPassed"], true);
        assert_eq!(genesis["timestamp"], "0x60000000");
        let alloc = genesis["alloc"].as_object().unwrap();
        assert_eq!(alloc[&format!("{funded:#x}")]["balance"], "0x3e8");
        for (name, address, code) in SYSTEM_CONTRACTS {
            let account = &alloc[&address.to_lowercase()];
            assert_eq!(account["code"], code, "{name}");
            assert_eq!(account["nonce"], "0x1", "{name}");
        }
    }
}
