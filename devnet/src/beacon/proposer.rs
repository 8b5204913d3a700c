//! The proposer, one slot at a time (steps ⑥–⑦ from the validator's side).
//!
//! At the slot's start: `getHeader` from the proposer's builder URL (950 ms at most),
//! check the bid, sign the blinded block, `submitBlindedBlock`, check the payload
//! against the signed header, then `engine_newPayloadV4` + `forkchoiceUpdatedV3`. No
//! bid, a bad bid or no payload: a block the builder published to us for this slot
//! (a relay publishes before it answers), else a local block through the Engine API.
//! The builder path must end `local_reserve` before the slot ends, so a slow builder
//! never pushes the local block, or the next slot, late. After the slot: a `head` event
//! (if a block landed) and the next slot's `payload_attributes`.
//!
//! A local block after a signed blinded block is a second signed block for the slot:
//! slashable on a real network, accepted here so the devnet stays live.

use std::{
    collections::BTreeMap,
    sync::{Arc, atomic::Ordering},
    time::{Duration, Instant},
};

use alloy_primitives::B256;
use baton_preconf::{
    BlsSignature, Slot,
    ssz::{
        ExecutionPayload, ExecutionRequests, SignedValidatorRegistration, SszError,
        ValidatorRegistrationV1, hash_tree_root,
    },
};
use futures_util::future::join_all;

use super::{
    bid::{BidError, Expected, check_bid, check_payload},
    block::{BlockParts, SignedBlock, assemble, payload_header},
    builder_client::{BuilderError, redact},
    chain::{BlockSource, Head, MissReason, ProposedBlock},
    engine::{EngineFailure, PayloadAttributes},
    events::{head_event, payload_attributes_event},
    keys::Validator,
    publish,
    service::Shared,
};

/// Deadline of a registration call.
const REGISTRATION_TIMEOUT: Duration = Duration::from_secs(2);

/// Why one way of getting a block failed (logged; the flow tries the next way).
#[derive(Debug, thiserror::Error)]
pub(crate) enum FlowError {
    /// The builder API failed.
    #[error(transparent)]
    Builder(#[from] BuilderError),
    /// The builder had no bid.
    #[error("no bid")]
    NoBid,
    /// The bid or its payload is not acceptable.
    #[error(transparent)]
    Bid(#[from] BidError),
    /// Too little of the slot is left.
    #[error("no time left in the slot")]
    NoTime,
    /// The execution client failed or refused.
    #[error(transparent)]
    Engine(#[from] EngineFailure),
    /// A block could not be hashed.
    #[error(transparent)]
    Ssz(#[from] SszError),
    /// The built payload is not on the head or not for the slot.
    #[error("the execution client built on {parent} at {timestamp}, not on the head")]
    WrongPayload {
        /// Its parent.
        parent: B256,
        /// Its timestamp.
        timestamp: u64,
    },
}

/// A signed block ready to import.
#[derive(Debug, Clone)]
pub(crate) struct Ready {
    pub(crate) source: BlockSource,
    pub(crate) root: B256,
    pub(crate) state_root: B256,
    pub(crate) body_root: B256,
    pub(crate) signature: BlsSignature,
    pub(crate) randao_mix: B256,
    pub(crate) payload: ExecutionPayload,
    pub(crate) requests: ExecutionRequests,
}

impl Ready {
    fn from_signed(
        source: BlockSource,
        signed: &SignedBlock,
        payload: ExecutionPayload,
        requests: ExecutionRequests,
    ) -> Result<Self, SszError> {
        let message = &signed.block.message;
        Ok(Self {
            source,
            root: signed.root,
            state_root: B256::from(message.state_root),
            body_root: hash_tree_root(&message.body)?,
            signature: BlsSignature::from_slice(&signed.block.signature).unwrap_or_default(),
            randao_mix: signed.randao_mix,
            payload,
            requests,
        })
    }
}

/// The payload attributes of `slot` on `head`.
pub(crate) fn attributes(
    shared: &Shared,
    slot: Slot,
    head: &Head,
    validator: &Validator,
) -> PayloadAttributes {
    PayloadAttributes {
        timestamp: shared.spec.slot_timestamp(slot),
        prev_randao: head.randao_mix,
        suggested_fee_recipient: validator.fee_recipient,
        withdrawals: Vec::new(),
        parent_beacon_block_root: head.root,
    }
}

/// Sends the `payload_attributes` event of `slot` (on the current head).
pub(crate) fn announce(shared: &Shared, slot: Slot) {
    let head = shared.head();
    let index = shared.schedule.proposer(slot);
    let validator = &shared.validators[index as usize];
    let attributes = attributes(shared, slot, &head, validator);
    shared
        .events
        .publish(payload_attributes_event(slot, index, &head, &attributes));
}

/// Proposes slot after slot until the service stops.
pub(crate) async fn run(shared: Arc<Shared>) {
    let mut stopped = shared.stop.subscribe();
    let mut slot = Slot(shared.head().slot.0.max(shared.current_slot().0) + 1);
    announce(&shared, slot);
    loop {
        let start = shared.slot_start_ms(slot);
        let now = shared.clock.now_ms();
        if start > now {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_millis(start - now)) => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
        }
        if *stopped.borrow() {
            return;
        }
        let epoch_start = shared.spec.epoch_start(shared.spec.epoch_of(slot)) == slot;
        if shared.registration_due.swap(false, Ordering::SeqCst) || epoch_start {
            let shared = shared.clone();
            tokio::spawn(async move { register_all(&shared).await });
        }
        tokio::select! {
            () = propose(&shared, slot) => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
        slot = Slot(slot.0 + 1);
    }
}

/// Registers every validator with its builder URL (one call per URL); a failed call
/// marks the registration due again at the next slot.
pub(crate) async fn register_all(shared: &Shared) {
    let timestamp = shared.clock.now_ms() / 1000;
    let mut by_url: BTreeMap<&str, Vec<SignedValidatorRegistration>> = BTreeMap::new();
    for validator in &shared.validators {
        let Some(url) = validator.builder_url.as_deref() else {
            continue;
        };
        let registration = ValidatorRegistrationV1::new(
            validator.fee_recipient.0.0,
            shared.gas_limit,
            timestamp,
            &validator.pubkey,
        )
        .sign(&validator.key, shared.spec.genesis_fork_version);
        match registration {
            Ok(signed) => by_url.entry(url).or_default().push(signed),
            Err(error) => {
                tracing::error!(%error, index = validator.index, "cannot sign a registration");
            }
        }
    }
    let calls = by_url.iter().map(|(url, registrations)| async move {
        let result = shared
            .builders
            .register(url, registrations, REGISTRATION_TIMEOUT)
            .await;
        (*url, registrations.len(), result)
    });
    for (url, count, result) in join_all(calls).await {
        match result {
            Ok(()) => tracing::debug!(builder = %redact(url), count, "validators registered"),
            Err(error) => {
                tracing::warn!(%error, count, "validator registration failed; retrying next slot");
                shared.registration_due.store(true, Ordering::SeqCst);
            }
        }
    }
}

/// Proposes `slot`: records the outcome and announces the next slot.
pub(crate) async fn propose(shared: &Shared, slot: Slot) {
    let started = Instant::now();
    let index = shared.schedule.proposer(slot);
    let validator = &shared.validators[index as usize];
    let who = (index, validator.pubkey);
    let head = shared.head();
    let end_ms = shared.slot_start_ms(slot) + shared.slot_ms();

    let miss = |reason| {
        shared.with_chain(|c| c.miss(slot, who, reason));
        tracing::info!(slot = slot.0, proposer = index, ?reason, "slot missed");
    };
    if shared.faults.is_missed(slot) {
        miss(MissReason::Fault);
    } else if shared.clock.now_ms() >= end_ms {
        miss(MissReason::Late);
    } else {
        match produce(shared, slot, &head, validator).await {
            Some(block) => tracing::info!(
                slot = slot.0,
                proposer = index,
                source = ?block.source,
                block_number = block.block_number,
                txs = block.tx_count,
                root = %block.root,
                ms = started.elapsed().as_millis() as u64,
                "block proposed"
            ),
            None => miss(MissReason::NoPayload),
        }
    }
    publish::clear(shared, slot);
    announce(shared, Slot(slot.0 + 1));
}

/// Tries the builder, a published block and a local block, in that order; imports the
/// first that comes. `None` if none landed.
async fn produce(
    shared: &Shared,
    slot: Slot,
    head: &Head,
    validator: &Validator,
) -> Option<ProposedBlock> {
    let attributes = attributes(shared, slot, head, validator);
    if let Some(url) = &validator.builder_url {
        match via_builder(shared, slot, head, validator, url, &attributes).await {
            Ok(ready) => match land(shared, slot, validator, head, ready).await {
                Ok(block) => return Some(block),
                Err(error) => {
                    tracing::warn!(slot = slot.0, %error, "the builder's block did not import");
                }
            },
            Err(error) => {
                tracing::info!(slot = slot.0, builder = %redact(url), %error, "no block from the builder");
            }
        }
    }
    if let Some(ready) = publish::take(shared, slot, head, None) {
        match land(shared, slot, validator, head, ready).await {
            Ok(block) => return Some(block),
            Err(error) => {
                tracing::warn!(slot = slot.0, %error, "the published block did not import");
            }
        }
    }
    match local(shared, slot, head, validator, &attributes).await {
        Ok(ready) => match land(shared, slot, validator, head, ready).await {
            Ok(block) => Some(block),
            Err(error) => {
                tracing::error!(slot = slot.0, %error, "the local block did not import");
                None
            }
        },
        Err(error) => {
            tracing::error!(slot = slot.0, %error, "no local block");
            None
        }
    }
}

fn left_ms(shared: &Shared, until_ms: u64) -> Result<Duration, FlowError> {
    let now = shared.clock.now_ms();
    if now >= until_ms {
        return Err(FlowError::NoTime);
    }
    Ok(Duration::from_millis(until_ms - now))
}

async fn via_builder(
    shared: &Shared,
    slot: Slot,
    head: &Head,
    validator: &Validator,
    url: &str,
    attributes: &PayloadAttributes,
) -> Result<Ready, FlowError> {
    let deadline = (shared.slot_start_ms(slot) + shared.slot_ms())
        .saturating_sub(shared.timing.local_reserve.as_millis() as u64);
    let timeout = left_ms(shared, deadline)?.min(shared.timing.header_timeout);
    let bid = shared
        .builders
        .get_header(url, slot, head.block_hash, &validator.pubkey, timeout)
        .await?
        .ok_or(FlowError::NoBid)?;
    let expected = Expected {
        parent_hash: head.block_hash,
        parent_number: head.block_number,
        parent_gas_limit: head.gas_limit,
        target_gas_limit: shared.gas_limit,
        timestamp: attributes.timestamp,
        prev_randao: attributes.prev_randao,
        withdrawals: attributes.withdrawals.clone(),
    };
    check_bid(&bid, &expected, shared.spec.genesis_fork_version)?;
    let message = bid.message;
    let header = message.header.clone();
    let signed = assemble(
        &shared.spec,
        head,
        &validator.key,
        BlockParts {
            slot,
            proposer_index: validator.index,
            header: message.header,
            blob_kzg_commitments: message.blob_kzg_commitments.clone(),
            execution_requests: message.execution_requests.clone(),
        },
    )?;
    let source = BlockSource::Builder { url: redact(url) };
    let timeout = left_ms(shared, deadline)?;
    match shared
        .builders
        .submit_blinded(url, &signed.block, timeout)
        .await
    {
        Ok(answer) => {
            check_payload(&header, &message.blob_kzg_commitments, &answer)?;
            Ok(Ready::from_signed(
                source,
                &signed,
                answer.execution_payload,
                message.execution_requests,
            )?)
        }
        Err(error) => {
            // A relay publishes the full block before it answers: if that copy arrived,
            // the block is out and this slot's block is that one.
            publish::take(shared, slot, head, Some((signed.root, source))).ok_or(error.into())
        }
    }
}

async fn local(
    shared: &Shared,
    slot: Slot,
    head: &Head,
    validator: &Validator,
    attributes: &PayloadAttributes,
) -> Result<Ready, FlowError> {
    let end = shared.slot_start_ms(slot) + shared.slot_ms();
    let timeout = left_ms(shared, end)?;
    let built = tokio::time::timeout(timeout, shared.engine.build(head.block_hash, attributes))
        .await
        .map_err(|_| FlowError::NoTime)??;
    let payload = built.payload;
    if B256::from(payload.parent_hash) != head.block_hash
        || payload.timestamp != attributes.timestamp
    {
        return Err(FlowError::WrongPayload {
            parent: B256::from(payload.parent_hash),
            timestamp: payload.timestamp,
        });
    }
    let signed = assemble(
        &shared.spec,
        head,
        &validator.key,
        BlockParts {
            slot,
            proposer_index: validator.index,
            header: payload_header(&payload)?,
            blob_kzg_commitments: built.blobs_bundle.commitments,
            execution_requests: built.execution_requests.clone(),
        },
    )?;
    Ok(Ready::from_signed(
        BlockSource::Local,
        &signed,
        payload,
        built.execution_requests,
    )?)
}

/// Imports `ready` into the execution client and makes it the head.
async fn land(
    shared: &Shared,
    slot: Slot,
    validator: &Validator,
    head: &Head,
    ready: Ready,
) -> Result<ProposedBlock, EngineFailure> {
    shared
        .engine
        .import(&ready.payload, &ready.requests, head.root)
        .await?;
    let block = ProposedBlock {
        source: ready.source,
        root: ready.root,
        parent_root: head.root,
        state_root: ready.state_root,
        body_root: ready.body_root,
        signature: ready.signature,
        block_hash: B256::from(ready.payload.block_hash),
        block_number: ready.payload.block_number,
        tx_count: ready.payload.transactions.len(),
    };
    let new_head = shared.with_chain(|c| {
        c.commit(
            slot,
            (validator.index, validator.pubkey),
            block.clone(),
            ready.payload.timestamp,
            ready.payload.gas_limit,
            ready.randao_mix,
        );
        c.head()
    });
    let epoch_transition = shared.spec.epoch_start(shared.spec.epoch_of(slot)) == slot;
    let dependent = shared.with_chain(|c| c.anchor().root);
    shared
        .events
        .publish(head_event(&new_head, epoch_transition, dependent));
    Ok(block)
}
