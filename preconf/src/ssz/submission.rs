//! A builder's block submission (step ⑤): the bid trace it signs for a payload, and the
//! multiproof of the slot's constrained transactions inside that payload. Shared by
//! `baton-builder` (real payloads from an execution client) and the relay's simulated
//! builder (`baton_relay::sim`), so both sign and prove the same way.

use alloy_primitives::{Address, B256, U256, keccak256};
use serde_json::Value;

use super::{
    builder::{ExecutionRequests, SszError, pubkey_bytes},
    json::BeaconJson,
    multiproof::{InclusionMultiProof, MAX_PROOF_LEAVES, MultiProofError},
    payload::{
        BidTrace, BlobsBundle, ExecutionPayload, SubmitBlockRequestElectra, u256_from_alloy,
    },
    transactions::TransactionsTree,
};
use crate::{
    bls::{BlsPublicKey, BlsSecretKey},
    types::Slot,
};

/// Whom a block is bid to: the slot, its proposer and where the proposer is paid, and
/// the value offered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidTarget {
    /// The slot.
    pub slot: Slot,
    /// The slot's proposer.
    pub proposer: BlsPublicKey,
    /// The fee recipient the proposer registered.
    pub proposer_fee_recipient: Address,
    /// Value to the proposer, in wei.
    pub value: U256,
}

/// Why constrained transactions could not be proven in a payload.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    /// A transaction to prove is not in the payload.
    #[error("transaction {hash} is not in the payload")]
    NotInPayload {
        /// Its hash.
        hash: B256,
    },
    /// The payload has more transactions than an SSZ payload holds.
    #[error("the payload has {count} transactions, more than an SSZ payload holds")]
    TooManyTransactions {
        /// Transactions in the payload.
        count: usize,
    },
    /// The proof could not be built.
    #[error(transparent)]
    MultiProof(#[from] MultiProofError),
}

/// The trace a builder signs for `payload` (slot, parent, block hash, both keys, fee
/// recipient, gas and value).
pub fn bid_trace(
    builder: &BlsPublicKey,
    target: &BidTarget,
    payload: &ExecutionPayload,
) -> BidTrace {
    BidTrace {
        slot: target.slot.0,
        parent_hash: payload.parent_hash,
        block_hash: payload.block_hash,
        builder_pubkey: pubkey_bytes(builder),
        proposer_pubkey: pubkey_bytes(&target.proposer),
        proposer_fee_recipient: target.proposer_fee_recipient.0.0,
        gas_limit: payload.gas_limit,
        gas_used: payload.gas_used,
        value: u256_from_alloy(target.value),
    }
}

/// A `SubmitBlockRequest` for `payload`, its trace signed by `builder` under the builder
/// domain.
pub fn sign_submission(
    builder: &BlsSecretKey,
    genesis_fork_version: [u8; 4],
    target: &BidTarget,
    execution_payload: ExecutionPayload,
    blobs_bundle: BlobsBundle,
    execution_requests: ExecutionRequests,
) -> Result<SubmitBlockRequestElectra, SszError> {
    let message = bid_trace(&builder.public_key(), target, &execution_payload);
    let signature = message.sign(builder, genesis_fork_version)?;
    Ok(SubmitBlockRequestElectra {
        message,
        execution_payload,
        blobs_bundle,
        execution_requests,
        signature,
    })
}

/// The multiproof that the transactions hashed `hashes` (keccak256 of their canonical
/// encodings) sit in `transactions` (a payload's, in order), against the payload's
/// `transactions_root`. The proof names them in the order given; each is found at its
/// first position in the payload.
pub fn prove_transactions<T: AsRef<[u8]>>(
    transactions: &[T],
    hashes: &[B256],
) -> Result<InclusionMultiProof, ProveError> {
    if hashes.len() > MAX_PROOF_LEAVES {
        return Err(MultiProofError::TooManyLeaves {
            count: hashes.len(),
        }
        .into());
    }
    let tree = TransactionsTree::new(transactions).ok_or(ProveError::TooManyTransactions {
        count: transactions.len(),
    })?;
    let in_payload: Vec<B256> = transactions.iter().map(|t| keccak256(t.as_ref())).collect();
    let items = hashes
        .iter()
        .map(|hash| {
            in_payload
                .iter()
                .position(|h| h == hash)
                .map(|position| (*hash, position))
                .ok_or(ProveError::NotInPayload { hash: *hash })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(InclusionMultiProof::generate(&tree, &items)?)
}

impl SubmitBlockRequestElectra {
    /// The JSON body of `POST /constraints/v0/relay/blocks_with_proofs`: the request's
    /// beacon-API JSON with `proofs` beside its fields.
    pub fn to_json_with_proofs(&self, proofs: &InclusionMultiProof) -> Value {
        let mut body = self.to_json();
        body["proofs"] = serde_json::to_value(proofs).unwrap_or(Value::Null);
        body
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::Bytes;

    use super::*;
    use crate::ssz::{transaction_leaf, transactions_root};

    fn key(seed: u8) -> BlsSecretKey {
        BlsSecretKey::from_ikm(&[seed; 32]).unwrap()
    }

    #[test]
    fn proves_named_transactions_and_nothing_else() {
        let txs: Vec<Bytes> = (0..9u8)
            .map(|i| Bytes::from(vec![i; 40 + i as usize]))
            .collect();
        let root = transactions_root(&txs).unwrap();
        let wanted = [keccak256(&txs[7]), keccak256(&txs[2])];
        let proof = prove_transactions(&txs, &wanted).unwrap();
        assert_eq!(proof.transaction_hashes, wanted);
        let constrained: Vec<(B256, Bytes)> = [7, 2]
            .map(|i| (keccak256(&txs[i]), txs[i].clone()))
            .to_vec();
        proof.verify(root, &constrained).unwrap();
        // A relay that constrained a third transaction refuses it.
        let mut more = constrained;
        more.push((keccak256(&txs[4]), txs[4].clone()));
        assert!(matches!(
            proof.verify(root, &more),
            Err(MultiProofError::MissingTransaction { .. })
        ));

        let absent = keccak256(b"not in the block");
        assert_eq!(
            prove_transactions(&txs, &[absent]),
            Err(ProveError::NotInPayload { hash: absent })
        );
        assert!(matches!(
            prove_transactions(&txs, &[]),
            Err(ProveError::MultiProof(MultiProofError::Empty))
        ));
        // Leaves are what the relay precomputes.
        let leaves: Vec<(B256, B256)> = [7, 2]
            .map(|i| (keccak256(&txs[i]), transaction_leaf(&txs[i])))
            .to_vec();
        proof.verify_leaves(root, &leaves).unwrap();
    }

    #[test]
    fn signed_submission_verifies_and_describes_the_payload() {
        let builder = key(1);
        let target = BidTarget {
            slot: Slot(77),
            proposer: key(2).public_key(),
            proposer_fee_recipient: Address::repeat_byte(0xfe),
            value: U256::from(123_456u64),
        };
        let payload = ExecutionPayload {
            parent_hash: [1; 32],
            block_hash: [2; 32],
            gas_limit: 30_000_000,
            gas_used: 21_000,
            ..Default::default()
        };
        let fork = [0x10, 0, 0, 0x38];
        let request = sign_submission(
            &builder,
            fork,
            &target,
            payload,
            BlobsBundle::default(),
            ExecutionRequests::default(),
        )
        .unwrap();
        request.verify(fork).unwrap();
        assert!(request.verify([0; 4]).is_err(), "wrong domain");
        let trace = &request.message;
        assert_eq!(trace.slot, 77);
        assert_eq!(trace.block_hash, [2; 32]);
        assert_eq!(trace.parent_hash, [1; 32]);
        assert_eq!(trace.gas_used, 21_000);
        assert_eq!(trace.builder(), builder.public_key());
        assert_eq!(trace.proposer(), target.proposer);
        assert_eq!(trace.proposer_fee_recipient, [0xfe; 20]);

        let proof = InclusionMultiProof {
            transaction_hashes: vec![B256::repeat_byte(9)],
            generalized_indexes: vec![1 << 21],
            merkle_hashes: vec![],
        };
        let body = request.to_json_with_proofs(&proof);
        assert_eq!(body["message"]["slot"], "77");
        assert_eq!(
            serde_json::from_value::<InclusionMultiProof>(body["proofs"].clone()).unwrap(),
            proof
        );
    }
}
