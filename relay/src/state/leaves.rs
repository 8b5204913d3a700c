//! SSZ leaves of transactions already seen (step ⑤). A builder resubmits its block many
//! times a slot, mostly with the same transactions; each transaction's leaf (about 36
//! SHA-256 compressions) is computed once and found again by its keccak256 (one
//! permutation per 136 bytes). Keyed by a collision-resistant hash, so a crafted
//! transaction cannot take another's leaf. Bounded: emptied when full.

use std::{collections::HashMap, sync::RwLock};

use alloy_primitives::{B256, keccak256};
use baton_preconf::ssz::transaction_leaf;

/// Most leaves kept (a few slots of large blocks from many builders).
pub const MAX_LEAVES: usize = 200_000;

/// The cache.
#[derive(Debug, Default)]
pub struct LeafCache {
    by_hash: RwLock<HashMap<B256, B256>>,
}

impl LeafCache {
    /// The leaf of every transaction, in order.
    pub fn leaves<T: AsRef<[u8]>>(&self, txs: &[T]) -> Vec<B256> {
        let hashes: Vec<B256> = txs.iter().map(|t| keccak256(t.as_ref())).collect();
        let mut leaves: Vec<Option<B256>> = match self.by_hash.read() {
            Ok(map) => hashes.iter().map(|h| map.get(h).copied()).collect(),
            Err(_) => vec![None; txs.len()],
        };
        let mut fresh = Vec::new();
        for (i, leaf) in leaves.iter_mut().enumerate() {
            if leaf.is_none() {
                let computed = transaction_leaf(txs[i].as_ref());
                *leaf = Some(computed);
                fresh.push((hashes[i], computed));
            }
        }
        if !fresh.is_empty()
            && let Ok(mut map) = self.by_hash.write()
        {
            if map.len() + fresh.len() > MAX_LEAVES {
                map.clear();
            }
            map.extend(fresh);
        }
        leaves.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut map) = self.by_hash.write() {
            map.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cached_leaves_equal_computed_ones() {
        let cache = LeafCache::default();
        let txs: Vec<Vec<u8>> = (0..20).map(|i| vec![i as u8; 10 + i * 40]).collect();
        let first = cache.leaves(&txs);
        let expected: Vec<B256> = txs.iter().map(|t| transaction_leaf(t)).collect();
        assert_eq!(first, expected);
        let mut mixed = txs;
        mixed.push(b"new".to_vec());
        mixed.swap(0, 5);
        let again = cache.leaves(&mixed);
        let expected: Vec<B256> = mixed.iter().map(|t| transaction_leaf(t)).collect();
        assert_eq!(again, expected);
    }
}
