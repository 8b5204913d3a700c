//! The rollup batch Merkle tree of `docs/derivation.md`: roots and position proofs.
//!
//! Identical to `contracts/src/lib/BatchRoot.sol` (asserted by the golden vectors): a
//! sidecar promises "transaction `h` at position `p` of rollup `R`'s batch", the
//! `RollupInbox` stores the batch root, and the `Slasher` checks a [`PositionProof`]
//! against it. Steps ④ (sealing a batch), ⑦ (the inbox root) and ⑧ (slashing, derivation).

use alloy_primitives::{B256, keccak256};
use serde::{Deserialize, Serialize};

use crate::types::Position;

/// Largest number of transactions in one batch (as the inbox enforces).
pub const MAX_BATCH_TXS: usize = 1 << 16;

/// The depth of a batch of `count >= 1` transactions: the smallest `d` with `2^d >= count`.
pub const fn depth(count: usize) -> usize {
    // count <= MAX_BATCH_TXS, so this stays small.
    let mut d = 0;
    while (1usize << d) < count {
        d += 1;
    }
    d
}

/// `keccak256(0x00 ‖ tx_hash)`.
pub fn leaf(tx_hash: B256) -> B256 {
    let mut buf = [0u8; 33];
    buf[1..].copy_from_slice(tx_hash.as_slice());
    keccak256(buf)
}

/// `keccak256(0x01 ‖ left ‖ right)`.
pub fn node(left: B256, right: B256) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = 0x01;
    buf[1..33].copy_from_slice(left.as_slice());
    buf[33..].copy_from_slice(right.as_slice());
    keccak256(buf)
}

/// `keccak256(0x02 ‖ tree_root ‖ uint256(count))`.
pub fn mix_count(tree_root: B256, count: usize) -> B256 {
    let mut buf = [0u8; 65];
    buf[0] = 0x02;
    buf[1..33].copy_from_slice(tree_root.as_slice());
    buf[57..].copy_from_slice(&(count as u64).to_be_bytes());
    keccak256(buf)
}

/// A batch is empty or over [`MAX_BATCH_TXS`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a batch holds 1 to {max} transactions, not {count}", max = MAX_BATCH_TXS)]
pub struct BadBatchSize {
    /// The offending size.
    pub count: usize,
}

/// The levels of a batch tree, leaves first; kept to answer many position proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchTree {
    levels: Vec<Vec<B256>>,
    root: B256,
}

impl BatchTree {
    /// Builds the tree over the transaction hashes of a batch, in batch order.
    pub fn new(tx_hashes: &[B256]) -> Result<Self, BadBatchSize> {
        let count = tx_hashes.len();
        if count == 0 || count > MAX_BATCH_TXS {
            return Err(BadBatchSize { count });
        }
        let mut levels = Vec::with_capacity(depth(count) + 1);
        levels.push(tx_hashes.iter().copied().map(leaf).collect::<Vec<_>>());
        while levels.last().is_some_and(|level| level.len() > 1) {
            let below = &levels[levels.len() - 1];
            let above = below
                .chunks(2)
                .map(|pair| node(pair[0], pair.get(1).copied().unwrap_or(B256::ZERO)))
                .collect();
            levels.push(above);
        }
        let root = mix_count(levels[levels.len() - 1][0], count);
        Ok(Self { levels, root })
    }

    /// Number of transactions.
    pub fn count(&self) -> usize {
        self.levels[0].len()
    }

    /// The batch root stored by the inbox.
    pub const fn root(&self) -> B256 {
        self.root
    }

    /// The proof for `position`, or `None` when `position >= count`.
    pub fn prove(&self, position: Position) -> Option<PositionProof> {
        let index = usize::try_from(position.0)
            .ok()
            .filter(|&i| i < self.count())?;
        let depth = depth(self.count());
        let siblings = (0..depth)
            .map(|level| {
                let i = (index >> level) ^ 1;
                self.levels[level].get(i).copied().unwrap_or(B256::ZERO)
            })
            .collect();
        Some(PositionProof {
            position,
            count: self.count() as u64,
            siblings,
        })
    }
}

/// The root of a batch with these transaction hashes.
pub fn batch_root(tx_hashes: &[B256]) -> Result<B256, BadBatchSize> {
    BatchTree::new(tx_hashes).map(|tree| tree.root())
}

/// Proof that a transaction hash sits at `position` of a batch of `count` transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionProof {
    /// The position proven.
    pub position: Position,
    /// The batch's transaction count (mixed into the root).
    #[serde(with = "crate::types::quoted")]
    pub count: u64,
    /// Sibling hashes, bottom-up; exactly `depth(count)` of them.
    pub siblings: Vec<B256>,
}

/// Why a position proof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PositionProofError {
    /// `count` is zero or above [`MAX_BATCH_TXS`].
    #[error("batch count {count} is outside 1..={max}", max = MAX_BATCH_TXS)]
    BadCount {
        /// The claimed count.
        count: u64,
    },
    /// `position >= count`.
    #[error("position {position} is outside a batch of {count}")]
    PositionOutOfRange {
        /// The claimed position.
        position: Position,
        /// The claimed count.
        count: u64,
    },
    /// Wrong number of siblings for `count`.
    #[error("expected {expected} siblings for a batch of {count}, got {got}")]
    WrongSiblingCount {
        /// `depth(count)`.
        expected: usize,
        /// Siblings supplied.
        got: usize,
        /// The claimed count.
        count: u64,
    },
    /// Well-formed, but the computed root differs.
    #[error("proof does not match the batch root: computed {computed}, expected {expected}")]
    RootMismatch {
        /// Root the proof leads to.
        computed: B256,
        /// Root it was checked against.
        expected: B256,
    },
}

impl PositionProof {
    /// The root this proof leads to for `tx_hash`, after checking the proof's shape.
    pub fn compute_root(&self, tx_hash: B256) -> Result<B256, PositionProofError> {
        let count = usize::try_from(self.count)
            .ok()
            .filter(|&c| (1..=MAX_BATCH_TXS).contains(&c))
            .ok_or(PositionProofError::BadCount { count: self.count })?;
        if self.position.0 >= self.count {
            return Err(PositionProofError::PositionOutOfRange {
                position: self.position,
                count: self.count,
            });
        }
        let expected = depth(count);
        if self.siblings.len() != expected {
            return Err(PositionProofError::WrongSiblingCount {
                expected,
                got: self.siblings.len(),
                count: self.count,
            });
        }
        let mut h = leaf(tx_hash);
        for (level, sibling) in self.siblings.iter().enumerate() {
            h = if (self.position.0 >> level) & 1 == 0 {
                node(h, *sibling)
            } else {
                node(*sibling, h)
            };
        }
        Ok(mix_count(h, count))
    }

    /// Checks that `tx_hash` sits at this proof's position under `root`.
    pub fn verify(&self, tx_hash: B256, root: B256) -> Result<(), PositionProofError> {
        let computed = self.compute_root(tx_hash)?;
        if computed == root {
            Ok(())
        } else {
            Err(PositionProofError::RootMismatch {
                computed,
                expected: root,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn hashes(n: usize) -> Vec<B256> {
        (0..n)
            .map(|i| keccak256((i as u64).to_be_bytes()))
            .collect()
    }

    #[test]
    fn single_transaction_root() {
        let h = hashes(1);
        assert_eq!(batch_root(&h).unwrap(), mix_count(leaf(h[0]), 1));
    }

    #[test]
    fn three_transactions_pad_with_zero() {
        let h = hashes(3);
        let expected = mix_count(
            node(node(leaf(h[0]), leaf(h[1])), node(leaf(h[2]), B256::ZERO)),
            3,
        );
        assert_eq!(batch_root(&h).unwrap(), expected);
    }

    #[test]
    fn five_transactions_zero_subtree() {
        // The empty right half of the top level is bytes32(0), not a hash of zeros.
        let h = hashes(5);
        let left = node(node(leaf(h[0]), leaf(h[1])), node(leaf(h[2]), leaf(h[3])));
        let right = node(node(leaf(h[4]), B256::ZERO), B256::ZERO);
        assert_eq!(batch_root(&h).unwrap(), mix_count(node(left, right), 5));
    }

    #[test]
    fn size_limits() {
        assert_eq!(batch_root(&[]), Err(BadBatchSize { count: 0 }));
        assert!(BatchTree::new(&vec![B256::ZERO; MAX_BATCH_TXS + 1]).is_err());
    }

    #[test]
    fn malformed_proofs_are_typed_errors() {
        let h = hashes(6);
        let tree = BatchTree::new(&h).unwrap();
        let proof = tree.prove(Position(4)).unwrap();
        assert_eq!(proof.verify(h[4], tree.root()), Ok(()));
        assert!(tree.prove(Position(6)).is_none());

        let mut bad = proof.clone();
        bad.position = Position(6);
        assert!(matches!(
            bad.verify(h[4], tree.root()),
            Err(PositionProofError::PositionOutOfRange { .. })
        ));
        let mut bad = proof.clone();
        bad.count = 0;
        assert!(matches!(
            bad.verify(h[4], tree.root()),
            Err(PositionProofError::BadCount { .. })
        ));
        let mut bad = proof.clone();
        bad.siblings.pop();
        assert!(matches!(
            bad.verify(h[4], tree.root()),
            Err(PositionProofError::WrongSiblingCount { .. })
        ));
        let mut bad = proof.clone();
        bad.siblings[1] = B256::repeat_byte(7);
        assert!(matches!(
            bad.verify(h[4], tree.root()),
            Err(PositionProofError::RootMismatch { .. })
        ));
        // Right proof, wrong transaction.
        assert!(matches!(
            proof.verify(h[3], tree.root()),
            Err(PositionProofError::RootMismatch { .. })
        ));
        // Count is bound: the same siblings under a claimed larger batch fail.
        let mut bad = proof;
        bad.count = 7;
        assert!(matches!(
            bad.verify(h[4], tree.root()),
            Err(PositionProofError::RootMismatch { .. })
        ));
    }

    proptest! {
        #[test]
        fn every_position_proves(n in 1usize..300, seed in any::<u64>()) {
            let h: Vec<B256> = (0..n).map(|i| keccak256([seed.to_be_bytes(), (i as u64).to_be_bytes()].concat())).collect();
            let tree = BatchTree::new(&h).unwrap();
            for (i, tx) in h.iter().enumerate() {
                let proof = tree.prove(Position(i as u64)).unwrap();
                prop_assert_eq!(proof.siblings.len(), depth(n));
                prop_assert_eq!(proof.verify(*tx, tree.root()), Ok(()));
            }
        }
    }
}
