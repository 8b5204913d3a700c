//! Decoding raw transactions from untrusted input: L1 transactions in network form
//! (EIP-2718 types 0–4, type 3 with its blob sidecar) and opaque rollup transactions.
//!
//! Step ② (validation) starts here: every byte a wallet sends passes through these
//! bounded decoders before anything else looks at it.

use alloy_consensus::{EthereumTxEnvelope, Transaction as _, TxEip4844, TxEip4844WithSidecar};
use alloy_eips::{
    eip2718::{Decodable2718, Encodable2718, Typed2718},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};

/// Largest non-blob L1 transaction accepted (the execution clients' pool limit).
pub const MAX_L1_TX_BYTES: usize = 128 * 1024;
/// Largest blob count per transaction accepted (Electra's per-block maximum).
pub const MAX_BLOBS_PER_TX: usize = 9;
/// Largest network-form blob transaction: the blobs plus the non-blob limit.
pub const MAX_L1_BLOB_TX_BYTES: usize =
    MAX_L1_TX_BYTES + MAX_BLOBS_PER_TX * (131_072 + 2 * 48 + 128 * 48);
/// Largest rollup transaction accepted.
pub const MAX_ROLLUP_TX_BYTES: usize = 128 * 1024;

/// An L1 transaction as wallets send it: blob transactions carry their sidecar.
pub type NetworkTransaction =
    EthereumTxEnvelope<TxEip4844WithSidecar<BlobTransactionSidecarVariant>>;

/// Why raw transaction bytes were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxDecodeError {
    /// No bytes.
    #[error("empty transaction")]
    Empty,
    /// Over the size limit for its kind.
    #[error("transaction is {len} bytes, the limit is {max}")]
    TooLarge {
        /// Bytes given.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Not a valid EIP-2718 transaction of types 0–4 (type 3 needs its sidecar).
    #[error("malformed transaction: {reason}")]
    Malformed {
        /// The decoder's message.
        reason: String,
    },
    /// A type-3 transaction with more blobs than allowed.
    #[error("blob transaction carries {count} blobs, the limit is {max}", max = MAX_BLOBS_PER_TX)]
    TooManyBlobs {
        /// Blobs carried.
        count: usize,
    },
    /// The sidecar's blob count disagrees with the transaction's versioned hashes.
    #[error("blob sidecar holds {blobs} blobs for {hashes} versioned hashes")]
    SidecarMismatch {
        /// Blobs in the sidecar.
        blobs: usize,
        /// Versioned hashes in the transaction.
        hashes: usize,
    },
    /// The blob sidecar's KZG commitments or proofs do not verify against the
    /// transaction's versioned hashes.
    #[error("blob sidecar does not verify: {reason}")]
    InvalidBlobs {
        /// What failed.
        reason: String,
    },
    /// The signature recovers no sender.
    #[error("transaction signature does not recover a sender")]
    BadSignature,
}

/// A decoded, signature-recovered L1 transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Transaction {
    /// The bytes as received (network form).
    pub raw: Bytes,
    /// The canonical EIP-2718 encoding (type 3 without blobs): what goes in a block.
    pub canonical: Bytes,
    /// The transaction hash (keccak256 of `canonical`).
    pub hash: B256,
    /// The recovered sender.
    pub sender: Address,
    /// EIP-2718 type byte (0 for legacy).
    pub tx_type: u8,
    /// EIP-155 chain id, if the transaction names one.
    pub chain_id: Option<u64>,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Max fee per gas (gas price for legacy and 2930).
    pub max_fee_per_gas: u128,
    /// Max priority fee per gas, for 1559-style transactions.
    pub max_priority_fee_per_gas: Option<u128>,
    /// Max fee per blob gas, for type 3.
    pub max_fee_per_blob_gas: Option<u128>,
    /// Number of blobs (type 3).
    pub blob_count: usize,
    /// Value transferred.
    pub value: U256,
    /// EIP-7702 authorizations carried (type 4).
    pub authorization_count: usize,
}

impl L1Transaction {
    /// Worst-case cost to the sender at the transaction's own caps: gas, blob gas, value.
    pub fn max_cost(&self) -> U256 {
        let blob_gas = U256::from(self.blob_count as u64 * 131_072);
        U256::from(self.gas_limit) * U256::from(self.max_fee_per_gas)
            + blob_gas * U256::from(self.max_fee_per_blob_gas.unwrap_or_default())
            + self.value
    }
}

/// Decodes and recovers an L1 transaction in network form.
pub fn decode_l1_transaction(raw: &[u8]) -> Result<L1Transaction, TxDecodeError> {
    if raw.is_empty() {
        return Err(TxDecodeError::Empty);
    }
    let max = if raw[0] == 0x03 {
        MAX_L1_BLOB_TX_BYTES
    } else {
        MAX_L1_TX_BYTES
    };
    if raw.len() > max {
        return Err(TxDecodeError::TooLarge {
            len: raw.len(),
            max,
        });
    }
    let tx = NetworkTransaction::decode_2718_exact(raw).map_err(|e| TxDecodeError::Malformed {
        reason: e.to_string(),
    })?;
    let mut blob_count = 0;
    if let EthereumTxEnvelope::Eip4844(signed) = &tx {
        let with_sidecar = signed.tx();
        let hashes = with_sidecar.tx.blob_versioned_hashes.len();
        let blobs = with_sidecar.sidecar.blobs().len();
        if hashes > MAX_BLOBS_PER_TX {
            return Err(TxDecodeError::TooManyBlobs { count: hashes });
        }
        if blobs != hashes {
            return Err(TxDecodeError::SidecarMismatch { blobs, hashes });
        }
        // A promise for a transaction no block can carry is a promise broken by design.
        with_sidecar
            .sidecar
            .validate(
                &with_sidecar.tx.blob_versioned_hashes,
                alloy_eips::eip4844::env_settings::EnvKzgSettings::Default.get(),
            )
            .map_err(|e| TxDecodeError::InvalidBlobs {
                reason: e.to_string(),
            })?;
        blob_count = hashes;
    }
    // EIP-2: no block takes a high-s transaction. Recovery runs on libsecp256k1.
    if !crate::signature::is_low_s(tx.signature()) {
        return Err(TxDecodeError::BadSignature);
    }
    let sender = crate::signature::recover_signer(tx.signature(), tx.signature_hash())
        .map_err(|_| TxDecodeError::BadSignature)?;
    let canonical_envelope: EthereumTxEnvelope<TxEip4844> = tx.clone().into();
    let canonical = Bytes::from(canonical_envelope.encoded_2718());
    Ok(L1Transaction {
        raw: Bytes::copy_from_slice(raw),
        hash: keccak256(&canonical),
        canonical,
        sender,
        tx_type: tx.ty(),
        chain_id: tx.chain_id(),
        nonce: tx.nonce(),
        gas_limit: tx.gas_limit(),
        max_fee_per_gas: tx.max_fee_per_gas(),
        max_priority_fee_per_gas: tx.max_priority_fee_per_gas(),
        max_fee_per_blob_gas: tx.max_fee_per_blob_gas(),
        blob_count,
        value: tx.value(),
        authorization_count: tx.authorization_list().map_or(0, <[_]>::len),
    })
}

/// Checks a rollup transaction's size and returns its batch hash (keccak256 of the raw
/// bytes, as the `RollupInbox` computes it). Rollup transactions are opaque to L1: the
/// rollup's derivation decides whether the bytes are a valid L2 transaction.
pub fn rollup_tx_hash(raw: &[u8]) -> Result<B256, TxDecodeError> {
    if raw.is_empty() {
        return Err(TxDecodeError::Empty);
    }
    if raw.len() > MAX_ROLLUP_TX_BYTES {
        return Err(TxDecodeError::TooLarge {
            len: raw.len(),
            max: MAX_ROLLUP_TX_BYTES,
        });
    }
    Ok(keccak256(raw))
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy_primitives::TxKind;
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    use super::*;

    /// A signed EIP-1559 transfer, for tests across the crate.
    pub(crate) fn signed_1559(signer: &PrivateKeySigner, nonce: u64, chain_id: u64) -> Bytes {
        let tx = TxEip1559 {
            chain_id,
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: 30_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to: TxKind::Call(Address::repeat_byte(0x22)),
            value: U256::from(1_000u64),
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        envelope.encoded_2718().into()
    }

    #[test]
    fn decodes_1559_and_recovers_sender() {
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let raw = signed_1559(&signer, 5, 1);
        let tx = decode_l1_transaction(&raw).unwrap();
        assert_eq!(tx.sender, signer.address());
        assert_eq!((tx.tx_type, tx.nonce, tx.chain_id), (2, 5, Some(1)));
        assert_eq!(tx.hash, keccak256(&raw));
        assert_eq!(tx.canonical, raw);
        assert_eq!(
            tx.max_cost(),
            U256::from(21_000u64 * 30_000_000_000 + 1_000)
        );
    }

    #[test]
    fn senders_match_the_reference_recovery_and_high_s_is_refused() {
        use alloy_consensus::transaction::SignerRecoverable;
        for seed in 1..=32u8 {
            let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(seed)).unwrap();
            let raw = signed_1559(&signer, u64::from(seed), 1);
            let decoded = decode_l1_transaction(&raw).unwrap();
            let reference = NetworkTransaction::decode_2718_exact(&raw)
                .unwrap()
                .recover_signer()
                .unwrap();
            assert_eq!(decoded.sender, reference);
        }
        // The same transaction with s replaced by n - s (and the parity flipped) recovers
        // the same key under k256, but EIP-2 forbids it.
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
        let tx = TxEip1559 {
            chain_id: 1,
            gas_limit: 21_000,
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let n = U256::from_be_bytes(alloy_primitives::hex!(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141"
        ));
        let high = alloy_primitives::Signature::new(sig.r(), n - sig.s(), !sig.v());
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(high).into();
        assert_eq!(
            decode_l1_transaction(&envelope.encoded_2718()),
            Err(TxDecodeError::BadSignature)
        );
    }

    #[test]
    fn decodes_legacy() {
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(8)).unwrap();
        let tx = TxLegacy {
            chain_id: Some(1),
            nonce: 1,
            gas_price: 10,
            gas_limit: 21_000,
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        let decoded = decode_l1_transaction(&envelope.encoded_2718()).unwrap();
        assert_eq!((decoded.tx_type, decoded.sender), (0, signer.address()));
    }

    #[test]
    fn rejects_bad_bytes() {
        assert_eq!(decode_l1_transaction(&[]), Err(TxDecodeError::Empty));
        assert!(matches!(
            decode_l1_transaction(&[0x02, 0xc0]),
            Err(TxDecodeError::Malformed { .. })
        ));
        assert!(matches!(
            decode_l1_transaction(&[0x05, 0xc0]),
            Err(TxDecodeError::Malformed { .. })
        ));
        assert!(matches!(
            decode_l1_transaction(&vec![0x02; MAX_L1_TX_BYTES + 1]),
            Err(TxDecodeError::TooLarge { .. })
        ));
        let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
        let mut raw = signed_1559(&signer, 5, 1).to_vec();
        raw.push(0); // trailing byte
        assert!(matches!(
            decode_l1_transaction(&raw),
            Err(TxDecodeError::Malformed { .. })
        ));
        raw.truncate(raw.len() - 5); // truncated
        assert!(matches!(
            decode_l1_transaction(&raw),
            Err(TxDecodeError::Malformed { .. })
        ));
    }

    #[test]
    fn rollup_hashes_are_raw_keccak() {
        assert_eq!(rollup_tx_hash(b"abc").unwrap(), keccak256(b"abc"));
        assert_eq!(rollup_tx_hash(b""), Err(TxDecodeError::Empty));
        assert!(rollup_tx_hash(&vec![1; MAX_ROLLUP_TX_BYTES + 1]).is_err());
    }
}
