//! The devnet's validators: interop BLS keys (the eth2 interop scheme every client's
//! `--interop` mode uses), each with its fee recipient and builder URL.

use std::fmt;

use alloy_primitives::{Address, B256, U256, uint};
use baton_preconf::{BlsPublicKey, BlsSecretKey, bls::BlsError};
use sha2::{Digest, Sha256};

/// The order `r` of the BLS12-381 groups: secret keys are scalars below it.
const CURVE_ORDER: U256 =
    uint!(0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001_U256);

/// The interop secret key of validator `index`: `sha256(index as 32 little-endian
/// bytes)`, read as a little-endian integer, reduced modulo the curve order.
pub fn interop_secret_key(index: u64) -> Result<BlsSecretKey, BlsError> {
    let mut preimage = [0u8; 32];
    preimage[..8].copy_from_slice(&index.to_le_bytes());
    let digest: [u8; 32] = Sha256::digest(preimage).into();
    let scalar = U256::from_le_bytes(digest) % CURVE_ORDER;
    BlsSecretKey::from_bytes(&scalar.to_be_bytes::<32>())
}

/// One validator of the devnet.
pub(super) struct Validator {
    /// Its validator index (also its interop key index).
    pub index: u64,
    /// Its secret key (never printed).
    pub key: BlsSecretKey,
    /// Its public key.
    pub pubkey: BlsPublicKey,
    /// Where its blocks pay.
    pub fee_recipient: Address,
    /// Its builder URL (the sidecar for opted-in validators, a relay otherwise); `None`
    /// builds every block locally.
    pub builder_url: Option<String>,
}

impl fmt::Debug for Validator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Validator")
            .field("index", &self.index)
            .field("pubkey", &self.pubkey)
            .field("fee_recipient", &self.fee_recipient)
            .field("builder_url", &self.builder_url)
            .finish_non_exhaustive()
    }
}

/// The genesis validators root the devnet announces: `sha256` over the validators'
/// public keys in index order (a real beacon state hashes its whole validator registry;
/// the devnet has no registry, and a non-zero root keeps proposer signatures bound to
/// this devnet).
pub fn genesis_validators_root(pubkeys: &[BlsPublicKey]) -> B256 {
    let mut hasher = Sha256::new();
    hasher.update(b"baton-devnet-validators");
    for pubkey in pubkeys {
        hasher.update(pubkey.0);
    }
    B256::from(<[u8; 32]>::from(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first interop keys, as published with the eth2 interop genesis (`keys.yaml`
    /// of the interop mocked start) and used in prysm's and teku's tests.
    const VECTORS: [(&str, &str); 3] = [
        (
            "25295f0d1d592a90b333e26e85149708208e9f8e8bc18f6c77bd62f8ad7a6866",
            "a99a76ed7796f7be22d5b7e85deeb7c5677e88e511e0b337618f8c4eb61349b4bf2d153f649f7b53359fe8b94a38e44c",
        ),
        (
            "51d0b65185db6989ab0b560d6deed19c7ead0e24b9b6372cbecb1f26bdfad000",
            "b89bebc699769726a318c8e9971bd3171297c61aea4a6578a7a4f94b547dcba5bac16a89108b6b6a1fe3695d1a874a0b",
        ),
        (
            "315ed405fafe339603932eebe8dbfd650ce5dafa561f6928664c75db85f97857",
            "a3a32b0f8b4ddb83f1a0a853d81dd725dfe577d4f4c3db8ece52ce2b026eca84815c1a7e8e92a4de3d755733bf7e4a9b",
        ),
    ];

    #[test]
    fn interop_keys_match_the_published_vectors() {
        for (index, (secret, public)) in VECTORS.iter().enumerate() {
            let key = interop_secret_key(index as u64).unwrap();
            assert_eq!(hex::encode(key.to_bytes()), *secret, "secret key {index}");
            assert_eq!(
                key.public_key().to_string(),
                format!("0x{public}"),
                "public key {index}"
            );
        }
    }

    #[test]
    fn keys_differ_and_never_print() {
        let a = interop_secret_key(7).unwrap();
        let b = interop_secret_key(8).unwrap();
        assert_ne!(a.public_key(), b.public_key());
        let validator = Validator {
            index: 7,
            pubkey: a.public_key(),
            key: a,
            fee_recipient: Address::ZERO,
            builder_url: None,
        };
        let shown = format!("{validator:?}");
        assert!(!shown.contains(&hex::encode(validator.key.to_bytes())));
        assert!(shown.contains(&validator.pubkey.to_string()));
    }

    #[test]
    fn validators_root_depends_on_every_key() {
        let keys: Vec<_> = (0..3)
            .map(|i| interop_secret_key(i).unwrap().public_key())
            .collect();
        let root = genesis_validators_root(&keys);
        assert_ne!(root, B256::ZERO);
        assert_ne!(root, genesis_validators_root(&keys[..2]));
    }
}
