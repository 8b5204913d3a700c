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
use baton_contracts::{IRegistry, Registry};
use baton_preconf::BlsPublicKey;

pub use delegate::{DelegationReport, delegate, sign_delegations};
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

    /// Sends `request` from the operator's account (gas and fees filled the way every
    /// execution client accepts) and waits for it to succeed. A revert, at estimate or
    /// on chain, is an error naming `what` and the Registry's custom error.
    async fn send(
        &self,
        request: alloy::rpc::types::TransactionRequest,
        what: &str,
    ) -> Result<B256, OperatorError> {
        use alloy::network::TransactionBuilder;
        let receipt =
            baton_contracts::send_transaction(&self.provider, request.with_from(self.operator))
                .await
                .map_err(|e| {
                    OperatorError::chain(format!("sending {what}"), send_error_reason(&e))
                })?;
        let hash = receipt.transaction_hash;
        if receipt.status() {
            Ok(hash)
        } else {
            Err(OperatorError::Refused(format!(
                "{what} ({hash}) reverted; run `status` to see what changed"
            )))
        }
    }

    /// The operator's record and the Registry's parameters.
    async fn read(&self) -> Result<(IRegistry::Operator, RegistryParams), OperatorError> {
        let registry = self.registry();
        let call = |what: &str, e: alloy::contract::Error| {
            OperatorError::chain(
                format!("reading {what} from the Registry"),
                revert_reason(&e),
            )
        };
        let to_u64 = |v: alloy::primitives::U256| u64::try_from(v).unwrap_or(u64::MAX);
        let op = registry
            .operatorOf(self.operator)
            .call()
            .await
            .map_err(|e| call("the operator", e))?;
        let params = RegistryParams {
            min_collateral: registry
                .minCollateral()
                .call()
                .await
                .map_err(|e| call("minCollateral", e))?,
            exit_delay: to_u64(
                registry
                    .exitDelay()
                    .call()
                    .await
                    .map_err(|e| call("exitDelay", e))?,
            ),
            fraud_window: to_u64(
                registry
                    .fraudWindow()
                    .call()
                    .await
                    .map_err(|e| call("fraudWindow", e))?,
            ),
        };
        Ok((op, params))
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

/// The Registry's parameters the commands need.
#[derive(Debug, Clone, Copy)]
struct RegistryParams {
    min_collateral: alloy::primitives::U256,
    exit_delay: u64,
    fraud_window: u64,
}

/// When an exit requested at `requested` (or now, if zero) can be withdrawn: the exit
/// delay, and at least the fraud window after the last registration.
fn withdrawable_at(op: &IRegistry::Operator, params: RegistryParams, now: u64) -> u64 {
    let requested = op.optOutRequestedAt.to::<u64>();
    let from = if requested == 0 { now } else { requested };
    from.saturating_add(params.exit_delay).max(
        op.lastRegistrationAt
            .to::<u64>()
            .saturating_add(params.fraud_window),
    )
}

/// The Registry's key for a validator: keccak256 of the 48-byte public key.
pub fn pubkey_hash(key: &BlsPublicKey) -> B256 {
    key.keccak()
}

/// A send error, with a revert decoded with the Registry's custom errors.
fn send_error_reason(e: &baton_contracts::SendError) -> String {
    use alloy::sol_types::SolInterface;
    if let baton_contracts::SendError::Rpc(rpc) = e
        && let Some(data) = rpc.as_error_resp().and_then(|p| p.as_revert_data())
        && let Ok(decoded) = Registry::RegistryErrors::abi_decode(&data)
    {
        return format!("{decoded:?}");
    }
    e.to_string()
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
