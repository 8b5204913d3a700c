//! One slot's work (step ⑤): find the proposer and its registration, catch up on the
//! relays' constraints, then build and submit, and again each time new constraints
//! arrive, until the slot's cut-off.
//!
//! A build: constrained transactions go to the execution client's pool, the client
//! builds on the slot's parent with the slot's attributes and the proposer's fee
//! recipient, and the payload is checked for every constrained transaction before it is
//! signed and sent, with a multiproof of exactly each relay's constraints.

use std::{collections::HashMap, sync::Arc, time::Duration};

use alloy_primitives::B256;
use baton_engine::{BuiltPayload, PayloadAttributes as EngineAttributes};
use baton_preconf::{
    Slot,
    ssz::{BidTarget, sign_submission},
};
use baton_relay::beacon::PayloadAttributes;
use futures_util::future::join_all;
use tokio::{sync::watch, time::Instant};

use crate::{
    assemble::{self, Plan},
    metrics::Rejection,
    pool::PoolAnswer,
    service::{Builder, Registered},
};

/// What one build-and-submit round did (for logs and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Round {
    /// The block built, if any.
    pub block_hash: Option<B256>,
    /// Constrained transactions known for the slot.
    pub constrained: usize,
    /// Constrained transactions missing from the payload.
    pub missing: usize,
    /// Relays that accepted the block.
    pub accepted: usize,
}

/// Works on `attributes`' slot until its cut-off; `changed` ticks when constraints for
/// the slot arrive.
pub(crate) async fn work(
    builder: Arc<Builder>,
    attributes: PayloadAttributes,
    mut changed: watch::Receiver<u64>,
) {
    let slot = attributes.proposal_slot;
    let Some(proposer) = builder.proposer(slot).await else {
        tracing::warn!(
            slot = slot.0,
            "no proposer known for the slot; not building"
        );
        return;
    };
    let Some(registered) = builder.registration(slot, &proposer).await else {
        tracing::info!(slot = slot.0, %proposer, "the slot's proposer is not registered at any relay; not building");
        return;
    };
    builder.catch_up(slot, &proposer).await;
    let target = |value| BidTarget {
        slot,
        proposer,
        proposer_fee_recipient: registered.fee_recipient,
        value,
    };
    loop {
        changed.borrow_and_update();
        let round = build_and_submit(&builder, &attributes, registered, &target).await;
        tracing::info!(
            slot = slot.0,
            block_hash = ?round.block_hash,
            constrained = round.constrained,
            missing = round.missing,
            accepted = round.accepted,
            "build round done"
        );
        let left = builder.ms_to_cutoff(slot);
        if left <= 0 {
            return;
        }
        let deadline = Instant::now() + Duration::from_millis(left as u64);
        tokio::select! {
            result = changed.changed() => if result.is_err() { return },
            () = tokio::time::sleep_until(deadline) => return,
        }
    }
}

/// Hands the constrained transactions to the pool (in arrival order, so one sender's
/// nonces go in order), leaving out `dropped`.
async fn feed_pool(
    builder: &Builder,
    txs: &[crate::verify::ConstrainedTx],
    dropped: Option<B256>,
) -> HashMap<B256, PoolAnswer> {
    let mut answers = HashMap::with_capacity(txs.len());
    for tx in txs.iter().filter(|t| Some(t.hash) != dropped) {
        let answer = builder.pool.send_raw(&tx.raw).await;
        if answer != PoolAnswer::Accepted {
            tracing::debug!(tx = %tx.hash, ?answer, "the pool's answer to a constrained transaction");
        }
        answers.insert(tx.hash, answer);
    }
    answers
}

fn engine_attributes(
    attributes: &PayloadAttributes,
    fee_recipient: alloy_primitives::Address,
) -> EngineAttributes {
    EngineAttributes {
        timestamp: attributes.timestamp,
        prev_randao: attributes.prev_randao,
        suggested_fee_recipient: fee_recipient,
        withdrawals: attributes.withdrawals.to_vec(),
        parent_beacon_block_root: attributes.parent_beacon_block_root,
    }
}

/// Builds on the slot's parent from the pool as it is now ([`baton_engine::EngineClient::build`]
/// rebuilds past a payload the execution client froze at an earlier round's fetch).
async fn build(
    builder: &Builder,
    attributes: &PayloadAttributes,
    fee_recipient: alloy_primitives::Address,
) -> Option<BuiltPayload> {
    let wanted = engine_attributes(attributes, fee_recipient);
    let parent = attributes.parent_block_hash;
    let started = std::time::Instant::now();
    let result = builder.engine.build(parent, &wanted).await;
    match result {
        Ok(built) => {
            builder.metrics.built(started.elapsed());
            let payload = &built.payload;
            if B256::from(payload.parent_hash) != parent
                || payload.timestamp != attributes.timestamp
                || payload.withdrawals != attributes.withdrawals
            {
                tracing::warn!(
                    slot = attributes.proposal_slot.0,
                    "the execution client built a payload that does not fit the slot's attributes"
                );
                return None;
            }
            Some(built)
        }
        Err(error) => {
            builder.metrics.build_failed();
            tracing::warn!(slot = attributes.proposal_slot.0, %error, "the execution client did not build");
            None
        }
    }
}

/// One round: feed the pool, build, check, prove, sign, submit to every relay.
pub async fn build_and_submit(
    builder: &Builder,
    attributes: &PayloadAttributes,
    registered: Registered,
    target: &impl Fn(alloy_primitives::U256) -> BidTarget,
) -> Round {
    let slot: Slot = attributes.proposal_slot;
    let constraints = builder.slot_constraints(slot);
    let mut round = Round {
        constrained: constraints.all.len(),
        ..Round::default()
    };
    let dropped = builder
        .faults
        .drop_constraint
        .then(|| constraints.all.last().map(|t| t.hash))
        .flatten();
    if let Some(hash) = dropped {
        tracing::warn!(slot = slot.0, tx = %hash, "fault switch: leaving a constrained transaction out");
    }
    let answers = feed_pool(builder, &constraints.all, dropped).await;
    let fee_recipient = builder.coinbase.unwrap_or(registered.fee_recipient);
    let Some(built) = build(builder, attributes, fee_recipient).await else {
        return round;
    };
    let payload = &built.payload;
    round.block_hash = Some(B256::from(payload.block_hash));
    if payload.gas_limit != registered.gas_limit {
        tracing::debug!(
            slot = slot.0,
            payload = payload.gas_limit,
            registered = registered.gas_limit,
            "gas limit differs from the registered preference"
        );
    }
    let missing = assemble::missing(payload, &constraints);
    round.missing = missing.len();
    for hash in &missing {
        if Some(*hash) == dropped {
            continue;
        }
        tracing::warn!(slot = slot.0, tx = %hash, pool = ?answers.get(hash), "a constrained transaction is not in the built payload (nonce, balance, fees or gas as of the parent state?)");
    }
    let transactions = payload.transactions.len();
    let request = match sign_submission(
        &builder.key.0,
        builder.chain.genesis_fork_version,
        &target(built.block_value),
        built.payload,
        built.blobs_bundle,
        built.execution_requests,
    ) {
        Ok(request) => request,
        Err(error) => {
            tracing::warn!(slot = slot.0, %error, "cannot sign the submission");
            return round;
        }
    };
    let plans = match assemble::plan(
        &request,
        &constraints,
        dropped,
        builder.faults.drop_constraint,
    ) {
        Ok(plans) => plans,
        Err(error) => {
            tracing::warn!(slot = slot.0, %error, "cannot prove the constrained transactions");
            return round;
        }
    };
    let sends = plans.into_iter().map(|plan| async move {
        match plan {
            Plan::Withhold { relay, missing } => {
                builder.metrics.withheld();
                tracing::warn!(slot = slot.0, relay = %builder.relay_name(relay), missing = missing.len(), "not submitting a block missing the relay's constraints");
                false
            }
            Plan::Submit(submission) => {
                let Some(client) = builder.relays.get(submission.relay) else {
                    return false;
                };
                match client.submit(&submission).await {
                    Ok(()) => {
                        builder.metrics.submitted();
                        tracing::info!(slot = slot.0, relay = %client.name(), route = submission.route.path(), proven = submission.proven, transactions, "block accepted");
                        true
                    }
                    Err(error) => {
                        builder.metrics.rejected(Rejection::of(&error));
                        tracing::warn!(slot = slot.0, %error, "block refused");
                        false
                    }
                }
            }
        }
    });
    round.accepted = join_all(sends).await.into_iter().filter(|ok| *ok).count();
    round
}
