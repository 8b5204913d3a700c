//! The marketplace's JSON-RPC methods (`docs/api.md`, "Marketplace"): `baton_submitBid`,
//! `baton_getClearing`, `baton_getReceipt`.

use alloy_primitives::B256;
use baton_preconf::{Slot, market::SignedBid};
use serde_json::Value;

use super::{RpcError, server::single_param};
use crate::service::Service;

/// Parameters of `baton_getClearing`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ClearingParams {
    slot: Slot,
}

/// The methods answered here.
pub(super) const METHODS: [&str; 3] = ["baton_submitBid", "baton_getClearing", "baton_getReceipt"];

/// Answers a marketplace method (one of [`METHODS`]).
pub(super) async fn dispatch(
    service: &Service,
    method: &str,
    params: Value,
) -> Result<Value, RpcError> {
    match method {
        "baton_submitBid" => submit_bid(service, params).await,
        "baton_getClearing" => single_param::<ClearingParams>(params).and_then(|p| {
            let publication = service.clearing_publication(p.slot)?;
            serde_json::to_value(publication).map_err(|_| RpcError::Internal)
        }),
        "baton_getReceipt" => single_param::<B256>(params).and_then(|bid_hash| {
            serde_json::to_value(service.bid_receipt(bid_hash)?).map_err(|_| RpcError::Internal)
        }),
        other => Err(RpcError::MethodNotFound(other.to_owned())),
    }
}

async fn submit_bid(service: &Service, params: Value) -> Result<Value, RpcError> {
    let bid: SignedBid = single_param(params)?;
    let receipt = service.submit_bid(bid).await?;
    serde_json::to_value(receipt).map_err(|_| RpcError::Internal)
}
