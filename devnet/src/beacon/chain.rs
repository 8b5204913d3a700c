//! The beacon service's own chain: the head (block root, execution block, RANDAO mix)
//! and one record per slot (who proposed, from where, or why nothing). Missed slots keep
//! the previous root, so the next payload's `parent_beacon_block_root` is always the
//! root of the latest block.

use std::collections::BTreeMap;

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, BlsSignature, Slot,
    ssz::{BeaconBlockHeader, hash_tree_root},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{block::state_root, engine::ExecutionHead};

/// Slot records kept in memory (older ones are dropped).
pub(super) const MAX_RECORDS: usize = 8_192;

/// The latest block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// Its slot.
    pub slot: Slot,
    /// Its beacon block root.
    pub root: B256,
    /// The devnet state root after it.
    pub state_root: B256,
    /// Its execution block hash.
    pub block_hash: B256,
    /// Its execution block number.
    pub block_number: u64,
    /// Its execution timestamp.
    pub timestamp: u64,
    /// Its execution gas limit.
    pub gas_limit: u64,
    /// The RANDAO mix after it (the next payload's `prev_randao`).
    pub randao_mix: B256,
}

/// Where a slot's block came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockSource {
    /// A builder's bid, revealed through the builder API.
    Builder {
        /// The builder URL (the sidecar or a relay).
        url: String,
    },
    /// Published to the beacon API by whoever revealed the payload (a relay publishes
    /// before it answers the proposer), when the proposer did not get it directly.
    Published,
    /// Built locally through the Engine API.
    Local,
}

/// Why a slot has no block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MissReason {
    /// The `miss_slot` fault switch.
    Fault,
    /// The slot was over before its turn came.
    Late,
    /// Neither a builder nor the execution client produced a block.
    NoPayload,
}

/// A block that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposedBlock {
    /// Where it came from.
    pub source: BlockSource,
    /// Its beacon block root.
    pub root: B256,
    /// The parent beacon block root.
    pub parent_root: B256,
    /// The devnet state root.
    pub state_root: B256,
    /// `hash_tree_root` of the block body.
    pub body_root: B256,
    /// The proposer's signature.
    pub signature: BlsSignature,
    /// The execution block hash.
    pub block_hash: B256,
    /// The execution block number.
    pub block_number: u64,
    /// Transactions in the block.
    pub tx_count: usize,
}

/// What happened in a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum SlotOutcome {
    /// A block.
    Proposed(Box<ProposedBlock>),
    /// No block.
    Missed {
        /// Why.
        reason: MissReason,
    },
}

/// One slot's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotRecord {
    /// The slot.
    pub slot: Slot,
    /// Its proposer's validator index.
    #[serde(with = "baton_preconf::types::quoted")]
    pub proposer_index: u64,
    /// Its proposer's key.
    pub proposer: BlsPublicKey,
    /// What happened.
    #[serde(flatten)]
    pub outcome: SlotOutcome,
}

impl SlotRecord {
    /// The block, if there is one.
    pub const fn block(&self) -> Option<&ProposedBlock> {
        match &self.outcome {
            SlotOutcome::Proposed(block) => Some(block),
            SlotOutcome::Missed { .. } => None,
        }
    }

    /// The block's `BeaconBlockHeader`, if there is one.
    pub fn header(&self) -> Option<BeaconBlockHeader> {
        self.block().map(|block| BeaconBlockHeader {
            slot: self.slot.0,
            proposer_index: self.proposer_index,
            parent_root: block.parent_root.0,
            state_root: block.state_root.0,
            body_root: block.body_root.0,
        })
    }
}

/// The chain: head, anchor and slot records.
#[derive(Debug, Clone)]
pub(super) struct Chain {
    head: Head,
    anchor: Head,
    records: BTreeMap<Slot, SlotRecord>,
}

impl Chain {
    /// A chain anchored at the execution head `execution`, which sits at `slot`. The
    /// anchor's root is the root of a `BeaconBlockHeader` naming that execution block.
    pub(super) fn anchored(execution: ExecutionHead, slot: Slot) -> Self {
        let body_root = B256::from(<[u8; 32]>::from(
            Sha256::new()
                .chain_update(b"baton-devnet-anchor")
                .chain_update(execution.hash)
                .finalize(),
        ));
        let randao_mix = execution.hash;
        let state = state_root(slot, B256::ZERO, randao_mix, execution.hash);
        let header = BeaconBlockHeader {
            slot: slot.0,
            proposer_index: 0,
            parent_root: [0; 32],
            state_root: state.0,
            body_root: body_root.0,
        };
        // A fixed-size container always merkleizes.
        let root = hash_tree_root(&header).unwrap_or_default();
        let head = Head {
            slot,
            root,
            state_root: state,
            block_hash: execution.hash,
            block_number: execution.number,
            timestamp: execution.timestamp,
            gas_limit: execution.gas_limit,
            randao_mix,
        };
        Self {
            head,
            anchor: head,
            records: BTreeMap::new(),
        }
    }

    /// The latest block.
    pub(super) const fn head(&self) -> Head {
        self.head
    }

    /// The block the chain starts from.
    pub(super) const fn anchor(&self) -> Head {
        self.anchor
    }

    /// Records `slot`'s block as the new head. `timestamp` and `gas_limit` are the
    /// execution block's; `randao_mix` is the mix after the block.
    pub(super) fn commit(
        &mut self,
        slot: Slot,
        proposer: (u64, BlsPublicKey),
        block: ProposedBlock,
        timestamp: u64,
        gas_limit: u64,
        randao_mix: B256,
    ) {
        self.head = Head {
            slot,
            root: block.root,
            state_root: block.state_root,
            block_hash: block.block_hash,
            block_number: block.block_number,
            timestamp,
            gas_limit,
            randao_mix,
        };
        self.insert(SlotRecord {
            slot,
            proposer_index: proposer.0,
            proposer: proposer.1,
            outcome: SlotOutcome::Proposed(Box::new(block)),
        });
    }

    /// Records that `slot` has no block (the head stays).
    pub(super) fn miss(&mut self, slot: Slot, proposer: (u64, BlsPublicKey), reason: MissReason) {
        self.insert(SlotRecord {
            slot,
            proposer_index: proposer.0,
            proposer: proposer.1,
            outcome: SlotOutcome::Missed { reason },
        });
    }

    fn insert(&mut self, record: SlotRecord) {
        self.records.insert(record.slot, record);
        while self.records.len() > MAX_RECORDS {
            self.records.pop_first();
        }
    }

    /// The record of `slot`.
    pub(super) fn record(&self, slot: Slot) -> Option<&SlotRecord> {
        self.records.get(&slot)
    }

    /// Records of slots `from..=to`, at most `limit`.
    pub(super) fn records(&self, from: Slot, to: Slot, limit: usize) -> Vec<SlotRecord> {
        if from > to {
            return Vec::new();
        }
        self.records
            .range(from..=to)
            .take(limit)
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The record of the block with beacon root `root`.
    pub(super) fn by_root(&self, root: B256) -> Option<&SlotRecord> {
        self.records
            .values()
            .rev()
            .find(|r| r.block().is_some_and(|b| b.root == root))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn execution() -> ExecutionHead {
        ExecutionHead {
            hash: B256::repeat_byte(1),
            number: 0,
            timestamp: 1_000,
            gas_limit: 30_000_000,
        }
    }

    fn block(root: u8, parent: B256, number: u64) -> ProposedBlock {
        ProposedBlock {
            source: BlockSource::Local,
            root: B256::repeat_byte(root),
            parent_root: parent,
            state_root: B256::ZERO,
            body_root: B256::ZERO,
            signature: BlsSignature::default(),
            block_hash: B256::repeat_byte(root.wrapping_add(100)),
            block_number: number,
            tx_count: 0,
        }
    }

    #[test]
    fn roots_chain_and_missed_slots_keep_the_previous_root() {
        let mut chain = Chain::anchored(execution(), Slot(0));
        let anchor = chain.head();
        assert_ne!(anchor.root, B256::ZERO);
        assert_eq!(chain.anchor(), anchor);
        let who = (0, BlsPublicKey::default());
        chain.commit(
            Slot(1),
            who,
            block(11, anchor.root, 1),
            1_002,
            30_000_000,
            B256::ZERO,
        );
        assert_eq!(chain.head().root, B256::repeat_byte(11));
        chain.miss(Slot(2), who, MissReason::Fault);
        assert_eq!(
            chain.head().root,
            B256::repeat_byte(11),
            "a miss keeps the root"
        );
        assert_eq!(chain.head().slot, Slot(1));
        chain.commit(
            Slot(3),
            who,
            block(13, B256::repeat_byte(11), 2),
            1_006,
            30_000_000,
            B256::ZERO,
        );
        let records = chain.records(Slot(0), Slot(10), 100);
        assert_eq!(records.len(), 3);
        assert_eq!(records[1].block(), None);
        assert_eq!(
            records[2].block().map(|b| b.parent_root),
            Some(B256::repeat_byte(11))
        );
        assert_eq!(
            chain.by_root(B256::repeat_byte(13)).map(|r| r.slot),
            Some(Slot(3))
        );
        assert_eq!(chain.records(Slot(2), Slot(2), 10).len(), 1);
        assert!(chain.records(Slot(5), Slot(2), 10).is_empty());
        let header = records[2].header().unwrap();
        assert_eq!(header.slot, 3);
        assert_eq!(header.parent_root, [11; 32]);
    }

    #[test]
    fn records_are_bounded_and_serialise_with_their_outcome() {
        let mut chain = Chain::anchored(execution(), Slot(0));
        let who = (2, BlsPublicKey::default());
        for slot in 1..=(MAX_RECORDS as u64 + 5) {
            chain.miss(Slot(slot), who, MissReason::Late);
        }
        assert_eq!(
            chain.records(Slot(0), Slot(u64::MAX), usize::MAX).len(),
            MAX_RECORDS
        );
        assert!(chain.record(Slot(1)).is_none());
        let json = serde_json::to_value(chain.record(Slot(6)).unwrap()).unwrap();
        assert_eq!(json["outcome"], "missed");
        assert_eq!(json["reason"], "late");
        assert_eq!(json["proposer_index"], "2");
        let mut chain = Chain::anchored(execution(), Slot(0));
        let mut b = block(1, B256::ZERO, 1);
        b.source = BlockSource::Builder {
            url: "http://relay".into(),
        };
        chain.commit(Slot(1), who, b, 1_002, 1, B256::ZERO);
        let json = serde_json::to_value(chain.record(Slot(1)).unwrap()).unwrap();
        assert_eq!(json["outcome"], "proposed");
        assert_eq!(json["source"]["kind"], "builder");
        assert_eq!(json["source"]["url"], "http://relay");
        assert_eq!(json["slot"], "1");
    }
}
