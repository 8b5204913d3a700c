//! Rollup L2 state (step ②) for rollups whose L2 RPC is configured: the nonce and balance
//! a rollup transaction's sender has on its L2, read at the L2's latest block.
//!
//! The L2 shows a promised transaction only once its batch landed on L1 and was derived,
//! so the ledger keeps L2 promises for a while after their slot (see
//! [`crate::ledger::L2_RETAIN_SLOTS`]): nonces stay correct, balances are counted twice
//! for that while, which can only refuse, never overpromise.

use alloy::{
    eips::BlockNumberOrTag,
    primitives::Address,
    providers::{DynProvider, Provider as _, ProviderBuilder},
};

use crate::{
    execution::{ExecError, nonce_and_balance},
    ledger::AccountState,
};

/// A rollup's L2 execution client.
#[derive(Debug, Clone)]
pub struct L2Client {
    provider: DynProvider,
}

impl L2Client {
    /// A client for the L2 JSON-RPC at `url`; nothing is read until asked.
    pub fn connect(url: &str) -> Result<Self, ExecError> {
        let parsed = url.parse().map_err(|_| ExecError::BadUrl {
            url: url.to_owned(),
        })?;
        Ok(Self {
            provider: ProviderBuilder::new().connect_http(parsed).erased(),
        })
    }

    /// `address`'s nonce and balance at the L2's latest block.
    pub async fn account(&self, address: Address) -> Result<AccountState, ExecError> {
        let (nonce, balance) =
            nonce_and_balance(&self.provider, address, BlockNumberOrTag::Latest.into()).await?;
        Ok(AccountState { nonce, balance })
    }
}
