//! What is auctioned: per-slot ordering rights ([`Product`]) and their stable ids
//! ([`ProductId`]), which Solidity recomputes as
//! `keccak256(abi.encode(uint8 kind, uint64[] rollups, uint16 positions))`.
//!
//! Every product claims the *top* positions of each rollup it names (a whole batch claims
//! all of them), so two products conflict exactly when they name a common rollup: both
//! claim that rollup's position 0.

use std::fmt;

use alloy_primitives::{B256, keccak256};
use alloy_sol_types::{SolType, sol_data};
use serde::{Deserialize, Serialize};

use crate::{
    commitment::Placement,
    types::{Position, RollupId},
};

/// Most transactions one bid may run, so also the most positions a product may claim.
pub const MAX_BID_TXS: usize = 64;
/// Fewest rollups in a cross-rollup bundle.
pub const MIN_BUNDLE_ROLLUPS: usize = 2;
/// Most rollups in a cross-rollup bundle.
pub const MAX_BUNDLE_ROLLUPS: usize = 8;

/// A product's stable id: `keccak256(abi.encode(uint8 kind, uint64[] rollups, uint16 positions))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProductId(pub B256);

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An ordering right in one slot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Product {
    /// Positions `0..positions` of `rollup`'s batch.
    #[serde(rename_all = "camelCase")]
    TopOfBatch {
        /// The rollup.
        rollup: RollupId,
        /// How many top positions (`1..=MAX_BID_TXS`).
        positions: u16,
    },
    /// The whole batch of `rollup`: the winner's transactions are the batch.
    #[serde(rename_all = "camelCase")]
    WholeBatch {
        /// The rollup.
        rollup: RollupId,
    },
    /// Positions `0..positions` of each named rollup at once (atomic: every batch of a
    /// slot lands in the same L1 block).
    #[serde(rename_all = "camelCase")]
    Bundle {
        /// The rollups, strictly ascending, `MIN_BUNDLE_ROLLUPS..=MAX_BUNDLE_ROLLUPS` of them.
        rollups: Vec<RollupId>,
        /// Top positions per rollup (`>= 1`, and `positions * rollups.len() <= MAX_BID_TXS`).
        positions: u16,
    },
}

/// Why a product is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProductError {
    /// A top-of-batch or bundle product claims no positions.
    #[error("a product must claim at least one position")]
    ZeroPositions,
    /// More positions than one bid may fill.
    #[error("product claims {total} positions, the limit is {max}", max = MAX_BID_TXS)]
    TooManyPositions {
        /// Positions claimed over all rollups.
        total: usize,
    },
    /// A bundle names too few or too many rollups.
    #[error("a bundle names {min} to {max} rollups, not {count}", min = MIN_BUNDLE_ROLLUPS, max = MAX_BUNDLE_ROLLUPS)]
    BundleSize {
        /// Rollups named.
        count: usize,
    },
    /// A bundle's rollups are not strictly ascending (so one product has one id).
    #[error(
        "bundle rollup {index} ({rollup}) does not follow {previous} in strictly ascending order"
    )]
    BundleNotAscending {
        /// Index of the offending rollup.
        index: usize,
        /// The rollup before it.
        previous: RollupId,
        /// The offending rollup.
        rollup: RollupId,
    },
}

impl Product {
    /// The `uint8 kind` of the id: 0 top of batch, 1 whole batch, 2 bundle.
    pub const fn kind_code(&self) -> u8 {
        match self {
            Self::TopOfBatch { .. } => 0,
            Self::WholeBatch { .. } => 1,
            Self::Bundle { .. } => 2,
        }
    }

    /// The rollups whose positions the product claims, ascending.
    pub fn rollups(&self) -> &[RollupId] {
        match self {
            Self::TopOfBatch { rollup, .. } | Self::WholeBatch { rollup } => {
                std::slice::from_ref(rollup)
            }
            Self::Bundle { rollups, .. } => rollups,
        }
    }

    /// The `uint16 positions` of the id (0 for a whole batch).
    pub const fn positions(&self) -> u16 {
        match self {
            Self::TopOfBatch { positions, .. } | Self::Bundle { positions, .. } => *positions,
            Self::WholeBatch { .. } => 0,
        }
    }

    /// Checks the bounds above.
    pub fn check(&self) -> Result<(), ProductError> {
        let per_rollup = match self {
            Self::WholeBatch { .. } => return Ok(()),
            Self::TopOfBatch { positions, .. } => usize::from(*positions),
            Self::Bundle { rollups, positions } => {
                if !(MIN_BUNDLE_ROLLUPS..=MAX_BUNDLE_ROLLUPS).contains(&rollups.len()) {
                    return Err(ProductError::BundleSize {
                        count: rollups.len(),
                    });
                }
                for (index, pair) in rollups.windows(2).enumerate() {
                    if pair[0] >= pair[1] {
                        return Err(ProductError::BundleNotAscending {
                            index: index + 1,
                            previous: pair[0],
                            rollup: pair[1],
                        });
                    }
                }
                usize::from(*positions)
            }
        };
        if per_rollup == 0 {
            return Err(ProductError::ZeroPositions);
        }
        let total = per_rollup * self.rollups().len();
        if total > MAX_BID_TXS {
            return Err(ProductError::TooManyPositions { total });
        }
        Ok(())
    }

    /// The stable id (computed for any product; [`Self::check`] says whether it is valid).
    pub fn id(&self) -> ProductId {
        let rollups: Vec<u64> = self.rollups().iter().map(|r| r.0).collect();
        let encoded = <(
            sol_data::Uint<8>,
            sol_data::Array<sol_data::Uint<64>>,
            sol_data::Uint<16>,
        )>::abi_encode_params(&(self.kind_code(), rollups, self.positions()));
        ProductId(keccak256(encoded))
    }

    /// Whether the two products claim a common position (they name a common rollup).
    pub fn conflicts_with(&self, other: &Self) -> bool {
        let (a, b) = (self.rollups(), other.rollups());
        a.iter().any(|r| b.contains(r))
    }

    /// How many transactions a bid for this product runs: exactly
    /// `positions * rollups` for top-of-batch and bundle products, `1..=MAX_BID_TXS` for a
    /// whole batch. Returns `(min, max)`.
    pub fn tx_count_range(&self) -> (usize, usize) {
        match self {
            Self::WholeBatch { .. } => (1, MAX_BID_TXS),
            _ => {
                let n = usize::from(self.positions()) * self.rollups().len();
                (n, n)
            }
        }
    }

    /// The sequencing placements a winning bid becomes: its transaction hashes at positions
    /// `0, 1, …` of each rollup in order (a bundle fills rollup by rollup). `tx_hashes` must
    /// fit [`Self::tx_count_range`] (a checked bid's do).
    pub fn placements(&self, tx_hashes: &[B256]) -> Vec<Placement> {
        let per_rollup = match self {
            Self::WholeBatch { .. } => tx_hashes.len(),
            _ => usize::from(self.positions()),
        };
        if per_rollup == 0 {
            return Vec::new();
        }
        self.rollups()
            .iter()
            .zip(tx_hashes.chunks(per_rollup))
            .flat_map(|(rollup, chunk)| {
                chunk
                    .iter()
                    .enumerate()
                    .map(move |(position, tx_hash)| Placement {
                        rollup_id: *rollup,
                        position: Position(position as u64),
                        tx_hash: *tx_hash,
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;

    use super::*;

    fn word(v: u64) -> [u8; 32] {
        U256::from(v).to_be_bytes()
    }

    #[test]
    fn id_is_solidity_abi_encode() {
        // abi.encode(uint8 2, uint64[] [3, 9], uint16 4), written out by hand.
        let mut expected = Vec::new();
        for w in [2, 0x60, 4, 2, 3, 9] {
            expected.extend_from_slice(&word(w));
        }
        let bundle = Product::Bundle {
            rollups: vec![RollupId(3), RollupId(9)],
            positions: 4,
        };
        assert_eq!(bundle.id(), ProductId(keccak256(&expected)));
        let whole = Product::WholeBatch {
            rollup: RollupId(7),
        };
        let mut expected = Vec::new();
        for w in [1, 0x60, 0, 1, 7] {
            expected.extend_from_slice(&word(w));
        }
        assert_eq!(whole.id(), ProductId(keccak256(&expected)));
        // Kinds and counts are bound.
        let top = Product::TopOfBatch {
            rollup: RollupId(7),
            positions: 1,
        };
        assert_ne!(top.id(), whole.id());
    }

    #[test]
    fn bounds() {
        let top = |positions| Product::TopOfBatch {
            rollup: RollupId(1),
            positions,
        };
        assert_eq!(top(1).check(), Ok(()));
        assert_eq!(top(64).check(), Ok(()));
        assert_eq!(top(0).check(), Err(ProductError::ZeroPositions));
        assert_eq!(
            top(65).check(),
            Err(ProductError::TooManyPositions { total: 65 })
        );
        let bundle = |rollups: &[u64], positions| Product::Bundle {
            rollups: rollups.iter().copied().map(RollupId).collect(),
            positions,
        };
        assert_eq!(bundle(&[1, 2], 32).check(), Ok(()));
        assert_eq!(
            bundle(&[1, 2], 33).check(),
            Err(ProductError::TooManyPositions { total: 66 })
        );
        assert_eq!(bundle(&[1, 2], 0).check(), Err(ProductError::ZeroPositions));
        assert_eq!(
            bundle(&[1], 1).check(),
            Err(ProductError::BundleSize { count: 1 })
        );
        assert_eq!(
            bundle(&[1, 2, 3, 4, 5, 6, 7, 8, 9], 1).check(),
            Err(ProductError::BundleSize { count: 9 })
        );
        assert_eq!(
            bundle(&[1, 3, 3], 1).check(),
            Err(ProductError::BundleNotAscending {
                index: 2,
                previous: RollupId(3),
                rollup: RollupId(3)
            })
        );
        assert!(matches!(
            bundle(&[2, 1], 1).check(),
            Err(ProductError::BundleNotAscending { index: 1, .. })
        ));
        assert_eq!(
            Product::WholeBatch {
                rollup: RollupId(5)
            }
            .check(),
            Ok(())
        );
    }

    #[test]
    fn conflicts_are_shared_rollups() {
        let top_r2 = Product::TopOfBatch {
            rollup: RollupId(1),
            positions: 2,
        };
        let bundle_rs = Product::Bundle {
            rollups: vec![RollupId(1), RollupId(2)],
            positions: 1,
        };
        let whole_r = Product::WholeBatch {
            rollup: RollupId(1),
        };
        let top_s = Product::TopOfBatch {
            rollup: RollupId(2),
            positions: 5,
        };
        let top_t = Product::TopOfBatch {
            rollup: RollupId(3),
            positions: 5,
        };
        for (a, b) in [
            (&top_r2, &bundle_rs),
            (&top_r2, &whole_r),
            (&bundle_rs, &whole_r),
            (&bundle_rs, &top_s),
        ] {
            assert!(a.conflicts_with(b) && b.conflicts_with(a));
        }
        assert!(!top_r2.conflicts_with(&top_s));
        assert!(!bundle_rs.conflicts_with(&top_t));
    }

    #[test]
    fn placements_fill_rollup_by_rollup() {
        let h: Vec<B256> = (0..4u8).map(B256::repeat_byte).collect();
        let bundle = Product::Bundle {
            rollups: vec![RollupId(4), RollupId(6)],
            positions: 2,
        };
        assert_eq!(bundle.tx_count_range(), (4, 4));
        let got: Vec<(u64, u64, B256)> = bundle
            .placements(&h)
            .iter()
            .map(|p| (p.rollup_id.0, p.position.0, p.tx_hash))
            .collect();
        assert_eq!(
            got,
            vec![(4, 0, h[0]), (4, 1, h[1]), (6, 0, h[2]), (6, 1, h[3])]
        );
        let whole = Product::WholeBatch {
            rollup: RollupId(9),
        };
        assert_eq!(whole.tx_count_range(), (1, MAX_BID_TXS));
        assert_eq!(whole.placements(&h[..3]).len(), 3);
        assert!(whole.placements(&[]).is_empty());
    }

    #[test]
    fn json_shape() {
        let bundle = Product::Bundle {
            rollups: vec![RollupId(1), RollupId(2)],
            positions: 3,
        };
        let json = serde_json::to_value(&bundle).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "bundle", "rollups": ["1", "2"], "positions": 3})
        );
        assert_eq!(serde_json::from_value::<Product>(json).unwrap(), bundle);
        let top: Product =
            serde_json::from_str(r#"{"kind":"topOfBatch","rollup":"7","positions":1}"#).unwrap();
        assert_eq!(top.rollups(), &[RollupId(7)]);
    }
}
