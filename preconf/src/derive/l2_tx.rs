//! A batch transaction read as an L2 transaction (step ⑧): the checks that need only its
//! bytes and the rollup's chain id (`docs/derivation.md`, "Transactions").

use alloy_consensus::{
    EthereumTxEnvelope, Transaction as _, TxEip4844, transaction::SignerRecoverable,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718, Typed2718};
use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use serde::{Deserialize, Serialize};

use crate::transaction::MAX_ROLLUP_TX_BYTES;

/// Gas every transaction pays.
const TX_BASE_GAS: u64 = 21_000;
/// Extra gas of a contract creation.
const TX_CREATE_GAS: u64 = 32_000;
/// Largest init code of a creation (EIP-3860).
pub const MAX_INITCODE_BYTES: usize = 49_152;

/// Why a batch transaction is skipped. The first group is decided from the bytes alone
/// ([`decode_l2_tx`]), the second against the state at the start of the L2 block
/// ([`super::select_transactions`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "reason", rename_all = "camelCase")]
pub enum TxInvalid {
    /// Empty or over [`MAX_ROLLUP_TX_BYTES`].
    #[error("transaction is {len} bytes, allowed 1 to {max}", max = MAX_ROLLUP_TX_BYTES)]
    Size {
        /// Its size.
        len: usize,
    },
    /// Not an EIP-2718 transaction that decodes exactly.
    #[error("transaction does not decode: {detail}")]
    Undecodable {
        /// The decoder's message.
        detail: String,
    },
    /// Decodes, but the bytes are not its canonical encoding.
    #[error("transaction bytes are not its canonical encoding")]
    NotCanonical,
    /// Type 3 (blobs), 4 (set code) or unknown.
    #[error("transaction type {ty} is not accepted")]
    UnsupportedType {
        /// The EIP-2718 type.
        ty: u8,
    },
    /// A legacy transaction without EIP-155 replay protection.
    #[error("legacy transaction without a chain id")]
    NoChainId,
    /// Signed for another chain.
    #[error("transaction is for chain {got}, the rollup is chain {expected}")]
    WrongChainId {
        /// The rollup's chain id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// `maxPriorityFeePerGas > maxFeePerGas`.
    #[error("priority fee {tip} is above the fee cap {cap}")]
    TipAboveFeeCap {
        /// Priority fee.
        tip: u128,
        /// Fee cap.
        cap: u128,
    },
    /// A creation with init code over [`MAX_INITCODE_BYTES`].
    #[error("init code is {len} bytes, the limit is {max}", max = MAX_INITCODE_BYTES)]
    InitCodeTooLarge {
        /// Init code size.
        len: usize,
    },
    /// The gas limit is below the intrinsic gas (or the EIP-7623 floor).
    #[error("gas limit {gas_limit} is below the {needed} gas the transaction needs up front")]
    IntrinsicGas {
        /// Gas limit.
        gas_limit: u64,
        /// Intrinsic gas (or the floor, when higher).
        needed: u64,
    },
    /// The signature recovers no sender (or has a high `s`).
    #[error("signature does not recover a sender")]
    BadSignature,
    /// The block's remaining gas (its gas limit minus the gas limits of the transactions
    /// already taken) is below this one's gas limit.
    #[error("gas limit {gas_limit} exceeds the {remaining} gas left in the block")]
    BlockGasExhausted {
        /// Gas limit.
        gas_limit: u64,
        /// Gas left.
        remaining: u64,
    },
    /// Fee cap below the block's base fee.
    #[error("fee cap {cap} is below the base fee {base_fee}")]
    FeeCapBelowBaseFee {
        /// Fee cap.
        cap: u128,
        /// Base fee of the L2 block.
        base_fee: u128,
    },
    /// The sender has code at the start of the block (EIP-3607, and EIP-7702 delegations).
    #[error("sender {sender} has code")]
    SenderHasCode {
        /// The sender.
        sender: Address,
    },
    /// Not the sender's next nonce.
    #[error("nonce {got}, the sender's next nonce is {expected}")]
    NonceMismatch {
        /// Next nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// What the sender can still spend does not cover `gasLimit · maxFeePerGas + value`.
    #[error("sender can spend {available} wei, the transaction may cost {max_cost}")]
    InsufficientFunds {
        /// Start-of-block balance minus the worst-case cost of the sender's earlier
        /// transactions in the block.
        available: U256,
        /// This transaction's worst-case cost.
        max_cost: U256,
    },
}

/// A batch transaction that passed the byte-level checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L2Tx {
    /// The bytes (canonical EIP-2718).
    pub raw: Bytes,
    /// Transaction hash (keccak256 of `raw`, equal to its batch hash).
    pub hash: B256,
    /// Recovered sender.
    pub sender: Address,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas limit.
    pub gas_limit: u64,
    /// Fee cap (the gas price of a legacy or EIP-2930 transaction).
    pub max_fee_per_gas: u128,
    /// Worst-case cost to the sender: `gasLimit · maxFeePerGas + value`.
    pub max_cost: U256,
}

/// Gas a transaction pays before executing (Prague): `(intrinsic, floor)`, where the
/// floor is EIP-7623's `21000 + 10 · tokens`. Its gas limit must cover both.
pub fn intrinsic_gas(
    input: &[u8],
    create: bool,
    access_list_addresses: u64,
    access_list_keys: u64,
) -> (u64, u64) {
    let zero = input.iter().filter(|b| **b == 0).count() as u64;
    let nonzero = input.len() as u64 - zero;
    let tokens = zero + 4 * nonzero;
    let mut intrinsic =
        TX_BASE_GAS + 4 * tokens + 2_400 * access_list_addresses + 1_900 * access_list_keys;
    if create {
        intrinsic += TX_CREATE_GAS + 2 * (input.len() as u64).div_ceil(32);
    }
    (intrinsic, TX_BASE_GAS + 10 * tokens)
}

/// Reads a batch transaction as a transaction of the rollup with chain id `chain_id`,
/// checking everything that does not depend on state.
pub fn decode_l2_tx(raw: &Bytes, chain_id: u64) -> Result<L2Tx, TxInvalid> {
    if raw.is_empty() || raw.len() > MAX_ROLLUP_TX_BYTES {
        return Err(TxInvalid::Size { len: raw.len() });
    }
    let tx = EthereumTxEnvelope::<TxEip4844>::decode_2718_exact(raw).map_err(|e| {
        TxInvalid::Undecodable {
            detail: e.to_string(),
        }
    })?;
    let ty = tx.ty();
    if !matches!(ty, 0..=2) {
        return Err(TxInvalid::UnsupportedType { ty });
    }
    if tx.encoded_2718() != raw.as_ref() {
        return Err(TxInvalid::NotCanonical);
    }
    let got = tx.chain_id().ok_or(TxInvalid::NoChainId)?;
    if got != chain_id {
        return Err(TxInvalid::WrongChainId {
            expected: chain_id,
            got,
        });
    }
    let cap = tx.max_fee_per_gas();
    if let Some(tip) = tx.max_priority_fee_per_gas()
        && tip > cap
    {
        return Err(TxInvalid::TipAboveFeeCap { tip, cap });
    }
    let input = tx.input();
    let create = matches!(tx.kind(), TxKind::Create);
    if create && input.len() > MAX_INITCODE_BYTES {
        return Err(TxInvalid::InitCodeTooLarge { len: input.len() });
    }
    let (addresses, keys) = tx.access_list().map_or((0, 0), |list| {
        (
            list.0.len() as u64,
            list.0
                .iter()
                .map(|item| item.storage_keys.len() as u64)
                .sum(),
        )
    });
    let (intrinsic, floor) = intrinsic_gas(input, create, addresses, keys);
    let needed = intrinsic.max(floor);
    if tx.gas_limit() < needed {
        return Err(TxInvalid::IntrinsicGas {
            gas_limit: tx.gas_limit(),
            needed,
        });
    }
    let sender = tx.recover_signer().map_err(|_| TxInvalid::BadSignature)?;
    let max_cost = U256::from(tx.gas_limit()) * U256::from(cap) + tx.value();
    Ok(L2Tx {
        raw: raw.clone(),
        hash: keccak256(raw),
        sender,
        nonce: tx.nonce(),
        gas_limit: tx.gas_limit(),
        max_fee_per_gas: cap,
        max_cost,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxEip2930, TxLegacy};
    use alloy_eips::eip2930::{AccessList, AccessListItem};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    use super::*;

    pub(crate) const CHAIN: u64 = 901;

    /// A signed EIP-1559 transaction of the test rollup.
    pub(crate) fn tx_1559(
        signer: &PrivateKeySigner,
        nonce: u64,
        value: u64,
        gas_limit: u64,
    ) -> Bytes {
        sign(
            signer,
            TxEip1559 {
                chain_id: CHAIN,
                nonce,
                gas_limit,
                max_fee_per_gas: 10,
                max_priority_fee_per_gas: 1,
                to: TxKind::Call(Address::repeat_byte(0x22)),
                value: U256::from(value),
                ..Default::default()
            },
        )
    }

    pub(crate) fn sign<T: SignableTransaction<alloy_primitives::Signature>>(
        signer: &PrivateKeySigner,
        tx: T,
    ) -> Bytes
    where
        EthereumTxEnvelope<TxEip4844>: From<alloy_consensus::Signed<T>>,
    {
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        envelope.encoded_2718().into()
    }

    fn key(byte: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(byte)).unwrap()
    }

    #[test]
    fn accepts_a_transfer_and_computes_its_cost() {
        let signer = key(1);
        let raw = tx_1559(&signer, 3, 500, 21_000);
        let tx = decode_l2_tx(&raw, CHAIN).unwrap();
        assert_eq!(tx.sender, signer.address());
        assert_eq!(
            (tx.nonce, tx.gas_limit, tx.max_fee_per_gas),
            (3, 21_000, 10)
        );
        assert_eq!(tx.max_cost, U256::from(21_000u64 * 10 + 500));
        assert_eq!(tx.hash, keccak256(&raw));
    }

    #[test]
    fn byte_level_rejections() {
        let signer = key(2);
        assert_eq!(
            decode_l2_tx(&Bytes::new(), CHAIN),
            Err(TxInvalid::Size { len: 0 })
        );
        assert!(matches!(
            decode_l2_tx(&Bytes::from_static(b"\x02\xc0junk"), CHAIN),
            Err(TxInvalid::Undecodable { .. })
        ));
        assert_eq!(
            decode_l2_tx(&tx_1559(&signer, 0, 0, 21_000), CHAIN + 1),
            Err(TxInvalid::WrongChainId {
                expected: CHAIN + 1,
                got: CHAIN
            })
        );
        assert_eq!(
            decode_l2_tx(&tx_1559(&signer, 0, 0, 20_999), CHAIN),
            Err(TxInvalid::IntrinsicGas {
                gas_limit: 20_999,
                needed: 21_000
            })
        );
        let pre155 = sign(
            &signer,
            TxLegacy {
                chain_id: None,
                gas_limit: 21_000,
                gas_price: 10,
                ..Default::default()
            },
        );
        assert_eq!(decode_l2_tx(&pre155, CHAIN), Err(TxInvalid::NoChainId));
        let tip_over = sign(
            &signer,
            TxEip1559 {
                chain_id: CHAIN,
                gas_limit: 21_000,
                max_fee_per_gas: 5,
                max_priority_fee_per_gas: 6,
                ..Default::default()
            },
        );
        assert_eq!(
            decode_l2_tx(&tip_over, CHAIN),
            Err(TxInvalid::TipAboveFeeCap { tip: 6, cap: 5 })
        );
        let initcode = sign(
            &signer,
            TxEip1559 {
                chain_id: CHAIN,
                gas_limit: 10_000_000,
                max_fee_per_gas: 5,
                to: TxKind::Create,
                input: vec![1u8; MAX_INITCODE_BYTES + 1].into(),
                ..Default::default()
            },
        );
        assert_eq!(
            decode_l2_tx(&initcode, CHAIN),
            Err(TxInvalid::InitCodeTooLarge {
                len: MAX_INITCODE_BYTES + 1
            })
        );
        // The same transaction with a trailing byte is not an exact decoding.
        let mut trailing = tx_1559(&signer, 0, 0, 21_000).to_vec();
        trailing.push(0);
        assert!(matches!(
            decode_l2_tx(&trailing.into(), CHAIN),
            Err(TxInvalid::Undecodable { .. })
        ));
        // A type-3 envelope (no sidecar) is not accepted.
        let blob = sign(
            &signer,
            TxEip4844 {
                chain_id: CHAIN,
                gas_limit: 21_000,
                max_fee_per_gas: 5,
                blob_versioned_hashes: vec![B256::repeat_byte(1)],
                ..Default::default()
            },
        );
        assert_eq!(
            decode_l2_tx(&blob, CHAIN),
            Err(TxInvalid::UnsupportedType { ty: 3 })
        );
    }

    #[test]
    fn intrinsic_gas_counts_calldata_creation_and_access_lists() {
        // 2 zero and 2 non-zero bytes: 2·4 + 2·16 = 40 gas; tokens = 2 + 8 = 10.
        assert_eq!(intrinsic_gas(&[0, 0, 1, 2], false, 0, 0), (21_040, 21_100));
        // Creation of 33 bytes: two words of init code.
        assert_eq!(
            intrinsic_gas(&[1; 33], true, 0, 0).0,
            21_000 + 33 * 16 + 32_000 + 4
        );
        assert_eq!(intrinsic_gas(&[], false, 2, 3).0, 21_000 + 4_800 + 5_700);

        // The floor binds for calldata-heavy transactions: 1000 non-zero bytes need
        // 21000 + 40000, not 21000 + 16000.
        let signer = key(3);
        let heavy = |gas_limit| {
            sign(
                &signer,
                TxEip2930 {
                    chain_id: CHAIN,
                    gas_limit,
                    gas_price: 5,
                    to: TxKind::Call(Address::ZERO),
                    input: vec![0xff; 1000].into(),
                    access_list: AccessList(vec![AccessListItem {
                        address: Address::ZERO,
                        storage_keys: vec![B256::ZERO],
                    }]),
                    ..Default::default()
                },
            )
        };
        assert_eq!(
            decode_l2_tx(&heavy(60_999), CHAIN),
            Err(TxInvalid::IntrinsicGas {
                gas_limit: 60_999,
                needed: 61_000
            })
        );
        assert!(decode_l2_tx(&heavy(61_000), CHAIN).is_ok());
    }
}
