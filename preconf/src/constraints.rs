//! Delegations and constraints in the shape of the eth-fabric constraints API v0 (step ④):
//! the proposer's BLS key delegates constraint signing to the sidecar's delegate key, and
//! the delegate signs the constraints each slot's block must satisfy.
//!
//! The v0 spec leaves the signing scheme open; Baton signs `hash_tree_root` of each
//! message's SSZ form under [`crate::bls::constraints_domain`] with the consensus-spec
//! `compute_signing_root`, like every other beacon-chain application message.

use alloy_primitives::{Address, B256, Bytes};
use serde::{Deserialize, Serialize};

use crate::{
    bls::{
        BlsError, BlsPublicKey, BlsSecretKey, BlsSignature, compute_signing_root,
        constraints_domain,
    },
    ssz::{BlsPubkeyBytes, SszError, hash_tree_root},
    types::Slot,
};

/// Most constraints one message may carry.
pub const MAX_CONSTRAINTS_PER_SLOT: usize = 256;
/// Most receivers one message may name.
pub const MAX_RECEIVERS: usize = 64;
/// Largest delegation metadata.
pub const MAX_METADATA_BYTES: usize = 1024;
/// Largest constraint payload (a network-form blob transaction fits).
pub const MAX_CONSTRAINT_PAYLOAD_BYTES: usize = 1 << 21;
/// Baton's constraint type: the payload (a raw EIP-2718 transaction, network form) must
/// be included in the slot's block.
pub const CONSTRAINT_TYPE_INCLUSION: u64 = 1;

/// The proposer lets `delegate` sign constraints for `slot`; `committer` signs the
/// commitments behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delegation {
    /// The proposer's validator key.
    pub proposer: BlsPublicKey,
    /// The key allowed to sign constraints.
    pub delegate: BlsPublicKey,
    /// The ECDSA committer.
    pub committer: Address,
    /// The slot.
    pub slot: Slot,
    /// Opaque metadata.
    #[serde(default)]
    pub metadata: Bytes,
}

/// A delegation signed by the proposer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDelegation {
    /// The delegation.
    pub message: Delegation,
    /// The proposer's signature.
    pub signature: BlsSignature,
}

/// One constraint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Constraint {
    /// What kind ([`CONSTRAINT_TYPE_INCLUSION`]).
    #[serde(rename = "constraintType", with = "crate::types::quoted")]
    pub constraint_type: u64,
    /// Type-specific payload.
    pub payload: Bytes,
}

/// The constraints for one slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConstraintsMessage {
    /// The proposer.
    pub proposer: BlsPublicKey,
    /// The signing delegate (the proposer itself, or its delegate for the slot).
    pub delegate: BlsPublicKey,
    /// The slot.
    pub slot: Slot,
    /// The constraints, in order.
    pub constraints: Vec<Constraint>,
    /// Who may read them (empty: public).
    #[serde(default)]
    pub receivers: Vec<BlsPublicKey>,
}

/// Constraints signed by the delegate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedConstraints {
    /// The constraints.
    pub message: ConstraintsMessage,
    /// The delegate's signature.
    pub signature: BlsSignature,
}

/// Why a delegation or constraints message was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConstraintsError {
    /// A field is over its limit.
    #[error("{field} has {len} entries or bytes, the limit is {max}")]
    TooLarge {
        /// Which field.
        field: &'static str,
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// SSZ conversion failed.
    #[error(transparent)]
    Ssz(#[from] SszError),
    /// Signature invalid.
    #[error(transparent)]
    Bls(#[from] BlsError),
}

/// SSZ forms of the messages (apart from serde's names; see `crate::bls`).
mod containers {
    use ssz_rs::prelude::*;

    use super::{
        MAX_CONSTRAINT_PAYLOAD_BYTES, MAX_CONSTRAINTS_PER_SLOT, MAX_METADATA_BYTES, MAX_RECEIVERS,
    };
    use crate::ssz::BlsPubkeyBytes;

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct DelegationSsz {
        pub(super) proposer: BlsPubkeyBytes,
        pub(super) delegate: BlsPubkeyBytes,
        pub(super) committer: [u8; 20],
        pub(super) slot: u64,
        pub(super) metadata: List<u8, MAX_METADATA_BYTES>,
    }

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct ConstraintSsz {
        pub(super) constraint_type: u64,
        pub(super) payload: List<u8, MAX_CONSTRAINT_PAYLOAD_BYTES>,
    }

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct ConstraintsMessageSsz {
        pub(super) proposer: BlsPubkeyBytes,
        pub(super) delegate: BlsPubkeyBytes,
        pub(super) slot: u64,
        pub(super) constraints: List<ConstraintSsz, MAX_CONSTRAINTS_PER_SLOT>,
        pub(super) receivers: List<BlsPubkeyBytes, MAX_RECEIVERS>,
    }
}

use containers::{ConstraintSsz, ConstraintsMessageSsz, DelegationSsz};
use ssz_rs::{List, SimpleSerialize};

fn bounded<T: SimpleSerialize + Clone, const N: usize>(
    field: &'static str,
    items: Vec<T>,
) -> Result<List<T, N>, ConstraintsError> {
    let len = items.len();
    List::try_from(items).map_err(|_| ConstraintsError::TooLarge { field, len, max: N })
}

fn pk(key: &BlsPublicKey) -> BlsPubkeyBytes {
    crate::ssz::builder_pubkey_bytes(key)
}

impl Delegation {
    /// `hash_tree_root` of the SSZ form.
    pub fn object_root(&self) -> Result<B256, ConstraintsError> {
        let ssz = DelegationSsz {
            proposer: pk(&self.proposer),
            delegate: pk(&self.delegate),
            committer: self.committer.0.0,
            slot: self.slot.0,
            metadata: bounded("metadata", self.metadata.to_vec())?,
        };
        Ok(hash_tree_root(&ssz)?)
    }

    /// The proposer's signing root under the constraints domain.
    pub fn signing_root(&self, genesis_fork_version: [u8; 4]) -> Result<B256, ConstraintsError> {
        Ok(domain_signing_root(
            self.object_root()?,
            genesis_fork_version,
        ))
    }

    /// Signs as the proposer.
    pub fn sign(
        self,
        proposer: &BlsSecretKey,
        genesis_fork_version: [u8; 4],
    ) -> Result<SignedDelegation, ConstraintsError> {
        let signature = proposer.sign(self.signing_root(genesis_fork_version)?);
        Ok(SignedDelegation {
            message: self,
            signature,
        })
    }
}

/// `compute_signing_root` under the constraints domain, shared by every message here.
fn domain_signing_root(object_root: B256, genesis_fork_version: [u8; 4]) -> B256 {
    compute_signing_root(object_root, constraints_domain(genesis_fork_version))
}

/// Verifies `signature` by `signer` over a constraints-domain message's object root.
fn verify_domain_signature(
    signature: &BlsSignature,
    signer: &BlsPublicKey,
    object_root: B256,
    genesis_fork_version: [u8; 4],
) -> Result<(), ConstraintsError> {
    Ok(signature.verify(
        signer,
        domain_signing_root(object_root, genesis_fork_version),
    )?)
}

impl SignedDelegation {
    /// Verifies that the named proposer signed it.
    pub fn verify(&self, genesis_fork_version: [u8; 4]) -> Result<(), ConstraintsError> {
        verify_domain_signature(
            &self.signature,
            &self.message.proposer,
            self.message.object_root()?,
            genesis_fork_version,
        )
    }
}

impl ConstraintsMessage {
    /// `hash_tree_root` of the SSZ form (checks every bound).
    pub fn object_root(&self) -> Result<B256, ConstraintsError> {
        let constraints = self
            .constraints
            .iter()
            .map(|c| {
                Ok(ConstraintSsz {
                    constraint_type: c.constraint_type,
                    payload: bounded("constraint payload", c.payload.to_vec())?,
                })
            })
            .collect::<Result<Vec<_>, ConstraintsError>>()?;
        let ssz = ConstraintsMessageSsz {
            proposer: pk(&self.proposer),
            delegate: pk(&self.delegate),
            slot: self.slot.0,
            constraints: bounded("constraints", constraints)?,
            receivers: bounded("receivers", self.receivers.iter().map(pk).collect())?,
        };
        Ok(hash_tree_root(&ssz)?)
    }

    /// The delegate's signing root under the constraints domain.
    pub fn signing_root(&self, genesis_fork_version: [u8; 4]) -> Result<B256, ConstraintsError> {
        Ok(domain_signing_root(
            self.object_root()?,
            genesis_fork_version,
        ))
    }

    /// Signs as the delegate.
    pub fn sign(
        self,
        delegate: &BlsSecretKey,
        genesis_fork_version: [u8; 4],
    ) -> Result<SignedConstraints, ConstraintsError> {
        let signature = delegate.sign(self.signing_root(genesis_fork_version)?);
        Ok(SignedConstraints {
            message: self,
            signature,
        })
    }
}

impl SignedConstraints {
    /// Verifies the delegate's signature. Whether the delegate may sign for the proposer
    /// in that slot (it is the proposer, or holds a verified delegation) is the caller's
    /// check.
    pub fn verify(&self, genesis_fork_version: [u8; 4]) -> Result<(), ConstraintsError> {
        verify_domain_signature(
            &self.signature,
            &self.message.delegate,
            self.message.object_root()?,
            genesis_fork_version,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

    fn keys() -> (BlsSecretKey, BlsSecretKey) {
        (
            BlsSecretKey::from_ikm(&[1; 32]).unwrap(),
            BlsSecretKey::from_ikm(&[2; 32]).unwrap(),
        )
    }

    #[test]
    fn delegation_round_trip() {
        let (proposer, delegate) = keys();
        let d = Delegation {
            proposer: proposer.public_key(),
            delegate: delegate.public_key(),
            committer: Address::repeat_byte(9),
            slot: Slot(100),
            metadata: Bytes::new(),
        };
        let signed = d.sign(&proposer, FORK).unwrap();
        signed.verify(FORK).unwrap();
        let json = serde_json::to_string(&signed).unwrap();
        assert!(json.contains("\"slot\":\"100\""), "{json}");
        let back: SignedDelegation = serde_json::from_str(&json).unwrap();
        back.verify(FORK).unwrap();
        assert!(back.verify([0; 4]).is_err(), "wrong fork version");
        let mut forged = back;
        forged.message.slot = Slot(101);
        assert!(forged.verify(FORK).is_err(), "wrong slot");
        // Signed by the delegate instead of the proposer.
        let by_delegate = Delegation {
            slot: Slot(100),
            ..forged.message
        }
        .sign(&delegate, FORK)
        .unwrap();
        assert!(by_delegate.verify(FORK).is_err(), "wrong signer");
    }

    #[test]
    fn constraints_round_trip_and_bounds() {
        let (proposer, delegate) = keys();
        let msg = ConstraintsMessage {
            proposer: proposer.public_key(),
            delegate: delegate.public_key(),
            slot: Slot(5),
            constraints: vec![Constraint {
                constraint_type: CONSTRAINT_TYPE_INCLUSION,
                payload: Bytes::from_static(b"tx"),
            }],
            receivers: vec![],
        };
        let signed = msg.clone().sign(&delegate, FORK).unwrap();
        signed.verify(FORK).unwrap();
        let json = serde_json::to_string(&signed).unwrap();
        assert!(json.contains("\"constraintType\":\"1\""), "{json}");
        let mut tampered: SignedConstraints = serde_json::from_str(&json).unwrap();
        tampered.message.constraints[0].payload = Bytes::from_static(b"other");
        assert!(tampered.verify(FORK).is_err());

        let mut too_many = msg;
        too_many.constraints = vec![too_many.constraints[0].clone(); MAX_CONSTRAINTS_PER_SLOT + 1];
        assert!(matches!(
            too_many.object_root(),
            Err(ConstraintsError::TooLarge {
                field: "constraints",
                ..
            })
        ));
    }
}
