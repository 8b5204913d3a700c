//! Deploying Registry, RollupInbox and Slasher in the order `docs/contracts.md` fixes.

use alloy::{
    contract::{CallBuilder, CallDecoder},
    network::{Ethereum, TransactionBuilder},
    primitives::{Address, U256, utils::parse_ether},
    providers::Provider,
};

use crate::{Registry, RollupInbox, SendError, Slasher, send_transaction};

/// Constructor parameters of the three contracts (see `docs/contracts.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeployParams {
    /// Beacon genesis time (seconds).
    pub genesis_time: u64,
    /// Seconds per slot.
    pub seconds_per_slot: u64,
    /// Least operator collateral (wei).
    pub min_collateral: U256,
    /// Opt-out delay (seconds).
    pub exit_delay: u64,
    /// Registration fraud-proof window (seconds).
    pub fraud_window: u64,
    /// Penalty for an invalid proof of possession (wei).
    pub fraud_penalty: U256,
    /// Challenger's share of a slash (basis points).
    pub challenger_share_bps: u64,
    /// Safety-fault penalty (wei).
    pub safety_penalty: U256,
    /// Missed-slot penalty (wei), below the safety penalty.
    pub liveness_penalty: U256,
    /// Bond to open an L1 inclusion dispute (wei).
    pub dispute_bond: U256,
    /// Window after the slot in which a dispute opens (seconds).
    pub dispute_open_window: u64,
    /// Window in which the operator defends (seconds).
    pub defend_window: u64,
}

fn ether(amount: &str) -> U256 {
    // Constant literals below; parsing cannot fail.
    parse_ether(amount).unwrap_or_default()
}

impl DeployParams {
    /// Mainnet-scale parameters (12-second slots).
    pub fn mainnet(genesis_time: u64) -> Self {
        Self {
            genesis_time,
            seconds_per_slot: 12,
            min_collateral: ether("10"),
            exit_delay: 2 * 24 * 3600,
            fraud_window: 24 * 3600,
            fraud_penalty: ether("1"),
            challenger_share_bps: 5_000,
            safety_penalty: ether("4"),
            liveness_penalty: ether("0.5"),
            dispute_bond: ether("0.1"),
            dispute_open_window: 6 * 3600,
            defend_window: 12 * 3600,
        }
    }

    /// Devnet parameters: the mainnet amounts with windows short enough to play a whole
    /// dispute in a test. With 2-second slots the EIP-2935 history reaches about 4.5 hours,
    /// and the Slasher requires both windows together to fit inside it.
    pub fn devnet(genesis_time: u64, seconds_per_slot: u64) -> Self {
        Self {
            seconds_per_slot,
            exit_delay: 600,
            fraud_window: 30,
            dispute_open_window: 120,
            defend_window: 120,
            ..Self::mainnet(genesis_time)
        }
    }
}

/// Addresses of a deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Deployed {
    /// `Registry`.
    pub registry: Address,
    /// `RollupInbox`.
    pub rollup_inbox: Address,
    /// `Slasher` (the EIP-712 `verifyingContract` of every commitment).
    pub slasher: Address,
}

/// Deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// An RPC call or a deployment transaction failed.
    #[error("deploying {contract}: {source}")]
    Send {
        /// Which contract.
        contract: &'static str,
        /// The underlying error.
        source: SendError,
    },
    /// The deployment transaction reverted.
    #[error("deploying {contract}: the creation reverted")]
    Reverted {
        /// Which contract.
        contract: &'static str,
    },
    /// Reading the deployer's nonce failed.
    #[error("reading the deployer's nonce: {0}")]
    Nonce(#[from] alloy::transports::TransportError),
    /// The Slasher did not land at the address the Registry was told.
    #[error(
        "Slasher deployed at {actual}, but the Registry expects {expected}; another transaction from the deployer interleaved"
    )]
    SlasherAddress {
        /// Precomputed address.
        expected: Address,
        /// Actual address.
        actual: Address,
    },
}

/// Deploys the three contracts from `deployer` (the provider's signer), with no other
/// transaction from that account in between.
pub async fn deploy_all<P: Provider>(
    provider: &P,
    deployer: Address,
    params: &DeployParams,
) -> Result<Deployed, DeployError> {
    let nonce = provider.get_transaction_count(deployer).await?;
    let expected_slasher = deployer.create(nonce + 2);
    let registry = send_deployment(
        provider,
        deployer,
        "Registry",
        Registry::deploy_builder(
            provider,
            params.min_collateral,
            U256::from(params.exit_delay),
            U256::from(params.fraud_window),
            params.fraud_penalty,
            U256::from(params.challenger_share_bps),
            expected_slasher,
        ),
    )
    .await?;
    let rollup_inbox = send_deployment(
        provider,
        deployer,
        "RollupInbox",
        RollupInbox::deploy_builder(
            provider,
            U256::from(params.genesis_time),
            U256::from(params.seconds_per_slot),
        ),
    )
    .await?;
    let slasher = send_deployment(
        provider,
        deployer,
        "Slasher",
        Slasher::deploy_builder(
            provider,
            registry,
            rollup_inbox,
            params.safety_penalty,
            params.liveness_penalty,
            params.dispute_bond,
            U256::from(params.dispute_open_window),
            U256::from(params.defend_window),
        ),
    )
    .await?;
    if slasher != expected_slasher {
        return Err(DeployError::SlasherAddress {
            expected: expected_slasher,
            actual: slasher,
        });
    }
    Ok(Deployed {
        registry,
        rollup_inbox,
        slasher,
    })
}

/// Sends a contract creation through [`send_transaction`] and returns its address.
async fn send_deployment<P: Provider, D: CallDecoder>(
    provider: &P,
    deployer: Address,
    contract: &'static str,
    builder: CallBuilder<&P, D, Ethereum>,
) -> Result<Address, DeployError> {
    let request = builder.into_transaction_request().with_from(deployer);
    let receipt = send_transaction(provider, request)
        .await
        .map_err(|source| DeployError::Send { contract, source })?;
    match receipt.contract_address {
        Some(address) if receipt.status() => Ok(address),
        _ => Err(DeployError::Reverted { contract }),
    }
}
