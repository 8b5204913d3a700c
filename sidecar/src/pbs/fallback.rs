//! The local fallback block (step ⑥): when no relay offers a valid bid, the proposer gets
//! a block the sidecar built through the execution client's Engine API, with every
//! promised transaction in it.
//!
//! The block is built ahead: as soon as a slot is sealed and the beacon node has announced
//! its payload attributes, so serving it is instant. The payload is checked to carry every
//! constrained transaction; a missing one is handed to the pool again and the block rebuilt
//! (twice at most). What still cannot be included raises the alarm metric with a reason
//! read from the execution state (the sender spent the nonce, or cannot pay), never from an
//! error string, so this works with any Engine-API client.

use std::{collections::HashSet, fmt, sync::Arc, time::Duration, time::Instant};

use alloy_primitives::{Address, B256, U256, keccak256};
use baton_preconf::{
    BlsPublicKey,
    ssz::{
        BlobsBundle, BuilderBidElectra, ExecutionPayload, ExecutionPayloadAndBlobsBundle,
        ExecutionRequests, TransactionsTree, Withdrawal, u256_from_alloy,
    },
};
use futures_util::future::BoxFuture;
use tokio::sync::watch;

use super::{
    mempool::TxPool,
    state::{ConstrainedTx, Fallback, Sealed, SlotAttributes},
};
use crate::{execution::ExecutionState, keys::DelegateKey, metrics};

/// Builds after the first that try to take in missing transactions.
const REBUILDS: usize = 2;
/// Pause before a rebuild, for the pool to take what was re-sent.
const REBUILD_PAUSE: Duration = Duration::from_millis(100);

/// What the execution client is asked to build on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    /// The parent block.
    pub parent_hash: B256,
    /// Timestamp.
    pub timestamp: u64,
    /// prevRandao.
    pub prev_randao: B256,
    /// Fee recipient.
    pub fee_recipient: Address,
    /// Withdrawals.
    pub withdrawals: Vec<Withdrawal>,
    /// Parent beacon block root.
    pub parent_beacon_block_root: B256,
}

impl BuildRequest {
    /// The request for a slot's announced attributes.
    pub fn from_attributes(slot: &SlotAttributes) -> Self {
        let a = &slot.attributes;
        Self {
            parent_hash: a.parent_block_hash,
            timestamp: a.timestamp,
            prev_randao: a.prev_randao,
            fee_recipient: slot.fee_recipient,
            withdrawals: a.withdrawals.to_vec(),
            parent_beacon_block_root: a.parent_beacon_block_root,
        }
    }
}

/// A payload the execution client built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltPayload {
    /// The payload.
    pub payload: ExecutionPayload,
    /// Its blobs.
    pub blobs_bundle: BlobsBundle,
    /// Its execution requests.
    pub execution_requests: ExecutionRequests,
    /// Fees to the fee recipient (wei).
    pub block_value: U256,
}

/// Builds payloads (the Engine API: `forkchoiceUpdated` with attributes, `getPayload`).
pub trait PayloadBuilder: Send + Sync + fmt::Debug {
    /// Builds a payload on `request.parent_hash`.
    fn build<'a>(
        &'a self,
        request: &'a BuildRequest,
    ) -> BoxFuture<'a, Result<BuiltPayload, String>>;
}

/// What a fallback build needs besides the slot.
#[derive(Debug, Clone)]
pub struct FallbackParts {
    /// The execution client's payload builder.
    pub builder: Arc<dyn PayloadBuilder>,
    /// Its pool.
    pub pool: Option<Arc<dyn TxPool>>,
    /// Execution state, to say why a promise could not be included.
    pub execution: Option<Arc<ExecutionState>>,
    /// The delegate key, which signs the fallback bid.
    pub signer: DelegateKey,
    /// The genesis fork version (builder domain).
    pub genesis_fork_version: [u8; 4],
    /// No rebuild starts after this: the slot's `getHeader` is over, and a build on the
    /// parent (`forkchoiceUpdated`) would move the execution client's head back. `None`:
    /// no limit.
    pub rebuild_until: Option<Instant>,
}

/// Builds the fallback for `attributes` (and `sealed`, if the slot was sealed), sending
/// each better result to `out` as it is made; returns the last.
pub async fn build(
    parts: &FallbackParts,
    attributes: &SlotAttributes,
    sealed: Option<&Sealed>,
    out: &watch::Sender<Option<Arc<Fallback>>>,
) -> Result<Arc<Fallback>, String> {
    let started = Instant::now();
    let request = BuildRequest::from_attributes(attributes);
    let constrained: &[ConstrainedTx] = sealed.map_or(&[], |s| &s.constrained);
    let mut to_send: Vec<_> = constrained.iter().map(|c| c.raw.clone()).collect();
    let mut best: Option<Arc<Fallback>> = None;
    let mut missing: Vec<&ConstrainedTx> = Vec::new();
    for attempt in 0..=REBUILDS {
        if attempt > 0
            && parts
                .rebuild_until
                .is_some_and(|until| Instant::now() >= until)
        {
            tracing::warn!("too late to rebuild the fallback block");
            break;
        }
        if let Some(pool) = &parts.pool
            && !to_send.is_empty()
        {
            pool.submit(&to_send).await;
            if attempt > 0 {
                tokio::time::sleep(REBUILD_PAUSE).await;
            }
        }
        let built = match parts.builder.build(&request).await.and_then(|built| {
            check_fits(&built.payload, &request)?;
            Ok(built)
        }) {
            Ok(built) => built,
            // A rebuild that fails leaves the block already offered in place.
            Err(error) if best.is_some() => {
                tracing::warn!(%error, "rebuilding the fallback block failed; keeping the first");
                break;
            }
            Err(error) => return Err(error),
        };
        let included: HashSet<B256> = built
            .payload
            .transactions
            .iter()
            .map(|tx| keccak256(tx.as_slice()))
            .collect();
        let now_missing: Vec<&ConstrainedTx> = constrained
            .iter()
            .filter(|c| !included.contains(&c.hash))
            .collect();
        let fallback = Arc::new(sign(parts, built, request.parent_hash, &now_missing)?);
        if best
            .as_ref()
            .is_none_or(|b| fallback.missing.len() < b.missing.len())
        {
            best = Some(fallback.clone());
            missing = now_missing;
            let _ = out.send(Some(fallback));
        }
        if missing.is_empty() {
            break;
        }
        to_send = missing.iter().map(|c| c.raw.clone()).collect();
    }
    if !missing.is_empty() {
        alarm(parts, attributes, &missing).await;
    }
    metrics::record_fallback_build(started.elapsed());
    best.ok_or_else(|| "no payload built".to_owned())
}

/// The payload must be for the requested parent and timestamp.
fn check_fits(payload: &ExecutionPayload, request: &BuildRequest) -> Result<(), String> {
    if B256::from(payload.parent_hash) != request.parent_hash
        || payload.timestamp != request.timestamp
    {
        return Err(format!(
            "the execution client built on {} at {}, not {} at {}",
            B256::from(payload.parent_hash),
            payload.timestamp,
            request.parent_hash,
            request.timestamp
        ));
    }
    Ok(())
}

/// The fallback bid: the payload's header, signed with the delegate key.
fn sign(
    parts: &FallbackParts,
    built: BuiltPayload,
    parent_hash: B256,
    missing: &[&ConstrainedTx],
) -> Result<Fallback, String> {
    let tree = TransactionsTree::new(&built.payload.transactions)
        .ok_or("the payload has too many transactions")?;
    let header = built
        .payload
        .header(tree.root())
        .map_err(|e| e.to_string())?;
    let delegate: BlsPublicKey = parts.signer.public_key();
    let message = BuilderBidElectra {
        header,
        blob_kzg_commitments: built.blobs_bundle.commitments.clone(),
        execution_requests: built.execution_requests,
        value: u256_from_alloy(built.block_value),
        pubkey: ssz_rs::Vector::try_from(delegate.0.to_vec()).unwrap_or_default(),
    };
    let signed = message
        .sign(parts.signer.secret(), parts.genesis_fork_version)
        .map_err(|e| e.to_string())?;
    Ok(Fallback {
        parent_hash,
        signed,
        contents: ExecutionPayloadAndBlobsBundle {
            execution_payload: built.payload,
            blobs_bundle: built.blobs_bundle,
        },
        missing: missing.iter().map(|c| c.hash).collect(),
    })
}

/// Why a constrained transaction is not in the block, from the execution state at the
/// head: its nonce was spent, its sender cannot pay, or the client did not take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MissingReason {
    /// The sender's account nonce is past the transaction's: the sender spent it.
    NonceSpent,
    /// The sender's balance is below the transaction's worst-case cost.
    CannotPay,
    /// The account allows it, but the execution client did not include it.
    NotTaken,
    /// The account state could not be read.
    Unknown,
}

impl MissingReason {
    /// Classifies from the sender's account at the head.
    pub fn of(tx: &ConstrainedTx, account: Option<(u64, U256)>) -> Self {
        match account {
            None => Self::Unknown,
            Some((nonce, _)) if nonce > tx.nonce => Self::NonceSpent,
            Some((_, balance)) if balance < tx.max_cost => Self::CannotPay,
            Some(_) => Self::NotTaken,
        }
    }

    /// For the log.
    pub const fn describe(self) -> &'static str {
        match self {
            Self::NonceSpent => "the sender already used this nonce on L1",
            Self::CannotPay => "the sender's balance no longer covers the transaction",
            Self::NotTaken => "the execution client did not take it (nonce and balance allow it)",
            Self::Unknown => "the sender's account could not be read",
        }
    }
}

async fn alarm(parts: &FallbackParts, attributes: &SlotAttributes, missing: &[&ConstrainedTx]) {
    let senders: Vec<Address> = missing.iter().map(|c| c.sender).collect();
    let accounts = match &parts.execution {
        Some(execution) => execution.accounts(&senders).await.ok().map(|(_, a)| a),
        None => None,
    };
    for tx in missing {
        let account = accounts
            .as_ref()
            .and_then(|a| a.get(&tx.sender))
            .map(|a| (a.nonce, a.balance));
        let reason = MissingReason::of(tx, account);
        metrics::record_promise_alarm();
        tracing::error!(
            slot = attributes.attributes.proposal_slot.0,
            tx = %tx.hash,
            sender = %tx.sender,
            nonce = tx.nonce,
            reason = reason.describe(),
            "a promised transaction cannot be included in the fallback block"
        );
    }
}

#[cfg(test)]
mod tests;
