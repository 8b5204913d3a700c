//! What a wallet asks for (step ①): an L1 inclusion bundle or rollup sequencing (one or
//! several rollups: a cross-rollup bundle), signed by the wallet under the Baton EIP-712
//! domain. The request id is the request's EIP-712 digest.

use std::collections::HashSet;

use alloy_primitives::{Address, B256, Bytes};
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolStruct;
use serde::{Deserialize, Serialize};

use crate::{
    eip712::{self, BatonDomain},
    signature::{EcdsaSignature, SignatureError, sign_digest},
    transaction::{L1Transaction, TxDecodeError, decode_l1_transaction, rollup_tx_hash},
    types::{RollupId, Slot},
};

/// Most transactions one request may carry.
pub const MAX_TXS_PER_REQUEST: usize = 64;

/// Raw signed L1 transactions (EIP-2718, network form) for slot `slot`, all or nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionRequest {
    /// Target slot.
    pub slot: Slot,
    /// The bundle, in order.
    pub txs: Vec<Bytes>,
}

/// One rollup transaction of a sequencing request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupTransaction {
    /// The rollup.
    pub rollup_id: RollupId,
    /// The raw rollup transaction.
    pub tx: Bytes,
}

/// Rollup transactions for one or several rollups in slot `slot`; several rollups make a
/// cross-rollup bundle (all land in the same L1 block, or none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SequencingRequest {
    /// Target slot.
    pub slot: Slot,
    /// The transactions, in the order the wallet wants them within each rollup.
    pub txs: Vec<RollupTransaction>,
}

/// Either kind of request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Request {
    /// An L1 inclusion bundle.
    Inclusion(InclusionRequest),
    /// Rollup sequencing.
    Sequencing(SequencingRequest),
}

/// A request with the wallet's signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedRequest {
    /// The request.
    pub request: Request,
    /// The wallet's EIP-712 signature over it.
    pub signature: EcdsaSignature,
}

/// Why a request was rejected before any state was looked at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No transactions.
    #[error("request carries no transactions")]
    Empty,
    /// Over [`MAX_TXS_PER_REQUEST`].
    #[error("request carries {count} transactions, the limit is {max}", max = MAX_TXS_PER_REQUEST)]
    TooManyTransactions {
        /// Transactions given.
        count: usize,
    },
    /// A transaction failed to decode.
    #[error("transaction {index}: {source}")]
    Transaction {
        /// Index in the request.
        index: usize,
        /// The decoding error.
        source: TxDecodeError,
    },
    /// Rollup id 0 (ids start at 1).
    #[error("transaction {index}: rollup id 0 does not exist (ids start at 1)")]
    ZeroRollupId {
        /// Index in the request.
        index: usize,
    },
    /// The same transaction twice.
    #[error("transaction {index} repeats {hash}")]
    Duplicate {
        /// Index of the repeat.
        index: usize,
        /// Its hash.
        hash: B256,
    },
    /// The signature is malformed or not the claimed wallet's.
    #[error("request signature: {0}")]
    Signature(#[from] SignatureError),
}

/// A request whose transactions decoded, with its id and the wallet that signed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedRequest {
    /// The request id (its EIP-712 digest).
    pub id: B256,
    /// The wallet that signed it.
    pub wallet: Address,
    /// Target slot.
    pub slot: Slot,
    /// The decoded contents.
    pub body: CheckedBody,
}

/// Decoded contents of a [`CheckedRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedBody {
    /// Decoded, sender-recovered L1 transactions.
    Inclusion(Vec<L1Transaction>),
    /// Rollup transactions with their batch hashes.
    Sequencing(Vec<(RollupId, Bytes, B256)>),
}

fn check_count(count: usize) -> Result<(), RequestError> {
    match count {
        0 => Err(RequestError::Empty),
        n if n > MAX_TXS_PER_REQUEST => Err(RequestError::TooManyTransactions { count: n }),
        _ => Ok(()),
    }
}

impl Request {
    /// The target slot.
    pub const fn slot(&self) -> Slot {
        match self {
            Self::Inclusion(r) => r.slot,
            Self::Sequencing(r) => r.slot,
        }
    }

    /// Decodes every transaction (bounded) and rejects duplicates.
    pub fn decode(&self) -> Result<CheckedBody, RequestError> {
        match self {
            Self::Inclusion(r) => {
                check_count(r.txs.len())?;
                let mut seen = HashSet::with_capacity(r.txs.len());
                let mut txs = Vec::with_capacity(r.txs.len());
                for (index, raw) in r.txs.iter().enumerate() {
                    let tx = decode_l1_transaction(raw)
                        .map_err(|source| RequestError::Transaction { index, source })?;
                    if !seen.insert(tx.hash) {
                        return Err(RequestError::Duplicate {
                            index,
                            hash: tx.hash,
                        });
                    }
                    txs.push(tx);
                }
                Ok(CheckedBody::Inclusion(txs))
            }
            Self::Sequencing(r) => {
                check_count(r.txs.len())?;
                let mut seen = HashSet::with_capacity(r.txs.len());
                let mut txs = Vec::with_capacity(r.txs.len());
                for (index, item) in r.txs.iter().enumerate() {
                    if item.rollup_id.0 == 0 {
                        return Err(RequestError::ZeroRollupId { index });
                    }
                    let hash = rollup_tx_hash(&item.tx)
                        .map_err(|source| RequestError::Transaction { index, source })?;
                    if !seen.insert((item.rollup_id, hash)) {
                        return Err(RequestError::Duplicate { index, hash });
                    }
                    txs.push((item.rollup_id, item.tx.clone(), hash));
                }
                Ok(CheckedBody::Sequencing(txs))
            }
        }
    }

    /// The request id: the EIP-712 digest the wallet signs. Hashes the raw bytes of
    /// rollup transactions; L1 transactions are hashed in canonical form, so this fails
    /// on L1 bytes that do not decode.
    pub fn id(&self, domain: &BatonDomain) -> Result<B256, RequestError> {
        let body = self.decode()?;
        Ok(digest_of(self.slot(), &body, domain))
    }

    /// Signs the request as `wallet`.
    pub fn sign(
        self,
        wallet: &PrivateKeySigner,
        domain: &BatonDomain,
    ) -> Result<SignedRequest, RequestError> {
        let id = self.id(domain)?;
        let signature = sign_digest(wallet, id).map_err(|_| SignatureError::Unrecoverable)?;
        Ok(SignedRequest {
            request: self,
            signature,
        })
    }
}

fn digest_of(slot: Slot, body: &CheckedBody, domain: &BatonDomain) -> B256 {
    let domain = domain.eip712();
    match body {
        CheckedBody::Inclusion(txs) => eip712::InclusionRequest {
            slot: slot.0,
            txHashes: txs.iter().map(|tx| tx.hash).collect(),
        }
        .eip712_signing_hash(&domain),
        CheckedBody::Sequencing(txs) => eip712::SequencingRequest {
            slot: slot.0,
            txs: txs
                .iter()
                .map(|(rollup, _, hash)| eip712::RollupTx {
                    rollupId: rollup.0,
                    txHash: *hash,
                })
                .collect(),
        }
        .eip712_signing_hash(&domain),
    }
}

impl SignedRequest {
    /// Decodes the request, computes its id and recovers the wallet that signed it.
    pub fn check(&self, domain: &BatonDomain) -> Result<CheckedRequest, RequestError> {
        let body = self.request.decode()?;
        let id = digest_of(self.request.slot(), &body, domain);
        let wallet = self.signature.recover(id)?;
        Ok(CheckedRequest {
            id,
            wallet,
            slot: self.request.slot(),
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transaction::tests::signed_1559;

    fn domain() -> BatonDomain {
        BatonDomain {
            chain_id: 1,
            verifying_contract: Address::repeat_byte(0x51),
        }
    }

    fn wallet() -> PrivateKeySigner {
        PrivateKeySigner::from_bytes(&B256::repeat_byte(0x33)).unwrap()
    }

    #[test]
    fn inclusion_request_round_trip() {
        let req = Request::Inclusion(InclusionRequest {
            slot: Slot(10),
            txs: vec![signed_1559(&wallet(), 0, 1), signed_1559(&wallet(), 1, 1)],
        });
        let signed = req.clone().sign(&wallet(), &domain()).unwrap();
        let json = serde_json::to_string(&signed).unwrap();
        assert!(json.contains("\"kind\":\"inclusion\""), "{json}");
        let back: SignedRequest = serde_json::from_str(&json).unwrap();
        let checked = back.check(&domain()).unwrap();
        assert_eq!(checked.wallet, wallet().address());
        assert_eq!(checked.id, req.id(&domain()).unwrap());
        // Another domain gives another id, so the signature recovers someone else.
        let other = BatonDomain {
            chain_id: 2,
            ..domain()
        };
        assert_ne!(back.check(&other).unwrap().wallet, wallet().address());
    }

    #[test]
    fn sequencing_request_and_rejections() {
        let req = Request::Sequencing(SequencingRequest {
            slot: Slot(3),
            txs: vec![
                RollupTransaction {
                    rollup_id: RollupId(1),
                    tx: Bytes::from_static(b"a"),
                },
                RollupTransaction {
                    rollup_id: RollupId(2),
                    tx: Bytes::from_static(b"a"),
                },
            ],
        });
        let checked = req
            .sign(&wallet(), &domain())
            .unwrap()
            .check(&domain())
            .unwrap();
        assert!(matches!(checked.body, CheckedBody::Sequencing(ref v) if v.len() == 2));

        let dup = Request::Sequencing(SequencingRequest {
            slot: Slot(3),
            txs: vec![
                RollupTransaction {
                    rollup_id: RollupId(1),
                    tx: Bytes::from_static(b"a"),
                },
                RollupTransaction {
                    rollup_id: RollupId(1),
                    tx: Bytes::from_static(b"a"),
                },
            ],
        });
        assert!(matches!(
            dup.decode(),
            Err(RequestError::Duplicate { index: 1, .. })
        ));
        let zero = Request::Sequencing(SequencingRequest {
            slot: Slot(3),
            txs: vec![RollupTransaction {
                rollup_id: RollupId(0),
                tx: Bytes::from_static(b"a"),
            }],
        });
        assert_eq!(zero.decode(), Err(RequestError::ZeroRollupId { index: 0 }));
        let empty = Request::Inclusion(InclusionRequest {
            slot: Slot(1),
            txs: vec![],
        });
        assert_eq!(empty.decode(), Err(RequestError::Empty));
        let many = Request::Sequencing(SequencingRequest {
            slot: Slot(3),
            txs: (0..=MAX_TXS_PER_REQUEST as u64)
                .map(|i| RollupTransaction {
                    rollup_id: RollupId(1),
                    tx: Bytes::from(i.to_be_bytes().to_vec()),
                })
                .collect(),
        });
        assert_eq!(
            many.decode(),
            Err(RequestError::TooManyTransactions { count: 65 })
        );
        let bad = Request::Inclusion(InclusionRequest {
            slot: Slot(1),
            txs: vec![Bytes::from_static(&[2, 0xc0])],
        });
        assert!(matches!(
            bad.decode(),
            Err(RequestError::Transaction { index: 0, .. })
        ));
    }

    #[test]
    fn unknown_kinds_and_bad_numbers_are_rejected() {
        assert!(
            serde_json::from_str::<Request>(r#"{"kind":"other","slot":"1","txs":[]}"#).is_err()
        );
        assert!(
            serde_json::from_str::<Request>(r#"{"kind":"inclusion","slot":"x","txs":[]}"#).is_err()
        );
    }
}
