//! BLS12-381 keys and signatures as Ethereum uses them (blst, public keys in G1,
//! the proof-of-possession ciphersuite), and the consensus-spec signing domains.
//!
//! Validator keys sign delegations and builder registrations; delegate keys sign the
//! constraints sent to relays (step ④); builders sign bids (steps ⑤–⑥).

use std::fmt;

use alloy_primitives::{B256, hex};
use blst::{BLST_ERROR, blst_scalar, min_pk};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};
use sha2::{Digest, Sha256};

/// The Ethereum proof-of-possession ciphersuite's domain separation tag.
pub const DST: &[u8] = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

/// `DOMAIN_APPLICATION_BUILDER` (builder-specs): registrations and builder bids.
pub const DOMAIN_APPLICATION_BUILDER: [u8; 4] = [0x00, 0x00, 0x00, 0x01];
/// `DOMAIN_BEACON_PROPOSER` (consensus-specs): blocks and blinded blocks.
pub const DOMAIN_BEACON_PROPOSER: [u8; 4] = [0x00, 0x00, 0x00, 0x00];
/// The application domain Baton's delegations and constraints are signed under (the
/// Commit-Boost application domain type, built like the builder domain).
pub const DOMAIN_CONSTRAINTS: [u8; 4] = [0x6d, 0x6d, 0x6f, 0x43];

/// A BLS operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BlsError {
    /// Bytes are not a valid compressed G1 public key (or it is the identity).
    #[error("invalid BLS public key: {reason}")]
    InvalidPublicKey {
        /// What blst reported.
        reason: String,
    },
    /// Bytes are not a valid compressed G2 signature in the subgroup.
    #[error("invalid BLS signature encoding: {reason}")]
    InvalidSignature {
        /// What blst reported.
        reason: String,
    },
    /// A secret key is out of range.
    #[error("invalid BLS secret key")]
    InvalidSecretKey,
    /// The signature does not verify.
    #[error("BLS signature verification failed")]
    VerificationFailed,
    /// Inputs to a multi-verification have different lengths or are empty.
    #[error("mismatched BLS batch: {messages} messages, {keys} keys, {signatures} signatures")]
    BatchShape {
        /// Messages given.
        messages: usize,
        /// Keys given.
        keys: usize,
        /// Signatures given.
        signatures: usize,
    },
}

fn describe(err: BLST_ERROR) -> String {
    format!("{err:?}")
}

macro_rules! hex_bytes_type {
    ($(#[$meta:meta])* $name:ident, $len:expr) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $len]);

        impl $name {
            /// Length in bytes.
            pub const LEN: usize = $len;

            /// The raw bytes.
            pub const fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// From a slice of exactly the right length.
            pub fn from_slice(bytes: &[u8]) -> Option<Self> {
                bytes.try_into().ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self([0; $len])
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(0x{})", stringify!($name), hex::encode(self.0))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "0x{}", hex::encode(self.0))
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            /// Parses `0x`-prefixed (or bare) hex of exactly the right length.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let raw = hex::decode(s.trim()).map_err(|e| e.to_string())?;
                Self::from_slice(&raw).ok_or_else(|| format!("expected {} bytes, got {}", $len, raw.len()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                let raw = hex::decode(s.as_ref()).map_err(D::Error::custom)?;
                Self::from_slice(&raw).ok_or_else(|| {
                    D::Error::custom(format!("expected {} bytes, got {}", $len, raw.len()))
                })
            }
        }
    };
}

hex_bytes_type!(
    /// A compressed BLS public key (48 bytes). Not validated until used.
    BlsPublicKey,
    48
);
hex_bytes_type!(
    /// A compressed BLS signature (96 bytes). Not validated until used.
    BlsSignature,
    96
);

impl BlsPublicKey {
    /// Decompresses and validates (on curve, in subgroup, not the identity).
    pub fn to_blst(&self) -> Result<min_pk::PublicKey, BlsError> {
        min_pk::PublicKey::key_validate(&self.0).map_err(|e| BlsError::InvalidPublicKey {
            reason: describe(e),
        })
    }

    /// `keccak256(pubkey)`: how the Registry and the EIP-712 commitment refer to it.
    pub fn keccak(&self) -> B256 {
        alloy_primitives::keccak256(self.0)
    }
}

impl BlsSignature {
    /// Decompresses and checks subgroup membership.
    pub fn to_blst(&self) -> Result<min_pk::Signature, BlsError> {
        let sig =
            min_pk::Signature::from_bytes(&self.0).map_err(|e| BlsError::InvalidSignature {
                reason: describe(e),
            })?;
        sig.validate(true).map_err(|e| BlsError::InvalidSignature {
            reason: describe(e),
        })?;
        Ok(sig)
    }

    /// Verifies a signature over a 32-byte signing root.
    pub fn verify(&self, public_key: &BlsPublicKey, signing_root: B256) -> Result<(), BlsError> {
        self.verify_validated(&public_key.to_blst()?, signing_root)
    }

    /// [`Self::verify`] by a key already checked with [`BlsPublicKey::to_blst`] (a caller
    /// that meets the same keys again keeps them checked).
    pub fn verify_validated(
        &self,
        public_key: &min_pk::PublicKey,
        signing_root: B256,
    ) -> Result<(), BlsError> {
        let sig = self.to_blst()?;
        match sig.verify(false, signing_root.as_slice(), DST, &[], public_key, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::VerificationFailed),
        }
    }

    /// Verifies a signature over an arbitrary message (see [`BlsSecretKey::sign_message`]).
    pub fn verify_message(
        &self,
        public_key: &BlsPublicKey,
        message: &[u8],
    ) -> Result<(), BlsError> {
        let pk = public_key.to_blst()?;
        let sig = self.to_blst()?;
        match sig.verify(false, message, DST, &[], &pk, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::VerificationFailed),
        }
    }

    /// Aggregates signatures (each must be a valid encoding).
    pub fn aggregate(signatures: &[Self]) -> Result<Self, BlsError> {
        let sigs = signatures
            .iter()
            .map(Self::to_blst)
            .collect::<Result<Vec<_>, _>>()?;
        let refs: Vec<&min_pk::Signature> = sigs.iter().collect();
        let agg = min_pk::AggregateSignature::aggregate(&refs, false).map_err(|e| {
            BlsError::InvalidSignature {
                reason: describe(e),
            }
        })?;
        Ok(Self(agg.to_signature().compress()))
    }

    /// Verifies an aggregate signature over distinct messages, one per key.
    pub fn aggregate_verify(
        &self,
        public_keys: &[BlsPublicKey],
        signing_roots: &[B256],
    ) -> Result<(), BlsError> {
        if public_keys.is_empty() || public_keys.len() != signing_roots.len() {
            return Err(BlsError::BatchShape {
                messages: signing_roots.len(),
                keys: public_keys.len(),
                signatures: 1,
            });
        }
        let pks = public_keys
            .iter()
            .map(BlsPublicKey::to_blst)
            .collect::<Result<Vec<_>, _>>()?;
        let pk_refs: Vec<&min_pk::PublicKey> = pks.iter().collect();
        let msgs: Vec<&[u8]> = signing_roots.iter().map(|r| r.as_slice()).collect();
        let sig = self.to_blst()?;
        match sig.aggregate_verify(false, &msgs, DST, &pk_refs, false) {
            BLST_ERROR::BLST_SUCCESS => Ok(()),
            _ => Err(BlsError::VerificationFailed),
        }
    }
}

/// Verifies many independent (key, message, signature) triples at once, much faster than
/// one by one (random linear combination; the scalars are derived from every input, so a
/// submitter cannot choose signatures that cancel). Fails if any one is invalid.
pub fn verify_batch(items: &[(BlsPublicKey, B256, BlsSignature)]) -> Result<(), BlsError> {
    if items.is_empty() {
        return Err(BlsError::BatchShape {
            messages: 0,
            keys: 0,
            signatures: 0,
        });
    }
    let pks = items
        .iter()
        .map(|(pk, _, _)| pk.to_blst())
        .collect::<Result<Vec<_>, _>>()?;
    let sigs = items
        .iter()
        .map(|(_, _, s)| s.to_blst())
        .collect::<Result<Vec<_>, _>>()?;
    let mut transcript = Sha256::new();
    for (pk, msg, sig) in items {
        transcript.update(pk.0);
        transcript.update(msg);
        transcript.update(sig.0);
    }
    let seed = transcript.finalize();
    let scalars: Vec<blst_scalar> = (0..items.len() as u64)
        .map(|i| {
            let digest = Sha256::new()
                .chain_update(seed)
                .chain_update(i.to_le_bytes())
                .finalize();
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&digest[..8]);
            b[0] |= 1; // never zero
            blst_scalar { b }
        })
        .collect();
    let msgs: Vec<&[u8]> = items.iter().map(|(_, m, _)| m.as_slice()).collect();
    let pk_refs: Vec<&min_pk::PublicKey> = pks.iter().collect();
    let sig_refs: Vec<&min_pk::Signature> = sigs.iter().collect();
    match min_pk::Signature::verify_multiple_aggregate_signatures(
        &msgs, DST, &pk_refs, false, &sig_refs, false, &scalars, 64,
    ) {
        BLST_ERROR::BLST_SUCCESS => Ok(()),
        _ => Err(BlsError::VerificationFailed),
    }
}

/// A BLS secret key. `Debug` never prints it.
pub struct BlsSecretKey(min_pk::SecretKey);

impl BlsSecretKey {
    /// From 32 big-endian bytes (must be a non-zero scalar below the group order).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BlsError> {
        min_pk::SecretKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| BlsError::InvalidSecretKey)
    }

    /// Derives a key from at least 32 bytes of input keying material (EIP-2333 `KeyGen`).
    pub fn from_ikm(ikm: &[u8]) -> Result<Self, BlsError> {
        min_pk::SecretKey::key_gen(ikm, &[])
            .map(Self)
            .map_err(|_| BlsError::InvalidSecretKey)
    }

    /// The public key.
    pub fn public_key(&self) -> BlsPublicKey {
        BlsPublicKey(self.0.sk_to_pk().compress())
    }

    /// Signs a 32-byte signing root.
    pub fn sign(&self, signing_root: B256) -> BlsSignature {
        BlsSignature(self.0.sign(signing_root.as_slice(), DST, &[]).compress())
    }

    /// Signs an arbitrary message (hashed to G2 with [`DST`]). Beacon-chain messages use
    /// [`Self::sign`] over a signing root; the Registry's proof of possession signs its
    /// own message this way.
    pub fn sign_message(&self, message: &[u8]) -> BlsSignature {
        BlsSignature(self.0.sign(message, DST, &[]).compress())
    }

    /// The secret scalar, big-endian. Handle with care: for keystores only.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

impl fmt::Debug for BlsSecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlsSecretKey(<redacted>, public {})", self.public_key())
    }
}

/// The consensus-spec signing containers (kept apart: the ssz_rs derive needs its own
/// `Serialize`/`Deserialize` names in scope, not serde's).
mod containers {
    use ssz_rs::prelude::*;

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct ForkData {
        pub(super) current_version: [u8; 4],
        pub(super) genesis_validators_root: [u8; 32],
    }

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct SigningData {
        pub(super) object_root: [u8; 32],
        pub(super) domain: [u8; 32],
    }
}

use containers::{ForkData, SigningData};
use ssz_rs::{Merkleized, Node};

fn node_to_b256(node: Node) -> B256 {
    B256::from_slice(node.as_ref())
}

/// `compute_domain(domain_type, fork_version, genesis_validators_root)` of the consensus specs.
pub fn compute_domain(
    domain_type: [u8; 4],
    fork_version: [u8; 4],
    genesis_validators_root: B256,
) -> B256 {
    let mut fork_data = ForkData {
        current_version: fork_version,
        genesis_validators_root: genesis_validators_root.0,
    };
    // Fixed-size containers of fixed-size fields always merkleize.
    let root = fork_data
        .hash_tree_root()
        .map(node_to_b256)
        .unwrap_or_default();
    let mut domain = [0u8; 32];
    domain[..4].copy_from_slice(&domain_type);
    domain[4..].copy_from_slice(&root[..28]);
    B256::from(domain)
}

/// `compute_signing_root` given an object's `hash_tree_root`.
pub fn compute_signing_root(object_root: B256, domain: B256) -> B256 {
    let mut data = SigningData {
        object_root: object_root.0,
        domain: domain.0,
    };
    data.hash_tree_root().map(node_to_b256).unwrap_or_default()
}

/// The builder domain: `DOMAIN_APPLICATION_BUILDER` with the genesis fork version and a
/// zero genesis validators root.
pub fn builder_domain(genesis_fork_version: [u8; 4]) -> B256 {
    compute_domain(DOMAIN_APPLICATION_BUILDER, genesis_fork_version, B256::ZERO)
}

/// The constraints domain: [`DOMAIN_CONSTRAINTS`], built like the builder domain.
pub fn constraints_domain(genesis_fork_version: [u8; 4]) -> B256 {
    compute_domain(DOMAIN_CONSTRAINTS, genesis_fork_version, B256::ZERO)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::b256;

    use super::*;

    fn key(i: u8) -> BlsSecretKey {
        BlsSecretKey::from_ikm(&[i; 32]).unwrap()
    }

    #[test]
    fn mainnet_builder_domain() {
        // The well-known mainnet builder domain.
        assert_eq!(
            builder_domain([0, 0, 0, 0]),
            b256!("00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9")
        );
        assert_eq!(
            constraints_domain([0, 0, 0, 0]),
            b256!("6d6d6f43f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9")
        );
    }

    #[test]
    fn sign_verify_and_negative_paths() {
        let sk = key(1);
        let root = B256::repeat_byte(9);
        let sig = sk.sign(root);
        sig.verify(&sk.public_key(), root).unwrap();
        assert_eq!(
            sig.verify(&key(2).public_key(), root),
            Err(BlsError::VerificationFailed)
        );
        assert_eq!(
            sig.verify(&sk.public_key(), B256::repeat_byte(8)),
            Err(BlsError::VerificationFailed)
        );
        let mut tampered = sig;
        tampered.0[95] ^= 1;
        assert!(tampered.verify(&sk.public_key(), root).is_err());
        assert!(matches!(
            BlsPublicKey([0; 48]).to_blst(),
            Err(BlsError::InvalidPublicKey { .. })
        ));
        let mut infinity = [0u8; 48];
        infinity[0] = 0xc0;
        assert!(matches!(
            BlsPublicKey(infinity).to_blst(),
            Err(BlsError::InvalidPublicKey { .. })
        ));
    }

    #[test]
    fn aggregate_and_batch() {
        let keys: Vec<_> = (1..=4).map(key).collect();
        let roots: Vec<B256> = (0..4).map(B256::repeat_byte).collect();
        let sigs: Vec<_> = keys.iter().zip(&roots).map(|(k, r)| k.sign(*r)).collect();
        let pks: Vec<_> = keys.iter().map(BlsSecretKey::public_key).collect();
        let agg = BlsSignature::aggregate(&sigs).unwrap();
        agg.aggregate_verify(&pks, &roots).unwrap();
        assert!(agg.aggregate_verify(&pks[..3], &roots[..3]).is_err());
        let items: Vec<_> = (0..4).map(|i| (pks[i], roots[i], sigs[i])).collect();
        verify_batch(&items).unwrap();
        let mut bad = items;
        bad[2].2 = sigs[3];
        assert_eq!(verify_batch(&bad), Err(BlsError::VerificationFailed));
        assert!(verify_batch(&[]).is_err());
    }

    #[test]
    fn secret_key_never_prints() {
        let sk = key(3);
        let text = format!("{sk:?}");
        assert!(text.contains("redacted"));
        assert!(!text.contains(&hex::encode(sk.to_bytes())));
    }

    #[test]
    fn json_is_hex_and_length_checked() {
        let pk = key(1).public_key();
        let json = serde_json::to_string(&pk).unwrap();
        assert!(json.starts_with("\"0x") && json.len() == 2 + 2 + 96);
        assert_eq!(serde_json::from_str::<BlsPublicKey>(&json).unwrap(), pk);
        assert!(serde_json::from_str::<BlsPublicKey>("\"0x1234\"").is_err());
        assert_eq!(pk.to_string().parse::<BlsPublicKey>().unwrap(), pk);
        assert!("0xzz".parse::<BlsPublicKey>().is_err());
    }
}
