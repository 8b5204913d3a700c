//! Opting the devnet's operators in: each sidecar's operator posts collateral and binds its
//! validators to its committer in the `Registry`, through the same library calls as
//! `baton-sidecar register`.

use alloy_primitives::{Address, B256};
use baton_sidecar::operator::{OperatorAccount, plan_registration, register};
use eyre::WrapErr;

use super::roles::{SidecarRole, bls_key};

/// Registers `role`'s operator and validators in the `Registry` at `registry`; returns the
/// transaction hashes.
pub(crate) async fn opt_in(
    l1_rpc: &str,
    registry: Address,
    role: &SidecarRole,
) -> eyre::Result<Vec<B256>> {
    let account = OperatorAccount::connect(
        l1_rpc,
        role.operator.clone(),
        role.committer_address(),
        registry,
    )
    .wrap_err("connecting the operator account")?;
    let keys = role
        .validators
        .iter()
        .map(|i| bls_key(*i))
        .collect::<eyre::Result<Vec<_>>>()?;
    let plan = plan_registration(&account, &keys, None, 100)
        .await
        .wrap_err_with(|| format!("planning sidecar {}'s registration", role.name))?;
    register(&account, &plan, |_, _, _| {})
        .await
        .wrap_err_with(|| format!("registering sidecar {}'s validators", role.name))
}
