//! Block submissions (step ⑤): `POST /relay/v1/builder/blocks` and
//! `POST /constraints/v0/relay/blocks_with_proofs`.
//!
//! Cheap checks first (slot, proposer, registration, parent, trace against payload),
//! then the expensive ones side by side: the builder's BLS signature on one thread, the
//! SSZ transactions root, the constraint proof and the execution block hash on the
//! other. Only a bid that passes everything enters the auction; a refused submission
//! changes nothing.

use std::{
    sync::{Arc, OnceLock, atomic::AtomicBool},
    time::Instant,
};

use alloy_primitives::B256;
use baton_preconf::{
    Slot,
    ssz::{
        BYTES_PER_BLOB, InclusionMultiProof, SubmitBlockRequestElectra, TransactionsTree,
        execution_block_hash, transaction_leaf, u256_to_alloy,
    },
};

use super::{Relay, show};
use crate::{
    clock::ms_into_slot,
    error::RelayError,
    metrics,
    sharing::SharedEvent,
    state::{
        auction::{Bid, Inserted, PayloadContents},
        history::BidRecord,
    },
    verifier,
};

/// Blob gas per blob (EIP-4844).
const GAS_PER_BLOB: u64 = 1 << 17;

/// A decoded block submission.
#[derive(Debug, Clone)]
pub struct Submission {
    /// The builder's request.
    pub request: SubmitBlockRequestElectra,
    /// The constraint proof (`blocks_with_proofs` only).
    pub proofs: Option<InclusionMultiProof>,
}

fn mismatch(
    field: &'static str,
    expected: impl std::fmt::Display,
    got: impl std::fmt::Display,
) -> RelayError {
    RelayError::PayloadMismatch {
        field,
        expected: expected.to_string(),
        got: got.to_string(),
    }
}

/// When a submission arrived, read once as the request starts: a monotonic instant for
/// the submission → bid-available metric, and the relay clock for ordering a builder's
/// bids (a cancellation sent after a bid must not be undone by it, whatever order their
/// checks finish in).
#[derive(Clone, Copy, Debug)]
pub struct Arrival {
    /// The monotonic instant.
    pub instant: Instant,
    /// The relay clock, in microseconds since the Unix epoch.
    pub clock_us: u64,
}

impl Relay {
    /// Now, as the arrival of a submission.
    pub fn arrival(&self) -> Arrival {
        Arrival {
            instant: Instant::now(),
            clock_us: self.now_us(),
        }
    }

    /// Validates a submission and, if it passes, enters it into the auction.
    pub fn submit(
        &self,
        submission: Submission,
        received: Arrival,
    ) -> Result<Arc<Bid>, RelayError> {
        let Submission { request, proofs } = submission;
        let trace = &request.message;
        let payload = &request.execution_payload;
        let slot = Slot(trace.slot);
        let now_ms = self.now_ms();

        // Slot and timing.
        let current = self.current_slot();
        if slot < current || slot.0 > current.0 + 1 {
            return Err(RelayError::SlotClosed {
                slot: slot.0,
                reason: format!("the current slot is {current}; bids go to it or the next"),
            });
        }
        let into = ms_into_slot(&self.chain, slot, now_ms);
        if into > self.timing.submission_cutoff_ms as i64 {
            return Err(RelayError::SlotClosed {
                slot: slot.0,
                reason: format!("submissions closed {into} ms into the slot"),
            });
        }
        let builder = trace.builder();
        if self.is_blocked(&builder) {
            return Err(RelayError::BuilderBlocked {
                pubkey: show(builder),
            });
        }

        // Proposer and registration.
        let duty = self
            .duties
            .get(slot)
            .ok_or(RelayError::UnknownProposer { slot: slot.0 })?;
        let proposer = trace.proposer();
        if proposer != duty.pubkey {
            return Err(RelayError::WrongProposer {
                slot: slot.0,
                expected: show(duty.pubkey),
                got: show(proposer),
            });
        }
        let registration =
            self.registrations
                .get(&duty.pubkey)
                .ok_or_else(|| RelayError::NotRegistered {
                    pubkey: show(duty.pubkey),
                })?;
        if trace.proposer_fee_recipient != registration.message.fee_recipient {
            return Err(mismatch(
                "proposer_fee_recipient",
                show(B256::left_padding_from(&registration.message.fee_recipient)),
                show(B256::left_padding_from(&trace.proposer_fee_recipient)),
            ));
        }

        // Parent and the slot's payload attributes.
        let head = self
            .heads
            .get(slot)
            .ok_or(RelayError::UnknownParent { slot: slot.0 })?;
        if B256::from(trace.parent_hash) != head.parent_block_hash {
            return Err(RelayError::WrongParent {
                expected: show(head.parent_block_hash),
                got: show(B256::from(trace.parent_hash)),
            });
        }

        // The signed trace must describe this payload.
        for (field, same) in [
            ("parent_hash", trace.parent_hash == payload.parent_hash),
            ("block_hash", trace.block_hash == payload.block_hash),
            ("gas_limit", trace.gas_limit == payload.gas_limit),
            ("gas_used", trace.gas_used == payload.gas_used),
        ] {
            if !same {
                return Err(RelayError::TraceMismatch { field });
            }
        }
        if payload.timestamp != head.timestamp {
            return Err(mismatch("timestamp", head.timestamp, payload.timestamp));
        }
        if B256::from(payload.prev_randao) != head.prev_randao {
            return Err(mismatch(
                "prev_randao",
                head.prev_randao,
                B256::from(payload.prev_randao),
            ));
        }
        if payload.block_number != head.parent_block_number + 1 {
            return Err(mismatch(
                "block_number",
                head.parent_block_number + 1,
                payload.block_number,
            ));
        }
        if payload.gas_used > payload.gas_limit {
            return Err(mismatch("gas_used", payload.gas_limit, payload.gas_used));
        }
        if payload.withdrawals != head.withdrawals {
            return Err(mismatch(
                "withdrawals_root",
                head.withdrawals_root(),
                baton_preconf::ssz::hash_tree_root(&payload.withdrawals).unwrap_or_default(),
            ));
        }
        let bundle = &request.blobs_bundle;
        let blobs = bundle.commitments.len();
        if bundle.proofs.len() != blobs || bundle.blobs.len() != blobs {
            return Err(RelayError::BlobsBundle {
                reason: format!(
                    "{blobs} commitments, {} proofs, {} blobs",
                    bundle.proofs.len(),
                    bundle.blobs.len()
                ),
            });
        }
        if payload.blob_gas_used != blobs as u64 * GAS_PER_BLOB {
            return Err(RelayError::BlobsBundle {
                reason: format!(
                    "blob_gas_used {} does not match {blobs} blobs of {BYTES_PER_BLOB} bytes",
                    payload.blob_gas_used
                ),
            });
        }

        // Constraints in force for the slot.
        let constrained = self.constraints.constrained(slot);
        if !constrained.is_empty() && proofs.is_none() && !self.withholding() {
            return Err(RelayError::ProofsRequired {
                slot: slot.0,
                count: constrained.len(),
            });
        }

        // The expensive part: the builder's signature (the longest single step) goes to a
        // verifier thread; the SSZ transactions tree, the constraint proof and the
        // execution block hash are computed here meanwhile.
        let signing_root = trace
            .signing_root(self.chain.genesis_fork_version)
            .map_err(|_| RelayError::Internal)?;
        let signature = verifier::verify(builder, signing_root, request.builder_signature());
        let hashed = (|| -> Result<B256, RelayError> {
            let tree = TransactionsTree::from_leaves(self.leaves.leaves(&payload.transactions))
                .ok_or_else(|| {
                    mismatch("transactions", "at most 2^20", payload.transactions.len())
                })?;
            if let Some(proofs) = &proofs
                && !constrained.is_empty()
            {
                let leaves: Vec<(B256, B256)> =
                    constrained.iter().map(|c| (c.hash, c.leaf)).collect();
                proofs
                    .verify_leaves(tree.root(), &leaves)
                    .map_err(|e| RelayError::BadProof {
                        reason: e.to_string(),
                    })?;
            }
            let computed = execution_block_hash(
                payload,
                head.parent_beacon_block_root,
                &request.execution_requests,
            )
            .map_err(|e| mismatch("header", "a hashable header", e))?;
            if computed != B256::from(payload.block_hash) {
                return Err(RelayError::BlockHash {
                    claimed: show(B256::from(payload.block_hash)),
                    computed: show(computed),
                });
            }
            Ok(tree.root())
        })();
        // A bad signature is reported before anything else.
        signature.wait().map_err(|_| RelayError::BuilderSignature)?;
        let transactions_root = hashed?;

        let header = payload
            .header(transactions_root)
            .map_err(|_| RelayError::Internal)?;
        let bid = Arc::new(Bid {
            trace: trace.clone(),
            slot,
            parent_hash: B256::from(trace.parent_hash),
            block_hash: B256::from(trace.block_hash),
            proposer,
            builder,
            value: u256_to_alloy(&trace.value),
            block_number: payload.block_number,
            num_tx: payload.transactions.len(),
            received_at_us: received.clock_us,
            header,
            blob_kzg_commitments: bundle.commitments.clone(),
            execution_requests: request.execution_requests.clone(),
            proofs: if constrained.is_empty() { None } else { proofs },
            served: AtomicBool::new(false),
            signed: OnceLock::new(),
        });
        let contents = Arc::new(PayloadContents {
            payload: request.execution_payload,
            blobs_bundle: request.blobs_bundle,
            execution_requests: request.execution_requests,
        });
        match self.accept(bid.clone(), Some(contents)) {
            Inserted::Latest { .. } | Inserted::Stale => {}
            Inserted::Uncovered => {
                return Err(RelayError::BadProof {
                    reason: "the slot's constraints changed while the block was checked; prove the new set".to_owned(),
                });
            }
            Inserted::Full => {
                return Err(RelayError::BadCount {
                    what: "builders in this slot's auction",
                    len: crate::state::auction::MAX_BUILDERS_PER_MARKET + 1,
                    max: crate::state::auction::MAX_BUILDERS_PER_MARKET,
                });
            }
        }
        metrics::record_bid(received.instant.elapsed());
        Ok(bid)
    }

    /// Enters a validated bid (ours, or shared by another instance with `contents: None`)
    /// into the auction and the history, and shares ours. Returns what the auction did.
    pub(crate) fn accept(&self, bid: Arc<Bid>, contents: Option<Arc<PayloadContents>>) -> Inserted {
        if let Some(contents) = &contents {
            self.payloads
                .insert(bid.slot, bid.block_hash, contents.clone());
        }
        let withholding = self.withholding();
        let required = || {
            if withholding {
                // The lying-relay fault: constraints are ignored.
                return std::collections::HashSet::new();
            }
            self.constraints
                .constrained(bid.slot)
                .iter()
                .map(|c| c.hash)
                .collect()
        };
        let inserted = self.auction.insert_covering(&bid, &required);
        match &inserted {
            Inserted::Latest {
                replaced_unserved, ..
            } => {
                if let Some(old) = replaced_unserved {
                    self.payloads.remove(old);
                }
            }
            Inserted::Stale | Inserted::Full | Inserted::Uncovered => {
                // Keep the payload if the same block is in the auction already (a resend).
                if contents.is_some()
                    && self
                        .auction
                        .by_block_hash(bid.slot, bid.block_hash)
                        .is_none()
                {
                    self.payloads.remove(&bid.block_hash);
                }
                return inserted;
            }
        }
        self.history.received(BidRecord::of(&bid));
        if let Some(contents) = contents {
            self.share(SharedEvent::Bid(bid, contents));
        }
        inserted
    }
}

/// The SSZ leaf of a canonical transaction (computed once per constraint).
pub(crate) fn leaf(canonical: &[u8]) -> B256 {
    transaction_leaf(canonical)
}
