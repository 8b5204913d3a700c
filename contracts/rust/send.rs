//! Sending a transaction the way every execution client accepts.
//!
//! alloy's default gas filler estimates against the `pending` block, sends `"to": null` for
//! contract creations, puts calldata only in `input`, and reads ten blocks of fee history;
//! ethereumjs (the devnet's L1) refuses or misreads all four on a young chain. [`send_transaction`] estimates against the latest
//! block with `to` left out for creations, prices from the latest base fee, and waits for
//! the receipt. It works the same on anvil.

use alloy::{
    eips::BlockNumberOrTag,
    network::TransactionBuilder,
    primitives::TxKind,
    providers::Provider,
    rpc::types::{TransactionInput, TransactionReceipt, TransactionRequest},
    transports::{RpcError, TransportErrorKind},
};

/// The priority fee offered (1 gwei).
pub const PRIORITY_FEE: u128 = 1_000_000_000;

/// A transaction could not be sent or did not land.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// An RPC call failed (estimate, latest block, send).
    #[error(transparent)]
    Rpc(#[from] RpcError<TransportErrorKind>),
    /// Waiting for the receipt failed.
    #[error("waiting for the receipt: {0}")]
    Receipt(#[from] alloy::providers::PendingTransactionError),
    /// The node has no latest block.
    #[error("the node returned no latest block")]
    NoBlock,
}

/// Fills gas (estimate + 20 %) and EIP-1559 fees (twice the latest base fee plus
/// [`PRIORITY_FEE`]) into `request` unless already set, sends it through `provider`'s
/// wallet, and waits for its receipt. Reverts are returned as receipts (check `status()`).
pub async fn send_transaction<P: Provider>(
    provider: &P,
    mut request: TransactionRequest,
) -> Result<TransactionReceipt, SendError> {
    if request.gas.is_none() {
        let create = matches!(request.to, Some(TxKind::Create));
        let mut estimate = request.clone();
        if create {
            estimate.to = None;
        }
        // ethereumjs's estimate reads only `data`, alloy writes only `input`: send both.
        estimate.input = TransactionInput::both(request.input.input().cloned().unwrap_or_default());
        let gas = provider.estimate_gas(estimate).latest().await?;
        request.set_gas_limit(gas + gas / 5);
    }
    if request.max_fee_per_gas.is_none() {
        let latest = provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await?
            .ok_or(SendError::NoBlock)?;
        let base_fee = u128::from(latest.header.base_fee_per_gas.unwrap_or_default());
        request.set_max_fee_per_gas(2 * base_fee + PRIORITY_FEE);
        request.set_max_priority_fee_per_gas(PRIORITY_FEE);
    }
    Ok(provider
        .send_transaction(request)
        .await?
        .get_receipt()
        .await?)
}
