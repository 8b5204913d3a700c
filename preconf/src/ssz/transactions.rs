//! `hash_tree_root` of an execution payload's `transactions` (SSZ
//! `List[ByteList[2^30], 2^20]`), computed directly and kept as a tree for proofs.
//!
//! Generalized indices are relative to `transactions_root`: 1 is the root, 2 the data
//! tree, 3 the length chunk, and transaction `i`'s leaf is `2^21 + i`.

use std::sync::OnceLock;

use alloy_primitives::B256;
use sha2::{Digest, Sha256};

/// `MAX_TRANSACTIONS_PER_PAYLOAD`.
pub const MAX_TRANSACTIONS_PER_PAYLOAD: usize = 1 << 20;
/// Depth of the transactions data tree (`log2(MAX_TRANSACTIONS_PER_PAYLOAD)`).
pub const TRANSACTIONS_DEPTH: usize = 20;
/// Depth of one transaction's byte tree (`log2(2^30 / 32)` chunks).
const TX_BYTES_DEPTH: usize = 25;

pub(crate) fn sha256_pair(left: &B256, right: &B256) -> B256 {
    let mut hasher = Sha256::new();
    hasher.update(left);
    hasher.update(right);
    B256::from_slice(&hasher.finalize())
}

/// `zero_hashes()[d]` is the root of a depth-`d` tree of zero chunks.
pub(crate) fn zero_hashes() -> &'static [B256; 32] {
    static ZERO: OnceLock<[B256; 32]> = OnceLock::new();
    ZERO.get_or_init(|| {
        let mut z = [B256::ZERO; 32];
        for d in 1..32 {
            z[d] = sha256_pair(&z[d - 1], &z[d - 1]);
        }
        z
    })
}

fn length_chunk(len: u64) -> B256 {
    let mut chunk = [0u8; 32];
    chunk[..8].copy_from_slice(&len.to_le_bytes());
    B256::from(chunk)
}

/// Merkleizes `chunks` as a tree of `depth`, padding with zero subtrees, keeping every
/// level (level 0 = the chunks). Callers bound `chunks.len() <= 2^depth`.
fn merkleize_levels(chunks: Vec<B256>, depth: usize) -> Vec<Vec<B256>> {
    let zero = zero_hashes();
    let mut levels = Vec::with_capacity(depth + 1);
    levels.push(chunks);
    for d in 0..depth {
        let below = &levels[d];
        let above: Vec<B256> = below
            .chunks(2)
            .map(|pair| sha256_pair(&pair[0], pair.get(1).unwrap_or(&zero[d])))
            .collect();
        levels.push(above);
    }
    levels
}

fn top(levels: &[Vec<B256>], depth: usize) -> B256 {
    levels[depth]
        .first()
        .copied()
        .unwrap_or(zero_hashes()[depth])
}

/// The leaf of one transaction: `hash_tree_root(ByteList[2^30](tx))`. Type-3
/// transactions are hashed in canonical form (no blobs), as they appear in the payload.
pub fn transaction_leaf(tx: &[u8]) -> B256 {
    let zero = zero_hashes();
    // Reduce the chunks level by level in one buffer (a relay hashes every transaction
    // of every block it is sent), then climb the all-zero rest of the tree.
    let mut level: Vec<B256> = tx
        .chunks(32)
        .map(|c| {
            let mut chunk = [0u8; 32];
            chunk[..c.len()].copy_from_slice(c);
            B256::from(chunk)
        })
        .collect();
    let mut depth = 0;
    while level.len() > 1 {
        let len = level.len();
        for i in 0..len.div_ceil(2) {
            let right = if 2 * i + 1 < len {
                level[2 * i + 1]
            } else {
                zero[depth]
            };
            level[i] = sha256_pair(&level[2 * i], &right);
        }
        level.truncate(len.div_ceil(2));
        depth += 1;
    }
    let mut node = match level.first() {
        Some(node) => *node,
        None => {
            depth = TX_BYTES_DEPTH;
            zero[TX_BYTES_DEPTH]
        }
    };
    while depth < TX_BYTES_DEPTH {
        node = sha256_pair(&node, &zero[depth]);
        depth += 1;
    }
    sha256_pair(&node, &length_chunk(tx.len() as u64))
}

/// The Merkle tree of a payload's transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionsTree {
    levels: Vec<Vec<B256>>,
    root: B256,
}

impl TransactionsTree {
    /// Builds the tree from each transaction's leaf ([`transaction_leaf`]).
    /// Returns `None` above [`MAX_TRANSACTIONS_PER_PAYLOAD`].
    pub fn from_leaves(leaves: Vec<B256>) -> Option<Self> {
        if leaves.len() > MAX_TRANSACTIONS_PER_PAYLOAD {
            return None;
        }
        let count = leaves.len() as u64;
        let levels = merkleize_levels(leaves, TRANSACTIONS_DEPTH);
        let root = sha256_pair(&top(&levels, TRANSACTIONS_DEPTH), &length_chunk(count));
        Some(Self { levels, root })
    }

    /// Builds the tree from raw (canonical) transactions.
    pub fn new<T: AsRef<[u8]>>(txs: &[T]) -> Option<Self> {
        Self::from_leaves(txs.iter().map(|t| transaction_leaf(t.as_ref())).collect())
    }

    /// `transactions_root`.
    pub const fn root(&self) -> B256 {
        self.root
    }

    /// Number of transactions.
    pub fn len(&self) -> usize {
        self.levels[0].len()
    }

    /// Whether the payload has no transactions.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// Leaf of transaction `index`.
    pub fn leaf(&self, index: usize) -> Option<B256> {
        self.levels[0].get(index).copied()
    }

    /// The node at generalized index `gindex` (relative to `transactions_root`).
    pub fn node(&self, gindex: u64) -> Option<B256> {
        match gindex {
            0 => None,
            1 => Some(self.root),
            3 => Some(length_chunk(self.len() as u64)),
            _ => {
                let depth_from_root = 63 - gindex.leading_zeros() as usize;
                // Everything but 1 and 3 must lie under 2 (the data tree).
                if depth_from_root > TRANSACTIONS_DEPTH + 1
                    || (gindex >> (depth_from_root - 1)) != 0b10
                {
                    return None;
                }
                let level = TRANSACTIONS_DEPTH + 1 - depth_from_root;
                let index = (gindex - (1 << depth_from_root)) as usize;
                Some(
                    self.levels[level]
                        .get(index)
                        .copied()
                        .unwrap_or(zero_hashes()[level]),
                )
            }
        }
    }
}

/// `transactions_root` of canonical transactions.
pub fn transactions_root<T: AsRef<[u8]>>(txs: &[T]) -> Option<B256> {
    TransactionsTree::new(txs).map(|t| t.root())
}

#[cfg(test)]
mod tests {
    use ssz_rs::prelude::*;

    use super::*;

    type SszTx = List<u8, { 1 << 30 }>;
    type SszTxs = List<SszTx, { 1 << 20 }>;

    fn ssz_root(txs: &[Vec<u8>]) -> B256 {
        let list: Vec<SszTx> = txs
            .iter()
            .map(|t| SszTx::try_from(t.clone()).unwrap())
            .collect();
        let mut list = SszTxs::try_from(list).unwrap();
        B256::from_slice(list.hash_tree_root().unwrap().as_ref())
    }

    #[test]
    fn matches_ssz_rs() {
        for n in [0usize, 1, 2, 3, 5, 17] {
            let txs: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 1 + i * 37]).collect();
            assert_eq!(transactions_root(&txs).unwrap(), ssz_root(&txs), "n = {n}");
        }
    }

    #[test]
    fn leaf_matches_ssz_rs_at_chunk_boundaries() {
        for len in [0usize, 1, 31, 32, 33, 64, 65, 96, 1000, 4096] {
            let tx: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let mut list = SszTx::try_from(tx.clone()).unwrap();
            let expected = B256::from_slice(list.hash_tree_root().unwrap().as_ref());
            assert_eq!(transaction_leaf(&tx), expected, "len {len}");
        }
    }

    #[test]
    fn node_lookup() {
        let txs: Vec<Vec<u8>> = (0..5).map(|i| vec![i; 40]).collect();
        let tree = TransactionsTree::new(&txs).unwrap();
        assert_eq!(tree.node(1), Some(tree.root()));
        assert_eq!(tree.node((1 << 21) + 4), Some(transaction_leaf(&txs[4])));
        assert_eq!(tree.node((1 << 21) + 5), Some(B256::ZERO));
        assert_eq!(
            tree.node(2),
            Some(sha256_pair(&tree.node(4).unwrap(), &tree.node(5).unwrap()))
        );
        assert_eq!(tree.node(6), None); // under the length chunk
        assert_eq!(tree.node(1 << 22), None); // below the leaves
    }
}
