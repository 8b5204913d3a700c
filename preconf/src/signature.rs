//! ECDSA (secp256k1) signatures as Baton carries them: 65 bytes `r ‖ s ‖ v`, `v ∈ {27, 28}`,
//! low `s` (EIP-2). Anything else is rejected before recovery, exactly as the `Slasher`
//! contract does.
//!
//! Recovery, which every wallet request and commitment check pays for, runs on
//! libsecp256k1 (the `secp256k1` crate; C, like blst), several times faster than k256; a
//! property test holds it to the k256 path's results, errors included.

use std::fmt;

use alloy_primitives::{Address, B256, Signature, U256, hex};
use secp256k1::{
    Message,
    ecdsa::{RecoverableSignature, RecoveryId},
};
use serde::{Deserialize, Deserializer, Serialize, Serializer, de::Error as _};

/// Half the secp256k1 group order: the largest `s` EIP-2 allows.
const SECP256K1N_HALF: U256 = U256::from_be_slice(&[
    0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    0x5d, 0x57, 0x6e, 0x73, 0x57, 0xa4, 0x50, 0x1d, 0xdf, 0xe9, 0x2f, 0x46, 0x68, 0x1b, 0x20, 0xa0,
]);

/// Why a signature was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not 65 bytes.
    #[error("signature must be 65 bytes, got {len}")]
    WrongLength {
        /// Bytes given.
        len: usize,
    },
    /// `v` is not 27 or 28.
    #[error("signature v must be 27 or 28, got {v}")]
    BadRecoveryId {
        /// The `v` byte.
        v: u8,
    },
    /// `s` is in the upper half of the curve order (malleable).
    #[error("signature s is not in the lower half of the curve order (EIP-2)")]
    HighS,
    /// `r` or `s` is zero or out of range, or no key recovers.
    #[error("signature does not recover to any public key")]
    Unrecoverable,
    /// Recovers to someone other than the expected signer.
    #[error("signed by {recovered}, expected {expected}")]
    WrongSigner {
        /// Who should have signed.
        expected: Address,
        /// Who did.
        recovered: Address,
    },
}

/// The signer of `digest` under `signature` (its `v` read as the y parity of R), on
/// libsecp256k1. Used for wallet signatures once parsed, and for transaction senders
/// (whose `s` the caller checks against EIP-2 first).
pub(crate) fn recover_signer(
    signature: &Signature,
    digest: B256,
) -> Result<Address, SignatureError> {
    let mut compact = [0u8; 64];
    compact[..32].copy_from_slice(&signature.r().to_be_bytes::<32>());
    compact[32..].copy_from_slice(&signature.s().to_be_bytes::<32>());
    // The y parity of R, never the x-overflow ids 2 and 3.
    let id = if signature.v() {
        RecoveryId::One
    } else {
        RecoveryId::Zero
    };
    // Parsing refuses r or s at or above the group order.
    let recoverable = RecoverableSignature::from_compact(&compact, id)
        .map_err(|_| SignatureError::Unrecoverable)?;
    let key = recoverable
        .recover(Message::from_digest(digest.0))
        .map_err(|_| SignatureError::Unrecoverable)?;
    Ok(Address::from_raw_public_key(
        &key.serialize_uncompressed()[1..],
    ))
}

/// Whether `s` is in the lower half of the group order (EIP-2).
pub(crate) fn is_low_s(signature: &Signature) -> bool {
    signature.s() <= SECP256K1N_HALF
}

/// A checked 65-byte ECDSA signature.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct EcdsaSignature(Signature);

impl EcdsaSignature {
    /// Parses and checks `r ‖ s ‖ v`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SignatureError> {
        let raw: &[u8; 65] = bytes
            .try_into()
            .map_err(|_| SignatureError::WrongLength { len: bytes.len() })?;
        let v = raw[64];
        let parity = match v {
            27 => false,
            28 => true,
            _ => return Err(SignatureError::BadRecoveryId { v }),
        };
        let r = U256::from_be_slice(&raw[..32]);
        let s = U256::from_be_slice(&raw[32..64]);
        if s > SECP256K1N_HALF {
            return Err(SignatureError::HighS);
        }
        if r.is_zero() || s.is_zero() {
            return Err(SignatureError::Unrecoverable);
        }
        Ok(Self(Signature::new(r, s, parity)))
    }

    /// Wraps a signature produced by a signer (normalising `s` if needed).
    pub fn from_signature(signature: Signature) -> Self {
        Self(signature.normalized_s())
    }

    /// `r ‖ s ‖ v` with `v ∈ {27, 28}`.
    pub fn to_bytes(&self) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[..32].copy_from_slice(&self.0.r().to_be_bytes::<32>());
        out[32..64].copy_from_slice(&self.0.s().to_be_bytes::<32>());
        out[64] = 27 + u8::from(self.0.v());
        out
    }

    /// The signer of `digest`. Fails with [`SignatureError::Unrecoverable`] if `r` is not
    /// below the group order or not the x-coordinate of a curve point, or the recovered key
    /// would be the point at infinity.
    pub fn recover(&self, digest: B256) -> Result<Address, SignatureError> {
        recover_signer(&self.0, digest)
    }

    /// The k256 recovery the libsecp256k1 path replaced, kept as its reference.
    #[cfg(test)]
    fn recover_k256(&self, digest: B256) -> Result<Address, SignatureError> {
        self.0
            .recover_address_from_prehash(&digest)
            .map_err(|_| SignatureError::Unrecoverable)
    }

    /// Checks that `expected` signed `digest`.
    pub fn verify(&self, digest: B256, expected: Address) -> Result<(), SignatureError> {
        let recovered = self.recover(digest)?;
        if recovered == expected {
            Ok(())
        } else {
            Err(SignatureError::WrongSigner {
                expected,
                recovered,
            })
        }
    }

    /// The inner alloy signature.
    pub const fn inner(&self) -> &Signature {
        &self.0
    }
}

impl fmt::Debug for EcdsaSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EcdsaSignature(0x{})", hex::encode(self.to_bytes()))
    }
}

impl Serialize for EcdsaSignature {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(&format_args!("0x{}", hex::encode(self.to_bytes())))
    }
}

impl<'de> Deserialize<'de> for EcdsaSignature {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        let raw = hex::decode(s.as_ref()).map_err(D::Error::custom)?;
        Self::from_bytes(&raw).map_err(D::Error::custom)
    }
}

/// Signs `digest` as `expected`: refuses a key for another address, so a signed object
/// always names its real signer.
pub fn sign_as(
    signer: &alloy_signer_local::PrivateKeySigner,
    expected: alloy_primitives::Address,
    digest: B256,
) -> Result<EcdsaSignature, SignatureError> {
    if signer.address() != expected {
        return Err(SignatureError::WrongSigner {
            expected,
            recovered: signer.address(),
        });
    }
    sign_digest(signer, digest).map_err(|_| SignatureError::Unrecoverable)
}

/// Signs a 32-byte digest with a local key; the result is always low-`s`.
pub fn sign_digest(
    signer: &alloy_signer_local::PrivateKeySigner,
    digest: B256,
) -> Result<EcdsaSignature, alloy_signer::Error> {
    // libsecp256k1 with its RFC 6979 nonce: the same (low-s) signature k256 makes, about
    // three times faster. The journal relies on this being deterministic.
    let mut bytes: [u8; 32] = signer.credential().to_bytes().into();
    let secret = secp256k1::SecretKey::from_byte_array(bytes);
    bytes.fill(0);
    let secret = secret.map_err(|_| alloy_signer::Error::other("invalid secp256k1 secret key"))?;
    let signature =
        secp256k1::SECP256K1.sign_ecdsa_recoverable(Message::from_digest(digest.0), &secret);
    let (id, compact) = signature.serialize_compact();
    let r = U256::from_be_slice(&compact[..32]);
    let s = U256::from_be_slice(&compact[32..]);
    Ok(EcdsaSignature::from_signature(Signature::new(
        r,
        s,
        id == RecoveryId::One,
    )))
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;
    use alloy_signer_local::PrivateKeySigner;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn round_trip_and_rejections() {
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
        let digest = B256::repeat_byte(0x42);
        let sig = sign_digest(&signer, digest).unwrap();
        let bytes = sig.to_bytes();
        assert!(bytes[64] == 27 || bytes[64] == 28);
        let parsed = EcdsaSignature::from_bytes(&bytes).unwrap();
        assert_eq!(parsed.recover(digest).unwrap(), signer.address());
        parsed.verify(digest, signer.address()).unwrap();
        assert!(matches!(
            parsed.verify(B256::repeat_byte(1), signer.address()),
            Err(SignatureError::WrongSigner { .. })
        ));

        assert_eq!(
            EcdsaSignature::from_bytes(&bytes[..64]),
            Err(SignatureError::WrongLength { len: 64 })
        );
        let mut bad_v = bytes;
        bad_v[64] = 1;
        assert_eq!(
            EcdsaSignature::from_bytes(&bad_v),
            Err(SignatureError::BadRecoveryId { v: 1 })
        );
        // The malleable twin (n - s, flipped v) is refused.
        let n = U256::from_be_slice(&alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let high_s = n - U256::from_be_slice(&bytes[32..64]);
        let mut twin = bytes;
        twin[32..64].copy_from_slice(&high_s.to_be_bytes::<32>());
        twin[64] = if bytes[64] == 27 { 28 } else { 27 };
        assert_eq!(
            EcdsaSignature::from_bytes(&twin),
            Err(SignatureError::HighS)
        );
        let mut zero_r = bytes;
        zero_r[..32].fill(0);
        assert_eq!(
            EcdsaSignature::from_bytes(&zero_r),
            Err(SignatureError::Unrecoverable)
        );
    }

    /// The secp256k1 group order n.
    const N: [u8; 32] =
        alloy_primitives::hex!("fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141");

    /// 65 signature bytes from `r`, `s`, `v` (27 or 28).
    fn raw(r: [u8; 32], s: [u8; 32], v: u8) -> [u8; 65] {
        let mut out = [0u8; 65];
        out[..32].copy_from_slice(&r);
        out[32..64].copy_from_slice(&s);
        out[64] = v;
        out
    }

    /// Compares both recovery paths on one signature, errors included.
    fn same_on_both_paths(sig: &EcdsaSignature, digest: B256) -> Result<(), TestCaseError> {
        prop_assert_eq!(sig.recover(digest), sig.recover_k256(digest));
        Ok(())
    }

    /// `r` values where the two libraries could disagree: the top of the range (at or
    /// above n, which both must refuse; n - 1), and small values.
    fn edge_r() -> impl Strategy<Value = [u8; 32]> {
        let n = U256::from_be_bytes(N);
        prop_oneof![
            (0u64..64).prop_map(move |d| (n - U256::from(32) + U256::from(d)).to_be_bytes()),
            (0u64..64).prop_map(move |d| (U256::MAX - U256::from(d)).to_be_bytes()),
            (1u64..64).prop_map(|d| U256::from(d).to_be_bytes()),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Real signatures by random keys over random digests: both paths find the signer.
        #[test]
        fn libsecp256k1_recovers_like_k256(key in any::<[u8; 32]>(), digest in any::<[u8; 32]>()) {
            let Ok(signer) = PrivateKeySigner::from_bytes(&B256::from(key)) else {
                return Err(TestCaseError::reject("not a secret key"));
            };
            let digest = B256::from(digest);
            let sig = sign_digest(&signer, digest).unwrap();
            prop_assert_eq!(sig.recover(digest), Ok(signer.address()));
            same_on_both_paths(&sig, digest)?;
            // Another digest recovers someone else, the same someone on both paths.
            let other = keccak256(digest);
            prop_assert_ne!(sig.recover(other), Ok(signer.address()));
            same_on_both_paths(&sig, other)?;
        }

        /// Arbitrary bytes that pass the parser (about half of random `r` are not on the
        /// curve): the same address or the same error on both paths.
        #[test]
        fn arbitrary_signatures_agree(
            r in prop_oneof![any::<[u8; 32]>(), edge_r()],
            // Top bit clear: all but a sliver are low-s.
            s in any::<[u8; 32]>().prop_map(|mut s| { s[0] &= 0x7f; s }),
            v in 27u8..=28,
            digest in any::<[u8; 32]>(),
        ) {
            let Ok(sig) = EcdsaSignature::from_bytes(&raw(r, s, v)) else {
                return Err(TestCaseError::reject("refused by the parser"));
            };
            same_on_both_paths(&sig, B256::from(digest))?;
        }
    }

    #[test]
    fn out_of_range_r_is_unrecoverable_on_both_paths() {
        let mut s = [0u8; 32];
        s[31] = 1;
        for r in [N, [0xff; 32]] {
            let sig = EcdsaSignature::from_bytes(&raw(r, s, 27)).unwrap();
            assert_eq!(
                sig.recover(B256::repeat_byte(1)),
                Err(SignatureError::Unrecoverable)
            );
            assert_eq!(
                sig.recover_k256(B256::repeat_byte(1)),
                Err(SignatureError::Unrecoverable)
            );
        }
    }

    #[test]
    fn json_round_trip() {
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x12)).unwrap();
        let sig = sign_digest(&signer, B256::repeat_byte(3)).unwrap();
        let json = serde_json::to_string(&sig).unwrap();
        assert_eq!(serde_json::from_str::<EcdsaSignature>(&json).unwrap(), sig);
        assert!(serde_json::from_str::<EcdsaSignature>("\"0xdead\"").is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// libsecp256k1 signing gives exactly k256's signature (RFC 6979, low s), so a
        /// journal written by either re-signs to the same bytes.
        #[test]
        fn signing_matches_k256(key in any::<[u8; 32]>(), digest in any::<[u8; 32]>()) {
            use alloy_signer::SignerSync;
            let Ok(signer) = PrivateKeySigner::from_bytes(&B256::from(key)) else {
                return Ok(());
            };
            let ours = sign_digest(&signer, B256::from(digest)).unwrap();
            let k256 = EcdsaSignature::from_signature(signer.sign_hash_sync(&B256::from(digest)).unwrap());
            prop_assert_eq!(ours, k256);
            prop_assert_eq!(ours.recover(B256::from(digest)).unwrap(), signer.address());
        }
    }
}
