//! The Electra blinded beacon block a proposer signs after `getHeader` (step ⑥), with
//! every body container, so its `hash_tree_root` is the real one.

use alloy_primitives::B256;
use ssz_rs::prelude::*;

use super::builder::{
    BlsPubkeyBytes, BlsSignatureBytes, ExecutionPayloadHeader, ExecutionRequests, SszError,
    hash_tree_root,
};
use crate::bls::{BlsSecretKey, DOMAIN_BEACON_PROPOSER, compute_domain, compute_signing_root};

/// `Eth1Data`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct Eth1Data {
    /// Deposit root.
    pub deposit_root: [u8; 32],
    /// Deposit count.
    pub deposit_count: u64,
    /// Eth1 block hash.
    pub block_hash: [u8; 32],
}

/// `BeaconBlockHeader`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BeaconBlockHeader {
    /// Slot.
    pub slot: u64,
    /// Proposer index.
    pub proposer_index: u64,
    /// Parent root.
    pub parent_root: [u8; 32],
    /// State root.
    pub state_root: [u8; 32],
    /// Body root.
    pub body_root: [u8; 32],
}

/// `SignedBeaconBlockHeader`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBeaconBlockHeader {
    /// Header.
    pub message: BeaconBlockHeader,
    /// Signature.
    pub signature: BlsSignatureBytes,
}

/// `ProposerSlashing`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ProposerSlashing {
    /// First header.
    pub signed_header_1: SignedBeaconBlockHeader,
    /// Second header.
    pub signed_header_2: SignedBeaconBlockHeader,
}

/// `Checkpoint`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct Checkpoint {
    /// Epoch.
    pub epoch: u64,
    /// Root.
    pub root: [u8; 32],
}

/// `AttestationData`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct AttestationData {
    /// Slot.
    pub slot: u64,
    /// Committee index.
    pub index: u64,
    /// LMD GHOST vote.
    pub beacon_block_root: [u8; 32],
    /// FFG source.
    pub source: Checkpoint,
    /// FFG target.
    pub target: Checkpoint,
}

/// `IndexedAttestation` (Electra: up to `MAX_VALIDATORS_PER_COMMITTEE * MAX_COMMITTEES_PER_SLOT`).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct IndexedAttestationElectra {
    /// Attesting validator indices.
    pub attesting_indices: List<u64, 131_072>,
    /// Data.
    pub data: AttestationData,
    /// Aggregate signature.
    pub signature: BlsSignatureBytes,
}

/// `AttesterSlashing` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct AttesterSlashingElectra {
    /// First attestation.
    pub attestation_1: IndexedAttestationElectra,
    /// Second attestation.
    pub attestation_2: IndexedAttestationElectra,
}

/// `Attestation` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct AttestationElectra {
    /// Aggregation bits.
    pub aggregation_bits: Bitlist<131_072>,
    /// Data.
    pub data: AttestationData,
    /// Aggregate signature.
    pub signature: BlsSignatureBytes,
    /// Committee bits.
    pub committee_bits: Bitvector<64>,
}

/// `DepositData`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct DepositData {
    /// Validator key.
    pub pubkey: BlsPubkeyBytes,
    /// Withdrawal credentials.
    pub withdrawal_credentials: [u8; 32],
    /// Amount in gwei.
    pub amount: u64,
    /// Signature.
    pub signature: BlsSignatureBytes,
}

/// `Deposit`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct Deposit {
    /// Merkle branch to the deposit root.
    pub proof: Vector<[u8; 32], 33>,
    /// The deposit.
    pub data: DepositData,
}

/// `VoluntaryExit`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct VoluntaryExit {
    /// Earliest exit epoch.
    pub epoch: u64,
    /// Validator index.
    pub validator_index: u64,
}

/// `SignedVoluntaryExit`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedVoluntaryExit {
    /// Exit.
    pub message: VoluntaryExit,
    /// Signature.
    pub signature: BlsSignatureBytes,
}

/// `SyncAggregate`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SyncAggregate {
    /// Participation bits.
    pub sync_committee_bits: Bitvector<512>,
    /// Aggregate signature.
    pub sync_committee_signature: BlsSignatureBytes,
}

/// `BLSToExecutionChange`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BlsToExecutionChange {
    /// Validator index.
    pub validator_index: u64,
    /// Current BLS withdrawal key.
    pub from_bls_pubkey: BlsPubkeyBytes,
    /// New execution address.
    pub to_execution_address: [u8; 20],
}

/// `SignedBLSToExecutionChange`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBlsToExecutionChange {
    /// Change.
    pub message: BlsToExecutionChange,
    /// Signature.
    pub signature: BlsSignatureBytes,
}

/// `BlindedBeaconBlockBody` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BlindedBeaconBlockBodyElectra {
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
    /// The builder's payload header.
    pub execution_payload_header: ExecutionPayloadHeader,
    /// BLS-to-execution changes.
    pub bls_to_execution_changes: List<SignedBlsToExecutionChange, 16>,
    /// Blob commitments.
    pub blob_kzg_commitments: List<Vector<u8, 48>, 4096>,
    /// Execution-layer requests.
    pub execution_requests: ExecutionRequests,
}

/// `BlindedBeaconBlock` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BlindedBeaconBlockElectra {
    /// Slot.
    pub slot: u64,
    /// Proposer index.
    pub proposer_index: u64,
    /// Parent root.
    pub parent_root: [u8; 32],
    /// State root.
    pub state_root: [u8; 32],
    /// Body.
    pub body: BlindedBeaconBlockBodyElectra,
}

/// `SignedBlindedBeaconBlock` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBlindedBeaconBlockElectra {
    /// Block.
    pub message: BlindedBeaconBlockElectra,
    /// Proposer signature.
    pub signature: BlsSignatureBytes,
}

impl BlindedBeaconBlockElectra {
    /// The proposer's signing root: `DOMAIN_BEACON_PROPOSER` with the current fork version
    /// and the genesis validators root.
    pub fn signing_root(
        &self,
        fork_version: [u8; 4],
        genesis_validators_root: B256,
    ) -> Result<B256, SszError> {
        let domain = compute_domain(
            DOMAIN_BEACON_PROPOSER,
            fork_version,
            genesis_validators_root,
        );
        Ok(compute_signing_root(hash_tree_root(self)?, domain))
    }

    /// Signs as the proposer.
    pub fn sign(
        self,
        key: &BlsSecretKey,
        fork_version: [u8; 4],
        genesis_validators_root: B256,
    ) -> Result<SignedBlindedBeaconBlockElectra, SszError> {
        let root = self.signing_root(fork_version, genesis_validators_root)?;
        let signature = super::builder::signature_bytes(&key.sign(root));
        Ok(SignedBlindedBeaconBlockElectra {
            message: self,
            signature,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bls::BlsSignature;

    #[test]
    fn sign_and_round_trip() {
        let key = BlsSecretKey::from_ikm(&[9; 32]).unwrap();
        let mut block = BlindedBeaconBlockElectra {
            slot: 12,
            proposer_index: 3,
            ..Default::default()
        };
        block.body.execution_payload_header.block_number = 5;
        let signed = block
            .clone()
            .sign(&key, [0x60, 0, 0, 0x38], B256::ZERO)
            .unwrap();
        let root = block.signing_root([0x60, 0, 0, 0x38], B256::ZERO).unwrap();
        let sig = BlsSignature::from_slice(&signed.signature).unwrap();
        sig.verify(&key.public_key(), root).unwrap();
        let bytes = ssz_rs::serialize(&signed).unwrap();
        assert_eq!(
            ssz_rs::deserialize::<SignedBlindedBeaconBlockElectra>(&bytes).unwrap(),
            signed
        );
        // Another fork version is another domain.
        assert!(
            sig.verify(
                &key.public_key(),
                block.signing_root([0, 0, 0, 0], B256::ZERO).unwrap()
            )
            .is_err()
        );
    }
}

#[cfg(test)]
mod regression {
    use super::SignedBlindedBeaconBlockElectra;
    use crate::ssz::{SszError, decode};

    /// Found by the `proofs` fuzz target: ssz_rs 0.9's derived decoder underflows on
    /// these offsets. It must be a typed error, not a panic.
    #[test]
    fn malformed_offsets_are_an_error_not_a_panic() {
        let input = include_bytes!("../../tests/vectors/regression-ssz-blinded-block-offsets.bin");
        // The fuzz target's first byte selects the decoder; the rest is the SSZ input.
        let result = decode::<SignedBlindedBeaconBlockElectra>(&input[1..]);
        assert!(
            matches!(result, Err(SszError::Malformed { .. })),
            "{result:?}"
        );
    }
}
