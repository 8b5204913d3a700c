//! What the node reads from the L1 execution client (steps ⑦ → ⑧): block headers, the
//! inbox's `BatchSubmitted` logs by block hash, who is registered for a proposer, and
//! each rollup's chain id.

use alloy::{
    eips::{BlockId, BlockNumberOrTag},
    primitives::{Address, B256, BloomInput},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::Filter,
    transports::TransportError,
};

use super::NodeError;
use crate::{
    bls::BlsPublicKey,
    derive::{BATCH_SUBMITTED_TOPIC, InboxLog, L1BlockRef},
    types::RollupId,
};

alloy::sol! {
    #[sol(rpc)]
    interface IRegistryView {
        function committerOf(bytes32 pubkeyHash) external view returns (address);
    }

    #[sol(rpc)]
    interface IRollupInboxView {
        struct Rollup {
            uint64 l2ChainId;
            address admin;
            string name;
        }
        function rollup(uint64 rollupId) external view returns (Rollup memory);
    }
}

/// Times a block's logs are asked for again when its bloom names the inbox.
const LOG_RETRIES: u32 = 10;
/// Pause between those asks.
const LOG_RETRY_PAUSE: std::time::Duration = std::time::Duration::from_millis(100);

/// The L1 execution client's JSON-RPC.
#[derive(Debug, Clone)]
pub(crate) struct L1Client {
    provider: DynProvider,
    inbox: Address,
    registry: Address,
}

fn l1_error(call: &'static str) -> impl FnOnce(TransportError) -> NodeError {
    move |source| NodeError::L1 { call, source }
}

impl L1Client {
    pub(crate) fn new(url: &str, inbox: Address, registry: Address) -> Result<Self, NodeError> {
        let url = url.parse().map_err(|_| NodeError::BadUrl {
            url: url.to_owned(),
        })?;
        let provider = ProviderBuilder::default().connect_http(url).erased();
        Ok(Self {
            provider,
            inbox,
            registry,
        })
    }

    /// The newest block number.
    pub(crate) async fn head_number(&self) -> Result<u64, NodeError> {
        self.provider
            .get_block_number()
            .await
            .map_err(l1_error("eth_blockNumber"))
    }

    /// The newest finalized block number, if the client reports one.
    pub(crate) async fn finalized_number(&self) -> Result<Option<u64>, NodeError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Finalized)
            .await
            .map_err(l1_error("eth_getBlockByNumber(finalized)"))?;
        Ok(block.map(|b| b.header.number))
    }

    /// The canonical block `number`, if it exists.
    pub(crate) async fn block(&self, number: u64) -> Result<Option<L1BlockRef>, NodeError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Number(number))
            .await
            .map_err(l1_error("eth_getBlockByNumber"))?;
        Ok(block.map(|b| L1BlockRef {
            number: b.header.number,
            hash: b.header.hash,
            parent_hash: b.header.parent_hash,
            timestamp: b.header.timestamp,
        }))
    }

    /// The inbox's `BatchSubmitted` logs of the block with hash `block`, in block order.
    pub(crate) async fn batch_logs(&self, block: B256) -> Result<Vec<InboxLog>, NodeError> {
        let filter = Filter::new()
            .at_block_hash(block)
            .address(self.inbox)
            .event_signature(BATCH_SUBMITTED_TOPIC);
        let mut logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(l1_error("eth_getLogs"))?;
        // A client can serve a block a moment before its logs (ethereumjs does): when the
        // block's bloom says the inbox may have logged a batch, ask again for a while.
        let mut retries = 0;
        while logs.is_empty() && retries < LOG_RETRIES && self.bloom_says_batch(block).await? {
            retries += 1;
            tokio::time::sleep(LOG_RETRY_PAUSE).await;
            logs = self
                .provider
                .get_logs(&filter)
                .await
                .map_err(l1_error("eth_getLogs"))?;
        }
        if logs.is_empty() && retries == LOG_RETRIES {
            tracing::warn!(%block, "the block's bloom names the inbox but no batch log came back");
        }
        let mut out = Vec::with_capacity(logs.len());
        for (i, log) in logs.into_iter().enumerate() {
            if log.removed || log.block_hash.is_some_and(|h| h != block) {
                continue;
            }
            out.push(InboxLog {
                address: log.address(),
                topics: log.topics().to_vec(),
                data: log.data().data.clone(),
                log_index: log.log_index.unwrap_or(i as u64),
            });
        }
        out.sort_by_key(|log| log.log_index);
        Ok(out)
    }

    /// Whether block `hash`'s logs bloom may hold an inbox `BatchSubmitted` log.
    async fn bloom_says_batch(&self, hash: B256) -> Result<bool, NodeError> {
        let block = self
            .provider
            .get_block_by_hash(hash)
            .await
            .map_err(l1_error("eth_getBlockByHash"))?;
        Ok(block.is_some_and(|b| {
            let bloom = b.header.logs_bloom;
            bloom.contains_input(BloomInput::Raw(self.inbox.as_slice()))
                && bloom.contains_input(BloomInput::Raw(BATCH_SUBMITTED_TOPIC.as_slice()))
        }))
    }

    /// The committer registered for `validator` in the state after block `at`
    /// (zero address: not opted in).
    pub(crate) async fn committer_of(
        &self,
        validator: &BlsPublicKey,
        at: u64,
    ) -> Result<Address, NodeError> {
        IRegistryView::new(self.registry, &self.provider)
            .committerOf(validator.keccak())
            .block(BlockId::number(at))
            .call()
            .await
            .map_err(|source| NodeError::L1Contract {
                call: "Registry.committerOf",
                source: Box::new(source),
            })
    }

    /// The L2 chain id the inbox registered for `rollup`.
    pub(crate) async fn rollup_chain_id(&self, rollup: RollupId) -> Result<u64, NodeError> {
        let info = IRollupInboxView::new(self.inbox, &self.provider)
            .rollup(rollup.0)
            .call()
            .await
            .map_err(|source| NodeError::L1Contract {
                call: "RollupInbox.rollup",
                source: Box::new(source),
            })?;
        Ok(info.l2ChainId)
    }
}
