//! The explorer's JSON-RPC reads of L1 (Registry, receipts, inbox logs, Slasher events)
//! and of each rollup's L2 (receipts).

use std::collections::HashMap;

use alloy::sol_types::SolEvent;
use alloy::{
    eips::BlockNumberOrTag,
    primitives::{Address, B256},
    providers::{DynProvider, Provider, ProviderBuilder},
    rpc::types::{Filter, Log},
};
use baton_contracts::{Registry, Slasher};
use baton_preconf::{
    BlsPublicKey, RollupId,
    derive::{BATCH_SUBMITTED_TOPIC, InboxLog, L1BlockRef},
};

use super::{
    http::UpstreamError,
    model::OnChain,
    sources::{ContractAddresses, redact},
    status::Receipt,
};

/// Blocks one `eth_getLogs` call over the Slasher covers.
const LOG_CHUNK: u64 = 2_000;
/// Chunks read per refresh (the rest waits for the next one).
const CHUNKS_PER_REFRESH: u64 = 8;
/// Most commitments the Slasher watch remembers.
const MAX_WATCHED: usize = 65_536;

fn failed(
    url: &str,
    call: &str,
) -> impl FnOnce(alloy::transports::TransportError) -> UpstreamError {
    let url = redact(url);
    let call = call.to_owned();
    move |e| UpstreamError {
        url,
        reason: format!("{call}: {e}"),
    }
}

/// A JSON-RPC endpoint.
#[derive(Clone)]
pub(crate) struct Rpc {
    url: String,
    provider: DynProvider,
}

impl std::fmt::Debug for Rpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Rpc({})", redact(&self.url))
    }
}

impl Rpc {
    pub(crate) fn new(url: &str) -> Result<Self, UpstreamError> {
        let parsed = url.parse().map_err(|_| UpstreamError {
            url: redact(url),
            reason: "not a URL".to_owned(),
        })?;
        Ok(Self {
            url: url.to_owned(),
            provider: ProviderBuilder::default().connect_http(parsed).erased(),
        })
    }

    /// The newest block number.
    pub(crate) async fn head(&self) -> Result<u64, UpstreamError> {
        self.provider
            .get_block_number()
            .await
            .map_err(failed(&self.url, "eth_blockNumber"))
    }

    /// Where `hash` landed, if it did.
    pub(crate) async fn receipt(&self, hash: B256) -> Result<Option<Receipt>, UpstreamError> {
        let receipt = self
            .provider
            .get_transaction_receipt(hash)
            .await
            .map_err(failed(&self.url, "eth_getTransactionReceipt"))?;
        Ok(receipt.and_then(|r| {
            Some(Receipt {
                block_number: r.block_number?,
                block_hash: r.block_hash?,
            })
        }))
    }

    /// The receipt of `hash` as the node answers it (for the page's links).
    pub(crate) async fn raw_receipt(&self, hash: B256) -> Result<serde_json::Value, UpstreamError> {
        self.provider
            .raw_request::<_, serde_json::Value>("eth_getTransactionReceipt".into(), (hash,))
            .await
            .map_err(failed(&self.url, "eth_getTransactionReceipt"))
    }

    /// The committer the `Registry` names for `validator` (`None`: not opted in).
    pub(crate) async fn committer_of(
        &self,
        registry: Address,
        validator: &BlsPublicKey,
    ) -> Result<Option<Address>, UpstreamError> {
        let committer = Registry::new(registry, &self.provider)
            .committerOf(validator.keccak())
            .call()
            .await
            .map_err(|e| UpstreamError {
                url: redact(&self.url),
                reason: format!("Registry.committerOf: {e}"),
            })?;
        Ok((committer != Address::ZERO).then_some(committer))
    }

    /// The header fields derivation needs, and the transaction hashes, of the block with
    /// hash `hash`. The block body, not a receipt, is what shows a transaction is in it:
    /// a node may answer a receipt with null for a while after the block is announced.
    pub(crate) async fn block(
        &self,
        hash: B256,
    ) -> Result<Option<(L1BlockRef, Vec<B256>)>, UpstreamError> {
        let block = self
            .provider
            .get_block_by_hash(hash)
            .await
            .map_err(failed(&self.url, "eth_getBlockByHash"))?;
        Ok(block.map(|b| {
            let header = L1BlockRef {
                number: b.header.number,
                hash: b.header.hash,
                parent_hash: b.header.parent_hash,
                timestamp: b.header.timestamp,
            };
            (header, b.transactions.hashes().collect())
        }))
    }

    /// The inbox's `BatchSubmitted` logs of block `hash`, with their transactions.
    pub(crate) async fn inbox_logs(
        &self,
        inbox: Address,
        hash: B256,
    ) -> Result<Vec<(InboxLog, Option<B256>)>, UpstreamError> {
        let filter = Filter::new()
            .at_block_hash(hash)
            .address(inbox)
            .event_signature(BATCH_SUBMITTED_TOPIC);
        let logs = self
            .provider
            .get_logs(&filter)
            .await
            .map_err(failed(&self.url, "eth_getLogs"))?;
        Ok(logs
            .into_iter()
            .enumerate()
            .filter(|(_, log)| !log.removed)
            .map(|(i, log)| {
                (
                    InboxLog {
                        address: log.address(),
                        topics: log.topics().to_vec(),
                        data: log.data().data.clone(),
                        log_index: log.log_index.unwrap_or(i as u64),
                    },
                    log.transaction_hash,
                )
            })
            .collect())
    }

    async fn slasher_logs(
        &self,
        slasher: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<Log>, UpstreamError> {
        let filter = Filter::new()
            .address(slasher)
            .from_block(BlockNumberOrTag::Number(from))
            .to_block(BlockNumberOrTag::Number(to));
        self.provider
            .get_logs(&filter)
            .await
            .map_err(failed(&self.url, "eth_getLogs"))
    }
}

/// What the Slasher said so far, by commitment digest; read incrementally.
#[derive(Debug, Default)]
pub(crate) struct SlasherWatch {
    /// The next block to read.
    next: u64,
    by_digest: HashMap<B256, OnChain>,
}

impl SlasherWatch {
    /// Reads the Slasher's events up to the head (at most a bounded number of blocks per
    /// call; the next call continues).
    pub(crate) async fn refresh(
        &mut self,
        l1: &Rpc,
        contracts: &ContractAddresses,
    ) -> Result<(), UpstreamError> {
        let head = l1.head().await?;
        let mut chunks = 0;
        while self.next <= head && chunks < CHUNKS_PER_REFRESH {
            let to = head.min(self.next + LOG_CHUNK - 1);
            for log in l1.slasher_logs(contracts.slasher, self.next, to).await? {
                self.apply(&log);
            }
            self.next = to + 1;
            chunks += 1;
        }
        Ok(())
    }

    fn apply(&mut self, log: &Log) {
        if log.removed || self.by_digest.len() >= MAX_WATCHED {
            return;
        }
        let tx = log.transaction_hash;
        let topic = log.topic0().copied().unwrap_or_default();
        let mut slash = |digest: B256, event: &'static str, amount: String| {
            let entry = self.by_digest.entry(digest).or_default();
            entry.slash = Some(event);
            entry.slashed_wei = Some(amount);
            entry.slash_tx = tx;
        };
        if topic == Slasher::SequencingSlashed::SIGNATURE_HASH {
            if let Ok(e) = log.log_decode::<Slasher::SequencingSlashed>() {
                slash(
                    e.inner.digest,
                    "SequencingSlashed",
                    e.inner.amount.to_string(),
                );
            }
        } else if topic == Slasher::LivenessSlashed::SIGNATURE_HASH {
            if let Ok(e) = log.log_decode::<Slasher::LivenessSlashed>() {
                slash(
                    e.inner.digest,
                    "LivenessSlashed",
                    e.inner.amount.to_string(),
                );
            }
        } else if topic == Slasher::DisputeSlashed::SIGNATURE_HASH {
            if let Ok(e) = log.log_decode::<Slasher::DisputeSlashed>() {
                slash(e.inner.digest, "DisputeSlashed", e.inner.amount.to_string());
            }
        } else if topic == Slasher::EquivocationSlashed::SIGNATURE_HASH {
            if let Ok(e) = log.log_decode::<Slasher::EquivocationSlashed>() {
                let amount = e.inner.amount.to_string();
                slash(e.inner.digestA, "EquivocationSlashed", amount.clone());
                slash(e.inner.digestB, "EquivocationSlashed", amount);
            }
        } else if topic == Slasher::DisputeOpened::SIGNATURE_HASH {
            if let Ok(e) = log.log_decode::<Slasher::DisputeOpened>() {
                let entry = self.by_digest.entry(e.inner.digest).or_default();
                entry.dispute = Some("open");
                entry.dispute_tx = tx;
            }
        } else if topic == Slasher::DisputeDefended::SIGNATURE_HASH
            && let Ok(e) = log.log_decode::<Slasher::DisputeDefended>()
        {
            self.by_digest.entry(e.inner.digest).or_default().dispute = Some("defended");
        }
    }

    /// What the contracts said about `digest`.
    pub(crate) fn get(&self, digest: &B256) -> OnChain {
        self.by_digest.get(digest).cloned().unwrap_or_default()
    }
}

/// L2 JSON-RPC per rollup.
pub(crate) type L2Rpcs = HashMap<RollupId, Rpc>;
