//! The rollup's L2 execution node, driven by the rollup node (step ⑧): an anvil started
//! with `--no-mining --order fifo`, so blocks are made only when the node says, with the
//! transactions in the order they were sent and the derived timestamp.

use std::collections::{BTreeSet, HashMap};

use alloy::{
    eips::{
        BlockNumberOrTag,
        eip1559::{BaseFeeParams, calc_next_block_base_fee},
    },
    primitives::{Address, B256, Bytes, U64, U256},
    providers::{DynProvider, Provider, ProviderBuilder, ext::AnvilApi},
    rpc::client::BatchRequest,
    rpc::types::anvil::MineOptions,
    transports::TransportError,
};

use super::NodeError;
use crate::{
    derive::{AccountState, L2BlockParams, L2Tx},
    types::RollupId,
};

/// Senders whose state is read in one JSON-RPC batch.
const ACCOUNTS_PER_BATCH: usize = 256;

/// The L2 head as the engine reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct L2Head {
    pub(crate) number: u64,
    pub(crate) hash: B256,
    pub(crate) timestamp: u64,
    /// Parameters of the next block.
    pub(crate) next: L2BlockParams,
}

/// A mined L2 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MinedBlock {
    pub(crate) number: u64,
    pub(crate) hash: B256,
}

/// One rollup's L2 execution node.
#[derive(Debug, Clone)]
pub(crate) struct Engine {
    rollup: RollupId,
    chain_id: u64,
    provider: DynProvider,
}

impl Engine {
    pub(crate) fn new(rollup: RollupId, chain_id: u64, url: &str) -> Result<Self, NodeError> {
        let url = url.parse().map_err(|_| NodeError::BadUrl {
            url: url.to_owned(),
        })?;
        let provider = ProviderBuilder::default().connect_http(url).erased();
        Ok(Self {
            rollup,
            chain_id,
            provider,
        })
    }

    fn err(&self, call: &'static str) -> impl FnOnce(TransportError) -> NodeError {
        let rollup = self.rollup;
        move |source| NodeError::L2 {
            rollup,
            call,
            source,
        }
    }

    /// Checks the engine serves the rollup's chain id.
    pub(crate) async fn check_chain_id(&self) -> Result<(), NodeError> {
        let got = self
            .provider
            .get_chain_id()
            .await
            .map_err(self.err("eth_chainId"))?;
        if got != self.chain_id {
            return Err(NodeError::L2ChainId {
                rollup: self.rollup,
                expected: self.chain_id,
                got,
            });
        }
        Ok(())
    }

    /// The latest block, and the gas limit and base fee (EIP-1559) of the next one.
    pub(crate) async fn head(&self) -> Result<L2Head, NodeError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(self.err("eth_getBlockByNumber"))?
            .ok_or(NodeError::L2NoHead {
                rollup: self.rollup,
            })?;
        let h = &block.header;
        let base_fee = h.base_fee_per_gas.map_or(0, |parent_fee| {
            calc_next_block_base_fee(
                h.gas_used,
                h.gas_limit,
                parent_fee,
                BaseFeeParams::ethereum(),
            )
        });
        Ok(L2Head {
            number: h.number,
            hash: h.hash,
            timestamp: h.timestamp,
            next: L2BlockParams {
                chain_id: self.chain_id,
                gas_limit: h.gas_limit,
                base_fee: u128::from(base_fee),
            },
        })
    }

    /// Nonce, balance and code presence of each sender at the latest block, read in
    /// JSON-RPC batches of [`ACCOUNTS_PER_BATCH`] senders.
    pub(crate) async fn accounts(
        &self,
        senders: &BTreeSet<Address>,
    ) -> Result<HashMap<Address, AccountState>, NodeError> {
        let senders: Vec<Address> = senders.iter().copied().collect();
        let mut out = HashMap::with_capacity(senders.len());
        for chunk in senders.chunks(ACCOUNTS_PER_BATCH) {
            let mut batch = BatchRequest::new(self.provider.client());
            let mut waiters = Vec::with_capacity(chunk.len());
            for sender in chunk {
                let at = (sender, BlockNumberOrTag::Latest);
                let add = self.err("batch");
                let nonce = batch
                    .add_call::<_, U64>("eth_getTransactionCount", &at)
                    .map_err(add)?;
                let balance = batch
                    .add_call::<_, U256>("eth_getBalance", &at)
                    .map_err(self.err("batch"))?;
                let code = batch
                    .add_call::<_, Bytes>("eth_getCode", &at)
                    .map_err(self.err("batch"))?;
                waiters.push((*sender, nonce, balance, code));
            }
            batch.send().await.map_err(self.err("batch"))?;
            for (sender, nonce, balance, code) in waiters {
                let state = AccountState {
                    nonce: nonce
                        .await
                        .map_err(self.err("eth_getTransactionCount"))?
                        .to(),
                    balance: balance.await.map_err(self.err("eth_getBalance"))?,
                    has_code: !code.await.map_err(self.err("eth_getCode"))?.is_empty(),
                };
                out.insert(sender, state);
            }
        }
        Ok(out)
    }

    /// Sends `txs` in order and mines one block at `timestamp` holding exactly them.
    pub(crate) async fn build_block(
        &self,
        txs: &[L2Tx],
        timestamp: u64,
    ) -> Result<MinedBlock, NodeError> {
        self.clear_pool().await?;
        for tx in txs {
            if let Err(source) = self.provider.send_raw_transaction(&tx.raw).await {
                self.clear_pool().await?;
                return Err(NodeError::L2Rejected {
                    rollup: self.rollup,
                    tx: tx.hash,
                    message: source.to_string(),
                });
            }
        }
        let options = MineOptions::Options {
            timestamp: Some(timestamp),
            blocks: Some(1),
        };
        self.provider
            .evm_mine(Some(options))
            .await
            .map_err(self.err("evm_mine"))?;
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(self.err("eth_getBlockByNumber"))?
            .ok_or(NodeError::L2NoHead {
                rollup: self.rollup,
            })?;
        let got: Vec<B256> = block.transactions.hashes().collect();
        let expected: Vec<B256> = txs.iter().map(|tx| tx.hash).collect();
        if got != expected || block.header.timestamp != timestamp {
            self.clear_pool().await?;
            return Err(NodeError::L2Disagrees {
                rollup: self.rollup,
                l2_block: block.header.number,
                expected,
                got,
            });
        }
        Ok(MinedBlock {
            number: block.header.number,
            hash: block.header.hash,
        })
    }

    /// Removes the newest `depth` blocks (an L1 reorg undid what they were derived from).
    pub(crate) async fn rollback(&self, depth: u64) -> Result<(), NodeError> {
        self.clear_pool().await?;
        self.provider
            .anvil_rollback(Some(depth))
            .await
            .map_err(self.err("anvil_rollback"))
    }

    async fn clear_pool(&self) -> Result<(), NodeError> {
        self.provider
            .anvil_drop_all_transactions()
            .await
            .map_err(self.err("anvil_dropAllTransactions"))
    }
}
