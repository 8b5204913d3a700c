//! The proposer's side (step ⑥): `getHeader` (and `header_with_proofs`, the same bid
//! with the builder's constraint proof for the proposer's sidecar), and signed blinded
//! blocks: verify, match the offered header, record the delivery, publish, reveal.

use std::sync::Arc;

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{
        BuilderBidElectra, SignedBlindedBeaconBlockElectra, SignedBlockContentsElectra,
        SignedBuilderBidElectra, hash_tree_root, u256_from_alloy,
    },
};

use super::{Relay, show};
use crate::{
    clock::ms_into_slot,
    error::RelayError,
    sharing::SharedEvent,
    state::{
        auction::{Bid, PayloadContents},
        history::BidRecord,
    },
};

/// Which blinded-blocks endpoint was called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadVersion {
    /// `/eth/v1/builder/blinded_blocks`: publish, then return the payload.
    V1,
    /// `/eth/v2/builder/blinded_blocks`: publish, answer 202 without the payload.
    V2,
}

/// A bid as served: the relay-signed builder bid and the bid it came from.
#[derive(Debug, Clone)]
pub struct ServedBid {
    /// The bid.
    pub bid: Arc<Bid>,
    /// Signed by the relay's key.
    pub signed: SignedBuilderBidElectra,
}

impl Relay {
    /// The best bid for `slot`, `parent_hash` and `proposer`, signed by the relay; `None`
    /// (HTTP 204) when there is none or the slot's `getHeader` cut-off has passed.
    pub fn get_header(
        &self,
        slot: Slot,
        parent_hash: B256,
        proposer: &BlsPublicKey,
    ) -> Result<Option<ServedBid>, RelayError> {
        let current = self.current_slot();
        if slot < current
            || ms_into_slot(&self.chain, slot, self.now_ms())
                > self.timing.get_header_cutoff_ms as i64
        {
            return Ok(None);
        }
        let Some(bid) = self.auction.best(slot, parent_hash, proposer, true) else {
            return Ok(None);
        };
        let signed = self.signed_bid(&bid)?;
        Ok(Some(ServedBid { bid, signed }))
    }

    /// `bid` signed by the relay, signing it on the first call (a concurrent caller
    /// waits for that signature rather than making its own).
    pub fn signed_bid(&self, bid: &Bid) -> Result<SignedBuilderBidElectra, RelayError> {
        bid.signed
            .get_or_init(|| {
                let message = BuilderBidElectra {
                    header: bid.header.clone(),
                    blob_kzg_commitments: bid.blob_kzg_commitments.clone(),
                    execution_requests: bid.execution_requests.clone(),
                    value: u256_from_alloy(bid.value),
                    pubkey: super::pubkey_bytes(&self.pubkey),
                };
                message
                    .sign(&self.key.0, self.chain.genesis_fork_version)
                    .ok()
            })
            .clone()
            .ok_or(RelayError::Internal)
    }

    /// Whether `bid` is the best of its auction now: then it is worth signing ahead of
    /// `getHeader` with [`Self::signed_bid`] (a BLS signature is the longest step there).
    pub fn is_best(&self, bid: &Arc<Bid>) -> bool {
        self.auction
            .best(bid.slot, bid.parent_hash, &bid.proposer, false)
            .is_some_and(|best| Arc::ptr_eq(&best, bid))
    }

    /// Verifies a signed blinded block against the offered bid, records the delivery,
    /// publishes the full block through the beacon node and returns the payload.
    pub async fn get_payload(
        &self,
        block: &SignedBlindedBeaconBlockElectra,
    ) -> Result<Arc<PayloadContents>, RelayError> {
        let slot = Slot(block.message.slot);
        let into = ms_into_slot(&self.chain, slot, self.now_ms());
        if into > self.timing.get_payload_cutoff_ms as i64 {
            return Err(RelayError::SlotClosed {
                slot: slot.0,
                reason: format!("payloads closed {into} ms into the slot"),
            });
        }
        let duty = self
            .duties
            .get(slot)
            .ok_or(RelayError::UnknownProposer { slot: slot.0 })?;
        if duty.validator_index != block.message.proposer_index {
            return Err(RelayError::WrongProposer {
                slot: slot.0,
                expected: format!("validator {}", duty.validator_index),
                got: format!("validator {}", block.message.proposer_index),
            });
        }
        block
            .verify(
                &duty.pubkey,
                self.chain.current_fork_version,
                self.chain.genesis_validators_root,
            )
            .map_err(|_| RelayError::ProposerSignature)?;

        let body = &block.message.body;
        let block_hash = B256::from(body.execution_payload_header.block_hash);
        let bid = self
            .auction
            .by_block_hash(slot, block_hash)
            .ok_or_else(|| RelayError::UnknownBid {
                slot: slot.0,
                block_hash: show(block_hash),
            })?;
        let same_header =
            hash_tree_root(&body.execution_payload_header).ok() == hash_tree_root(&bid.header).ok();
        if !same_header
            || body.blob_kzg_commitments != bid.blob_kzg_commitments
            || body.execution_requests != bid.execution_requests
            || bid.proposer != duty.pubkey
        {
            return Err(RelayError::HeaderMismatch {
                block_hash: show(block_hash),
            });
        }
        let contents = match self.payloads.get(&block_hash) {
            Some(contents) => contents,
            None => self.fetch_shared_payload(slot, block_hash).await?,
        };

        let full = block.unblind(contents.payload.clone());
        if hash_tree_root(&full.message).ok() != block.message.root().ok() {
            tracing::error!(slot = slot.0, %block_hash, "the kept payload does not match the signed header");
            return Err(RelayError::PayloadUnavailable {
                block_hash: show(block_hash),
            });
        }

        // Record before reveal: one block per slot, whichever instance is asked. Other
        // instances are asked through Redis first (`SET NX`); if Redis does not answer,
        // this instance's own record still holds.
        let already = |delivered: B256| RelayError::AlreadyDelivered {
            slot: slot.0,
            delivered: show(delivered),
        };
        if let Some(record) = self.history.delivered_in(slot)
            && record.block_hash != block_hash
        {
            return Err(already(record.block_hash));
        }
        if let Some(shared) = self.shared.get() {
            match shared.claim_delivery(slot.0, block_hash).await {
                Ok(None) => {}
                Ok(Some(other)) => return Err(already(other)),
                Err(()) => tracing::warn!(
                    slot = slot.0,
                    "Redis unreachable: delivery checked against this instance only"
                ),
            }
        }
        if let Some(delivered) = self.history.delivered(BidRecord::of(&bid)) {
            return Err(already(delivered));
        }
        self.share(SharedEvent::Delivered(BidRecord::of(&bid)));

        let beacon = self
            .beacon
            .as_ref()
            .ok_or_else(|| RelayError::PublishFailed {
                reason: "no beacon node configured".to_owned(),
            })?;
        let publication = SignedBlockContentsElectra {
            signed_block: full,
            kzg_proofs: contents.blobs_bundle.proofs.clone(),
            blobs: contents.blobs_bundle.blobs.clone(),
        };
        beacon
            .publish_block(&publication)
            .await
            .map_err(|e| RelayError::PublishFailed {
                reason: e.to_string(),
            })?;
        tracing::info!(slot = slot.0, %block_hash, builder = %bid.builder, value = %bid.value, "payload delivered and published");
        Ok(contents)
    }

    async fn fetch_shared_payload(
        &self,
        slot: Slot,
        block_hash: B256,
    ) -> Result<Arc<PayloadContents>, RelayError> {
        let unavailable = || RelayError::PayloadUnavailable {
            block_hash: show(block_hash),
        };
        let shared = self.shared.get().ok_or_else(unavailable)?;
        let contents = shared
            .fetch_payload(block_hash)
            .await
            .ok_or_else(unavailable)?;
        if contents.payload.block_hash != block_hash.0 {
            return Err(unavailable());
        }
        let contents = Arc::new(contents);
        self.payloads.insert(slot, block_hash, contents.clone());
        Ok(contents)
    }
}
