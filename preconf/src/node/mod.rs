//! The rollup node (feature `client`; step ⑧ of `docs/architecture.md`): follows the L1
//! execution client and the beacon API, applies [`crate::derive`] to every L1 block, and
//! drives each followed rollup's L2 execution node so its chain is exactly the derived one.
//!
//! - [`RollupNode`] owns the loop: [`RollupNode::sync`] derives every new L1 block (after
//!   undoing a reorg), [`RollupNode::run`] repeats it.
//! - [`NodeHandle`] is what the rest of a program holds: the safe head, the soft head
//!   (promises from sidecars not yet decided by L1), the derived blocks, the events (L2
//!   blocks, reorgs, promises kept or broken) and the metrics.
//! - [`serve`] puts a handle on HTTP: JSON-RPC (`baton_safeHead`, `baton_softHead`,
//!   `baton_derivedBlocks`, `baton_promiseVerdicts`, `baton_addCommitment`) and `/metrics`.
//!
//! The L2 execution node is an anvil started with `--no-mining --order fifo` and nothing
//! else sending to it: the node sends each derived block's transactions in order and mines
//! the block with the slot's timestamp (`evm_mine`), and undoes blocks with
//! `anvil_rollback` on an L1 reorg. State lives in memory: a restarted node starts again
//! from fresh L2 nodes at genesis and `start_block`.

mod beacon;
mod engine;
mod follow;
mod l1;
mod metrics;
mod promises;
mod server;
mod status;

use std::{
    collections::{BTreeMap, BTreeSet, VecDeque},
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use alloy::{
    primitives::{Address, B256},
    transports::TransportError,
};
pub use beacon::{BeaconError, BeaconProposers, BoxFuture, ProposerSchedule};
pub use follow::{RollupNode, SyncReport};
pub use metrics::Metrics;
pub use promises::{Judged, MAX_PENDING_PROMISES, PromiseError};
pub use server::{router, serve};
pub use status::{DerivedL2Block, NodeEvent, SafeHead, SoftHead};
use tokio::sync::broadcast;

use crate::{
    chain_spec::ChainSpec,
    commitment::{CommitmentError, SignedCommitment},
    derive::{ChainError, L1BlockRef, promises_of},
    eip712::BatonDomain,
    types::RollupId,
};

/// Derived L2 blocks kept per rollup for queries (older ones are still on the L2 node).
const BLOCKS_KEPT: usize = 4_096;

/// One followed rollup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupConfig {
    /// Its id in the `RollupInbox`.
    pub id: RollupId,
    /// JSON-RPC URL of its L2 execution node (anvil, `--no-mining --order fifo`, at genesis).
    pub l2_rpc: String,
}

/// What the node needs.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// The L1 chain's slot clock.
    pub chain: ChainSpec,
    /// JSON-RPC URL of the L1 execution client.
    pub l1_rpc: String,
    /// The `RollupInbox`.
    pub inbox: Address,
    /// The `Registry`.
    pub registry: Address,
    /// The EIP-712 domain promises are signed under (L1 chain id, `Slasher`).
    pub domain: BatonDomain,
    /// First L1 block to derive (e.g. the inbox's deployment block).
    pub start_block: u64,
    /// The rollups to derive, each with its L2 node.
    pub rollups: Vec<RollupConfig>,
    /// L1 blocks kept to follow a reorg ([`crate::derive::DEFAULT_REORG_WINDOW`]).
    pub reorg_window: usize,
    /// Most L1 blocks derived by one [`RollupNode::sync`].
    pub max_blocks_per_sync: u64,
    /// Pause between syncs in [`RollupNode::run`].
    pub poll_interval: Duration,
}

/// Why the node could not derive.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// A URL does not parse.
    #[error("bad URL {url:?}")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// An L1 JSON-RPC call failed.
    #[error("L1 {call}: {source}")]
    L1 {
        /// The call.
        call: &'static str,
        /// The error.
        source: TransportError,
    },
    /// An L1 contract call failed.
    #[error("L1 {call}: {source}")]
    L1Contract {
        /// The call.
        call: &'static str,
        /// The error.
        source: Box<alloy::contract::Error>,
    },
    /// The beacon API failed.
    #[error(transparent)]
    Beacon(#[from] BeaconError),
    /// The beacon API does not know the slot's proposer.
    #[error("the beacon API names no proposer for slot {slot}")]
    UnknownProposer {
        /// The slot.
        slot: crate::types::Slot,
    },
    /// The reorg is deeper than the window kept.
    #[error("L1 reorg deeper than the node's window: {0}")]
    Chain(#[from] ChainError),
    /// An L2 JSON-RPC call failed.
    #[error("rollup {rollup} L2 {call}: {source}")]
    L2 {
        /// The rollup.
        rollup: RollupId,
        /// The call.
        call: &'static str,
        /// The error.
        source: TransportError,
    },
    /// The L2 node serves another chain.
    #[error("rollup {rollup}: the L2 node serves chain {got}, the inbox registered {expected}")]
    L2ChainId {
        /// The rollup.
        rollup: RollupId,
        /// Chain id registered in the inbox.
        expected: u64,
        /// Chain id the L2 node reports.
        got: u64,
    },
    /// The L2 node has no latest block.
    #[error("rollup {rollup}: the L2 node reports no latest block")]
    L2NoHead {
        /// The rollup.
        rollup: RollupId,
    },
    /// The L2 node is not at genesis when the node starts.
    #[error("rollup {rollup}: the L2 node is at block {number}; the node starts from genesis")]
    L2NotAtGenesis {
        /// The rollup.
        rollup: RollupId,
        /// Its block number.
        number: u64,
    },
    /// The L2 head's timestamp is not below the next derived block's.
    #[error(
        "rollup {rollup}: L2 head time {l2_timestamp} is not before L1 block time {l1_timestamp}"
    )]
    L2AheadOfL1 {
        /// The rollup.
        rollup: RollupId,
        /// L2 head timestamp.
        l2_timestamp: u64,
        /// The L1 block's timestamp.
        l1_timestamp: u64,
    },
    /// The L2 node refused a transaction the rules accept (its configuration differs from
    /// what derivation assumes).
    #[error("rollup {rollup}: the L2 node refused {tx}: {message}")]
    L2Rejected {
        /// The rollup.
        rollup: RollupId,
        /// The transaction.
        tx: B256,
        /// The node's message.
        message: String,
    },
    /// The mined L2 block is not the derived one.
    #[error("rollup {rollup}: L2 block {l2_block} holds {got:?}, derivation says {expected:?}")]
    L2Disagrees {
        /// The rollup.
        rollup: RollupId,
        /// The L2 block.
        l2_block: u64,
        /// Derived transaction hashes.
        expected: Vec<B256>,
        /// What the block holds.
        got: Vec<B256>,
    },
    /// After a rollback the L2 head is not where it should be.
    #[error("rollup {rollup}: after rollback the L2 head is {got}, expected {expected}")]
    L2Rollback {
        /// The rollup.
        rollup: RollupId,
        /// Expected head number.
        expected: u64,
        /// Actual head number.
        got: u64,
    },
}

/// Why a commitment was not taken as a promise.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddPromiseError {
    /// Malformed or not signed by its committer under the node's domain.
    #[error(transparent)]
    Commitment(#[from] CommitmentError),
    /// The book refused a placement.
    #[error(transparent)]
    Promise(#[from] PromiseError),
}

#[derive(Debug)]
struct RollupView {
    chain_id: u64,
    genesis: (u64, B256),
    blocks: VecDeque<DerivedL2Block>,
}

#[derive(Debug, Default)]
struct State {
    l1_tip: Option<L1BlockRef>,
    l1_finalized: Option<u64>,
    rollups: BTreeMap<RollupId, RollupView>,
    promises: promises::PromiseBook,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    metrics: Metrics,
    events: broadcast::Sender<NodeEvent>,
    domain: BatonDomain,
    followed: BTreeSet<RollupId>,
}

/// A cheap, cloneable view of a running node.
#[derive(Debug, Clone)]
pub struct NodeHandle {
    shared: Arc<Shared>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn emit(&self, event: NodeEvent) {
        // No subscriber is fine.
        let _ = self.events.send(event);
    }
}

impl NodeHandle {
    /// The safe head of `rollup` (`None`: not followed).
    pub fn safe_head(&self, rollup: RollupId) -> Option<SafeHead> {
        let state = self.shared.state();
        let view = state.rollups.get(&rollup)?;
        let newest = view.blocks.back();
        let finalized_l2_number = state.l1_finalized.map(|f| {
            view.blocks
                .iter()
                .rev()
                .find(|b| b.l1.number <= f)
                .map_or(view.genesis.0, |b| b.number)
        });
        Some(SafeHead {
            rollup_id: rollup,
            l2_number: newest.map_or(view.genesis.0, |b| b.number),
            l2_hash: newest.map_or(view.genesis.1, |b| b.hash),
            origin: newest.map(|b| b.l1),
            l1: state.l1_tip,
            finalized_l2_number,
        })
    }

    /// The soft head of `rollup`: the safe head plus the promises L1 has not decided yet.
    pub fn soft_head(&self, rollup: RollupId) -> Option<SoftHead> {
        let safe = self.safe_head(rollup)?;
        let pending = self.shared.state().promises.pending_for(rollup);
        Some(SoftHead { safe, pending })
    }

    /// The derived L2 blocks of `rollup` still in memory, oldest first.
    pub fn derived_blocks(&self, rollup: RollupId) -> Vec<DerivedL2Block> {
        self.shared
            .state()
            .rollups
            .get(&rollup)
            .map(|v| v.blocks.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// The L2 chain id of `rollup`, as the inbox registered it.
    pub fn chain_id(&self, rollup: RollupId) -> Option<u64> {
        self.shared.state().rollups.get(&rollup).map(|v| v.chain_id)
    }

    /// Recent verdicts on promises, oldest first.
    pub fn judged(&self) -> Vec<Judged> {
        self.shared.state().promises.judged()
    }

    /// Events from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<NodeEvent> {
        self.shared.events.subscribe()
    }

    /// The metrics.
    pub fn metrics(&self) -> &Metrics {
        &self.shared.metrics
    }

    /// Takes a sidecar's sequencing commitment as promises for the soft head, after
    /// checking its shape and signature under the node's domain. Placements of rollups the
    /// node does not follow are ignored. Returns the verdicts of placements whose slot L1
    /// has already decided.
    pub fn add_commitment(
        &self,
        signed: &SignedCommitment,
    ) -> Result<Vec<Judged>, AddPromiseError> {
        signed.verify(&self.shared.domain)?;
        let mut judged = Vec::new();
        let mut state = self.shared.state();
        for promise in promises_of(signed) {
            if !self.shared.followed.contains(&promise.rollup_id) {
                continue;
            }
            if let Some(verdict) = state.promises.add(promise)? {
                judged.push(verdict);
            }
        }
        drop(state);
        for verdict in &judged {
            self.shared.metrics.verdict(verdict.divergence.as_ref());
            self.shared.emit(NodeEvent::Promise(*verdict));
        }
        Ok(judged)
    }
}
