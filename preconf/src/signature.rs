//! ECDSA (secp256k1) signatures as Baton carries them: 65 bytes `r ‖ s ‖ v`, `v ∈ {27, 28}`,
//! low `s` (EIP-2). Anything else is rejected before recovery, exactly as the `Slasher`
//! contract does.

use std::fmt;

use alloy_primitives::{Address, B256, Signature, U256, hex};
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

    /// The signer of `digest`.
    pub fn recover(&self, digest: B256) -> Result<Address, SignatureError> {
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

/// Signs a 32-byte digest with a local key; the result is always low-`s`.
pub fn sign_digest(
    signer: &alloy_signer_local::PrivateKeySigner,
    digest: B256,
) -> Result<EcdsaSignature, alloy_signer::Error> {
    use alloy_signer::SignerSync;
    signer
        .sign_hash_sync(&digest)
        .map(EcdsaSignature::from_signature)
}

#[cfg(test)]
mod tests {
    use alloy_signer_local::PrivateKeySigner;

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

    #[test]
    fn json_round_trip() {
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x12)).unwrap();
        let sig = sign_digest(&signer, B256::repeat_byte(3)).unwrap();
        let json = serde_json::to_string(&sig).unwrap();
        assert_eq!(serde_json::from_str::<EcdsaSignature>(&json).unwrap(), sig);
        assert!(serde_json::from_str::<EcdsaSignature>("\"0xdead\"").is_err());
    }
}
