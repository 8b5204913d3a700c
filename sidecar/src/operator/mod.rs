//! The operator's commands (`baton-sidecar register | status | opt-out | withdraw |
//! delegate | keys`): opting validators in through the `Registry`, watching their state,
//! leaving, and delegating constraint signing to the sidecar's key. Step ④'s delegations
//! and the Registry side of step ⑧.
//!
//! Every command reads the same configuration as `run`; each function here returns what it
//! did or found as a value the binary prints, and never prints a secret.

mod delegate;
mod exit;
mod keys;
mod register;
mod status;

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
};
use alloy_signer_local::PrivateKeySigner;
use baton_contracts::Registry;
use baton_preconf::BlsPublicKey;

pub use delegate::{DelegationReport, delegate};
pub use exit::{ExitReport, opt_out, utc, withdraw};
pub use keys::{KeyListing, keystore_pubkey, list_keys};
pub use register::{MAX_BATCH, RegisterPlan, plan_registration, register};
pub use status::{OperatorStatus, ValidatorStatus, status};

/// An operator command failed; the message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// The L1 RPC URL does not parse.
    #[error("bad L1 RPC URL {0}")]
    BadUrl(String),
    /// A call or transaction failed.
    #[error("{context}: {reason}")]
    Chain {
        /// What was being done.
        context: String,
        /// The node's or contract's answer (decoded custom errors included).
        reason: String,
    },
    /// The request cannot be carried out as asked.
    #[error("{0}")]
    Refused(String),
}

impl OperatorError {
    fn chain(context: impl Into<String>, e: impl std::fmt::Display) -> Self {
        Self::Chain {
            context: context.into(),
            reason: e.to_string(),
        }
    }
}

/// The operator's account on L1 and the Registry it acts on.
#[derive(Debug, Clone)]
pub struct OperatorAccount {
    provider: DynProvider,
    /// The account that registers, posts collateral and withdraws.
    pub operator: Address,
    /// The committer address that signs promises.
    pub committer: Address,
    /// The Registry contract.
    pub registry: Address,
}

impl OperatorAccount {
    /// Connects to the L1 at `l1_rpc`, sending as `operator`.
    pub fn connect(
        l1_rpc: &str,
        operator: PrivateKeySigner,
        committer: Address,
        registry: Address,
    ) -> Result<Self, OperatorError> {
        let url = l1_rpc
            .parse()
            .map_err(|_| OperatorError::BadUrl(l1_rpc.to_owned()))?;
        let address = operator.address();
        let provider = ProviderBuilder::new()
            .with_simple_nonce_management()
            .wallet(EthereumWallet::from(operator))
            .connect_http(url)
            .erased();
        Ok(Self {
            provider,
            operator: address,
            committer,
            registry,
        })
    }

    fn registry(&self) -> Registry::RegistryInstance<&DynProvider> {
        Registry::new(self.registry, &self.provider)
    }

    /// The latest block's timestamp.
    async fn now(&self) -> Result<u64, OperatorError> {
        let block = self
            .provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await
            .map_err(|e| OperatorError::chain("reading the latest block", e))?
            .ok_or_else(|| OperatorError::Refused("the L1 has no latest block".into()))?;
        Ok(block.header.timestamp)
    }
}

/// The Registry's key for a validator: keccak256 of the 48-byte public key.
pub fn pubkey_hash(key: &BlsPublicKey) -> B256 {
    key.keccak()
}

/// A contract error decoded with the Registry's custom errors, for messages.
fn revert_reason(e: &alloy::contract::Error) -> String {
    use alloy::sol_types::SolInterface;
    if let Some(data) = e.as_revert_data()
        && let Ok(decoded) = Registry::RegistryErrors::abi_decode(&data)
    {
        return format!("{decoded:?}");
    }
    e.to_string()
}

/// Seconds as "1d 2h 3m".
pub fn human_duration(seconds: u64) -> String {
    let (d, h, m, s) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
        seconds % 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m {s}s"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_plainly() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(125), "2m 5s");
        assert_eq!(human_duration(3_720), "1h 2m");
        assert_eq!(human_duration(2 * 86_400 + 3 * 3_600), "2d 3h");
    }
}
