//! Merkle-Patricia proofs the `Slasher` consumes (step ⑧): that a transaction sits at
//! index `i` of a block's transactions trie, and what an account's nonce was in a state.
//!
//! Byte form: a proof is the list of RLP-encoded trie nodes from the root down, exactly
//! as `eth_getProof` returns them and as the contract walks them.

use alloy_primitives::{Address, B256, Bytes, keccak256};
use alloy_rlp::{Decodable, Encodable};
use alloy_trie::{
    EMPTY_ROOT_HASH, HashBuilder, Nibbles, TrieAccount,
    proof::{ProofRetainer, verify_proof},
    root::adjust_index_for_rlp,
};
use serde::{Deserialize, Serialize};

/// Most nodes a proof may hold (a path is at most 64 nibbles deep, plus the leaf).
pub const MAX_PROOF_NODES: usize = 66;
/// Largest single trie node accepted (a full branch node is 532 bytes; a leaf carries
/// one transaction).
pub const MAX_NODE_BYTES: usize = 2 * 1024 * 1024;

/// Why an MPT proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MptError {
    /// More than [`MAX_PROOF_NODES`] nodes or a node over [`MAX_NODE_BYTES`].
    #[error("proof too large: {nodes} nodes, largest {largest} bytes")]
    TooLarge {
        /// Nodes given.
        nodes: usize,
        /// Largest node.
        largest: usize,
    },
    /// The proof does not show the expected value under the root.
    #[error("proof does not verify: {reason}")]
    Invalid {
        /// What the verifier reported.
        reason: String,
    },
    /// The account leaf does not decode.
    #[error("account leaf is not a valid RLP account: {reason}")]
    BadAccount {
        /// What the decoder reported.
        reason: String,
    },
    /// Index out of range when building a proof.
    #[error("index {index} is outside a block of {count} transactions")]
    IndexOutOfRange {
        /// The index.
        index: usize,
        /// Transactions in the block.
        count: usize,
    },
}

/// Proof that `value` (a canonical EIP-2718 transaction) sits at `index` of a block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransactionProof {
    /// Index in the block.
    pub index: u64,
    /// The canonical transaction bytes (the trie value).
    pub value: Bytes,
    /// Trie nodes, root first.
    pub nodes: Vec<Bytes>,
}

fn index_key(index: usize) -> Vec<u8> {
    alloy_rlp::encode_fixed_size(&index).to_vec()
}

fn check_size(nodes: &[Bytes]) -> Result<(), MptError> {
    let largest = nodes.iter().map(|n| n.len()).max().unwrap_or(0);
    if nodes.len() > MAX_PROOF_NODES || largest > MAX_NODE_BYTES {
        return Err(MptError::TooLarge {
            nodes: nodes.len(),
            largest,
        });
    }
    Ok(())
}

/// The transactions root of a block (canonical EIP-2718 transactions, in order).
pub fn transactions_trie_root<T: AsRef<[u8]>>(txs: &[T]) -> B256 {
    alloy_trie::root::ordered_trie_root_encoded(txs)
}

/// Proves transaction `index` of a block whose canonical transactions are `txs`.
pub fn prove_transaction<T: AsRef<[u8]>>(
    txs: &[T],
    index: usize,
) -> Result<TransactionProof, MptError> {
    if index >= txs.len() {
        return Err(MptError::IndexOutOfRange {
            index,
            count: txs.len(),
        });
    }
    let target = Nibbles::unpack(index_key(index));
    let mut hb = HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![target]));
    for i in 0..txs.len() {
        let j = adjust_index_for_rlp(i, txs.len());
        hb.add_leaf(Nibbles::unpack(index_key(j)), txs[j].as_ref());
    }
    let _root = hb.root();
    let nodes = hb
        .take_proof_nodes()
        .matching_nodes_sorted(&target)
        .into_iter()
        .map(|(_, node)| node)
        .collect();
    Ok(TransactionProof {
        index: index as u64,
        value: Bytes::copy_from_slice(txs[index].as_ref()),
        nodes,
    })
}

impl TransactionProof {
    /// Checks the proof against a block's `transactionsRoot`.
    pub fn verify(&self, transactions_root: B256) -> Result<(), MptError> {
        check_size(&self.nodes)?;
        let index = usize::try_from(self.index).map_err(|_| MptError::Invalid {
            reason: format!("index {} out of range", self.index),
        })?;
        verify_proof(
            transactions_root,
            Nibbles::unpack(index_key(index)),
            Some(self.value.to_vec()),
            &self.nodes,
        )
        .map_err(|e| MptError::Invalid {
            reason: e.to_string(),
        })
    }

    /// keccak256 of the proven transaction (its hash).
    pub fn tx_hash(&self) -> B256 {
        keccak256(&self.value)
    }
}

/// What an account proof shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountState {
    /// The account exists with this state.
    Exists(TrieAccount),
    /// The account does not exist (nonce 0, no balance).
    Absent,
}

impl AccountState {
    /// The nonce (0 when absent).
    pub const fn nonce(&self) -> u64 {
        match self {
            Self::Exists(a) => a.nonce,
            Self::Absent => 0,
        }
    }
}

/// Verifies an account proof (as `eth_getProof` returns `accountProof`) against a state
/// root, and returns what it proves.
pub fn verify_account_proof(
    state_root: B256,
    address: Address,
    nodes: &[Bytes],
) -> Result<AccountState, MptError> {
    check_size(nodes)?;
    let key = Nibbles::unpack(keccak256(address));
    // If the last node is a leaf for this key, its value is the account; try inclusion
    // first, then exclusion.
    let claimed = nodes.last().and_then(|node| leaf_value(node));
    if let Some(value) = claimed
        && verify_proof(state_root, key, Some(value.clone()), nodes).is_ok()
    {
        let account =
            TrieAccount::decode(&mut value.as_slice()).map_err(|e| MptError::BadAccount {
                reason: e.to_string(),
            })?;
        return Ok(AccountState::Exists(account));
    }
    if state_root == EMPTY_ROOT_HASH && nodes.is_empty() {
        return Ok(AccountState::Absent);
    }
    verify_proof(state_root, key, None, nodes)
        .map(|()| AccountState::Absent)
        .map_err(|e| MptError::Invalid {
            reason: e.to_string(),
        })
}

/// The value of a leaf node (a two-item RLP list), if `node` is one.
fn leaf_value(node: &[u8]) -> Option<Vec<u8>> {
    let mut buf = node;
    let header = alloy_rlp::Header::decode(&mut buf).ok()?;
    if !header.list {
        return None;
    }
    let _path = Bytes::decode(&mut buf).ok()?;
    let value = Bytes::decode(&mut buf).ok()?;
    buf.is_empty().then(|| value.to_vec())
}

/// RLP of an account, as stored in the state trie.
pub fn encode_account(account: &TrieAccount) -> Vec<u8> {
    let mut out = Vec::with_capacity(account.length());
    account.encode(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Transaction-sized values (real transactions are never shorter than 32 bytes, so
    /// their trie leaves are never inlined into branch nodes).
    fn block(n: usize) -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| {
                let mut tx = vec![0x02, (i % 256) as u8, (i / 256) as u8];
                tx.resize(110, 0xaa);
                tx
            })
            .collect()
    }

    #[test]
    fn proves_every_index_across_rlp_boundaries() {
        for n in [1usize, 2, 17, 129, 300] {
            let txs = block(n);
            let root = transactions_trie_root(&txs);
            for index in [0, n / 2, n - 1]
                .into_iter()
                .chain((n > 128).then_some(127))
                .chain((n > 128).then_some(128))
            {
                let proof = prove_transaction(&txs, index).unwrap();
                proof
                    .verify(root)
                    .unwrap_or_else(|e| panic!("n={n} i={index}: {e}"));
                assert_eq!(proof.tx_hash(), keccak256(&txs[index]));
            }
        }
    }

    #[test]
    fn tampered_proofs_fail() {
        let txs = block(40);
        let root = transactions_trie_root(&txs);
        let proof = prove_transaction(&txs, 7).unwrap();
        let mut wrong_value = proof.clone();
        wrong_value.value = Bytes::from_static(&[0x02, 0xff]);
        assert!(wrong_value.verify(root).is_err());
        let mut wrong_index = proof.clone();
        wrong_index.index = 8;
        assert!(wrong_index.verify(root).is_err());
        let mut truncated = proof.clone();
        truncated.nodes.pop();
        assert!(truncated.verify(root).is_err());
        assert!(proof.verify(B256::repeat_byte(1)).is_err());
        let mut huge = proof;
        huge.nodes = vec![Bytes::new(); MAX_PROOF_NODES + 1];
        assert!(matches!(huge.verify(root), Err(MptError::TooLarge { .. })));
        assert!(matches!(
            prove_transaction(&txs, 40),
            Err(MptError::IndexOutOfRange { .. })
        ));
    }

    #[test]
    fn account_proofs_inclusion_and_exclusion() {
        let accounts: Vec<(Address, TrieAccount)> = (1..=20u8)
            .map(|i| {
                (
                    Address::repeat_byte(i),
                    TrieAccount {
                        nonce: u64::from(i),
                        balance: alloy_primitives::U256::from(i),
                        ..Default::default()
                    },
                )
            })
            .collect();
        let mut leaves: Vec<(Nibbles, Vec<u8>)> = accounts
            .iter()
            .map(|(a, acc)| (Nibbles::unpack(keccak256(a)), encode_account(acc)))
            .collect();
        leaves.sort_by_key(|leaf| leaf.0);
        let prove = |address: Address| {
            let target = Nibbles::unpack(keccak256(address));
            let mut hb =
                HashBuilder::default().with_proof_retainer(ProofRetainer::new(vec![target]));
            for (k, v) in &leaves {
                hb.add_leaf(*k, v);
            }
            let root = hb.root();
            let nodes: Vec<Bytes> = hb
                .take_proof_nodes()
                .matching_nodes_sorted(&target)
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            (root, nodes)
        };
        let (root, nodes) = prove(Address::repeat_byte(5));
        assert_eq!(
            verify_account_proof(root, Address::repeat_byte(5), &nodes)
                .unwrap()
                .nonce(),
            5
        );
        // The same nodes do not prove another account.
        assert!(verify_account_proof(root, Address::repeat_byte(6), &nodes).is_err());
        let (root, nodes) = prove(Address::repeat_byte(0xee));
        assert_eq!(
            verify_account_proof(root, Address::repeat_byte(0xee), &nodes).unwrap(),
            AccountState::Absent
        );
    }
}
