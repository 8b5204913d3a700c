//! The proposer's side of PBS: steps ④ and ⑥ of `docs/architecture.md`, where promises
//! become an L1 block.
//!
//! | file | what |
//! |---|---|
//! | [`delegations`](Delegator) | ④ validator keys delegate constraint signing to the sidecar's key; kept published on every relay, again after a relay restarts |
//! | `seal`, `nonces` | ④ at each of our slots' deadline: batch transactions (committer nonces managed), BLS-signed constraints, journaled before they leave |
//! | `relays` | ④ ⑥ relay endpoints (`0x<pubkey>@url`), their client, retries with backoff |
//! | `verify` | ⑥ a relay bid's signature, slot, parent and proofs against our own promises; the best of several |
//! | `mempool`, `attributes`, `fallback`, `engine` | ⑥ a sealed slot's transactions to the execution client's pool; the slot's payload attributes; the local block through the Engine API (`baton-engine`), checked to carry every promise |
//! | `producer`, `proxy`, `error` | ⑥ the builder API the beacon node calls: `status`, `registerValidator`, `getHeader`, `submitBlindedBlock` |
//!
//! It must hold when relays lie or vanish: a relay's bid is served only if it proves every
//! constrained transaction against its own header; otherwise, or when no relay answers in
//! time, the proposer gets the local block, built ahead so serving it is instant.

mod attributes;
mod delegations;
mod engine;
mod error;
mod fallback;
mod mempool;
mod nonces;
mod producer;
mod proxy;
mod relays;
mod seal;
mod state;
mod verify;

use std::{collections::HashSet, sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{BlsSecretKey, ChainSpec, Slot};

pub use attributes::parse_event as parse_attributes_event;
pub use delegations::Delegator;
pub use engine::EngineBuilder;
pub use error::ProxyError;
pub use fallback::{
    BuildRequest, BuiltPayload, FallbackParts, MissingReason, PayloadBuilder,
    build as build_fallback,
};
pub use mempool::{RpcPool, TxPool};
pub use nonces::{BatchFees, NonceBook};
pub use producer::{Producer, ProducerParts, Timing};
pub use proxy::{MAX_BLINDED_BLOCK_BODY, MAX_REGISTRATIONS, router, serve};
pub use relays::{RelayBid, RelayCallError, RelayClient, RelayEndpoint, with_backoff};
pub use seal::{SealError, SealParts, Sealer, batch_gas_limit, batch_transaction};
pub use state::{ConstrainedTx, Fallback, Sealed, SlotAttributes};
pub use verify::{BidRejection, Expected, Rejected, Valid, choose, verify_bid};

use crate::{
    execution::ExecutionState,
    journal::SealRecord,
    keys::DelegateKey,
    lookahead::{Duties, SlotClock},
    service::Service,
};

/// Longest pause of the seal loop (it also notices new duties this often).
const SEAL_TICK: Duration = Duration::from_millis(100);

/// Everything block production runs on.
#[derive(Debug)]
pub struct PbsParts {
    /// The promise service (its books are sealed, its journal records seals).
    pub service: Arc<Service>,
    /// The L1 head and accounts.
    pub execution: Arc<ExecutionState>,
    /// Our duties.
    pub duties: Arc<Duties>,
    /// The clock.
    pub clock: Arc<dyn SlotClock>,
    /// The chain.
    pub chain: ChainSpec,
    /// Promises for a slot close (and it is sealed) this long before it starts (ms).
    pub deadline_ms: u64,
    /// Signs batch transactions.
    pub committer: PrivateKeySigner,
    /// Signs constraints and the fallback bid.
    pub delegate: DelegateKey,
    /// Validator keys whose delegations are published (may be empty).
    pub validator_keys: Arc<Vec<BlsSecretKey>>,
    /// The `RollupInbox` batches are sent to.
    pub inbox: Option<Address>,
    /// Priority fee of batch transactions (wei per gas).
    pub batch_tip_wei: u128,
    /// Fault: leave each sealed slot's last promised L1 transaction out.
    pub drop_promised_tx: bool,
    /// The relays.
    pub relays: Vec<RelayEndpoint>,
    /// Builder-API timings.
    pub timing: Timing,
    /// The beacon node (payload attributes).
    pub beacon_url: String,
    /// The execution client's pool.
    pub pool: Option<Arc<dyn TxPool>>,
    /// The execution client's payload builder (`None`: no fallback block).
    pub builder: Option<Arc<dyn PayloadBuilder>>,
    /// Seals replayed from the journal.
    pub replayed: Vec<SealRecord>,
}

/// Block production, running.
#[derive(Debug)]
pub struct Pbs {
    /// Answers the builder API.
    pub producer: Arc<Producer>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Drop for Pbs {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Pbs {
    /// Starts delegations, sealing, the attributes follower and the pool hand-off; the
    /// journal's seals for slots not yet over are taken up again (the same constraints are
    /// sent again). Serve [`Self::producer`] with [`serve`].
    pub fn start(parts: PbsParts) -> Self {
        let PbsParts {
            service,
            execution,
            duties,
            clock,
            chain,
            deadline_ms,
            committer,
            delegate,
            validator_keys,
            inbox,
            batch_tip_wei,
            drop_promised_tx,
            relays,
            timing,
            beacon_url,
            pool,
            builder,
            replayed,
        } = parts;
        let timeout = timing.relay_timeout.max(Duration::from_secs(2));
        let relays: Vec<RelayClient> = relays
            .iter()
            .map(|e| RelayClient::new(e.clone(), timeout))
            .collect();
        let mut tasks = Vec::new();
        let delegator = (!validator_keys.is_empty()).then(|| {
            Arc::new(Delegator::new(
                validator_keys.clone(),
                (delegate.public_key(), committer.address()),
                chain.clone(),
                duties.clone(),
                clock.clone(),
                relays.clone(),
            ))
        });
        if let Some(delegator) = &delegator {
            tasks.push(tokio::spawn(delegator.clone().run()));
        } else {
            tracing::warn!(
                "no validator keystores: delegations are not published, so relays take constraints only if delegations reach them another way (`baton-sidecar delegate`)"
            );
        }
        let fallback = builder.clone().map(|builder| FallbackParts {
            builder,
            pool: pool.clone(),
            execution: Some(execution.clone()),
            signer: delegate.clone(),
            genesis_fork_version: chain.genesis_fork_version,
            rebuild_until: None,
        });
        if fallback.is_none() {
            tracing::warn!(
                "no Engine API configured (--l1.engine-url): no fallback block; when no relay offers a valid bid, getHeader answers 204"
            );
        }
        let producer = Arc::new(Producer::new(ProducerParts {
            chain: chain.clone(),
            timing,
            relays,
            duties: duties.clone(),
            clock: clock.clone(),
            fallback,
            pool: pool.clone(),
            delegator,
        }));
        let current = chain.slot_at(clock.now_ms() / 1000).unwrap_or_default();
        for record in replayed.iter().filter(|r| r.slot >= current) {
            if let Err(error) = service.seal_slot(record.slot) {
                tracing::error!(%error, slot = record.slot.0, "closing a sealed slot in the books failed");
            }
            tracing::info!(
                slot = record.slot.0,
                "sealed before the restart: sending the journaled constraints again"
            );
            producer.install(record);
        }
        let sealer = Arc::new(Sealer::new(
            SealParts {
                service,
                committer,
                execution,
                delegate,
                chain: chain.clone(),
                inbox,
                batch_tip_wei,
                drop_promised_tx,
                clock: clock.clone(),
            },
            &replayed,
        ));
        tasks.push(tokio::spawn(seal_loop(
            sealer,
            producer.clone(),
            duties,
            clock.clone(),
            chain,
            deadline_ms,
        )));
        let on_attributes = {
            let producer = producer.clone();
            move |attributes| producer.on_attributes(attributes)
        };
        tasks.push(tokio::spawn(attributes::follow(beacon_url, on_attributes)));
        Self { producer, tasks }
    }
}

/// Seals each of our slots at its deadline (or at once if the sidecar starts after the
/// deadline but before the slot is over), then hands the seal to the producer.
async fn seal_loop(
    sealer: Arc<Sealer>,
    producer: Arc<Producer>,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
    chain: ChainSpec,
    deadline_ms: u64,
) {
    let mut tried: HashSet<Slot> = HashSet::new();
    loop {
        let now = clock.now_ms();
        let current = chain.slot_at(now / 1000).unwrap_or_default();
        tried.retain(|s| *s >= current);
        let mut pause = SEAL_TICK;
        for (slot, proposer) in duties.owned_between(current, Slot(current.0 + 2)) {
            if producer.is_sealed(slot) || tried.contains(&slot) {
                continue;
            }
            let deadline = chain
                .slot_timestamp(slot)
                .saturating_mul(1000)
                .saturating_sub(deadline_ms);
            if now < deadline {
                pause = pause.min(Duration::from_millis(deadline - now));
                continue;
            }
            tried.insert(slot);
            match sealer.seal(slot, proposer).await {
                Ok(record) => producer.install(&record),
                Err(error) => {
                    tracing::error!(%error, "sealing failed: the slot's promises will be broken");
                }
            }
        }
        tokio::time::sleep(pause.max(Duration::from_millis(2))).await;
    }
}
