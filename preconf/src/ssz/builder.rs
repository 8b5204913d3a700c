//! Builder-API containers (ethereum/builder-specs, Deneb and Electra).

use alloy_primitives::B256;
use ssz_rs::prelude::*;

use crate::bls::{
    BlsError, BlsPublicKey, BlsSecretKey, BlsSignature, builder_domain, compute_signing_root,
};

/// A 48-byte BLS public key inside an SSZ container.
pub type BlsPubkeyBytes = Vector<u8, 48>;
/// A 96-byte BLS signature inside an SSZ container.
pub type BlsSignatureBytes = Vector<u8, 96>;

/// Building or hashing an SSZ value failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SszError {
    /// A list or vector got the wrong number of elements.
    #[error("SSZ {what}: {reason}")]
    Shape {
        /// Which value.
        what: &'static str,
        /// What ssz_rs reported.
        reason: String,
    },
    /// Bytes are not a valid SSZ encoding of the type.
    #[error("malformed SSZ: {reason}")]
    Malformed {
        /// What the decoder reported.
        reason: String,
    },
    /// Merkleization failed.
    #[error("hash_tree_root failed: {reason}")]
    Merkleization {
        /// What ssz_rs reported.
        reason: String,
    },
}

/// Decodes an SSZ value from untrusted bytes.
///
/// ssz_rs 0.9's derived decoders panic on some malformed inputs (an offset smaller than
/// the previous one underflows; found by the `proofs` fuzz target, the input is kept in
/// `tests/vectors/regression-ssz-blinded-block-offsets.bin`). Every SSZ decode of bytes
/// from the network must go through here, which turns such a panic into
/// [`SszError::Malformed`] instead of taking the process down.
pub fn decode<T: SimpleSerialize>(bytes: &[u8]) -> Result<T, SszError> {
    match std::panic::catch_unwind(|| ssz_rs::deserialize::<T>(bytes)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(SszError::Malformed {
            reason: e.to_string(),
        }),
        Err(_) => Err(SszError::Malformed {
            reason: "inconsistent offsets or lengths".to_owned(),
        }),
    }
}

/// `hash_tree_root` of any ssz_rs value, as a `B256`.
pub fn hash_tree_root<T: Merkleized + Clone>(value: &T) -> Result<B256, SszError> {
    // ssz_rs 0.9 merkleizes through `&mut self` (it caches); hash a copy.
    let mut copy = value.clone();
    copy.hash_tree_root()
        .map(|node| B256::from_slice(node.as_ref()))
        .map_err(|e| SszError::Merkleization {
            reason: e.to_string(),
        })
}

pub(crate) fn pubkey_bytes(pk: &BlsPublicKey) -> BlsPubkeyBytes {
    // 48 elements into a Vector<u8, 48> cannot fail.
    BlsPubkeyBytes::try_from(pk.0.to_vec()).unwrap_or_default()
}

pub(crate) fn signature_bytes(sig: &BlsSignature) -> BlsSignatureBytes {
    BlsSignatureBytes::try_from(sig.0.to_vec()).unwrap_or_default()
}

pub(crate) fn signature_from(bytes: &BlsSignatureBytes) -> BlsSignature {
    let mut out = [0u8; 96];
    out.copy_from_slice(bytes);
    BlsSignature(out)
}

pub(crate) fn pubkey_from(bytes: &BlsPubkeyBytes) -> BlsPublicKey {
    let mut out = [0u8; 48];
    out.copy_from_slice(bytes);
    BlsPublicKey(out)
}

/// `ValidatorRegistrationV1`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ValidatorRegistrationV1 {
    /// Where the proposer wants its payment.
    pub fee_recipient: [u8; 20],
    /// Preferred gas limit.
    pub gas_limit: u64,
    /// Unix time of the registration.
    pub timestamp: u64,
    /// The validator.
    pub pubkey: BlsPubkeyBytes,
}

/// `SignedValidatorRegistrationV1`.
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedValidatorRegistration {
    /// The registration.
    pub message: ValidatorRegistrationV1,
    /// The validator's signature under the builder domain.
    pub signature: BlsSignatureBytes,
}

impl ValidatorRegistrationV1 {
    /// A registration for `key`'s public key.
    pub fn new(
        fee_recipient: [u8; 20],
        gas_limit: u64,
        timestamp: u64,
        key: &BlsPublicKey,
    ) -> Self {
        Self {
            fee_recipient,
            gas_limit,
            timestamp,
            pubkey: pubkey_bytes(key),
        }
    }

    /// Signs under the builder domain.
    pub fn sign(
        self,
        key: &BlsSecretKey,
        genesis_fork_version: [u8; 4],
    ) -> Result<SignedValidatorRegistration, SszError> {
        let root =
            compute_signing_root(hash_tree_root(&self)?, builder_domain(genesis_fork_version));
        Ok(SignedValidatorRegistration {
            signature: signature_bytes(&key.sign(root)),
            message: self,
        })
    }
}

impl SignedValidatorRegistration {
    /// The signing root and the (key, signature) pair, for batch verification.
    pub fn verification_item(
        &self,
        genesis_fork_version: [u8; 4],
    ) -> Result<(BlsPublicKey, B256, BlsSignature), SszError> {
        let root = compute_signing_root(
            hash_tree_root(&self.message)?,
            builder_domain(genesis_fork_version),
        );
        Ok((
            pubkey_from(&self.message.pubkey),
            root,
            signature_from(&self.signature),
        ))
    }

    /// Verifies the validator's signature.
    pub fn verify(&self, genesis_fork_version: [u8; 4]) -> Result<(), BlsError> {
        let (pk, root, sig) = self
            .verification_item(genesis_fork_version)
            .map_err(|_| BlsError::VerificationFailed)?;
        sig.verify(&pk, root)
    }
}

/// `ExecutionPayloadHeader` (Deneb; Electra uses the same container).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ExecutionPayloadHeader {
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
    /// `hash_tree_root` of the transactions list.
    pub transactions_root: [u8; 32],
    /// `hash_tree_root` of the withdrawals list.
    pub withdrawals_root: [u8; 32],
    /// Blob gas used.
    pub blob_gas_used: u64,
    /// Excess blob gas.
    pub excess_blob_gas: u64,
}

/// `DepositRequest` (EIP-6110).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct DepositRequest {
    /// Validator key.
    pub pubkey: BlsPubkeyBytes,
    /// Withdrawal credentials.
    pub withdrawal_credentials: [u8; 32],
    /// Amount in gwei.
    pub amount: u64,
    /// Deposit signature.
    pub signature: BlsSignatureBytes,
    /// Deposit index.
    pub index: u64,
}

/// `WithdrawalRequest` (EIP-7002).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct WithdrawalRequest {
    /// Requesting address.
    pub source_address: [u8; 20],
    /// Validator key.
    pub validator_pubkey: BlsPubkeyBytes,
    /// Amount in gwei.
    pub amount: u64,
}

/// `ConsolidationRequest` (EIP-7251).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ConsolidationRequest {
    /// Requesting address.
    pub source_address: [u8; 20],
    /// Source validator.
    pub source_pubkey: BlsPubkeyBytes,
    /// Target validator.
    pub target_pubkey: BlsPubkeyBytes,
}

/// `ExecutionRequests` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct ExecutionRequests {
    /// Deposits.
    pub deposits: List<DepositRequest, 8192>,
    /// Withdrawals.
    pub withdrawals: List<WithdrawalRequest, 16>,
    /// Consolidations.
    pub consolidations: List<ConsolidationRequest, 2>,
}

/// `BuilderBid` (Deneb).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BuilderBidDeneb {
    /// The payload header.
    pub header: ExecutionPayloadHeader,
    /// Blob commitments.
    pub blob_kzg_commitments: List<Vector<u8, 48>, 4096>,
    /// Value to the proposer in wei.
    pub value: U256,
    /// The builder's key.
    pub pubkey: BlsPubkeyBytes,
}

/// `BuilderBid` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct BuilderBidElectra {
    /// The payload header.
    pub header: ExecutionPayloadHeader,
    /// Blob commitments.
    pub blob_kzg_commitments: List<Vector<u8, 48>, 4096>,
    /// Execution-layer requests.
    pub execution_requests: ExecutionRequests,
    /// Value to the proposer in wei.
    pub value: U256,
    /// The builder's key.
    pub pubkey: BlsPubkeyBytes,
}

/// `SignedBuilderBid` (Electra).
#[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
pub struct SignedBuilderBidElectra {
    /// The bid.
    pub message: BuilderBidElectra,
    /// The builder's signature under the builder domain.
    pub signature: BlsSignatureBytes,
}

impl BuilderBidElectra {
    /// Signs as the builder (`self.pubkey` should be `key`'s public key).
    pub fn sign(
        self,
        key: &BlsSecretKey,
        genesis_fork_version: [u8; 4],
    ) -> Result<SignedBuilderBidElectra, SszError> {
        let root =
            compute_signing_root(hash_tree_root(&self)?, builder_domain(genesis_fork_version));
        Ok(SignedBuilderBidElectra {
            signature: signature_bytes(&key.sign(root)),
            message: self,
        })
    }
}

impl SignedBuilderBidElectra {
    /// Verifies the builder's signature against the key named in the bid.
    pub fn verify(&self, genesis_fork_version: [u8; 4]) -> Result<(), BlsError> {
        let root = hash_tree_root(&self.message).map_err(|_| BlsError::VerificationFailed)?;
        let root = compute_signing_root(root, builder_domain(genesis_fork_version));
        signature_from(&self.signature).verify(&pubkey_from(&self.message.pubkey), root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_sign_verify_and_ssz_round_trip() {
        let key = BlsSecretKey::from_ikm(&[5; 32]).unwrap();
        let reg =
            ValidatorRegistrationV1::new([1; 20], 30_000_000, 1_700_000_000, &key.public_key());
        let signed = reg.sign(&key, [0; 4]).unwrap();
        signed.verify([0; 4]).unwrap();
        assert!(
            signed.verify([1, 0, 0, 0]).is_err(),
            "wrong fork version must fail"
        );
        let bytes = ssz_rs::serialize(&signed).unwrap();
        assert_eq!(bytes.len(), 20 + 8 + 8 + 48 + 96);
        let back: SignedValidatorRegistration = ssz_rs::deserialize(&bytes).unwrap();
        assert_eq!(back, signed);
        assert!(
            ssz_rs::deserialize::<SignedValidatorRegistration>(&bytes[..bytes.len() - 1]).is_err()
        );
    }

    #[test]
    fn builder_bid_sign_verify_tamper() {
        let key = BlsSecretKey::from_ikm(&[6; 32]).unwrap();
        let mut bid = BuilderBidElectra {
            value: U256::from(123u64),
            pubkey: pubkey_bytes(&key.public_key()),
            ..Default::default()
        };
        bid.header.block_number = 9;
        let signed = bid.sign(&key, [0; 4]).unwrap();
        signed.verify([0; 4]).unwrap();
        let mut tampered = signed.clone();
        tampered.message.value = U256::from(124u64);
        assert_eq!(tampered.verify([0; 4]), Err(BlsError::VerificationFailed));
        let bytes = ssz_rs::serialize(&signed).unwrap();
        assert_eq!(
            ssz_rs::deserialize::<SignedBuilderBidElectra>(&bytes).unwrap(),
            signed
        );
    }

    #[test]
    fn header_root_is_stable() {
        // Field order matters: changing one field changes the root.
        let mut header = ExecutionPayloadHeader::default();
        let empty = hash_tree_root(&header).unwrap();
        header.excess_blob_gas = 1;
        assert_ne!(hash_tree_root(&header).unwrap(), empty);
    }
}
