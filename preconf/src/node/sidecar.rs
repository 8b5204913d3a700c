//! Where the soft head's promises come from (step ③ → ⑧): a sidecar's JSON-RPC
//! `baton_getCommitment`, asked for the request ids a wallet or an indexer hands the node.
//! The node checks each commitment's signature itself ([`super::NodeHandle::add_commitment`]).

use alloy::{
    primitives::B256,
    providers::{Provider, ProviderBuilder, RootProvider},
};
use serde::Deserialize;

use super::NodeError;
use crate::commitment::SignedCommitment;

/// A sidecar's JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct SidecarClient {
    provider: RootProvider,
}

#[derive(Debug, Deserialize)]
struct CommitmentAnswer {
    commitment: SignedCommitment,
}

impl SidecarClient {
    /// A client for the sidecar at `url`.
    pub fn new(url: &str) -> Result<Self, NodeError> {
        let parsed = url.parse().map_err(|_| NodeError::BadUrl {
            url: url.to_owned(),
        })?;
        Ok(Self {
            provider: ProviderBuilder::default()
                .connect_http(parsed)
                .root()
                .clone(),
        })
    }

    /// The commitment answering `request_id` (`baton_getCommitment`).
    pub async fn commitment(&self, request_id: B256) -> Result<SignedCommitment, NodeError> {
        let answer: CommitmentAnswer = self
            .provider
            .raw_request("baton_getCommitment".into(), (request_id,))
            .await
            .map_err(|source| NodeError::Sidecar { source })?;
        Ok(answer.commitment)
    }
}
