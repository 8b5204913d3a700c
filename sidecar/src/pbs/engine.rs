//! The fallback's payload builder over a real execution client's Engine API
//! (`baton-engine`): `engine_forkchoiceUpdatedV3` with the slot's attributes, then
//! `engine_getPayloadV4`.

use baton_engine::{EngineClient, PayloadAttributes};
use futures_util::future::BoxFuture;

use super::fallback::{BuildRequest, BuiltPayload, PayloadBuilder};

/// A [`PayloadBuilder`] over the Engine API.
#[derive(Debug, Clone)]
pub struct EngineBuilder(EngineClient);

impl EngineBuilder {
    /// Builds through `client`.
    pub const fn new(client: EngineClient) -> Self {
        Self(client)
    }
}

impl PayloadBuilder for EngineBuilder {
    fn build<'a>(
        &'a self,
        request: &'a BuildRequest,
    ) -> BoxFuture<'a, Result<BuiltPayload, String>> {
        Box::pin(async move {
            let attributes = PayloadAttributes {
                timestamp: request.timestamp,
                prev_randao: request.prev_randao,
                suggested_fee_recipient: request.fee_recipient,
                withdrawals: request.withdrawals.clone(),
                parent_beacon_block_root: request.parent_beacon_block_root,
            };
            let built = self
                .0
                .build(request.parent_hash, &attributes)
                .await
                .map_err(|e| e.to_string())?;
            Ok(BuiltPayload {
                payload: built.payload,
                blobs_bundle: built.blobs_bundle,
                execution_requests: built.execution_requests,
                block_value: built.block_value,
            })
        })
    }
}
