//! The devnet's configuration (built from the CLI by the binary).

use std::path::PathBuf;

/// How to start the devnet.
#[derive(Debug, Clone)]
pub struct DevnetConfig {
    /// Where the devnet writes `devnet.json` and its nodes' data.
    pub data_dir: PathBuf,
    /// L1 JSON-RPC port; `None` picks a free port.
    pub l1_port: Option<u16>,
    /// L1 chain id.
    pub l1_chain_id: u64,
    /// Seconds per beacon slot (the L1 block time).
    pub seconds_per_slot: u64,
}

impl Default for DevnetConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from(".devnet"),
            l1_port: Some(8545),
            l1_chain_id: 3_151_908,
            seconds_per_slot: 2,
        }
    }
}
