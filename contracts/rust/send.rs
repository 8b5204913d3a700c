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
    /// No receipt within [`RECEIPT_TIMEOUT`].
    #[error("no receipt for {0} within {RECEIPT_TIMEOUT:?}")]
    NoReceipt(alloy::primitives::B256),
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
    let hash = *provider.send_transaction(request).await?.tx_hash();
    // Poll for the receipt ourselves: ethereumjs can answer `null` for a receipt just after
    // announcing its block, which alloy's `get_receipt` takes as final.
    let deadline = std::time::Instant::now() + RECEIPT_TIMEOUT;
    loop {
        if let Some(receipt) = provider.get_transaction_receipt(hash).await? {
            return Ok(receipt);
        }
        if std::time::Instant::now() > deadline {
            return Err(SendError::NoReceipt(hash));
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// How long [`send_transaction`] waits for a receipt.
pub const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
