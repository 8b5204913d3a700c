//! Steps ①–③: check the wallet's request, check the slot, reserve what the promise takes
//! (rollup positions in [`sequencing`], L1 gas, blobs, nonces and balance in
//! [`inclusion`]), make the promise durable, and only then sign it.
//!
//! The order is the point: the ledger lock orders reservations, the journal receives them
//! in that order ([`Journal::submit`] under the lock), the lock is released, and the
//! signature is made only after the journal reports the record durable. A crash at any
//! point loses nothing a wallet holds: an unsigned, journaled promise is honoured anyway.
//!
//! The marketplace's paths follow the same order: [`bids`](Service::submit_bid) journals a
//! receipted bid before signing its receipt, and [`awards`](Service::clear_auction)
//! journals a clearing before signing it, then promises each winner through
//! `promise_all` like any request; `slots` answers `baton_slots` with the offers.

mod awards;
mod bids;
mod inclusion;
mod listing;
mod sequencing;
mod slots;

use std::{
    collections::HashMap,
    future::Future,
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Instant,
};

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsPublicKey, ChainSpec, RollupId, SignedCommitment, SignedRequest, Slot,
    request::{CheckedRequest, RequestError},
};

pub(crate) use listing::ListParams;
pub use listing::{MAX_LISTED_COMMITMENTS, MAX_LISTED_SLOTS};
pub use slots::{RollupCapacity, SlotCapacity, SlotOffer, SlotProduct};

use crate::{
    execution::ExecutionState,
    journal::{Journal, JournalEntry, Reservation, SealRecord},
    l2::L2Client,
    ledger::{Ledger, SlotContents},
    lookahead::{Duties, SlotClock},
    market::{AuctionBook, MarketConfig},
    metrics,
    pricing::Pricing,
    rate_limit::RateLimiter,
    rpc::RpcError,
};

/// Service parameters.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The L1 chain.
    pub chain: ChainSpec,
    /// The EIP-712 domain (L1 chain id and the Slasher address).
    pub domain: BatonDomain,
    /// Promises for a slot close this many milliseconds before it starts.
    pub deadline_ms: u64,
    /// How many slots ahead promises are sold.
    pub window_slots: u64,
    /// Fee per rollup transaction (wei).
    pub fee_per_rollup_tx: U256,
    /// Minimum priority fee per gas of an inclusion promise in an empty slot (wei); the
    /// congestion curve (`pricing`) raises it as the slot fills.
    pub base_tip_wei: u128,
    /// Calls per second (average, burst) from one client IP; 0 disables.
    pub rate_per_ip: (u32, u32),
    /// Promise requests per second (average, burst) from one wallet; 0 disables.
    pub rate_per_wallet: (u32, u32),
}

/// A price quote for one slot (`baton_fee`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeeQuote {
    /// The slot.
    pub slot: Slot,
    /// Minimum priority fee per gas for the quoted gas; `None` when it does not fit.
    pub min_priority_fee_per_gas: Option<u128>,
    /// Fee for the quoted rollup transactions (wei).
    pub rollup_fee: U256,
    /// L1 gas still promisable in the slot.
    pub l1_gas_left: u64,
}

/// A promise's life, as `baton_getCommitment` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub enum CommitmentStatus {
    /// Signed; the slot has not been sealed yet.
    Pending,
}

/// The preconfirmation service.
#[derive(Debug)]
pub struct Service {
    config: ServiceConfig,
    signer: PrivateKeySigner,
    journal: Journal,
    ledger: Mutex<Ledger>,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
    rollups: HashMap<RollupId, u64>,
    execution: Arc<ExecutionState>,
    l2: HashMap<RollupId, L2Client>,
    commitments: Mutex<HashMap<B256, SignedCommitment>>,
    /// The raw L1 transactions of each inclusion promise, by request id: what a dispute
    /// defence needs after the slot's books are pruned.
    inclusion_txs: Mutex<HashMap<B256, Vec<Bytes>>>,
    journal_failed: AtomicBool,
    ip_limiter: RateLimiter<IpAddr>,
    wallet_limiter: RateLimiter<Address>,
    /// The products offered per slot (`None`: no auction opens; see [`Self::with_market`]).
    market: Option<MarketConfig>,
    /// Every auction's receipts and clearing.
    auctions: Mutex<AuctionBook>,
}

/// What the service runs on, besides its configuration and key.
#[derive(Debug)]
pub struct Parts {
    /// The journal, opened.
    pub journal: Journal,
    /// The entries it replayed.
    pub entries: Vec<JournalEntry>,
    /// Empty books with the slot capacity.
    pub ledger: Ledger,
    /// Our proposer duties.
    pub duties: Arc<Duties>,
    /// The clock.
    pub clock: Arc<dyn SlotClock>,
    /// Rollups sequenced, with their L2 chain ids.
    pub rollups: HashMap<RollupId, u64>,
    /// The L1 execution client and its head.
    pub execution: Arc<ExecutionState>,
    /// L2 clients of the rollups whose transactions are checked against L2 state.
    pub l2: HashMap<RollupId, L2Client>,
}

/// Everything restored from the journal at startup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Restored {
    /// Promises replayed.
    pub commitments: usize,
}

impl Service {
    /// Builds the service, replaying `parts.entries` (from [`crate::journal::FileJournal::open`] or [`crate::journal::RedisJournal::open`]) into the
    /// ledger and re-deriving every signature (deterministic, RFC 6979).
    pub fn new(
        config: ServiceConfig,
        signer: PrivateKeySigner,
        parts: Parts,
    ) -> Result<(Self, Restored), RpcError> {
        let Parts {
            journal,
            entries,
            mut ledger,
            duties,
            clock,
            rollups,
            execution,
            l2,
        } = parts;
        let mut commitments = HashMap::with_capacity(entries.len());
        let mut inclusion_txs = HashMap::new();
        for entry in &entries {
            if let Reservation::Inclusion { txs, .. } = &entry.reservation {
                inclusion_txs.insert(entry.request_id(), txs.clone());
            }
            ledger.apply(entry);
            let signed = entry.commitment.clone().sign(&signer, &config.domain).map_err(|e| {
                tracing::error!(error = %e, request_id = %entry.request_id(), "journaled promise cannot be re-signed");
                RpcError::Internal
            })?;
            commitments.insert(entry.request_id(), signed);
        }
        let restored = Restored {
            commitments: commitments.len(),
        };
        let ip_limiter = RateLimiter::new(config.rate_per_ip.0, config.rate_per_ip.1);
        let wallet_limiter = RateLimiter::new(config.rate_per_wallet.0, config.rate_per_wallet.1);
        let service = Self {
            ip_limiter,
            wallet_limiter,
            config,
            signer,
            journal,
            ledger: Mutex::new(ledger),
            duties,
            clock,
            rollups,
            execution,
            l2,
            commitments: Mutex::new(commitments),
            inclusion_txs: Mutex::new(inclusion_txs),
            journal_failed: AtomicBool::new(false),
            market: None,
            auctions: Mutex::new(AuctionBook::default()),
        };
        Ok((service, restored))
    }

    /// The committer address.
    pub fn committer(&self) -> Address {
        self.signer.address()
    }

    /// The service configuration.
    pub const fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// Takes one call from `client`'s rate budget.
    pub fn allow_client(&self, client: IpAddr) -> Result<(), RpcError> {
        if self.ip_limiter.allow(client, self.clock.now_ms()) {
            Ok(())
        } else {
            Err(RpcError::RateLimited(format!(
                "too many calls from {client}"
            )))
        }
    }

    /// Whether promises can be made (the journal has not failed).
    pub fn healthy(&self) -> bool {
        !self.journal_failed.load(Ordering::SeqCst)
    }

    /// The signed promise for `request_id`, if we made one.
    pub fn commitment(&self, request_id: B256) -> Option<SignedCommitment> {
        self.commitments
            .lock()
            .ok()
            .and_then(|c| c.get(&request_id).cloned())
    }

    /// The promise of `slot` whose EIP-712 digest is `digest`, with its raw L1
    /// transactions (empty for a sequencing promise): what a dispute defence needs.
    pub fn disputed(&self, slot: Slot, digest: B256) -> Option<(SignedCommitment, Vec<Bytes>)> {
        let signed = {
            let all = self.commitments.lock().ok()?;
            all.values()
                .find(|s| {
                    s.commitment.slot == slot && s.commitment.digest(&self.config.domain) == digest
                })
                .cloned()?
        };
        let txs = self
            .inclusion_txs
            .lock()
            .ok()
            .and_then(|kept| kept.get(&signed.commitment.request_id).cloned())
            .unwrap_or_default();
        Some((signed, txs))
    }

    /// `baton_commitments`: the signed promises for slots `from..=to` in slot order, at
    /// most [`MAX_LISTED_COMMITMENTS`], and whether more were left out.
    pub fn commitments_between(
        &self,
        from: Slot,
        to: Slot,
    ) -> Result<(Vec<SignedCommitment>, bool), RpcError> {
        let all = self.commitments.lock().map_err(|_| RpcError::Internal)?;
        Ok(listing::select(
            all.values(),
            from,
            to,
            MAX_LISTED_COMMITMENTS,
        ))
    }

    /// Checks that `slot` is ours, in the window and before its deadline; returns the
    /// validator that proposes it.
    pub fn check_slot(&self, slot: Slot) -> Result<BlsPublicKey, RpcError> {
        let now_ms = self.clock.now_ms();
        let slot_start_ms = self.config.chain.slot_timestamp(slot).saturating_mul(1000);
        let deadline_ms = slot_start_ms.saturating_sub(self.config.deadline_ms);
        if now_ms >= deadline_ms {
            return Err(RpcError::PastDeadline {
                slot: slot.0,
                late_ms: now_ms - deadline_ms,
            });
        }
        let current = self.config.chain.slot_at(now_ms / 1000).unwrap_or_default();
        let last = current.0 + self.config.window_slots;
        if slot.0 > last {
            return Err(RpcError::OutOfWindow { slot: slot.0, last });
        }
        self.duties
            .proposer(slot)
            .ok_or(RpcError::SlotNotOurs(slot.0))
    }

    /// Runs a promise request, recording its latency and outcome.
    async fn measured(
        &self,
        inner: impl Future<Output = Result<SignedCommitment, RpcError>>,
    ) -> Result<SignedCommitment, RpcError> {
        let started = Instant::now();
        let result = inner.await;
        metrics::record_request(started.elapsed());
        match &result {
            Ok(signed) => metrics::record_commitment(signed.commitment.kind),
            Err(e) => metrics::record_error(e),
        }
        result
    }

    /// The checks every promise request passes first: the journal works, the request
    /// decodes and carries the wallet's signature, the wallet is within its rate, the
    /// request is new, and the slot is ours and open. Returns the slot's validator.
    fn check_request(
        &self,
        request: &SignedRequest,
    ) -> Result<(CheckedRequest, BlsPublicKey), RpcError> {
        if !self.healthy() {
            return Err(RpcError::JournalUnavailable);
        }
        let checked = request.check(&self.config.domain).map_err(|e| match e {
            RequestError::Signature(e) => RpcError::BadSignature(e.to_string()),
            other => RpcError::MalformedRequest(other.to_string()),
        })?;
        if !self
            .wallet_limiter
            .allow(checked.wallet, self.clock.now_ms())
        {
            return Err(RpcError::RateLimited(format!(
                "too many requests from wallet {}",
                checked.wallet
            )));
        }
        if self.commitment(checked.id).is_some() {
            return Err(RpcError::AlreadyPromised(format!(
                "request {} is already promised",
                checked.id
            )));
        }
        let validator = self.check_slot(checked.slot)?;
        Ok((checked, validator))
    }

    /// Record before sign: `plan` checks and builds the journal entry under the ledger
    /// lock (`Ok(None)`: the books moved under it, try again); the entry goes to the
    /// journal in lock order, the books take it, and the signature is made only once the
    /// journal reports it durable.
    async fn promise(
        &self,
        plan: impl FnOnce(&Ledger) -> Result<Option<JournalEntry>, RpcError>,
    ) -> Result<Option<SignedCommitment>, RpcError> {
        let signed = self
            .promise_all(|ledger| Ok(plan(ledger)?.map(|entry| vec![entry])))
            .await?;
        Ok(signed.and_then(|mut all| all.pop()))
    }

    /// [`Self::promise`] for several promises planned together (an award's sequencing and
    /// payment): all are journaled in order under one ledger lock, then signed.
    async fn promise_all(
        &self,
        plan: impl FnOnce(&Ledger) -> Result<Option<Vec<JournalEntry>>, RpcError>,
    ) -> Result<Option<Vec<SignedCommitment>>, RpcError> {
        let (pendings, commitments) = {
            let mut ledger = self.ledger.lock().map_err(|_| RpcError::Internal)?;
            let Some(entries) = plan(&ledger)? else {
                return Ok(None);
            };
            let mut pendings = Vec::with_capacity(entries.len());
            for entry in &entries {
                if let Reservation::Inclusion { txs, .. } = &entry.reservation
                    && let Ok(mut kept) = self.inclusion_txs.lock()
                {
                    kept.insert(entry.request_id(), txs.clone());
                }
                pendings.push(
                    self.journal
                        .submit(entry)
                        .map_err(|e| self.journal_failure(&e))?,
                );
                ledger.apply(entry);
            }
            let commitments: Vec<_> = entries.into_iter().map(|e| e.commitment).collect();
            (pendings, commitments)
        };
        for pending in pendings {
            pending
                .durable()
                .await
                .map_err(|e| self.journal_failure(&e))?;
        }
        let mut all = Vec::with_capacity(commitments.len());
        for commitment in commitments {
            let signed = commitment
                .sign(&self.signer, &self.config.domain)
                .map_err(|e| {
                    tracing::error!(error = %e, "signing a durable promise failed");
                    RpcError::Internal
                })?;
            if let Ok(mut commitments) = self.commitments.lock() {
                commitments.insert(signed.commitment.request_id, signed.clone());
            }
            tracing::debug!(slot = signed.commitment.slot.0, request_id = %signed.commitment.request_id, kind = ?signed.commitment.kind, "promise signed");
            all.push(signed);
        }
        Ok(Some(all))
    }

    /// Seals `slot` at its deadline (step ④): no promise is made in it any more; returns
    /// every promised L1 transaction and each rollup's batch. Sealing again returns the
    /// same contents.
    pub fn seal_slot(&self, slot: Slot) -> Result<SlotContents, RpcError> {
        let mut ledger = self.ledger.lock().map_err(|_| RpcError::Internal)?;
        Ok(ledger.seal(slot))
    }

    /// Makes a seal durable in the journal; nothing of it may leave before this returns.
    pub async fn record_seal(&self, seal: &SealRecord) -> Result<(), RpcError> {
        self.journal
            .submit_seal(seal)
            .map_err(|e| self.journal_failure(&e))?
            .durable()
            .await
            .map_err(|e| self.journal_failure(&e))
    }

    /// A new execution head: slots up to it leave the books.
    pub fn on_head(&self, head: crate::execution::Head) {
        if let Ok(mut ledger) = self.ledger.lock() {
            ledger.on_head(head.number, head.slot);
        }
    }

    fn journal_failure(&self, e: &crate::journal::JournalError) -> RpcError {
        tracing::error!(error = %e, "journal failure: suspending promises until restart");
        self.journal_failed.store(true, Ordering::SeqCst);
        RpcError::JournalUnavailable
    }

    /// The L2 chain ids of the rollups sequenced.
    pub fn l2_chain_ids(&self) -> Vec<u64> {
        self.rollups.values().copied().collect()
    }

    /// L1 gas promisable per slot.
    pub fn gas_per_slot(&self) -> u64 {
        self.ledger.lock().map_or(0, |l| l.limits().gas_per_slot)
    }

    /// The price parameters.
    pub const fn pricing(&self) -> Pricing {
        Pricing {
            base_tip_wei: self.config.base_tip_wei,
            rollup_tx_fee: self.config.fee_per_rollup_tx,
        }
    }

    /// `baton_fee`: what `gas` of L1 inclusion and `rollup_txs` rollup transactions cost in
    /// `slot` now. The minimum tip is `None` when the gas no longer fits.
    pub fn quote(&self, slot: Slot, gas: u64, rollup_txs: usize) -> Result<FeeQuote, RpcError> {
        self.check_slot(slot)?;
        let ledger = self.ledger.lock().map_err(|_| RpcError::Internal)?;
        let capacity = ledger.limits().gas_per_slot;
        let left = ledger.gas_left(slot);
        let pricing = self.pricing();
        Ok(FeeQuote {
            slot,
            min_priority_fee_per_gas: pricing.min_tip(capacity - left, gas, capacity),
            rollup_fee: pricing.rollup_fee(rollup_txs),
            l1_gas_left: left,
        })
    }

    /// Upcoming slots of ours in the window, with remaining L1 gas.
    pub fn slots(&self) -> Vec<(Slot, BlsPublicKey, u64)> {
        let now = self.clock.now_ms() / 1000;
        let current = self.config.chain.slot_at(now).unwrap_or_default();
        let last = Slot(current.0 + self.config.window_slots);
        let ledger = self.ledger.lock();
        self.duties
            .owned_between(current.next(), last)
            .into_iter()
            .map(|(slot, pk)| (slot, pk, ledger.as_ref().map_or(0, |l| l.gas_left(slot))))
            .collect()
    }
}
