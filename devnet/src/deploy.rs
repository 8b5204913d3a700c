//! Deploys Baton's contracts from the Rust bindings and registers the demo rollups.

use alloy::{
    network::{EthereumWallet, TransactionBuilder},
    primitives::{Address, B256},
    providers::{Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use baton_contracts::{DeployParams, Deployed, RollupInbox, deploy_all, send_transaction};
use eyre::{WrapErr, ensure};
use serde::Serialize;

/// A demo rollup registered in the inbox.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct RollupInfo {
    /// Id assigned by the inbox.
    pub id: u64,
    /// The rollup's EIP-155 chain id.
    pub l2_chain_id: u64,
    /// Its name.
    pub name: String,
}

/// What the devnet deployed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Deployment {
    /// The deployer (and rollup admin).
    pub deployer: Address,
    /// `Registry`.
    pub registry: Address,
    /// `RollupInbox`.
    pub rollup_inbox: Address,
    /// `Slasher` (the EIP-712 verifying contract).
    pub slasher: Address,
    /// The rollups registered at deployment.
    pub rollups: Vec<RollupInfo>,
    /// Hashes of the rollup registration transactions.
    pub transactions: Vec<B256>,
}

/// The two demo rollups every devnet registers.
const DEMO_ROLLUPS: [(u64, &str); 2] = [(167_001, "alpha"), (167_002, "beta")];

/// Deploys the contracts with `deployer_key` on the L1 at `rpc_url`.
pub async fn deploy(
    rpc_url: &str,
    deployer_key: &str,
    params: &DeployParams,
) -> eyre::Result<Deployment> {
    let signer: PrivateKeySigner = deployer_key.parse().wrap_err("bad deployer key")?;
    let deployer = signer.address();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer))
        .connect_http(rpc_url.parse().wrap_err("bad L1 RPC URL")?);

    let Deployed {
        registry,
        rollup_inbox,
        slasher,
    } = deploy_all(&provider, deployer, params).await?;
    for (name, address) in [
        ("Registry", registry),
        ("RollupInbox", rollup_inbox),
        ("Slasher", slasher),
    ] {
        let code = provider.get_code_at(address).await?;
        ensure!(!code.is_empty(), "{name} has no code after deployment");
    }

    let inbox = RollupInbox::new(rollup_inbox, &provider);
    let mut rollups = Vec::new();
    let mut transactions = Vec::new();
    for (l2_chain_id, name) in DEMO_ROLLUPS {
        let request = inbox
            .registerRollup(l2_chain_id, name.to_owned())
            .into_transaction_request()
            .with_from(deployer);
        let receipt = send_transaction(&provider, request)
            .await
            .wrap_err_with(|| format!("registering rollup {name}"))?;
        ensure!(receipt.status(), "registering rollup {name} reverted");
        transactions.push(receipt.transaction_hash);
        let event = receipt
            .decoded_log::<RollupInbox::RollupRegistered>()
            .ok_or_else(|| eyre::eyre!("no RollupRegistered event for {name}"))?;
        rollups.push(RollupInfo {
            id: event.rollupId,
            l2_chain_id,
            name: name.to_owned(),
        });
    }
    Ok(Deployment {
        deployer,
        registry,
        rollup_inbox,
        slasher,
        rollups,
        transactions,
    })
}
