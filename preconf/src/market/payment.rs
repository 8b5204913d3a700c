//! The L1 payment a bid carries: an EIP-1559 transfer of at least the bid amount from the
//! bidder to the slot's fee recipient. The sidecar promises it for inclusion in the same
//! slot as the winner's transactions, so the winner pays if and only if its bundle lands.

use alloy_consensus::{EthereumTxEnvelope, Transaction as _, TxEip4844};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, B256, U256};

use crate::transaction::{L1Transaction, TxDecodeError, decode_l1_transaction};

/// The EIP-2718 type a payment must have.
pub const PAYMENT_TX_TYPE: u8 = 2;

/// Why a bid's payment transaction was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PaymentError {
    /// The bytes are not a valid signed L1 transaction.
    #[error("payment transaction: {source}")]
    Decode {
        /// The decoder's verdict.
        source: TxDecodeError,
    },
    /// The transaction's hash is not the bid's `paymentTxHash`.
    #[error("payment hashes to {computed}, the bid names {expected}")]
    HashMismatch {
        /// `paymentTxHash` of the bid.
        expected: B256,
        /// keccak256 of the transaction.
        computed: B256,
    },
    /// Not an EIP-1559 transaction.
    #[error("payment must be an EIP-1559 (type 2) transaction, not type {tx_type}")]
    WrongType {
        /// Its EIP-2718 type.
        tx_type: u8,
    },
    /// Signed for another chain.
    #[error("payment is for chain {got:?}, expected {expected}")]
    WrongChain {
        /// The L1 chain id.
        expected: u64,
        /// The transaction's chain id.
        got: Option<u64>,
    },
    /// Not sent by the bidder.
    #[error("payment is sent by {got}, expected the bidder {expected}")]
    WrongSender {
        /// The bidder.
        expected: Address,
        /// The recovered sender.
        got: Address,
    },
    /// Not a call to the fee recipient (or a contract creation).
    #[error("payment goes to {got:?}, expected the fee recipient {expected}")]
    WrongRecipient {
        /// The slot's fee recipient.
        expected: Address,
        /// The transaction's `to`.
        got: Option<Address>,
    },
    /// Transfers less than the bid amount.
    #[error("payment transfers {value} wei, the bid is {amount}")]
    TooLow {
        /// Value transferred.
        value: U256,
        /// The bid amount.
        amount: U256,
    },
}

/// What a payment must match: the bid's side and the slot's side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PaymentTerms {
    /// The bid's `paymentTxHash`.
    pub tx_hash: B256,
    /// The bidder.
    pub bidder: Address,
    /// The bid amount (the payment's minimum value).
    pub amount: U256,
    /// The slot's fee recipient.
    pub fee_recipient: Address,
    /// The L1 chain id.
    pub chain_id: u64,
}

/// Decodes `raw` (bounded, signature recovered) and checks it against `terms`.
pub fn check_payment(raw: &[u8], terms: &PaymentTerms) -> Result<L1Transaction, PaymentError> {
    let tx = decode_l1_transaction(raw).map_err(|source| PaymentError::Decode { source })?;
    if tx.hash != terms.tx_hash {
        return Err(PaymentError::HashMismatch {
            expected: terms.tx_hash,
            computed: tx.hash,
        });
    }
    if tx.tx_type != PAYMENT_TX_TYPE {
        return Err(PaymentError::WrongType {
            tx_type: tx.tx_type,
        });
    }
    if tx.chain_id != Some(terms.chain_id) {
        return Err(PaymentError::WrongChain {
            expected: terms.chain_id,
            got: tx.chain_id,
        });
    }
    if tx.sender != terms.bidder {
        return Err(PaymentError::WrongSender {
            expected: terms.bidder,
            got: tx.sender,
        });
    }
    // `L1Transaction` does not keep `to`; a type-2 transaction's canonical form is its
    // network form, already bounded and decoded once above.
    let to = EthereumTxEnvelope::<TxEip4844>::decode_2718_exact(&tx.canonical)
        .map_err(|e| PaymentError::Decode {
            source: TxDecodeError::Malformed {
                reason: e.to_string(),
            },
        })?
        .to();
    if to != Some(terms.fee_recipient) {
        return Err(PaymentError::WrongRecipient {
            expected: terms.fee_recipient,
            got: to,
        });
    }
    if tx.value < terms.amount {
        return Err(PaymentError::TooLow {
            value: tx.value,
            amount: terms.amount,
        });
    }
    Ok(tx)
}

/// Test helpers shared by the market tests.
#[cfg(test)]
pub(crate) mod testing {
    use alloy_consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy_eips::eip2718::Encodable2718;
    use alloy_primitives::{Bytes, TxKind};
    use alloy_signer::SignerSync;
    use alloy_signer_local::PrivateKeySigner;

    use super::*;

    /// A signed type-2 transfer.
    pub(crate) fn payment(
        signer: &PrivateKeySigner,
        to: TxKind,
        value: U256,
        chain_id: u64,
    ) -> Bytes {
        let tx = TxEip1559 {
            chain_id,
            nonce: 3,
            gas_limit: 21_000,
            max_fee_per_gas: 30_000_000_000,
            max_priority_fee_per_gas: 1_000_000_000,
            to,
            value,
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        envelope.encoded_2718().into()
    }

    /// A signed legacy transfer.
    pub(crate) fn legacy_payment(signer: &PrivateKeySigner, to: Address, value: U256) -> Bytes {
        let tx = TxLegacy {
            chain_id: Some(1),
            gas_price: 10,
            gas_limit: 21_000,
            to: TxKind::Call(to),
            value,
            ..Default::default()
        };
        let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
        envelope.encoded_2718().into()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{TxKind, keccak256};
    use alloy_signer_local::PrivateKeySigner;

    use super::{testing::*, *};

    fn bidder() -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(0x31)).unwrap()
    }

    const RECIPIENT: Address = Address::repeat_byte(0xfe);

    fn terms(raw: &[u8]) -> PaymentTerms {
        PaymentTerms {
            tx_hash: keccak256(raw),
            bidder: bidder().address(),
            amount: U256::from(1_000u64),
            fee_recipient: RECIPIENT,
            chain_id: 1,
        }
    }

    #[test]
    fn accepts_a_transfer_of_at_least_the_amount() {
        for value in [1_000u64, 5_000] {
            let raw = payment(&bidder(), TxKind::Call(RECIPIENT), U256::from(value), 1);
            let tx = check_payment(&raw, &terms(&raw)).unwrap();
            assert_eq!(tx.sender, bidder().address());
        }
    }

    #[test]
    fn every_refusal() {
        let good = payment(&bidder(), TxKind::Call(RECIPIENT), U256::from(1_000u64), 1);
        assert!(matches!(
            check_payment(&[], &terms(&good)),
            Err(PaymentError::Decode {
                source: TxDecodeError::Empty
            })
        ));
        let mut other_hash = terms(&good);
        other_hash.tx_hash = B256::ZERO;
        assert!(matches!(
            check_payment(&good, &other_hash),
            Err(PaymentError::HashMismatch { .. })
        ));
        let legacy = legacy_payment(&bidder(), RECIPIENT, U256::from(1_000u64));
        assert_eq!(
            check_payment(&legacy, &terms(&legacy)),
            Err(PaymentError::WrongType { tx_type: 0 })
        );
        let chain = payment(&bidder(), TxKind::Call(RECIPIENT), U256::from(1_000u64), 5);
        assert_eq!(
            check_payment(&chain, &terms(&chain)),
            Err(PaymentError::WrongChain {
                expected: 1,
                got: Some(5)
            })
        );
        let mallory = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x32)).unwrap();
        let sender = payment(&mallory, TxKind::Call(RECIPIENT), U256::from(1_000u64), 1);
        assert!(matches!(
            check_payment(&sender, &terms(&sender)),
            Err(PaymentError::WrongSender { .. })
        ));
        let elsewhere = payment(
            &bidder(),
            TxKind::Call(Address::ZERO),
            U256::from(1_000u64),
            1,
        );
        assert_eq!(
            check_payment(&elsewhere, &terms(&elsewhere)),
            Err(PaymentError::WrongRecipient {
                expected: RECIPIENT,
                got: Some(Address::ZERO)
            })
        );
        let create = payment(&bidder(), TxKind::Create, U256::from(1_000u64), 1);
        assert_eq!(
            check_payment(&create, &terms(&create)),
            Err(PaymentError::WrongRecipient {
                expected: RECIPIENT,
                got: None
            })
        );
        let low = payment(&bidder(), TxKind::Call(RECIPIENT), U256::from(999u64), 1);
        assert_eq!(
            check_payment(&low, &terms(&low)),
            Err(PaymentError::TooLow {
                value: U256::from(999u64),
                amount: U256::from(1_000u64)
            })
        );
    }
}
