//! The sidecar's configuration, built by the binary from flags, `BATON_*` variables and a
//! TOML file. Secrets redact themselves in `Debug`.

use std::{fmt, net::SocketAddr, path::PathBuf, sync::Arc};

use alloy_primitives::{Address, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{BlsPublicKey, BlsSecretKey, RollupId};

use crate::{
    journal::RedisOptions,
    keys::DelegateKey,
    ledger::Limits,
    market::MarketConfig,
    pbs::{RelayEndpoint, Timing},
};

/// The committer key; never printed.
#[derive(Clone)]
pub struct CommitterKey(pub PrivateKeySigner);

impl fmt::Debug for CommitterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CommitterKey(<redacted>, address {})", self.0.address())
    }
}

/// Validator secret keys (they sign delegations); never printed.
#[derive(Clone, Default)]
pub struct ValidatorKeys(pub Arc<Vec<BlsSecretKey>>);

impl fmt::Debug for ValidatorKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ValidatorKeys({} keys, <redacted>)", self.0.len())
    }
}

/// Block production (steps ④ and ⑥): sealing, constraints, the builder API and the
/// fallback block.
#[derive(Debug, Clone)]
pub struct BuilderConfig {
    /// Where the builder API (the beacon node's builder URL) listens.
    pub addr: SocketAddr,
    /// The relays, each with the key it signs bids with.
    pub relays: Vec<RelayEndpoint>,
    /// getHeader timings.
    pub timing: Timing,
    /// The execution client's Engine API, for the fallback block.
    pub engine_url: Option<String>,
    /// The Engine API's JWT secret file (hex).
    pub jwt_secret: Option<PathBuf>,
    /// Priority fee of batch transactions (wei per gas).
    pub batch_tip_wei: u128,
    /// Validator keys whose delegations are published (may be empty).
    pub validator_keys: ValidatorKeys,
    /// Fault for end-to-end tests: each sealed slot leaves its last promised L1
    /// transaction out of its constraints and its fallback (a broken promise to slash).
    pub fault_drop_promised_tx: bool,
}

/// Where the sidecar learns which rollups it sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RollupSource {
    /// A fixed list of `(rollup id, L2 chain id)`.
    Fixed(Vec<(RollupId, u64)>),
    /// Every rollup registered in the `RollupInbox` at this address, read through the L1
    /// RPC.
    Inbox(Address),
}

/// Where promises are journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalBackend {
    /// The embedded file journal in the data directory.
    File,
    /// The shared Redis journal with a signing lease.
    Redis(RedisOptions),
}

/// Everything `run` needs.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the file journal lives.
    pub data_dir: PathBuf,
    /// The journal backend.
    pub journal: JournalBackend,
    /// JSON-RPC listen address.
    pub rpc_addr: SocketAddr,
    /// Beacon node REST API.
    pub beacon_url: String,
    /// L1 execution client JSON-RPC (head, accounts, the `RollupInbox`).
    pub l1_rpc: String,
    /// How often the execution head is polled (ms).
    pub head_poll_ms: u64,
    /// The L1 chain id (EIP-712 domain).
    pub chain_id: u64,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// Slots per epoch.
    pub slots_per_epoch: u64,
    /// The Slasher contract (EIP-712 verifying contract).
    pub slasher: Address,
    /// The key that signs promises.
    pub committer: CommitterKey,
    /// The delegate's BLS key, which signs constraints (from an EIP-2335 keystore), if any.
    pub delegate: Option<DelegateKey>,
    /// Validators this sidecar sells slots for.
    pub validators: Vec<BlsPublicKey>,
    /// Rollups it sequences: a fixed list, or every rollup registered in a `RollupInbox`.
    pub rollups: RollupSource,
    /// L2 JSON-RPC URLs of rollups whose transactions are checked against L2 nonce and
    /// balance.
    pub l2_rpcs: Vec<(RollupId, String)>,
    /// Promises close this long before a slot starts (ms).
    pub deadline_ms: u64,
    /// Slots ahead promises are sold for.
    pub window_slots: u64,
    /// Per-slot capacity.
    pub limits: Limits,
    /// Fee per rollup transaction (wei).
    pub fee_per_rollup_tx: U256,
    /// Minimum inclusion tip in an empty slot (wei per gas).
    pub base_tip_wei: u128,
    /// Calls per second (average, burst) from one client IP; 0 disables.
    pub rate_per_ip: (u32, u32),
    /// Promise requests per second (average, burst) from one wallet; 0 disables.
    pub rate_per_wallet: (u32, u32),
    /// Block production; `None`: slots are not sealed and no builder API is served.
    pub builder: Option<BuilderConfig>,
    /// The operator key that answers disputes against this operator (it pays the gas and
    /// receives the challenger's bond); `None`: disputes are not answered.
    pub defender: Option<CommitterKey>,
    /// The slot auctions (`None`: no auction opens; receipts already journaled are still
    /// cleared).
    pub market: Option<MarketConfig>,
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;

    #[test]
    fn validator_keys_never_print() {
        let key = BlsSecretKey::from_ikm(&[9; 32]).unwrap();
        let text = format!("{:?}", ValidatorKeys(Arc::new(vec![key])));
        assert_eq!(text, "ValidatorKeys(1 keys, <redacted>)");
    }

    #[test]
    fn the_committer_key_never_prints() {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x42)).unwrap();
        let text = format!("{:?}", CommitterKey(key));
        assert!(text.contains("redacted"));
        assert!(!text.contains("4242424242"));
    }
}
