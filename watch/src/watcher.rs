//! `baton-watch run`: the watchtower loop (step ⑧).
//!
//! Every poll it reads the L1 head, fetches each sidecar's promises (`baton_commitments`)
//! for the slots not yet judged, and:
//!
//! - on sight, slashes two sequencing promises that give one (rollup, slot, position) to
//!   two transactions (equivocation needs no waiting);
//! - once a slot is `settle_slots` behind the head, judges each promise of it: a missed
//!   slot is slashed once per committer by the liveness path; an inclusion promise whose
//!   transactions are not all in the slot's block gets a bonded dispute; a sequencing
//!   promise whose position holds another transaction, or whose batch is missing, is
//!   slashed directly;
//! - resolves each dispute it opened once its defence window has closed undefended.
//!
//! The state is in memory: a restarted watcher judges again from `start_slot` (judging
//! twice is harmless, the Slasher refuses a second slash of the same promise).

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use alloy::providers::Provider;
use alloy_primitives::{Address, B256};
use baton_preconf::{
    ChainSpec, CommitmentKind, RollupId, SignedCommitment, Slot,
    client::{L1View, SidecarClient},
};

use crate::{SlasherClient, SlotBlock, WatchError, WatchMetrics, slasher::DisputeState};

/// Most slots one feed request covers (the sidecar's limit is 64).
const FEED_SLOTS: u64 = 32;
/// Most slots kept in memory behind the judged slot (equivocation index, judged set).
const MEMORY_SLOTS: u64 = 256;

/// What the watcher watches.
#[derive(Debug, Clone)]
pub struct WatcherConfig {
    /// The sidecars whose promises are checked (JSON-RPC URLs).
    pub sidecars: Vec<String>,
    /// The `Registry` (committer lookups for the wallet view).
    pub registry: Address,
    /// The `RollupInbox` (batches for sequencing promises).
    pub inbox: Address,
    /// The L1 JSON-RPC URL.
    pub l1_rpc: String,
    /// How often to poll.
    pub poll: Duration,
    /// Slots to wait after a slot before judging it (its block and logs settle).
    pub settle_slots: u64,
    /// The first slot to judge (`None`: the head's slot at start).
    pub start_slot: Option<Slot>,
}

/// A promise seen once, for equivocation checks.
#[derive(Debug, Clone)]
struct Seen {
    signed: Arc<SignedCommitment>,
    leg: usize,
    tx_hash: B256,
}

/// The watchtower.
#[derive(Debug)]
pub struct Watcher<P> {
    config: WatcherConfig,
    slasher: SlasherClient<P>,
    l1: L1View,
    feeds: Vec<SidecarClient>,
    metrics: Arc<WatchMetrics>,
    /// Next slot to judge.
    cursor: Slot,
    /// Promises waiting for their slot to settle, by slot.
    pending: BTreeMap<Slot, Vec<Arc<SignedCommitment>>>,
    /// Digests already seen (fetched again on every poll until judged).
    seen: HashSet<B256>,
    /// (committer, slot, rollup, position) → the first promise for it.
    positions: HashMap<(Address, Slot, RollupId, u64), Seen>,
    /// Equivocations already slashed.
    equivocated: HashSet<(Address, Slot, RollupId, u64)>,
    /// (committer, slot) already slashed for liveness.
    missed: HashSet<(Address, Slot)>,
    /// Disputes opened and not yet resolved: digest → slot.
    disputes: HashMap<B256, Slot>,
    chain: ChainSpec,
}

impl<P: Provider + Clone> Watcher<P> {
    /// A watcher acting through `slasher` (whose wallet posts bonds and pays gas).
    pub async fn new(
        config: WatcherConfig,
        slasher: SlasherClient<P>,
        chain: ChainSpec,
        metrics: Arc<WatchMetrics>,
    ) -> Result<Self, WatchError> {
        let feeds = config
            .sidecars
            .iter()
            .map(|url| {
                SidecarClient::new(url).map_err(|e| WatchError::Sidecar {
                    url: url.clone(),
                    reason: e.to_string(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let l1 = L1View::connect(&config.l1_rpc, config.registry, config.inbox, chain.clone())
            .map_err(|e| WatchError::Sidecar {
                url: config.l1_rpc.clone(),
                reason: e.to_string(),
            })?;
        let cursor = match config.start_slot {
            Some(slot) => slot,
            None => {
                let (_, time) = slasher.evidence().head().await?;
                chain.slot_at(time).unwrap_or_default()
            }
        };
        Ok(Self {
            config,
            slasher,
            l1,
            feeds,
            metrics,
            cursor,
            pending: BTreeMap::new(),
            seen: HashSet::new(),
            positions: HashMap::new(),
            equivocated: HashSet::new(),
            missed: HashSet::new(),
            disputes: HashMap::new(),
            chain,
        })
    }

    /// Runs until `shutdown` resolves.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            if let Err(e) = self.poll().await {
                tracing::warn!(error = %e, "watch poll failed; retrying");
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(self.config.poll) => {}
            }
        }
    }

    /// One round: fetch, check equivocations, judge settled slots, resolve disputes.
    pub async fn poll(&mut self) -> Result<(), WatchError> {
        let (_, head_time) = self.slasher.evidence().head().await?;
        let head = self.chain.slot_at(head_time).unwrap_or_default();
        // Promises can be made up to the lookahead ahead; fetch what exists up to there.
        let to = Slot(head.0 + FEED_SLOTS);
        let from = self.cursor;
        let mut fetched = Vec::new();
        for feed in &self.feeds {
            let mut start = from;
            while start <= to {
                let end = Slot((start.0 + FEED_SLOTS - 1).min(to.0));
                let (commitments, _truncated) =
                    feed.commitments(start, end)
                        .await
                        .map_err(|e| WatchError::Sidecar {
                            url: feed.url().to_owned(),
                            reason: e.to_string(),
                        })?;
                fetched.extend(commitments);
                start = Slot(end.0 + 1);
            }
        }
        for signed in fetched {
            self.admit(signed).await;
        }
        // Judge every slot that has settled (and any promise put back to wait).
        let judge_to = head.0.saturating_sub(self.config.settle_slots + 1);
        let ready: Vec<Slot> = self
            .pending
            .range(..=Slot(judge_to))
            .map(|(slot, _)| *slot)
            .collect();
        for slot in ready {
            for signed in self.pending.remove(&slot).unwrap_or_default() {
                self.judge(&signed).await;
            }
        }
        if judge_to >= self.cursor.0 {
            self.metrics
                .judged_through
                .store(judge_to, Ordering::Relaxed);
            self.cursor = Slot(judge_to + 1);
        }
        self.resolve_disputes(head_time).await;
        self.forget_before(Slot(self.cursor.0.saturating_sub(MEMORY_SLOTS)));
        Ok(())
    }

    /// Records a promise the first time it is seen; slashes an equivocation at once.
    async fn admit(&mut self, signed: SignedCommitment) {
        let domain = self.domain();
        let digest = signed.commitment.digest(&domain);
        if signed.commitment.slot < self.cursor || !self.seen.insert(digest) {
            return;
        }
        // A promise that does not verify is nobody's evidence.
        if let Err(e) = signed.verify(&domain) {
            tracing::warn!(%digest, error = %e, "skipping a promise whose signature does not verify");
            return;
        }
        let signed = Arc::new(signed);
        let c = &signed.commitment;
        for (leg, p) in c.placements.iter().enumerate() {
            let key = (c.committer, c.slot, p.rollup_id, p.position.0);
            match self.positions.get(&key) {
                None => {
                    self.positions.insert(
                        key,
                        Seen {
                            signed: Arc::clone(&signed),
                            leg,
                            tx_hash: p.tx_hash,
                        },
                    );
                }
                Some(first) if first.tx_hash != p.tx_hash && !self.equivocated.contains(&key) => {
                    let first = first.clone();
                    tracing::warn!(committer = %c.committer, slot = %c.slot, rollup = %p.rollup_id, position = p.position.0, "equivocation: two promises for one position");
                    match self
                        .slasher
                        .slash_equivocation((&first.signed, first.leg), (&signed, leg))
                        .await
                    {
                        Ok(receipt) => {
                            self.equivocated.insert(key);
                            self.metrics
                                .equivocations_slashed
                                .fetch_add(1, Ordering::Relaxed);
                            tracing::info!(tx = %receipt.transaction_hash, "equivocation slashed");
                        }
                        Err(e) => self.action_failed("slashEquivocation", &e),
                    }
                }
                Some(_) => {}
            }
        }
        self.pending.entry(c.slot).or_default().push(signed);
    }

    fn domain(&self) -> baton_preconf::BatonDomain {
        baton_preconf::BatonDomain {
            chain_id: self.chain.chain_id.0,
            verifying_contract: self.slasher_address(),
        }
    }

    const fn slasher_address(&self) -> Address {
        self.slasher.address()
    }

    async fn judge(&mut self, signed: &SignedCommitment) {
        let c = &signed.commitment;
        let time = self.chain.slot_timestamp(c.slot);
        let block = match self.slasher.evidence().slot_block(time).await {
            Ok(SlotBlock::Proposed(block)) => block,
            Ok(SlotBlock::Missed { .. }) => {
                self.metrics.broken.fetch_add(1, Ordering::Relaxed);
                if self.missed.insert((c.committer, c.slot)) {
                    tracing::warn!(slot = %c.slot, committer = %c.committer, "slot missed after promising");
                    match self.slasher.slash_liveness(signed).await {
                        Ok(receipt) => {
                            self.metrics
                                .liveness_slashed
                                .fetch_add(1, Ordering::Relaxed);
                            tracing::info!(tx = %receipt.transaction_hash, slot = %c.slot, "missed slot slashed (liveness)");
                        }
                        Err(e) => self.action_failed("slashLiveness", &e),
                    }
                }
                return;
            }
            Ok(SlotBlock::Pending) => {
                // Settled by the slot clock but not by the chain: look again next round.
                self.pending
                    .entry(c.slot)
                    .or_default()
                    .push(Arc::new(signed.clone()));
                return;
            }
            Err(e) => {
                self.action_failed("reading the slot's block", &e);
                return;
            }
        };
        match c.kind {
            CommitmentKind::Inclusion => self.judge_inclusion(signed, block).await,
            CommitmentKind::Sequencing => self.judge_sequencing(signed).await,
        }
    }

    async fn judge_inclusion(&mut self, signed: &SignedCommitment, block: u64) {
        let c = &signed.commitment;
        match self
            .slasher
            .evidence()
            .inclusion_proofs(block, &c.tx_hashes)
            .await
        {
            Ok(Ok(_)) => {
                self.metrics.kept.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Err(leg)) => {
                self.metrics.broken.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(slot = %c.slot, committer = %c.committer, tx = %c.tx_hashes[leg], block, "promised transaction missing from the slot's block: opening a dispute");
                match self.slasher.open_dispute(signed).await {
                    Ok(digest) => {
                        self.metrics.disputes_opened.fetch_add(1, Ordering::Relaxed);
                        self.disputes.insert(digest, c.slot);
                        tracing::info!(%digest, slot = %c.slot, "dispute opened");
                    }
                    Err(e) => self.action_failed("openDispute", &e),
                }
            }
            Err(e) => self.action_failed("reading the slot's transactions", &e),
        }
    }

    async fn judge_sequencing(&mut self, signed: &SignedCommitment) {
        let c = &signed.commitment;
        for (leg, placement) in c.placements.iter().enumerate() {
            let batch = match self
                .l1
                .batch(placement.rollup_id, c.slot, c.committer)
                .await
            {
                Ok(batch) => batch,
                Err(e) => {
                    tracing::warn!(error = %e, slot = %c.slot, "reading the batch failed");
                    self.metrics.action_errors.fetch_add(1, Ordering::Relaxed);
                    return;
                }
            };
            let at = usize::try_from(placement.position.0).unwrap_or(usize::MAX);
            let kept = batch
                .as_ref()
                .is_some_and(|(_, hashes)| hashes.get(at) == Some(&placement.tx_hash));
            if kept {
                continue;
            }
            self.metrics.broken.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(slot = %c.slot, rollup = %placement.rollup_id, position = placement.position.0, "sequencing promise broken");
            let hashes = batch.as_ref().map(|(_, hashes)| hashes.as_slice());
            match self.slasher.slash_sequencing(signed, leg, hashes).await {
                Ok(receipt) => {
                    self.metrics
                        .sequencing_slashed
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::info!(tx = %receipt.transaction_hash, "sequencing promise slashed");
                }
                Err(e) => self.action_failed("slashSequencing", &e),
            }
            // One slash settles the whole promise.
            return;
        }
        self.metrics.kept.fetch_add(1, Ordering::Relaxed);
    }

    async fn resolve_disputes(&mut self, head_time: u64) {
        let open: Vec<B256> = self.disputes.keys().copied().collect();
        for digest in open {
            let view = match self.slasher.dispute(digest).await {
                Ok(view) => view,
                Err(e) => {
                    self.action_failed("reading a dispute", &e);
                    continue;
                }
            };
            match view.state {
                DisputeState::Open if head_time > view.deadline => {
                    match self.slasher.resolve(digest).await {
                        Ok(receipt) => {
                            self.metrics
                                .disputes_slashed
                                .fetch_add(1, Ordering::Relaxed);
                            self.disputes.remove(&digest);
                            tracing::info!(%digest, tx = %receipt.transaction_hash, "undefended dispute resolved: operator slashed");
                        }
                        Err(e) => self.action_failed("resolveDispute", &e),
                    }
                }
                DisputeState::Open => {}
                DisputeState::Defended => {
                    self.metrics
                        .disputes_defended
                        .fetch_add(1, Ordering::Relaxed);
                    self.disputes.remove(&digest);
                    tracing::info!(%digest, "dispute defended by the operator");
                }
                DisputeState::None | DisputeState::Slashed | DisputeState::Missed => {
                    self.disputes.remove(&digest);
                }
            }
        }
    }

    fn forget_before(&mut self, slot: Slot) {
        self.positions.retain(|(_, s, _, _), _| *s >= slot);
        self.equivocated.retain(|(_, s, _, _)| *s >= slot);
        self.missed.retain(|(_, s)| *s >= slot);
        // `seen` holds digests only; it is rebuilt from what is still pending or recent.
        if self.seen.len() > 1 << 20 {
            self.seen.clear();
        }
    }

    fn action_failed(&self, action: &str, error: &WatchError) {
        self.metrics.action_errors.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(action, error = %error, "watch action failed");
    }
}
