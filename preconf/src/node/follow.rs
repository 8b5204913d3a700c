//! The node's loop (step ⑧): find reorgs and undo them, then derive each new L1 block,
//! rollup by rollup, into L2 blocks.

use std::{
    collections::{BTreeMap, VecDeque},
    future::Future,
    sync::{Arc, Mutex},
};

use tokio::sync::broadcast;

use super::{
    BLOCKS_KEPT, DerivedL2Block, NodeConfig, NodeError, NodeEvent, NodeHandle, RollupView, Shared,
    State, beacon::ProposerSchedule, engine::Engine, l1::L1Client,
};
use crate::{
    derive::{
        BlockBatches, CanonicalBatch, L1BlockRef, L1Window, Sequencer, canonical_batches,
        decode_batch, select_transactions,
    },
    types::RollupId,
};

/// What one [`RollupNode::sync`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// L1 blocks derived.
    pub derived: u64,
    /// L2 blocks built.
    pub l2_blocks: u64,
    /// A reorg undone first: (fork point, L1 blocks undone).
    pub reorg: Option<(L1BlockRef, u64)>,
    /// The newest L1 block derived.
    pub tip: Option<L1BlockRef>,
}

/// The rollup node: derives L1 into each followed rollup's L2 node.
#[derive(Debug)]
pub struct RollupNode {
    config: NodeConfig,
    l1: L1Client,
    proposers: Arc<dyn ProposerSchedule>,
    engines: BTreeMap<RollupId, Engine>,
    /// Per rollup, the newest L1 block already derived into it (a failed block may have
    /// reached some rollups and not others).
    synced: BTreeMap<RollupId, L1BlockRef>,
    window: L1Window<()>,
    shared: Arc<Shared>,
}

impl RollupNode {
    /// Connects to L1 and every L2 node, reads each rollup's chain id from the inbox, and
    /// checks each L2 node serves it and is at genesis.
    pub async fn connect(
        config: NodeConfig,
        proposers: Arc<dyn ProposerSchedule>,
    ) -> Result<Self, NodeError> {
        let l1 = L1Client::new(&config.l1_rpc, config.inbox, config.registry)?;
        let mut engines = BTreeMap::new();
        let mut rollups = BTreeMap::new();
        for rollup in &config.rollups {
            let chain_id = l1.rollup_chain_id(rollup.id).await?;
            let engine = Engine::new(rollup.id, chain_id, &rollup.l2_rpc)?;
            engine.check_chain_id().await?;
            let head = engine.head().await?;
            if head.number != 0 {
                return Err(NodeError::L2NotAtGenesis {
                    rollup: rollup.id,
                    number: head.number,
                });
            }
            engines.insert(rollup.id, engine);
            rollups.insert(
                rollup.id,
                RollupView {
                    chain_id,
                    genesis: (head.number, head.hash),
                    blocks: VecDeque::new(),
                },
            );
        }
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                rollups,
                ..State::default()
            }),
            metrics: super::Metrics::default(),
            events,
            domain: config.domain,
            followed: config.rollups.iter().map(|r| r.id).collect(),
        });
        Ok(Self {
            window: L1Window::new(config.reorg_window),
            synced: BTreeMap::new(),
            config,
            l1,
            proposers,
            engines,
            shared,
        })
    }

    /// A handle for queries, promises, events and metrics.
    pub fn handle(&self) -> NodeHandle {
        NodeHandle {
            shared: Arc::clone(&self.shared),
        }
    }

    /// Derives until `shutdown` resolves, syncing every `poll_interval`; errors are logged
    /// and retried (a block is derived again from where it failed).
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            match self.sync().await {
                Ok(report) if report.derived > 0 || report.reorg.is_some() => {
                    tracing::debug!(
                        derived = report.derived,
                        l2_blocks = report.l2_blocks,
                        reorg = report.reorg.is_some(),
                        "synced"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "derivation stalled; retrying"),
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.poll_interval) => {}
            }
        }
    }

    /// Undoes a reorg if there was one, then derives new L1 blocks (at most
    /// `max_blocks_per_sync`).
    pub async fn sync(&mut self) -> Result<SyncReport, NodeError> {
        let mut report = SyncReport::default();
        if let Some(fork) = self.find_fork().await? {
            let depth = self.rewind(fork).await?;
            report.reorg = Some((fork, depth));
        }
        let head = self.l1.head_number().await?;
        let finalized = self.l1.finalized_number().await?;
        self.shared.state().l1_finalized = finalized;
        let mut next = self
            .window
            .tip()
            .map_or(self.config.start_block, |(tip, _)| tip.number + 1);
        while next <= head && report.derived < self.config.max_blocks_per_sync {
            let Some(block) = self.l1.block(next).await? else {
                break;
            };
            if let Some((tip, _)) = self.window.tip()
                && block.parent_hash != tip.hash
            {
                // A reorg under our feet: the next sync finds the fork.
                break;
            }
            report.l2_blocks += self.derive(block).await?;
            report.derived += 1;
            report.tip = Some(block);
            next += 1;
        }
        Ok(report)
    }

    /// The newest kept block still canonical, when the tip is not.
    async fn find_fork(&self) -> Result<Option<L1BlockRef>, NodeError> {
        let Some((tip, _)) = self.window.tip() else {
            return Ok(None);
        };
        if self.l1.block(tip.number).await?.map(|b| b.hash) == Some(tip.hash) {
            return Ok(None);
        }
        for (kept, _) in self.window.iter().rev().skip(1) {
            if self.l1.block(kept.number).await?.map(|b| b.hash) == Some(kept.hash) {
                return Ok(Some(*kept));
            }
        }
        let oldest = self.window.oldest().map_or(0, |b| b.number);
        Err(crate::derive::ChainError::BelowWindow {
            to: oldest.saturating_sub(1),
            oldest,
        }
        .into())
    }

    /// Undoes everything derived above `fork`; returns the L1 blocks undone.
    async fn rewind(&mut self, fork: L1BlockRef) -> Result<u64, NodeError> {
        let depth = self.window.rewind_to(fork.number)?.len() as u64;
        let ids: Vec<RollupId> = self.engines.keys().copied().collect();
        for id in ids {
            self.rewind_rollup(id, fork.number).await?;
        }
        {
            let mut state = self.shared.state();
            state.promises.rewind(&fork, &self.config.chain);
            state.l1_tip = Some(fork);
        }
        self.shared.metrics.reorg(depth, fork.number);
        self.shared.emit(NodeEvent::Reorg { fork, depth });
        tracing::info!(fork = fork.number, depth, "L1 reorg undone");
        Ok(depth)
    }

    /// Removes `rollup`'s L2 blocks whose L1 origin is above block `keep_upto`.
    async fn rewind_rollup(&mut self, rollup: RollupId, keep_upto: u64) -> Result<(), NodeError> {
        let Some(engine) = self.engines.get(&rollup) else {
            return Ok(());
        };
        let (undo, expected) = {
            let state = self.shared.state();
            let Some(view) = state.rollups.get(&rollup) else {
                return Ok(());
            };
            let undo = view
                .blocks
                .iter()
                .filter(|b| b.l1.number > keep_upto)
                .count();
            let kept = view.blocks.iter().rev().find(|b| b.l1.number <= keep_upto);
            (undo as u64, kept.map_or(view.genesis.0, |b| b.number))
        };
        if undo > 0 {
            engine.rollback(undo).await?;
            let got = engine.head().await?.number;
            if got != expected {
                return Err(NodeError::L2Rollback {
                    rollup,
                    expected,
                    got,
                });
            }
            let mut state = self.shared.state();
            if let Some(view) = state.rollups.get_mut(&rollup) {
                view.blocks.retain(|b| b.l1.number <= keep_upto);
            }
        }
        if self
            .synced
            .get(&rollup)
            .is_some_and(|s| s.number > keep_upto)
        {
            self.synced.remove(&rollup);
        }
        Ok(())
    }

    /// Who sequences the slot of `block`.
    async fn sequencer(&self, block: &L1BlockRef) -> Result<Sequencer, NodeError> {
        let Some(slot) = self.config.chain.slot_starting_at(block.timestamp) else {
            return Ok(Sequencer::Open);
        };
        let proposer = self
            .proposers
            .proposer(slot)
            .await?
            .ok_or(NodeError::UnknownProposer { slot })?;
        let committer = self
            .l1
            .committer_of(&proposer, block.number.saturating_sub(1))
            .await?;
        Ok(if committer.is_zero() {
            Sequencer::Open
        } else {
            Sequencer::Committer(committer)
        })
    }

    /// Derives one L1 block into every rollup; returns the L2 blocks built.
    async fn derive(&mut self, block: L1BlockRef) -> Result<u64, NodeError> {
        let logs = self.l1.batch_logs(block.hash).await?;
        let sequencer = if logs.is_empty() {
            Sequencer::Open
        } else {
            self.sequencer(&block).await?
        };
        let batches = canonical_batches(
            &self.config.chain,
            self.config.inbox,
            block,
            sequencer,
            &logs,
        );
        let mut built = 0;
        let ids: Vec<RollupId> = self.engines.keys().copied().collect();
        for id in &ids {
            if self.synced.get(id) == Some(&block) {
                // Reached in an earlier attempt at this block that failed on another rollup.
                continue;
            }
            // An earlier attempt may have reached a block a reorg has since replaced.
            self.rewind_rollup(*id, block.number.saturating_sub(1))
                .await?;
            let Some(engine) = self.engines.get(id) else {
                continue;
            };
            if let Some(batch) = batches.batches.get(id) {
                let derived = build(engine, *id, &block, batch).await?;
                self.shared.metrics.l2_block(
                    derived.transactions.len(),
                    derived.outcomes.len() - derived.transactions.len(),
                );
                let mut state = self.shared.state();
                if let Some(view) = state.rollups.get_mut(id) {
                    if view.blocks.len() == BLOCKS_KEPT {
                        view.blocks.pop_front();
                    }
                    view.blocks.push_back(derived.clone());
                }
                drop(state);
                self.shared.emit(NodeEvent::L2Block(derived));
                built += 1;
            }
            self.synced.insert(*id, block);
        }
        let first = self.window.tip().is_none();
        self.window.push(block, ())?;
        self.record(first, &batches);
        Ok(built)
    }

    fn record(&self, first: bool, batches: &BlockBatches) {
        let judged = {
            let mut state = self.shared.state();
            state.l1_tip = Some(batches.block);
            state
                .promises
                .record_block(first, batches, &self.shared.followed)
        };
        let skipped = batches.skipped.len();
        self.shared
            .metrics
            .l1_block(batches.block.number, batches.batches.len(), skipped);
        for verdict in judged {
            self.shared.metrics.verdict(verdict.divergence.as_ref());
            if let Some(divergence) = verdict.divergence {
                tracing::warn!(
                    slot = verdict.promise.slot.0,
                    rollup = verdict.promise.rollup_id.0,
                    position = verdict.promise.position.0,
                    reason = divergence.label(),
                    "promise not honoured by L1"
                );
            }
            self.shared.emit(NodeEvent::Promise(verdict));
        }
    }
}

/// Builds the L2 block of `batch` on `engine`.
async fn build(
    engine: &Engine,
    rollup: RollupId,
    block: &L1BlockRef,
    batch: &CanonicalBatch,
) -> Result<DerivedL2Block, NodeError> {
    let head = engine.head().await?;
    if head.timestamp >= block.timestamp {
        return Err(NodeError::L2AheadOfL1 {
            rollup,
            l2_timestamp: head.timestamp,
            l1_timestamp: block.timestamp,
        });
    }
    let (decoded, senders) = decode_batch(&batch.txs, head.next.chain_id);
    let accounts = engine.accounts(&senders).await?;
    let selection = select_transactions(head.next, decoded, &accounts);
    let mined = engine
        .build_block(&selection.included, block.timestamp)
        .await?;
    Ok(DerivedL2Block {
        rollup_id: rollup,
        number: mined.number,
        hash: mined.hash,
        l1: *block,
        slot: batch.slot,
        batch_root: batch.root,
        submitter: batch.submitter,
        transactions: selection.included.iter().map(|tx| tx.hash).collect(),
        outcomes: selection.outcomes,
    })
}
