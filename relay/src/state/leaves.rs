//! SSZ leaves of transactions already seen (step ⑤). A builder resubmits its block many
//! times a slot, mostly with the same transactions; each transaction's leaf (about 36
//! SHA-256 compressions) is computed once and found again by the transaction's bytes.
//! Keyed by the full bytes (the map's randomly keyed SipHash only picks the bucket), so a
//! crafted transaction can never take another's leaf. Bounded: emptied when full.

use std::{collections::HashMap, sync::RwLock};

use alloy_primitives::B256;
use baton_preconf::ssz::transaction_leaf;

/// Most transaction bytes kept (a few slots of large blocks from many builders).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;

/// Leaves by transaction bytes.
type Leaves = HashMap<Box<[u8]>, B256>;

/// The cache, and the transaction bytes it holds.
#[derive(Debug, Default)]
pub struct LeafCache {
    by_bytes: RwLock<(Leaves, usize)>,
}

impl LeafCache {
    /// The leaf of every transaction, in order.
    pub fn leaves<T: AsRef<[u8]>>(&self, txs: &[T]) -> Vec<B256> {
        let mut leaves: Vec<Option<B256>> = match self.by_bytes.read() {
            Ok(map) => txs.iter().map(|t| map.0.get(t.as_ref()).copied()).collect(),
            Err(_) => vec![None; txs.len()],
        };
        let mut fresh = Vec::new();
        for (i, leaf) in leaves.iter_mut().enumerate() {
            if leaf.is_none() {
                let computed = transaction_leaf(txs[i].as_ref());
                *leaf = Some(computed);
                fresh.push((Box::<[u8]>::from(txs[i].as_ref()), computed));
            }
        }
        if !fresh.is_empty()
            && let Ok(mut guard) = self.by_bytes.write()
        {
            let (map, bytes) = &mut *guard;
            let adding: usize = fresh.iter().map(|(tx, _)| tx.len()).sum();
            if *bytes + adding > MAX_BYTES {
                map.clear();
                *bytes = 0;
            }
            *bytes += adding;
            map.extend(fresh);
        }
        leaves.into_iter().map(Option::unwrap_or_default).collect()
    }

    /// Forgets everything.
    pub fn clear(&self) {
        if let Ok(mut guard) = self.by_bytes.write() {
            *guard = (HashMap::new(), 0);
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
