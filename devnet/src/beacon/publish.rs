//! Blocks published to the beacon service (`POST /eth/v2/beacon/blocks`): a relay that
//! reveals a payload publishes the full signed block here before it answers the
//! proposer. A block is checked (slot, proposer, signature, parent) and kept for the
//! slot in progress; the proposer flow imports it if its own copy of the payload does
//! not come (and never imports two blocks for one slot).

use alloy_primitives::B256;
use baton_preconf::{
    BlsSignature, Slot,
    bls::{DOMAIN_BEACON_PROPOSER, compute_domain, compute_signing_root},
    ssz::{SignedBlockContentsElectra, hash_tree_root},
};

use super::{
    block::next_randao_mix, chain::BlockSource, chain::Head, error::ApiError, proposer::Ready,
    service::Shared,
};

/// What happened to a published block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Accepted {
    /// Kept for the proposer flow to import.
    Kept,
    /// The slot already has this very block.
    AlreadyImported,
}

fn reject(reason: impl Into<String>) -> ApiError {
    ApiError::BlockRejected {
        reason: reason.into(),
    }
}

/// Checks a published block and keeps it for its slot.
pub(crate) fn accept(
    shared: &Shared,
    contents: SignedBlockContentsElectra,
) -> Result<Accepted, ApiError> {
    let block = &contents.signed_block.message;
    let slot = Slot(block.slot);
    let root = hash_tree_root(block).map_err(|_| ApiError::Internal)?;
    if let Some(record) = shared.with_chain(|c| c.record(slot).cloned()) {
        return match record.block() {
            Some(existing) if existing.root == root => Ok(Accepted::AlreadyImported),
            Some(existing) => Err(ApiError::SlotFilled {
                slot: slot.0,
                root: existing.root.to_string(),
            }),
            None => Err(reject(format!("slot {} is over (missed)", slot.0))),
        };
    }
    let current = shared.current_slot();
    if slot < current || slot.0 > current.0 + 1 {
        return Err(reject(format!(
            "slot {} is not the current slot {}",
            slot.0, current.0
        )));
    }
    let expected = shared.schedule.proposer(slot);
    if block.proposer_index != expected {
        return Err(reject(format!(
            "proposer {} is not slot {}'s proposer {expected}",
            block.proposer_index, slot.0
        )));
    }
    let head = shared.head();
    if B256::from(block.parent_root) != head.root {
        return Err(reject(format!(
            "parent root {} is not the head {}",
            B256::from(block.parent_root),
            head.root
        )));
    }
    let payload = &block.body.execution_payload;
    if B256::from(payload.parent_hash) != head.block_hash
        || payload.timestamp != shared.spec.slot_timestamp(slot)
    {
        return Err(reject(
            "the payload is not on the head or not at the slot's time",
        ));
    }
    let commitments = block.body.blob_kzg_commitments.len();
    if contents.kzg_proofs.len() != commitments || contents.blobs.len() != commitments {
        return Err(reject(format!(
            "{commitments} commitments, {} proofs, {} blobs",
            contents.kzg_proofs.len(),
            contents.blobs.len()
        )));
    }
    let domain = compute_domain(
        DOMAIN_BEACON_PROPOSER,
        shared.spec.current_fork_version,
        shared.spec.genesis_validators_root,
    );
    let signature = BlsSignature::from_slice(&contents.signed_block.signature)
        .ok_or_else(|| reject("signature is not 96 bytes"))?;
    signature
        .verify(
            &shared.validators[expected as usize].pubkey,
            compute_signing_root(root, domain),
        )
        .map_err(|_| reject("the proposer's signature does not verify"))?;

    let mut kept = shared.published.lock().map_err(|_| ApiError::Internal)?;
    if let Some(other) = kept.as_ref()
        && other.signed_block.message.slot == slot.0
        && hash_tree_root(&other.signed_block.message).ok() != Some(root)
    {
        return Err(ApiError::SlotFilled {
            slot: slot.0,
            root: "another published block".to_owned(),
        });
    }
    *kept = Some(contents);
    Ok(Accepted::Kept)
}

/// Takes the block kept for `slot` if it builds on `head` (and, with `expected`, has
/// that root), as a block ready to import.
pub(crate) fn take(
    shared: &Shared,
    slot: Slot,
    head: &Head,
    expected: Option<(B256, BlockSource)>,
) -> Option<Ready> {
    let contents = {
        let mut kept = shared.published.lock().ok()?;
        let matches = kept.as_ref().is_some_and(|c| {
            let message = &c.signed_block.message;
            message.slot == slot.0 && B256::from(message.parent_root) == head.root
        });
        if !matches {
            return None;
        }
        kept.take()?
    };
    let signed = contents.signed_block;
    let message = signed.message;
    let root = hash_tree_root(&message).ok()?;
    let source = match expected {
        Some((want, _)) if want != root => return None,
        Some((_, source)) => source,
        None => BlockSource::Published,
    };
    let mut reveal = [0u8; 96];
    reveal.copy_from_slice(&message.body.randao_reveal);
    Some(Ready {
        source,
        root,
        state_root: B256::from(message.state_root),
        body_root: hash_tree_root(&message.body).ok()?,
        signature: BlsSignature::from_slice(&signed.signature)?,
        randao_mix: next_randao_mix(head.randao_mix, &reveal),
        payload: message.body.execution_payload,
        requests: message.body.execution_requests,
    })
}

/// Drops a kept block of `slot` or earlier.
pub(crate) fn clear(shared: &Shared, slot: Slot) {
    if let Ok(mut kept) = shared.published.lock()
        && kept
            .as_ref()
            .is_some_and(|c| c.signed_block.message.slot <= slot.0)
    {
        *kept = None;
    }
}
