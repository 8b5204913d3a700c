//! SSZ multiproofs (consensus-specs `ssz/merkle-proofs.md`): one proof that several
//! leaves sit at given generalized indices under a root, and its Baton use: constrained
//! transactions inside a payload's `transactions_root`.

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{B256, Bytes};
use serde::{Deserialize, Serialize};

use super::transactions::{
    MAX_TRANSACTIONS_PER_PAYLOAD, TRANSACTIONS_DEPTH, TransactionsTree, sha256_pair,
    transaction_leaf,
};

/// Most leaves one inclusion proof may carry (more than any slot's constraints).
pub const MAX_PROOF_LEAVES: usize = 1024;
const FIRST_TX_GINDEX: u64 = 1 << (TRANSACTIONS_DEPTH + 1);

/// Why a multiproof was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MultiProofError {
    /// No leaves.
    #[error("proof has no leaves")]
    Empty,
    /// Too many leaves.
    #[error("proof has {count} leaves, the limit is {max}", max = MAX_PROOF_LEAVES)]
    TooManyLeaves {
        /// Leaves given.
        count: usize,
    },
    /// Leaves, indices (and hashes) have different lengths.
    #[error("proof has {leaves} leaves but {indices} indices")]
    LengthMismatch {
        /// Leaves (or transaction hashes) given.
        leaves: usize,
        /// Indices given.
        indices: usize,
    },
    /// An index is not a transaction leaf, or is zero.
    #[error("generalized index {gindex} is not a transaction leaf")]
    BadIndex {
        /// The index.
        gindex: u64,
    },
    /// The same index twice.
    #[error("generalized index {gindex} appears twice")]
    DuplicateIndex {
        /// The index.
        gindex: u64,
    },
    /// Wrong number of helper hashes.
    #[error("proof needs {expected} helper hashes, got {got}")]
    WrongHelperCount {
        /// Hashes needed.
        expected: usize,
        /// Hashes given.
        got: usize,
    },
    /// A transaction the proof names is not one we know the bytes of.
    #[error("proof names transaction {hash}, which is not among the constrained transactions")]
    UnknownTransaction {
        /// The hash.
        hash: B256,
    },
    /// A constrained transaction is missing from the proof.
    #[error("constrained transaction {hash} is not proven")]
    MissingTransaction {
        /// The hash.
        hash: B256,
    },
    /// Well-formed, but the computed root differs.
    #[error("multiproof root {computed} does not match transactions_root {expected}")]
    RootMismatch {
        /// Root computed.
        computed: B256,
        /// Root expected.
        expected: B256,
    },
}

fn sibling(g: u64) -> u64 {
    g ^ 1
}

/// The helper indices a multiproof for `indices` needs, largest first (the order the
/// helper hashes travel in). Callers bound the indices.
pub fn helper_indices(indices: &[u64]) -> Vec<u64> {
    let mut branch = BTreeSet::new();
    let mut path = BTreeSet::new();
    for &g in indices {
        let mut node = g;
        while node > 1 {
            branch.insert(sibling(node));
            path.insert(node);
            node /= 2;
        }
    }
    let mut helpers: Vec<u64> = branch.difference(&path).copied().collect();
    helpers.reverse();
    helpers
}

/// `calculate_multi_merkle_root`: the root implied by `leaves` at `indices` and the
/// helper hashes `proof` (in [`helper_indices`] order). Errors on malformed input.
pub fn calculate_multi_merkle_root(
    leaves: &[B256],
    proof: &[B256],
    indices: &[u64],
) -> Result<B256, MultiProofError> {
    if leaves.len() != indices.len() {
        return Err(MultiProofError::LengthMismatch {
            leaves: leaves.len(),
            indices: indices.len(),
        });
    }
    if leaves.is_empty() {
        return Err(MultiProofError::Empty);
    }
    if leaves.len() > MAX_PROOF_LEAVES {
        return Err(MultiProofError::TooManyLeaves {
            count: leaves.len(),
        });
    }
    if indices.contains(&0) {
        return Err(MultiProofError::BadIndex { gindex: 0 });
    }
    let depth = depth_of(indices[0]);
    if indices.iter().all(|&g| depth_of(g) == depth) {
        return root_from_one_depth(leaves, proof, indices);
    }
    root_by_walk(leaves, proof, indices)
}

/// Depth of a (non-zero) generalized index: 0 for the root.
fn depth_of(g: u64) -> u32 {
    63 - g.leading_zeros()
}

/// [`calculate_multi_merkle_root`] when every leaf sits at one depth (a block's
/// transactions): level by level over sorted vectors, each level's helpers the next
/// run of `proof` (largest index first, so deeper levels come first). The same answer
/// as [`root_by_walk`], without a map of every node: the relay runs this on every
/// block it is sent.
fn root_from_one_depth(
    leaves: &[B256],
    proof: &[B256],
    indices: &[u64],
) -> Result<B256, MultiProofError> {
    let wrong_count = || MultiProofError::WrongHelperCount {
        expected: helper_indices(indices).len(),
        got: proof.len(),
    };
    let mut level: Vec<(u64, B256)> = indices
        .iter()
        .copied()
        .zip(leaves.iter().copied())
        .collect();
    level.sort_unstable_by_key(|(g, _)| *g);
    if let Some(pair) = level.windows(2).find(|pair| pair[0].0 == pair[1].0) {
        return Err(MultiProofError::DuplicateIndex { gindex: pair[0].0 });
    }
    let mut used = 0;
    let mut parents = Vec::with_capacity(level.len());
    while level[0].0 > 1 {
        // Nodes whose sibling is not on the level take a helper; this level's helpers are
        // the next `missing` hashes of the proof, largest index first.
        let mut missing = 0;
        let mut i = 0;
        while i < level.len() {
            let paired = has_sibling_next(&level, i);
            missing += usize::from(!paired);
            i += if paired { 2 } else { 1 };
        }
        let helpers = proof.get(used..used + missing).ok_or_else(wrong_count)?;
        let mut next_helper = helpers.iter().rev();
        parents.clear();
        let mut i = 0;
        while i < level.len() {
            let (g, hash) = level[i];
            let paired = has_sibling_next(&level, i);
            let parent = if paired {
                i += 2;
                sha256_pair(&hash, &level[i - 1].1)
            } else {
                i += 1;
                let helper = next_helper.next().ok_or_else(wrong_count)?;
                if g.is_multiple_of(2) {
                    sha256_pair(&hash, helper)
                } else {
                    sha256_pair(helper, &hash)
                }
            };
            parents.push((g / 2, parent));
        }
        used += missing;
        std::mem::swap(&mut level, &mut parents);
    }
    if used != proof.len() {
        return Err(wrong_count());
    }
    Ok(level[0].1)
}

/// Whether the node at `i` of a sorted level is a left child whose sibling follows it.
fn has_sibling_next(level: &[(u64, B256)], i: usize) -> bool {
    let g = level[i].0;
    g.is_multiple_of(2) && level.get(i + 1).is_some_and(|next| next.0 == g + 1)
}

/// [`calculate_multi_merkle_root`] for leaves at any depths: the specification's walk
/// over a map of every node.
fn root_by_walk(leaves: &[B256], proof: &[B256], indices: &[u64]) -> Result<B256, MultiProofError> {
    let mut seen = BTreeSet::new();
    for &g in indices {
        if g == 0 {
            return Err(MultiProofError::BadIndex { gindex: g });
        }
        if !seen.insert(g) {
            return Err(MultiProofError::DuplicateIndex { gindex: g });
        }
    }
    // An index that is an ancestor of another makes the proof ambiguous.
    for &g in indices {
        let mut node = g / 2;
        while node >= 1 {
            if seen.contains(&node) {
                return Err(MultiProofError::BadIndex { gindex: node });
            }
            node /= 2;
        }
    }
    let helpers = helper_indices(indices);
    if helpers.len() != proof.len() {
        return Err(MultiProofError::WrongHelperCount {
            expected: helpers.len(),
            got: proof.len(),
        });
    }
    let mut nodes: HashMap<u64, B256> = HashMap::with_capacity(leaves.len() * 2 + proof.len());
    nodes.extend(indices.iter().copied().zip(leaves.iter().copied()));
    nodes.extend(helpers.iter().copied().zip(proof.iter().copied()));
    let mut keys: Vec<u64> = nodes.keys().copied().collect();
    keys.sort_unstable_by(|a, b| b.cmp(a));
    let mut pos = 0;
    while pos < keys.len() {
        let k = keys[pos];
        if k > 1
            && !nodes.contains_key(&(k / 2))
            && let (Some(left), Some(right)) = (nodes.get(&(k & !1)), nodes.get(&(k | 1)))
        {
            let parent = sha256_pair(left, right);
            nodes.insert(k / 2, parent);
            keys.push(k / 2);
        }
        pos += 1;
    }
    nodes
        .get(&1)
        .copied()
        .ok_or(MultiProofError::WrongHelperCount {
            expected: helpers.len(),
            got: proof.len(),
        })
}

/// Proof that transactions sit in a payload: the wire form builders and relays send
/// (`transaction_hashes`, `generalized_indexes`, `merkle_hashes`), indices relative to
/// `transactions_root`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionMultiProof {
    /// Hash of each proven transaction, in the order of `generalized_indexes`.
    pub transaction_hashes: Vec<B256>,
    /// Generalized index of each transaction's leaf (`2^21 + index in block`).
    pub generalized_indexes: Vec<u64>,
    /// Helper hashes, largest generalized index first.
    pub merkle_hashes: Vec<B256>,
}

impl InclusionMultiProof {
    /// Proves the transactions at `positions` of `tree`, naming them by `hashes`.
    pub fn generate(
        tree: &TransactionsTree,
        items: &[(B256, usize)],
    ) -> Result<Self, MultiProofError> {
        if items.is_empty() {
            return Err(MultiProofError::Empty);
        }
        if items.len() > MAX_PROOF_LEAVES {
            return Err(MultiProofError::TooManyLeaves { count: items.len() });
        }
        let mut generalized_indexes = Vec::with_capacity(items.len());
        for &(_, position) in items {
            if position >= tree.len() {
                return Err(MultiProofError::BadIndex {
                    gindex: FIRST_TX_GINDEX + position as u64,
                });
            }
            generalized_indexes.push(FIRST_TX_GINDEX + position as u64);
        }
        let merkle_hashes = helper_indices(&generalized_indexes)
            .into_iter()
            .map(|g| tree.node(g).ok_or(MultiProofError::BadIndex { gindex: g }))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            transaction_hashes: items.iter().map(|(h, _)| *h).collect(),
            generalized_indexes,
            merkle_hashes,
        })
    }

    /// Checks that every constrained transaction (hash and canonical bytes) is proven
    /// under `transactions_root`, and that the proof names nothing else.
    pub fn verify(
        &self,
        transactions_root: B256,
        constrained: &[(B256, Bytes)],
    ) -> Result<(), MultiProofError> {
        let leaves: Vec<(B256, B256)> = constrained
            .iter()
            .map(|(hash, bytes)| (*hash, transaction_leaf(bytes)))
            .collect();
        self.verify_leaves(transactions_root, &leaves)
    }

    /// [`Self::verify`] with each constrained transaction given as `(hash, leaf)`, its
    /// leaf precomputed with [`transaction_leaf`] (a relay computes them once per slot,
    /// not once per block).
    pub fn verify_leaves(
        &self,
        transactions_root: B256,
        constrained: &[(B256, B256)],
    ) -> Result<(), MultiProofError> {
        let count = self.transaction_hashes.len();
        if count > MAX_PROOF_LEAVES {
            return Err(MultiProofError::TooManyLeaves { count });
        }
        if count != self.generalized_indexes.len() {
            return Err(MultiProofError::LengthMismatch {
                leaves: count,
                indices: self.generalized_indexes.len(),
            });
        }
        for &g in &self.generalized_indexes {
            if !(FIRST_TX_GINDEX..FIRST_TX_GINDEX + MAX_TRANSACTIONS_PER_PAYLOAD as u64)
                .contains(&g)
            {
                return Err(MultiProofError::BadIndex { gindex: g });
            }
        }
        let known: HashMap<B256, B256> = constrained.iter().copied().collect();
        let mut leaves = Vec::with_capacity(count);
        for hash in &self.transaction_hashes {
            let leaf = known
                .get(hash)
                .ok_or(MultiProofError::UnknownTransaction { hash: *hash })?;
            leaves.push(*leaf);
        }
        let proven: BTreeSet<B256> = self.transaction_hashes.iter().copied().collect();
        if let Some((hash, _)) = constrained.iter().find(|(h, _)| !proven.contains(h)) {
            return Err(MultiProofError::MissingTransaction { hash: *hash });
        }
        let computed =
            calculate_multi_merkle_root(&leaves, &self.merkle_hashes, &self.generalized_indexes)?;
        if computed == transactions_root {
            Ok(())
        } else {
            Err(MultiProofError::RootMismatch {
                computed,
                expected: transactions_root,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;
    use ssz_rs::is_valid_merkle_branch;

    use super::*;

    fn block(n: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| Bytes::from(vec![(i % 251) as u8; 50 + (i * 13) % 300]))
            .collect()
    }

    fn constrained(txs: &[Bytes], positions: &[usize]) -> Vec<(B256, Bytes)> {
        positions
            .iter()
            .map(|&p| (keccak256(&txs[p]), txs[p].clone()))
            .collect()
    }

    fn prove_and_verify(n: usize, positions: &[usize]) {
        let txs = block(n);
        let tree = TransactionsTree::new(&txs).unwrap();
        let items: Vec<(B256, usize)> =
            positions.iter().map(|&p| (keccak256(&txs[p]), p)).collect();
        let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
        proof
            .verify(tree.root(), &constrained(&txs, positions))
            .unwrap();
        // A single-leaf multiproof is exactly the ordinary branch.
        if positions.len() == 1 {
            let leaf = ssz_rs::Node::try_from(tree.leaf(positions[0]).unwrap().as_slice()).unwrap();
            let branch: Vec<ssz_rs::Node> = proof
                .merkle_hashes
                .iter()
                .map(|h| ssz_rs::Node::try_from(h.as_slice()).unwrap())
                .collect();
            let root = ssz_rs::Node::try_from(tree.root().as_slice()).unwrap();
            assert!(is_valid_merkle_branch(
                &leaf,
                branch.iter(),
                TRANSACTIONS_DEPTH + 1,
                positions[0],
                &root
            ));
        }
    }

    #[test]
    fn one_two_three_seven_and_128_leaves() {
        prove_and_verify(500, &[0]);
        prove_and_verify(500, &[499]);
        prove_and_verify(500, &[3, 4]);
        prove_and_verify(500, &[1, 250, 498]);
        prove_and_verify(500, &[0, 1, 2, 63, 64, 300, 499]);
        prove_and_verify(500, &(0..128).map(|i| i * 3 + 1).collect::<Vec<_>>());
        prove_and_verify(3, &[0, 1, 2]);
        prove_and_verify(1, &[0]);
    }

    #[test]
    fn tampering_is_caught() {
        let txs = block(20);
        let tree = TransactionsTree::new(&txs).unwrap();
        let positions = [2, 5, 11];
        let items: Vec<(B256, usize)> =
            positions.iter().map(|&p| (keccak256(&txs[p]), p)).collect();
        let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
        let known = constrained(&txs, &positions);

        let mut bad = proof.clone();
        bad.merkle_hashes[0] = B256::repeat_byte(1);
        assert!(matches!(
            bad.verify(tree.root(), &known),
            Err(MultiProofError::RootMismatch { .. })
        ));
        let mut bad = proof.clone();
        bad.merkle_hashes.pop();
        assert!(matches!(
            bad.verify(tree.root(), &known),
            Err(MultiProofError::WrongHelperCount { .. })
        ));
        let mut bad = proof.clone();
        bad.generalized_indexes[0] += 1; // claims another position
        assert!(bad.verify(tree.root(), &known).is_err());
        let mut bad = proof.clone();
        bad.generalized_indexes[1] = bad.generalized_indexes[0];
        assert!(matches!(
            bad.verify(tree.root(), &known),
            Err(MultiProofError::DuplicateIndex { .. })
        ));
        let mut bad = proof.clone();
        bad.generalized_indexes[0] = 5;
        assert!(matches!(
            bad.verify(tree.root(), &known),
            Err(MultiProofError::BadIndex { gindex: 5 })
        ));
        let mut bad = proof.clone();
        bad.transaction_hashes.pop();
        assert!(matches!(
            bad.verify(tree.root(), &known),
            Err(MultiProofError::LengthMismatch { .. })
        ));
        // A constrained transaction left out of the proof.
        let mut more = known.clone();
        more.push((keccak256(&txs[7]), txs[7].clone()));
        assert!(matches!(
            proof.verify(tree.root(), &more),
            Err(MultiProofError::MissingTransaction { .. })
        ));
        // A proof naming something we never constrained.
        assert!(matches!(
            proof.verify(tree.root(), &known[..2]),
            Err(MultiProofError::UnknownTransaction { .. })
        ));
        // Different bytes under the same hash (a substituted transaction).
        let mut swapped = known.clone();
        swapped[0].1 = Bytes::from_static(b"not the promised transaction");
        assert!(matches!(
            proof.verify(tree.root(), &swapped),
            Err(MultiProofError::RootMismatch { .. })
        ));
        // Wrong root.
        assert!(matches!(
            proof.verify(B256::ZERO, &known),
            Err(MultiProofError::RootMismatch { .. })
        ));
    }

    #[test]
    fn ancestors_and_oversize_rejected() {
        let leaves = vec![B256::ZERO; 2];
        assert!(matches!(
            calculate_multi_merkle_root(&leaves, &[], &[4, 2]),
            Err(MultiProofError::BadIndex { .. })
        ));
        let many = vec![B256::ZERO; MAX_PROOF_LEAVES + 1];
        let idx: Vec<u64> = (0..many.len() as u64)
            .map(|i| FIRST_TX_GINDEX + i)
            .collect();
        assert!(matches!(
            calculate_multi_merkle_root(&many, &[], &idx),
            Err(MultiProofError::TooManyLeaves { .. })
        ));
        assert!(matches!(
            calculate_multi_merkle_root(&[], &[], &[]),
            Err(MultiProofError::Empty)
        ));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(128))]

        /// The level-by-level root is the specification walk's, for honest proofs, for
        /// helpers missing, extra or changed, and for leaves in any order.
        #[test]
        fn the_level_walk_agrees_with_the_specification(
            n in 1usize..300,
            picks in proptest::collection::vec(0usize..300, 1..40),
            tamper in 0u8..4,
            reversed: bool,
        ) {
            let txs = block(n);
            let tree = TransactionsTree::new(&txs).unwrap();
            let mut positions: Vec<usize> = picks.iter().map(|p| p % n).collect();
            positions.sort_unstable();
            positions.dedup();
            let items: Vec<(B256, usize)> =
                positions.iter().map(|&p| (keccak256(&txs[p]), p)).collect();
            let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
            let mut leaves: Vec<B256> = positions.iter().map(|&p| tree.leaf(p).unwrap()).collect();
            let mut indices = proof.generalized_indexes.clone();
            if reversed {
                leaves.reverse();
                indices.reverse();
            }
            let mut helpers = proof.merkle_hashes;
            match tamper {
                1 => drop(helpers.pop()),
                2 => helpers.push(B256::repeat_byte(7)),
                3 => {
                    if let Some(first) = helpers.first_mut() {
                        *first = B256::repeat_byte(9);
                    }
                }
                _ => {}
            }
            let fast = root_from_one_depth(&leaves, &helpers, &indices);
            proptest::prop_assert_eq!(&fast, &root_by_walk(&leaves, &helpers, &indices));
            if tamper == 0 {
                proptest::prop_assert_eq!(fast, Ok(tree.root()));
            }
        }
    }
}
