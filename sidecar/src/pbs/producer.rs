//! The block producer (steps ④–⑥): takes each sealed slot (hands its transactions to the
//! pool, sends its constraints to every relay, builds the fallback block), and answers the
//! beacon node's `getHeader` and signed blinded blocks.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, ChainSpec, Slot,
    ssz::{
        ExecutionPayloadAndBlobsBundle, SignedBlindedBeaconBlockElectra, SignedBuilderBidElectra,
        TransactionsTree, hash_tree_root,
    },
};

use super::{
    delegations::Delegator,
    error::ProxyError,
    fallback::{self, FallbackParts},
    mempool::TxPool,
    relays::{RelayCallError, RelayClient, with_backoff},
    state::{Book, Sealed, Served, SlotAttributes, Source},
    verify::{Expected, Valid, choose, verify_bid},
};
use crate::{
    journal::SealRecord,
    lookahead::{Duties, SlotClock},
    metrics,
};

/// The relay's error code for "the signer is not the proposer's delegate".
const NOT_DELEGATED: u64 = 6003;
/// How long after a slot starts constraints are still sent.
const CONSTRAINTS_GRACE_MS: u64 = 500;

/// Timings of the builder API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long each relay gets to answer `header_with_proofs`.
    pub relay_timeout: Duration,
    /// The whole `getHeader` answer, fallback included (beacon nodes give up at ~950 ms).
    pub budget: Duration,
    /// How long a relay gets to deliver a payload.
    pub payload_timeout: Duration,
}

/// The block producer.
#[derive(Debug)]
pub struct Producer {
    chain: ChainSpec,
    timing: Timing,
    relays: Vec<RelayClient>,
    book: Book,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
    fallback: Option<FallbackParts>,
    pool: Option<Arc<dyn TxPool>>,
    delegator: Option<Arc<Delegator>>,
}

/// What a [`Producer`] works with.
#[derive(Debug)]
pub struct ProducerParts {
    /// The chain (slot times, fork versions, genesis validators root).
    pub chain: ChainSpec,
    /// Timings.
    pub timing: Timing,
    /// The relays, each with its key.
    pub relays: Vec<RelayClient>,
    /// Our proposer duties.
    pub duties: Arc<Duties>,
    /// The clock.
    pub clock: Arc<dyn SlotClock>,
    /// Fallback blocks (`None`: no execution client's Engine API configured).
    pub fallback: Option<FallbackParts>,
    /// The execution client's pool.
    pub pool: Option<Arc<dyn TxPool>>,
    /// Keeps delegations published (asked to republish when a relay says "not delegated").
    pub delegator: Option<Arc<Delegator>>,
}

impl Producer {
    /// A producer.
    pub fn new(parts: ProducerParts) -> Self {
        Self {
            chain: parts.chain,
            timing: parts.timing,
            relays: parts.relays,
            book: Book::default(),
            duties: parts.duties,
            clock: parts.clock,
            fallback: parts.fallback,
            pool: parts.pool,
            delegator: parts.delegator,
        }
    }

    fn current(&self) -> Slot {
        self.chain
            .slot_at(self.clock.now_ms() / 1000)
            .unwrap_or_default()
    }

    /// Whether `slot` was sealed (here, or before a restart and installed).
    pub fn is_sealed(&self, slot: Slot) -> bool {
        self.book.sealed(slot).is_some()
    }

    /// Takes a journaled seal: its transactions go to the pool, its constraints to every
    /// relay (until the slot starts), and the fallback is built once the slot's attributes
    /// are known.
    pub fn install(self: &Arc<Self>, record: &SealRecord) {
        let sealed = Arc::new(Sealed::from_record(record));
        self.book.seal(&sealed);
        if let Some(pool) = &self.pool {
            let pool = pool.clone();
            let txs: Vec<_> = sealed.constrained.iter().map(|c| c.raw.clone()).collect();
            tokio::spawn(async move { pool.submit(&txs).await });
        }
        if let Some(constraints) = &record.constraints {
            let start_ms = self.chain.slot_timestamp(record.slot).saturating_mul(1000);
            let left = (start_ms + CONSTRAINTS_GRACE_MS).saturating_sub(self.clock.now_ms());
            let deadline = tokio::time::Instant::now() + Duration::from_millis(left);
            for index in 0..self.relays.len() {
                let this = self.clone();
                let messages = vec![constraints.clone()];
                tokio::spawn(async move { this.send_constraints(index, messages, deadline).await });
            }
        }
        self.maybe_build(record.slot);
    }

    async fn send_constraints(
        &self,
        index: usize,
        messages: Vec<baton_preconf::constraints::SignedConstraints>,
        deadline: tokio::time::Instant,
    ) {
        let relay = &self.relays[index];
        let slot = messages.first().map_or(0, |m| m.message.slot.0);
        let mut republished = false;
        loop {
            let result = with_backoff(deadline, || relay.constraints(&messages)).await;
            match result {
                Ok(()) => {
                    metrics::record_constraints_sent(true);
                    tracing::info!(relay = relay.label(), slot, "constraints accepted");
                    return;
                }
                Err(e) if e.code() == Some(NOT_DELEGATED) && !republished => {
                    if let Some(delegator) = &self.delegator {
                        tracing::warn!(
                            relay = relay.label(),
                            slot,
                            "relay says we are not delegated; publishing delegations again"
                        );
                        delegator.republish(index);
                        republished = true;
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                    self.constraints_failed(relay, slot, &e);
                    return;
                }
                Err(e) => {
                    self.constraints_failed(relay, slot, &e);
                    return;
                }
            }
        }
    }

    fn constraints_failed(&self, relay: &RelayClient, slot: u64, e: &RelayCallError) {
        metrics::record_constraints_sent(false);
        tracing::warn!(relay = relay.label(), slot, error = %e, "constraints not delivered; this relay's bids for the slot will be refused");
    }

    /// The beacon node announced a slot's payload attributes.
    pub fn on_attributes(self: &Arc<Self>, attributes: SlotAttributes) {
        let slot = attributes.attributes.proposal_slot;
        self.book.prune(self.current());
        self.book.set_attributes(&Arc::new(attributes));
        self.maybe_build(slot);
    }

    /// Starts the fallback build of `slot` once it is sealed and its attributes are known
    /// (once per parent).
    fn maybe_build(self: &Arc<Self>, slot: Slot) {
        let Some(parts) = &self.fallback else {
            return;
        };
        let (Some(sealed), Some(attributes)) = (self.book.sealed(slot), self.book.attributes(slot))
        else {
            return;
        };
        let Some(out) = self
            .book
            .start_fallback(slot, attributes.attributes.parent_block_hash)
        else {
            return;
        };
        let mut parts = parts.clone();
        let until_ms = (self.chain.slot_timestamp(slot).saturating_mul(1000)
            + self.timing.budget.as_millis() as u64)
            .saturating_sub(self.clock.now_ms());
        parts.rebuild_until = Some(std::time::Instant::now() + Duration::from_millis(until_ms));
        tokio::spawn(async move {
            match fallback::build(&parts, &attributes, Some(&sealed), &out).await {
                Ok(built) => tracing::info!(
                    slot = slot.0,
                    block_hash = %B256::from(built.contents.execution_payload.block_hash),
                    txs = built.contents.execution_payload.transactions.len(),
                    missing = built.missing.len(),
                    "fallback block ready"
                ),
                Err(error) => tracing::error!(slot = slot.0, %error, "fallback block not built"),
            }
        });
    }

    /// `getHeader`: the best valid relay bid, else the fallback, else nothing (204).
    pub async fn get_header(
        &self,
        slot: Slot,
        parent_hash: B256,
        proposer: BlsPublicKey,
    ) -> Result<Option<SignedBuilderBidElectra>, ProxyError> {
        let started = Instant::now();
        let ours = self.duties.proposer(slot);
        if ours.is_some_and(|p| p != proposer) {
            return Err(ProxyError::WrongProposer {
                slot: slot.0,
                pubkey: proposer.to_string().chars().take(20).collect(),
            });
        }
        let sealed = self.book.sealed(slot);
        let attributes = self.book.attributes(slot);
        let best = if ours.is_some() && sealed.is_none() {
            tracing::warn!(
                slot = slot.0,
                "getHeader for one of our slots before it was sealed: relay bids cannot be checked"
            );
            None
        } else {
            let constrained = sealed.as_ref().map(|s| s.leaves()).unwrap_or_default();
            let expected = Expected {
                slot,
                timestamp: self.chain.slot_timestamp(slot),
                parent_hash,
                attributes: attributes.as_ref().map(|a| &a.attributes),
                constrained: &constrained,
                genesis_fork_version: self.chain.genesis_fork_version,
            };
            self.best_relay_bid(&expected, proposer).await
        };
        let decided = Instant::now();
        let answer = match best {
            Some(valid) => {
                let signed = valid.bid.signed;
                self.book.served(
                    slot,
                    Served {
                        signed: signed.clone(),
                        source: Source::Relay(valid.relay),
                        proposer,
                    },
                );
                tracing::info!(slot = slot.0, relay = self.relays[valid.relay].label(), value = %valid.value, "relay bid served");
                Some(signed)
            }
            None => {
                self.fallback_bid(slot, parent_hash, proposer, started)
                    .await
            }
        };
        metrics::record_get_header(started.elapsed(), decided.elapsed());
        Ok(answer)
    }

    async fn best_relay_bid(
        &self,
        expected: &Expected<'_>,
        proposer: BlsPublicKey,
    ) -> Option<Valid> {
        let asks = self
            .relays
            .iter()
            .enumerate()
            .map(|(index, relay)| async move {
                let answer = relay
                    .header_with_proofs(
                        expected.slot,
                        expected.parent_hash,
                        &proposer,
                        self.timing.relay_timeout,
                    )
                    .await;
                (index, answer)
            });
        let mut valid = Vec::new();
        for (index, answer) in futures_util::future::join_all(asks).await {
            let relay = &self.relays[index];
            match answer {
                Ok(Some(bid)) => {
                    metrics::record_bid_received(relay.label());
                    let Some(key) = relay.endpoint().pubkey else {
                        continue;
                    };
                    match verify_bid(&bid, &key, expected) {
                        Ok(value) => valid.push(Valid {
                            relay: index,
                            value,
                            bid,
                        }),
                        Err(rejected) => {
                            metrics::record_bid_rejected(rejected.reason);
                            tracing::warn!(relay = relay.label(), slot = expected.slot.0, %rejected, "relay bid refused");
                        }
                    }
                }
                Ok(None) => {}
                Err(error) => tracing::debug!(%error, slot = expected.slot.0, "no bid from relay"),
            }
        }
        choose(valid)
    }

    async fn fallback_bid(
        &self,
        slot: Slot,
        parent_hash: B256,
        proposer: BlsPublicKey,
        started: Instant,
    ) -> Option<SignedBuilderBidElectra> {
        let mut watch = self.book.fallback(slot, parent_hash)?;
        let left = self.timing.budget.saturating_sub(started.elapsed());
        let ready = tokio::time::timeout(left, watch.wait_for(Option::is_some)).await;
        let fallback = match ready {
            Ok(Ok(built)) => built.clone()?,
            _ => {
                tracing::warn!(
                    slot = slot.0,
                    "the fallback block was not ready within the getHeader budget"
                );
                return None;
            }
        };
        metrics::record_fallback_used();
        let signed = fallback.signed.clone();
        self.book.served(
            slot,
            Served {
                signed: signed.clone(),
                source: Source::Fallback(fallback),
                proposer,
            },
        );
        tracing::info!(slot = slot.0, "fallback block served");
        Some(signed)
    }

    /// A signed blinded block: it must carry a header we served, signed by the proposer it
    /// was served to; the payload comes from the relay that made the bid, or is ours.
    pub async fn submit_blinded(
        &self,
        block: &SignedBlindedBeaconBlockElectra,
    ) -> Result<ExecutionPayloadAndBlobsBundle, ProxyError> {
        let slot = Slot(block.message.slot);
        let body = &block.message.body;
        let block_hash = B256::from(body.execution_payload_header.block_hash);
        let served = self
            .book
            .served_with_hash(slot, block_hash)
            .ok_or_else(|| ProxyError::UnknownHeader {
                slot: slot.0,
                block_hash: block_hash.to_string(),
            })?;
        let bid = &served.signed.message;
        let mismatch = || ProxyError::HeaderMismatch {
            block_hash: block_hash.to_string(),
        };
        if hash_tree_root(&body.execution_payload_header).ok() != hash_tree_root(&bid.header).ok()
            || body.blob_kzg_commitments != bid.blob_kzg_commitments
            || body.execution_requests != bid.execution_requests
        {
            return Err(mismatch());
        }
        block
            .verify(
                &served.proposer,
                self.chain.current_fork_version,
                self.chain.genesis_validators_root,
            )
            .map_err(|_| ProxyError::ProposerSignature)?;
        match served.source {
            Source::Fallback(fallback) => {
                tracing::info!(slot = slot.0, %block_hash, "fallback payload revealed");
                Ok(fallback.contents.clone())
            }
            Source::Relay(index) => {
                let relay = &self.relays[index];
                let contents = relay
                    .submit_blinded_block(block, self.timing.payload_timeout)
                    .await
                    .map_err(|e| ProxyError::RelayFailed {
                        reason: e.to_string(),
                    })?;
                let payload = &contents.execution_payload;
                let root = TransactionsTree::new(&payload.transactions).map(|t| t.root());
                let header = root.and_then(|r| payload.header(r).ok());
                if header.and_then(|h| hash_tree_root(&h).ok()) != hash_tree_root(&bid.header).ok()
                {
                    return Err(ProxyError::RelayFailed {
                        reason: format!(
                            "{} answered a payload that is not the signed header's",
                            relay.label()
                        ),
                    });
                }
                tracing::info!(slot = slot.0, %block_hash, relay = relay.label(), "relay payload delivered");
                Ok(contents)
            }
        }
    }

    /// Forwards validator registrations (as received) to every relay; fails only if every
    /// relay refused.
    pub async fn register(
        &self,
        body: axum::body::Bytes,
        content_type: &str,
    ) -> Result<(), ProxyError> {
        if self.relays.is_empty() {
            return Ok(());
        }
        let calls = self
            .relays
            .iter()
            .map(|relay| relay.register(body.clone(), content_type));
        let answers = futures_util::future::join_all(calls).await;
        if answers.iter().any(Result::is_ok) {
            return Ok(());
        }
        let reason = answers
            .into_iter()
            .find_map(Result::err)
            .map_or_else(String::new, |e| e.to_string());
        Err(ProxyError::RegistrationRefused { reason })
    }
}
