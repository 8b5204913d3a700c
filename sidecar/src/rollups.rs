//! Which rollups the sidecar sequences (step ②): read from the `RollupInbox` contract, so
//! a rollup that registers on L1 is served without reconfiguring every sidecar.

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
};
use baton_contracts::RollupInbox;
use baton_preconf::RollupId;

/// Most rollups read from an inbox (the count comes from chain state: bound it).
pub const MAX_ROLLUPS: u64 = 1_024;

/// A registered rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredRollup {
    /// Its id in the inbox.
    pub id: RollupId,
    /// Its EIP-155 chain id.
    pub l2_chain_id: u64,
    /// Its name.
    pub name: String,
}

/// Reading the inbox failed.
#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    /// The L1 RPC URL does not parse.
    #[error("bad L1 RPC URL {url}")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// A call to the inbox failed (no code there, node down, ...).
    #[error("reading the RollupInbox at {inbox}: {source}")]
    Call {
        /// The inbox address.
        inbox: Address,
        /// The error.
        source: alloy::contract::Error,
    },
    /// More rollups than [`MAX_ROLLUPS`].
    #[error("the RollupInbox at {inbox} lists {count} rollups, more than the {max} a sidecar serves", max = MAX_ROLLUPS)]
    TooMany {
        /// The inbox address.
        inbox: Address,
        /// Its rollup count.
        count: u64,
    },
}

/// Every rollup registered in the inbox at `inbox`, read through `l1_rpc`.
pub async fn registered_rollups(
    l1_rpc: &str,
    inbox: Address,
) -> Result<Vec<RegisteredRollup>, InboxError> {
    let url = l1_rpc.parse().map_err(|_| InboxError::BadUrl {
        url: l1_rpc.to_owned(),
    })?;
    let provider = ProviderBuilder::new().connect_http(url);
    read(&provider, inbox).await
}

async fn read<P: Provider>(
    provider: &P,
    inbox: Address,
) -> Result<Vec<RegisteredRollup>, InboxError> {
    let contract = RollupInbox::new(inbox, provider);
    let count = contract
        .rollupCount()
        .call()
        .await
        .map_err(|source| InboxError::Call { inbox, source })?;
    if count > MAX_ROLLUPS {
        return Err(InboxError::TooMany { inbox, count });
    }
    let mut rollups = Vec::with_capacity(count as usize);
    for id in 1..=count {
        let rollup = contract
            .rollup(id)
            .call()
            .await
            .map_err(|source| InboxError::Call { inbox, source })?;
        rollups.push(RegisteredRollup {
            id: RollupId(id),
            l2_chain_id: rollup.l2ChainId,
            name: rollup.name,
        });
    }
    Ok(rollups)
}
