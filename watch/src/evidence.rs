//! Reading the chain evidence the `Slasher` takes (step ⑧): the L1 block of a slot (or
//! the two blocks around a missed one), canonical RLP headers, the transactions of a block
//! with trie proofs, and account proofs of a sender's nonce.
//!
//! A slot's block is the one whose timestamp is the slot's start; blocks are found by a
//! binary search over timestamps, so missed slots (no block at that time) are told apart
//! from blocks not yet produced.

use alloy::{
    consensus::Header,
    eips::{BlockNumberOrTag, eip2718::Encodable2718},
    providers::Provider,
};
use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_rlp::Encodable;
use baton_preconf::mpt::{TransactionProof, prove_transaction};

use crate::WatchError;

/// Where a slot's time falls on L1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotBlock {
    /// The block at the slot's time.
    Proposed(u64),
    /// No block has the slot's time: `before` is the last block earlier, `after` the
    /// first block later (the liveness evidence).
    Missed {
        /// Last block before the slot.
        before: u64,
        /// First block after it.
        after: u64,
    },
    /// The chain has not yet passed the slot's time.
    Pending,
}

/// Reads evidence from one L1 node.
#[derive(Debug, Clone)]
pub struct Evidence<P> {
    provider: P,
}

impl<P: Provider> Evidence<P> {
    /// Evidence from `provider`'s node.
    pub const fn new(provider: P) -> Self {
        Self { provider }
    }

    /// The provider.
    pub const fn provider(&self) -> &P {
        &self.provider
    }

    /// The latest block's number and timestamp.
    pub async fn head(&self) -> Result<(u64, u64), WatchError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await?
            .ok_or(WatchError::NoBlock { number: None })?;
        Ok((block.header.number, block.header.timestamp))
    }

    async fn timestamp(&self, number: u64) -> Result<u64, WatchError> {
        Ok(self.header(number).await?.timestamp)
    }

    /// Block `number`'s header.
    pub async fn header(&self, number: u64) -> Result<Header, WatchError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await?
            .ok_or(WatchError::NoBlock {
                number: Some(number),
            })?;
        Ok(block.header.inner)
    }

    /// Block `number`'s header in canonical RLP, checked to hash to the block's hash.
    pub async fn header_rlp(&self, number: u64) -> Result<Bytes, WatchError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .await?
            .ok_or(WatchError::NoBlock {
                number: Some(number),
            })?;
        let mut rlp = Vec::new();
        block.header.inner.encode(&mut rlp);
        if keccak256(&rlp) != block.header.hash {
            return Err(WatchError::HeaderEncoding { number });
        }
        Ok(rlp.into())
    }

    /// Which block, if any, carries the slot starting at `time`. A block at `time` is
    /// found by binary search (timestamps strictly increase with the number).
    pub async fn slot_block(&self, time: u64) -> Result<SlotBlock, WatchError> {
        let (head, head_time) = self.head().await?;
        if head_time < time {
            return Ok(SlotBlock::Pending);
        }
        if head_time == time {
            return Ok(SlotBlock::Proposed(head));
        }
        // Invariant: timestamp(lo) < time < timestamp(hi); genesis may be at or after it.
        let genesis_time = self.timestamp(0).await?;
        if genesis_time >= time {
            return Err(WatchError::BeforeGenesis { time, genesis_time });
        }
        let (mut lo, mut hi) = (0u64, head);
        // At most 64 rounds: the range halves each time.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            let t = self.timestamp(mid).await?;
            if t == time {
                return Ok(SlotBlock::Proposed(mid));
            }
            if t < time {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Ok(SlotBlock::Missed {
            before: lo,
            after: hi,
        })
    }

    /// Block `number`'s transactions (canonical EIP-2718 bytes) and transactions root.
    pub async fn transactions(&self, number: u64) -> Result<(Vec<Bytes>, B256), WatchError> {
        let block = self
            .provider
            .get_block_by_number(number.into())
            .full()
            .await?
            .ok_or(WatchError::NoBlock {
                number: Some(number),
            })?;
        let root = block.header.transactions_root;
        let txs = block
            .transactions
            .into_transactions()
            .map(|tx| Bytes::from(tx.inner.into_inner().encoded_2718()))
            .collect();
        Ok((txs, root))
    }

    /// Trie proofs that each of `hashes` is in block `number`, or the index of the first
    /// one that is not.
    pub async fn inclusion_proofs(
        &self,
        number: u64,
        hashes: &[B256],
    ) -> Result<Result<Vec<TransactionProof>, usize>, WatchError> {
        let (txs, root) = self.transactions(number).await?;
        let tx_hashes: Vec<B256> = txs.iter().map(keccak256).collect();
        let mut proofs = Vec::with_capacity(hashes.len());
        for (leg, hash) in hashes.iter().enumerate() {
            let Some(index) = tx_hashes.iter().position(|h| h == hash) else {
                return Ok(Err(leg));
            };
            let proof = prove_transaction(&txs, index).map_err(|e| WatchError::Proof {
                reason: e.to_string(),
            })?;
            proof.verify(root).map_err(|e| WatchError::Proof {
                reason: e.to_string(),
            })?;
            proofs.push(proof);
        }
        Ok(Ok(proofs))
    }

    /// `address`'s nonce and account proof in the state after block `number`.
    pub async fn account_proof(
        &self,
        address: Address,
        number: u64,
    ) -> Result<(u64, Vec<Bytes>), WatchError> {
        let proof = self
            .provider
            .get_proof(address, vec![])
            .block_id(number.into())
            .await?;
        Ok((proof.nonce, proof.account_proof))
    }

    /// The raw transaction `hash` from the node (its pool or a block), if it has it.
    pub async fn raw_transaction(&self, hash: B256) -> Result<Option<Bytes>, WatchError> {
        Ok(self.provider.get_raw_transaction_by_hash(hash).await?)
    }
}
