//! The promise itself (step ③): a [`Commitment`] signed by the operator's committer key
//! under the Baton EIP-712 domain, verifiable by wallets here and by the `Slasher`
//! contract with `ecrecover`.

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};

use crate::{
    bls::BlsPublicKey,
    eip712::{self, BatonDomain},
    signature::{EcdsaSignature, SignatureError, sign_as},
    types::{Position, RollupId, Slot},
};

/// Most items (transaction hashes or placements) one commitment may cover.
pub const MAX_COMMITMENT_ITEMS: usize = 256;

/// Which promise a commitment makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CommitmentKind {
    /// The transactions land in slot `slot`'s L1 block (all or nothing).
    Inclusion,
    /// The rollup transactions get the named positions in their rollups' batches.
    Sequencing,
}

impl CommitmentKind {
    /// The `uint8 kind` of the EIP-712 struct.
    pub const fn code(self) -> u8 {
        match self {
            Self::Inclusion => 0,
            Self::Sequencing => 1,
        }
    }
}

/// A rollup transaction's promised place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Placement {
    /// The rollup.
    pub rollup_id: RollupId,
    /// Position in the rollup's batch for the slot.
    pub position: Position,
    /// keccak256 of the raw rollup transaction.
    pub tx_hash: B256,
}

/// A preconfirmation promise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Commitment {
    /// Which promise.
    pub kind: CommitmentKind,
    /// The slot whose L1 block carries it.
    pub slot: Slot,
    /// The proposer of `slot`.
    pub validator_pubkey: BlsPublicKey,
    /// The key that signs (registered for the validator).
    pub committer: Address,
    /// The wallet request's id.
    pub request_id: B256,
    /// Fee paid for the promise, in wei.
    pub fee: U256,
    /// Inclusion: L1 transaction hashes. Sequencing: empty.
    #[serde(default)]
    pub tx_hashes: Vec<B256>,
    /// Sequencing: positions promised. Inclusion: empty.
    #[serde(default)]
    pub placements: Vec<Placement>,
}

/// A commitment with the committer's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedCommitment {
    /// The promise.
    #[serde(flatten)]
    pub commitment: Commitment,
    /// The committer's EIP-712 signature.
    pub signature: EcdsaSignature,
}

/// Why a commitment failed verification.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitmentError {
    /// Items do not match the kind (hashes on a sequencing promise, or the reverse), or
    /// nothing is covered.
    #[error("a {kind:?} commitment must cover {expected} and nothing else")]
    Shape {
        /// The kind.
        kind: CommitmentKind,
        /// What it must cover.
        expected: &'static str,
    },
    /// More items than [`MAX_COMMITMENT_ITEMS`].
    #[error("commitment covers {count} items, the limit is {max}", max = MAX_COMMITMENT_ITEMS)]
    TooManyItems {
        /// Items covered.
        count: usize,
    },
    /// Two placements claim the same (rollup, position).
    #[error("position {position} of rollup {rollup_id} is promised twice")]
    DuplicatePosition {
        /// The rollup.
        rollup_id: RollupId,
        /// The position.
        position: Position,
    },
    /// The commitment is for another slot than the one asked about.
    #[error("commitment is for slot {got}, expected {expected}")]
    WrongSlot {
        /// Slot expected.
        expected: Slot,
        /// Slot in the commitment.
        got: Slot,
    },
    /// The commitment answers another request.
    #[error("commitment answers request {got}, expected {expected}")]
    WrongRequest {
        /// Request id expected.
        expected: B256,
        /// Request id in the commitment.
        got: B256,
    },
    /// Signature malformed, or not the committer's under this domain.
    #[error("commitment signature: {0}")]
    Signature(#[from] SignatureError),
}

impl Commitment {
    /// Checks that the items match the kind and are bounded and unique.
    pub fn check_shape(&self) -> Result<(), CommitmentError> {
        let count = self.tx_hashes.len() + self.placements.len();
        if count > MAX_COMMITMENT_ITEMS {
            return Err(CommitmentError::TooManyItems { count });
        }
        match self.kind {
            CommitmentKind::Inclusion
                if self.tx_hashes.is_empty() || !self.placements.is_empty() =>
            {
                Err(CommitmentError::Shape {
                    kind: self.kind,
                    expected: "L1 transaction hashes",
                })
            }
            CommitmentKind::Sequencing
                if self.placements.is_empty() || !self.tx_hashes.is_empty() =>
            {
                Err(CommitmentError::Shape {
                    kind: self.kind,
                    expected: "rollup placements",
                })
            }
            _ => {
                let mut seen = std::collections::HashSet::with_capacity(self.placements.len());
                for p in &self.placements {
                    if !seen.insert((p.rollup_id, p.position)) {
                        return Err(CommitmentError::DuplicatePosition {
                            rollup_id: p.rollup_id,
                            position: p.position,
                        });
                    }
                }
                Ok(())
            }
        }
    }

    /// The EIP-712 struct.
    pub fn to_eip712(&self) -> eip712::Commitment {
        eip712::Commitment {
            kind: self.kind.code(),
            slot: self.slot.0,
            validatorPubkey: self.validator_pubkey.0.to_vec().into(),
            committer: self.committer,
            requestId: self.request_id,
            fee: self.fee,
            txHashes: self.tx_hashes.clone(),
            placements: self
                .placements
                .iter()
                .map(|p| eip712::Placement {
                    rollupId: p.rollup_id.0,
                    position: p.position.0,
                    txHash: p.tx_hash,
                })
                .collect(),
        }
    }

    /// `hashStruct(commitment)`.
    pub fn struct_hash(&self) -> B256 {
        self.to_eip712().eip712_hash_struct()
    }

    /// The digest the committer signs.
    pub fn digest(&self, domain: &BatonDomain) -> B256 {
        self.to_eip712().eip712_signing_hash(&domain.eip712())
    }

    /// Signs as `committer` (whose address must be `self.committer`).
    pub fn sign(
        self,
        committer: &PrivateKeySigner,
        domain: &BatonDomain,
    ) -> Result<SignedCommitment, CommitmentError> {
        self.check_shape()?;
        let signature = sign_as(committer, self.committer, self.digest(domain))?;
        Ok(SignedCommitment {
            commitment: self,
            signature,
        })
    }
}

impl SignedCommitment {
    /// Checks the shape and that `commitment.committer` signed it under `domain`.
    pub fn verify(&self, domain: &BatonDomain) -> Result<(), CommitmentError> {
        self.commitment.check_shape()?;
        self.signature
            .verify(self.commitment.digest(domain), self.commitment.committer)?;
        Ok(())
    }

    /// [`Self::verify`], plus: the promise answers `request_id` for `slot`. What a wallet
    /// checks on the receipt it gets back.
    pub fn verify_for(
        &self,
        domain: &BatonDomain,
        request_id: B256,
        slot: Slot,
    ) -> Result<(), CommitmentError> {
        if self.commitment.slot != slot {
            return Err(CommitmentError::WrongSlot {
                expected: slot,
                got: self.commitment.slot,
            });
        }
        if self.commitment.request_id != request_id {
            return Err(CommitmentError::WrongRequest {
                expected: request_id,
                got: self.commitment.request_id,
            });
        }
        self.verify(domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn committer() -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
    }

    fn domain() -> BatonDomain {
        BatonDomain {
            chain_id: 3_151_908,
            verifying_contract: Address::repeat_byte(0x5a),
        }
    }

    fn sequencing() -> Commitment {
        Commitment {
            kind: CommitmentKind::Sequencing,
            slot: Slot(77),
            validator_pubkey: BlsPublicKey([0xab; 48]),
            committer: committer().address(),
            request_id: B256::repeat_byte(1),
            fee: U256::from(1_000_000u64),
            tx_hashes: vec![],
            placements: vec![
                Placement {
                    rollup_id: RollupId(1),
                    position: Position(0),
                    tx_hash: B256::repeat_byte(2),
                },
                Placement {
                    rollup_id: RollupId(2),
                    position: Position(0),
                    tx_hash: B256::repeat_byte(3),
                },
            ],
        }
    }

    #[test]
    fn sign_verify_round_trip_json() {
        let signed = sequencing().sign(&committer(), &domain()).unwrap();
        signed.verify(&domain()).unwrap();
        signed
            .verify_for(&domain(), B256::repeat_byte(1), Slot(77))
            .unwrap();
        let json = serde_json::to_string(&signed).unwrap();
        let back: SignedCommitment = serde_json::from_str(&json).unwrap();
        assert_eq!(back, signed);
        back.verify(&domain()).unwrap();
    }

    #[test]
    fn every_negative_path() {
        let signed = sequencing().sign(&committer(), &domain()).unwrap();
        // Wrong domain (other chain, other Slasher).
        let other_chain = BatonDomain {
            chain_id: 1,
            ..domain()
        };
        assert!(matches!(
            signed.verify(&other_chain),
            Err(CommitmentError::Signature(
                SignatureError::WrongSigner { .. }
            ))
        ));
        let other_contract = BatonDomain {
            verifying_contract: Address::ZERO,
            ..domain()
        };
        assert!(signed.verify(&other_contract).is_err());
        // Wrong slot / request.
        assert!(matches!(
            signed.verify_for(&domain(), B256::repeat_byte(1), Slot(78)),
            Err(CommitmentError::WrongSlot { .. })
        ));
        assert!(matches!(
            signed.verify_for(&domain(), B256::ZERO, Slot(77)),
            Err(CommitmentError::WrongRequest { .. })
        ));
        // Tampered content.
        let mut tampered = signed;
        tampered.commitment.placements[0].position = Position(1);
        assert!(matches!(
            tampered.verify(&domain()),
            Err(CommitmentError::Signature(
                SignatureError::WrongSigner { .. }
            ))
        ));
        // Wrong signer claims to be the committer.
        let mallory = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x45)).unwrap();
        assert!(sequencing().sign(&mallory, &domain()).is_err());
        // Shapes.
        let mut mixed = sequencing();
        mixed.tx_hashes.push(B256::ZERO);
        assert!(matches!(
            mixed.check_shape(),
            Err(CommitmentError::Shape { .. })
        ));
        let mut dup = sequencing();
        dup.placements[1].rollup_id = RollupId(1);
        assert!(matches!(
            dup.check_shape(),
            Err(CommitmentError::DuplicatePosition { .. })
        ));
        let mut empty = sequencing();
        empty.kind = CommitmentKind::Inclusion;
        assert!(matches!(
            empty.check_shape(),
            Err(CommitmentError::Shape { .. })
        ));
        let mut big = sequencing();
        big.placements = (0..=MAX_COMMITMENT_ITEMS as u64)
            .map(|i| Placement {
                rollup_id: RollupId(1),
                position: Position(i),
                tx_hash: B256::ZERO,
            })
            .collect();
        assert!(matches!(
            big.check_shape(),
            Err(CommitmentError::TooManyItems { .. })
        ));
    }
}
