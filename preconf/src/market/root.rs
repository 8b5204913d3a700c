//! The bids root: the batch tree of [`crate::batch`] (leaf `keccak256(0x00 ‖ h)`, node
//! `keccak256(0x01 ‖ l ‖ r)`, count mixed in) over the receipts' EIP-712 struct hashes in
//! `seq` order, so receipt `seq = s` is leaf `s`. An auction without receipts has the root
//! `bytes32(0)` and `bidCount = 0`.

use alloy_primitives::B256;

use crate::{
    batch::{BadBatchSize, BatchTree, PositionProof},
    types::Position,
};

/// The bids root and its proofs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidsTree(Option<BatchTree>);

impl BidsTree {
    /// The tree over receipt struct hashes, in `seq` order (none: the empty tree).
    pub fn new(receipt_hashes: &[B256]) -> Result<Self, BadBatchSize> {
        if receipt_hashes.is_empty() {
            return Ok(Self(None));
        }
        BatchTree::new(receipt_hashes).map(|tree| Self(Some(tree)))
    }

    /// The root the clearing signs (`bytes32(0)` when empty).
    pub fn root(&self) -> B256 {
        self.0.as_ref().map_or(B256::ZERO, BatchTree::root)
    }

    /// Number of receipts (the clearing's `bidCount`).
    pub fn count(&self) -> usize {
        self.0.as_ref().map_or(0, BatchTree::count)
    }

    /// The proof that leaf `seq` holds its receipt's struct hash; `None` when
    /// `seq >= count`.
    pub fn prove(&self, seq: u32) -> Option<PositionProof> {
        self.0.as_ref()?.prove(Position(u64::from(seq)))
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;

    use super::*;
    use crate::batch::batch_root;

    #[test]
    fn empty_and_nonempty() {
        let empty = BidsTree::new(&[]).unwrap();
        assert_eq!((empty.root(), empty.count()), (B256::ZERO, 0));
        assert!(empty.prove(0).is_none());
        let h: Vec<B256> = (0..5u8).map(|i| keccak256([i])).collect();
        let tree = BidsTree::new(&h).unwrap();
        assert_eq!(tree.root(), batch_root(&h).unwrap());
        assert_eq!(tree.count(), 5);
        tree.prove(4).unwrap().verify(h[4], tree.root()).unwrap();
        assert!(tree.prove(5).is_none());
    }
}
