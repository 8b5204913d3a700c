//! The full execution payload and what travels with it (step ⑤): the builder's block
//! submission (`SubmitBlockRequest`, relay-specs Electra), the payload a relay hands back
//! for a signed blinded block, and the unblinded beacon block it publishes (step ⑥).
//!
//! Also the execution-layer block hash of a payload ([`execution_block_hash`]), computed
//! with alloy's header encoding, so a relay checks a builder's `block_hash` itself.

use alloy_consensus::{EMPTY_OMMER_ROOT_HASH, Header};
use alloy_primitives::{Address, B64, B256, Bloom, Bytes, U256 as AlloyU256};
use sha2::{Digest, Sha256};
use ssz_rs::prelude::*;

use super::{
    beacon::{
        AttestationElectra, AttesterSlashingElectra, BlindedBeaconBlockElectra, Deposit, Eth1Data,
        ProposerSlashing, SignedBlindedBeaconBlockElectra, SignedBlsToExecutionChange,
        SignedVoluntaryExit, SyncAggregate,
    },
    builder::{
        BlsPubkeyBytes, BlsSignatureBytes, ExecutionPayloadHeader, ExecutionRequests, SszError,
        hash_tree_root, pubkey_from, signature_bytes, signature_from,
    },
    transactions::MAX_TRANSACTIONS_PER_PAYLOAD,
};
use crate::bls::{
    BlsError, BlsPublicKey, BlsSecretKey, BlsSignature, builder_domain, compute_signing_root,
};

/// `MAX_BYTES_PER_TRANSACTION`.
pub const MAX_BYTES_PER_TRANSACTION: usize = 1 << 30;
/// `MAX_WITHDRAWALS_PER_PAYLOAD`.
pub const MAX_WITHDRAWALS_PER_PAYLOAD: usize = 16;
/// `MAX_BLOB_COMMITMENTS_PER_BLOCK`.
pub const MAX_BLOB_COMMITMENTS_PER_BLOCK: usize = 4096;
/// `BYTES_PER_BLOB`.
pub const BYTES_PER_BLOB: usize = 131_072;

/// One transaction of a payload (an opaque EIP-2718 encoding, canonical form).
pub type Transaction = List<u8, MAX_BYTES_PER_TRANSACTION>;
/// A KZG commitment or proof (48 bytes).
pub type KzgBytes = Vector<u8, 48>;
/// One blob.
pub type Blob = Vector<u8, BYTES_PER_BLOB>;

/// `Withdrawal` (Capella).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct Withdrawal {
    /// Withdrawal index.
    pub index: u64,
    /// Validator index.
    pub validator_index: u64,
    /// Recipient.
    pub address: [u8; 20],
    /// Amount in gwei.
    pub amount: u64,
}

/// `ExecutionPayload` (Deneb; Electra uses the same container).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ExecutionPayload {
    /// Parent block hash.
    pub parent_hash: [u8; 32],
    /// Fee recipient.
    pub fee_recipient: [u8; 20],
    /// State root.
    pub state_root: [u8; 32],
    /// Receipts root.
    pub receipts_root: [u8; 32],
    /// Logs bloom.
    pub logs_bloom: Vector<u8, 256>,
    /// prevRandao.
    pub prev_randao: [u8; 32],
    /// Block number.
    pub block_number: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Timestamp.
    pub timestamp: u64,
    /// Extra data (≤ 32 bytes).
    pub extra_data: List<u8, 32>,
    /// Base fee per gas.
    pub base_fee_per_gas: U256,
    /// Block hash.
    pub block_hash: [u8; 32],
    /// The transactions, canonical EIP-2718 encodings.
    pub transactions: List<Transaction, MAX_TRANSACTIONS_PER_PAYLOAD>,
    /// Withdrawals.
    pub withdrawals: List<Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD>,
    /// Blob gas used.
    pub blob_gas_used: u64,
    /// Excess blob gas.
    pub excess_blob_gas: u64,
}

/// `BlobsBundle` (Deneb/Electra: one proof per blob).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BlobsBundle {
    /// KZG commitments.
    pub commitments: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// KZG proofs.
    pub proofs: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// Blobs.
    pub blobs: List<Blob, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
}

/// `BidTrace`: what a builder signs about its block (relay-specs).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BidTrace {
    /// Slot.
    pub slot: u64,
    /// Parent block hash.
    pub parent_hash: [u8; 32],
    /// The block's hash.
    pub block_hash: [u8; 32],
    /// The builder's key.
    pub builder_pubkey: BlsPubkeyBytes,
    /// The slot's proposer.
    pub proposer_pubkey: BlsPubkeyBytes,
    /// Where the proposer is paid.
    pub proposer_fee_recipient: [u8; 20],
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Value to the proposer in wei.
    pub value: U256,
}

/// `SubmitBlockRequest` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SubmitBlockRequestElectra {
    /// The signed trace.
    pub message: BidTrace,
    /// The full payload.
    pub execution_payload: ExecutionPayload,
    /// Blobs of the block's blob transactions.
    pub blobs_bundle: BlobsBundle,
    /// Execution-layer requests.
    pub execution_requests: ExecutionRequests,
    /// The builder's signature over `message`.
    pub signature: BlsSignatureBytes,
}

/// `ExecutionPayloadAndBlobsBundle`: the answer to a signed blinded block (builder-specs
/// `submitBlindedBlock`, Deneb and later).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ExecutionPayloadAndBlobsBundle {
    /// The payload.
    pub execution_payload: ExecutionPayload,
    /// Its blobs.
    pub blobs_bundle: BlobsBundle,
}

/// `BeaconBlockBody` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BeaconBlockBodyElectra {
    /// RANDAO reveal.
    pub randao_reveal: BlsSignatureBytes,
    /// Eth1 vote.
    pub eth1_data: Eth1Data,
    /// Graffiti.
    pub graffiti: [u8; 32],
    /// Proposer slashings.
    pub proposer_slashings: List<ProposerSlashing, 16>,
    /// Attester slashings.
    pub attester_slashings: List<AttesterSlashingElectra, 1>,
    /// Attestations.
    pub attestations: List<AttestationElectra, 8>,
    /// Deposits.
    pub deposits: List<Deposit, 16>,
    /// Voluntary exits.
    pub voluntary_exits: List<SignedVoluntaryExit, 16>,
    /// Sync aggregate.
    pub sync_aggregate: SyncAggregate,
    /// The payload.
    pub execution_payload: ExecutionPayload,
    /// BLS-to-execution changes.
    pub bls_to_execution_changes: List<SignedBlsToExecutionChange, 16>,
    /// Blob commitments.
    pub blob_kzg_commitments: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// Execution-layer requests.
    pub execution_requests: ExecutionRequests,
}

/// `BeaconBlock` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BeaconBlockElectra {
    /// Slot.
    pub slot: u64,
    /// Proposer index.
    pub proposer_index: u64,
    /// Parent root.
    pub parent_root: [u8; 32],
    /// State root.
    pub state_root: [u8; 32],
    /// Body.
    pub body: BeaconBlockBodyElectra,
}

/// `SignedBeaconBlock` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBeaconBlockElectra {
    /// Block.
    pub message: BeaconBlockElectra,
    /// Proposer signature.
    pub signature: BlsSignatureBytes,
}

/// `SignedBlockContents` (Electra): what `POST /eth/v2/beacon/blocks` takes.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBlockContentsElectra {
    /// The signed block.
    pub signed_block: SignedBeaconBlockElectra,
    /// KZG proofs of the blobs.
    pub kzg_proofs: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// The blobs.
    pub blobs: List<Blob, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
}

/// Converts an ssz_rs `U256` to alloy's.
pub fn u256_to_alloy(value: &U256) -> AlloyU256 {
    AlloyU256::from_le_slice(&value.to_bytes_le())
}

/// Converts an alloy `U256` to ssz_rs's.
pub fn u256_from_alloy(value: AlloyU256) -> U256 {
    U256::from_bytes_le(value.to_le_bytes::<32>())
}

impl BidTrace {
    /// The builder's signing root under the builder domain.
    pub fn signing_root(&self, genesis_fork_version: [u8; 4]) -> Result<B256, SszError> {
        Ok(compute_signing_root(
            hash_tree_root(self)?,
            builder_domain(genesis_fork_version),
        ))
    }

    /// Signs as the builder (`self.builder_pubkey` should be `key`'s public key).
    pub fn sign(
        &self,
        key: &BlsSecretKey,
        genesis_fork_version: [u8; 4],
    ) -> Result<BlsSignatureBytes, SszError> {
        Ok(signature_bytes(
            &key.sign(self.signing_root(genesis_fork_version)?),
        ))
    }

    /// The builder key named in the trace.
    pub fn builder(&self) -> BlsPublicKey {
        pubkey_from(&self.builder_pubkey)
    }

    /// The proposer key named in the trace.
    pub fn proposer(&self) -> BlsPublicKey {
        pubkey_from(&self.proposer_pubkey)
    }
}

impl SubmitBlockRequestElectra {
    /// Verifies the builder's signature over the trace.
    pub fn verify(&self, genesis_fork_version: [u8; 4]) -> Result<(), BlsError> {
        let root = self
            .message
            .signing_root(genesis_fork_version)
            .map_err(|_| BlsError::VerificationFailed)?;
        signature_from(&self.signature).verify(&self.message.builder(), root)
    }

    /// The builder's signature.
    pub fn builder_signature(&self) -> BlsSignature {
        signature_from(&self.signature)
    }
}

impl ExecutionPayload {
    /// The payload's header, given its `transactions_root` (computed by the caller, who
    /// usually keeps the tree for proofs: [`super::TransactionsTree`]).
    pub fn header(&self, transactions_root: B256) -> Result<ExecutionPayloadHeader, SszError> {
        Ok(ExecutionPayloadHeader {
            parent_hash: self.parent_hash,
            fee_recipient: self.fee_recipient,
            state_root: self.state_root,
            receipts_root: self.receipts_root,
            logs_bloom: self.logs_bloom.clone(),
            prev_randao: self.prev_randao,
            block_number: self.block_number,
            gas_limit: self.gas_limit,
            gas_used: self.gas_used,
            timestamp: self.timestamp,
            extra_data: self.extra_data.clone(),
            base_fee_per_gas: self.base_fee_per_gas.clone(),
            block_hash: self.block_hash,
            transactions_root: transactions_root.0,
            withdrawals_root: hash_tree_root(&self.withdrawals)?.0,
            blob_gas_used: self.blob_gas_used,
            excess_blob_gas: self.excess_blob_gas,
        })
    }
}

/// EIP-7685 `requests_hash` of Electra's execution requests: each non-empty list becomes
/// `type ‖ concatenated SSZ encodings`, and the hash is `sha256` over their `sha256`s.
pub fn requests_hash(requests: &ExecutionRequests) -> Result<B256, SszError> {
    fn encode_all<T: SimpleSerialize>(items: &[T]) -> Result<Vec<u8>, SszError> {
        let mut out = Vec::new();
        for item in items {
            out.extend(ssz_rs::serialize(item).map_err(|e| SszError::Malformed {
                reason: e.to_string(),
            })?);
        }
        Ok(out)
    }
    let lists = [
        (0u8, encode_all(&requests.deposits)?),
        (1, encode_all(&requests.withdrawals)?),
        (2, encode_all(&requests.consolidations)?),
    ];
    let mut outer = Sha256::new();
    for (request_type, data) in lists {
        if !data.is_empty() {
            outer.update(
                Sha256::new()
                    .chain_update([request_type])
                    .chain_update(&data)
                    .finalize(),
            );
        }
    }
    Ok(B256::from_slice(&outer.finalize()))
}

/// The execution-layer header a payload stands for. `parent_beacon_block_root` comes
/// from the beacon chain (it is not in the payload); the transactions and withdrawals
/// roots are the Merkle-Patricia roots the execution layer uses.
pub fn execution_header(
    payload: &ExecutionPayload,
    parent_beacon_block_root: B256,
    requests: &ExecutionRequests,
) -> Result<Header, SszError> {
    let withdrawals: Vec<alloy_eips::eip4895::Withdrawal> = payload
        .withdrawals
        .iter()
        .map(|w| alloy_eips::eip4895::Withdrawal {
            index: w.index,
            validator_index: w.validator_index,
            address: Address::from(w.address),
            amount: w.amount,
        })
        .collect();
    let base_fee = u256_to_alloy(&payload.base_fee_per_gas);
    let base_fee_per_gas = u64::try_from(base_fee).map_err(|_| SszError::Shape {
        what: "base_fee_per_gas",
        reason: "does not fit in 64 bits".to_owned(),
    })?;
    Ok(Header {
        parent_hash: B256::from(payload.parent_hash),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: Address::from(payload.fee_recipient),
        state_root: B256::from(payload.state_root),
        transactions_root: alloy_trie::root::ordered_trie_root_encoded(&payload.transactions),
        receipts_root: B256::from(payload.receipts_root),
        logs_bloom: Bloom::from_slice(&payload.logs_bloom),
        difficulty: AlloyU256::ZERO,
        number: payload.block_number,
        gas_limit: payload.gas_limit,
        gas_used: payload.gas_used,
        timestamp: payload.timestamp,
        extra_data: Bytes::copy_from_slice(&payload.extra_data),
        mix_hash: B256::from(payload.prev_randao),
        nonce: B64::ZERO,
        base_fee_per_gas: Some(base_fee_per_gas),
        withdrawals_root: Some(alloy_consensus::proofs::calculate_withdrawals_root(
            &withdrawals,
        )),
        blob_gas_used: Some(payload.blob_gas_used),
        excess_blob_gas: Some(payload.excess_blob_gas),
        parent_beacon_block_root: Some(parent_beacon_block_root),
        requests_hash: Some(requests_hash(requests)?),
        ..Default::default()
    })
}

/// The execution block hash of an Electra payload (see [`execution_header`]).
pub fn execution_block_hash(
    payload: &ExecutionPayload,
    parent_beacon_block_root: B256,
    requests: &ExecutionRequests,
) -> Result<B256, SszError> {
    Ok(execution_header(payload, parent_beacon_block_root, requests)?.hash_slow())
}

impl SignedBlindedBeaconBlockElectra {
    /// The full block: the blinded block with `payload` in place of its header. The
    /// caller checks that the payload is the one the header commits to (equal
    /// `hash_tree_root`s of header and payload, so equal block roots).
    pub fn unblind(&self, payload: ExecutionPayload) -> SignedBeaconBlockElectra {
        let block = &self.message;
        let body = &block.body;
        SignedBeaconBlockElectra {
            message: BeaconBlockElectra {
                slot: block.slot,
                proposer_index: block.proposer_index,
                parent_root: block.parent_root,
                state_root: block.state_root,
                body: BeaconBlockBodyElectra {
                    randao_reveal: body.randao_reveal.clone(),
                    eth1_data: body.eth1_data.clone(),
                    graffiti: body.graffiti,
                    proposer_slashings: body.proposer_slashings.clone(),
                    attester_slashings: body.attester_slashings.clone(),
                    attestations: body.attestations.clone(),
                    deposits: body.deposits.clone(),
                    voluntary_exits: body.voluntary_exits.clone(),
                    sync_aggregate: body.sync_aggregate.clone(),
                    execution_payload: payload,
                    bls_to_execution_changes: body.bls_to_execution_changes.clone(),
                    blob_kzg_commitments: body.blob_kzg_commitments.clone(),
                    execution_requests: body.execution_requests.clone(),
                },
            },
            signature: self.signature.clone(),
        }
    }

    /// Verifies the proposer's signature (`DOMAIN_BEACON_PROPOSER` at `fork_version`).
    pub fn verify(
        &self,
        proposer: &BlsPublicKey,
        fork_version: [u8; 4],
        genesis_validators_root: B256,
    ) -> Result<(), BlsError> {
        let root = self
            .message
            .signing_root(fork_version, genesis_validators_root)
            .map_err(|_| BlsError::VerificationFailed)?;
        signature_from(&self.signature).verify(proposer, root)
    }
}

impl BlindedBeaconBlockElectra {
    /// The slot's blinded block root equals the full block's: a check that unblinding
    /// used the payload the proposer signed for.
    pub fn root(&self) -> Result<B256, SszError> {
        hash_tree_root(self)
    }
}

#[cfg(test)]
mod tests;
