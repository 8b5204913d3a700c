//! The sidecar's side of the ordering marketplace (`docs/marketplace.md`): what it offers in
//! each of its slots, the sealed bids it receipts, and the clearing at each auction's close.
//!
//! Data-flow steps: ① a bid arrives (`baton_submitBid`), ② it is checked
//! ([`baton_preconf::market::SignedBid::validate`] and L1/L2 state), ③ it is journaled and
//! only then receipted; at the close the auction is cleared, the clearing journaled and
//! signed, and the winners become ordinary promises (③) sealed with the slot (④).
//!
//! | file | what |
//! |---|---|
//! | `mod` | [`MarketConfig`]: the products offered (`--market.products`), the close, the fee recipient |
//! | `book` | [`AuctionBook`]: per slot, the receipted bids in `seq` order, the clearing and the awards' fate; replayed from the journal |
//! | `task` | [`run_auctions`]: closes and clears each auction at its time, then makes the winners' promises |
//!
//! The request logic (checks, journal, signatures) lives with the other promise paths in
//! `service::bids` and `service::awards`.

mod book;
mod task;

use std::{fmt, str::FromStr};

use alloy_primitives::{Address, B256, U256, keccak256};
use baton_preconf::{
    RollupId,
    market::{MAX_BUNDLE_ROLLUPS, MAX_PRODUCTS_PER_SLOT, Product, ProductId},
};

pub use book::{AuctionBook, AwardFate, AwardView, BookError, ClearingView};
pub use task::run_auctions;

/// The default `--market.close-ms`: auctions close this long before a slot's promise
/// deadline.
pub const DEFAULT_CLOSE_MS: u64 = 3_000;

/// One product offered in every owned slot, with its reserve price.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferedProduct {
    /// The ordering right.
    pub product: Product,
    /// Its id.
    pub id: ProductId,
    /// Lowest amount receipted, in wei (zero: no reserve).
    pub reserve: U256,
}

/// A `--market.products` item that cannot be offered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MarketConfigError {
    /// The text is not one of the three forms.
    #[error(
        "market product `{text}`: {reason} (write top:<rollup>:<k>, whole:<rollup> or bundle:<r1>+<r2>[+…]:<k>, each optionally @<reserve wei>)"
    )]
    Syntax {
        /// The item.
        text: String,
        /// What is wrong.
        reason: String,
    },
    /// The product breaks its bounds (positions, bundle size or order).
    #[error("market product `{text}`: {reason}")]
    Bounds {
        /// The item.
        text: String,
        /// The bound broken.
        reason: String,
    },
    /// A product names a rollup this sidecar does not sequence.
    #[error("market product `{text}` names rollup {rollup}, which this sidecar does not sequence")]
    UnknownRollup {
        /// The item.
        text: String,
        /// The rollup.
        rollup: u64,
    },
    /// The same product twice.
    #[error("market product `{text}` is listed twice")]
    Duplicate {
        /// The item.
        text: String,
    },
    /// Over [`MAX_PRODUCTS_PER_SLOT`].
    #[error("{count} market products, at most {max} are offered per slot", max = MAX_PRODUCTS_PER_SLOT)]
    TooMany {
        /// Products given.
        count: usize,
    },
    /// Products without a fee recipient for the payments.
    #[error("--market.products needs --market.fee-recipient (where winning payments go)")]
    NoFeeRecipient,
}

/// A product as written on the command line, checked for syntax and bounds (the rollups
/// are checked against the sequenced ones by [`MarketConfig::new`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub struct ProductSpec {
    text: String,
    offered: OfferedProduct,
}

impl fmt::Display for ProductSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for ProductSpec {
    type Error = MarketConfigError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl FromStr for ProductSpec {
    type Err = MarketConfigError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let text = s.trim().to_owned();
        let syntax = |reason: &str| MarketConfigError::Syntax {
            text: text.clone(),
            reason: reason.to_owned(),
        };
        let (body, reserve) = match text.split_once('@') {
            Some((body, reserve)) => (
                body,
                U256::from_str_radix(reserve.trim(), 10)
                    .map_err(|_| syntax("the reserve is not a decimal wei amount"))?,
            ),
            None => (text.as_str(), U256::ZERO),
        };
        let parts: Vec<&str> = body.split(':').map(str::trim).collect();
        let rollup = |t: &str| -> Result<RollupId, MarketConfigError> {
            match t.parse::<u64>() {
                Ok(id) if id > 0 => Ok(RollupId(id)),
                _ => Err(syntax("a rollup id is a number from 1")),
            }
        };
        let positions = |t: &str| -> Result<u16, MarketConfigError> {
            t.parse::<u16>()
                .map_err(|_| syntax("k is a number of positions"))
        };
        let product = match parts.as_slice() {
            ["top", r, k] => Product::TopOfBatch {
                rollup: rollup(r)?,
                positions: positions(k)?,
            },
            ["whole", r] => Product::WholeBatch { rollup: rollup(r)? },
            ["bundle", rollups, k] => {
                let named: Vec<&str> = rollups.split('+').collect();
                if named.len() > MAX_BUNDLE_ROLLUPS {
                    return Err(MarketConfigError::Bounds {
                        text: text.clone(),
                        reason: format!("a bundle names at most {MAX_BUNDLE_ROLLUPS} rollups"),
                    });
                }
                Product::Bundle {
                    rollups: named
                        .into_iter()
                        .map(|r| rollup(r.trim()))
                        .collect::<Result<_, _>>()?,
                    positions: positions(k)?,
                }
            }
            _ => return Err(syntax("unknown form")),
        };
        product.check().map_err(|e| MarketConfigError::Bounds {
            text: text.clone(),
            reason: e.to_string(),
        })?;
        let id = product.id();
        Ok(Self {
            text,
            offered: OfferedProduct {
                product,
                id,
                reserve,
            },
        })
    }
}

/// The auction settings of `run`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarketConfig {
    /// Products offered in every owned slot (1 to [`MAX_PRODUCTS_PER_SLOT`], distinct).
    pub products: Vec<OfferedProduct>,
    /// The auction for slot S closes this many ms before S's promise deadline.
    pub close_ms: u64,
    /// Where winning payments go (the operator's choice, the same for every validator).
    pub fee_recipient: Address,
}

impl MarketConfig {
    /// Checks `specs` against the rollups sequenced; `None` when no product is given (no
    /// auction runs).
    pub fn new(
        specs: Vec<ProductSpec>,
        close_ms: u64,
        fee_recipient: Option<Address>,
        sequenced: Option<&[RollupId]>,
    ) -> Result<Option<Self>, MarketConfigError> {
        if specs.is_empty() {
            return Ok(None);
        }
        if specs.len() > MAX_PRODUCTS_PER_SLOT {
            return Err(MarketConfigError::TooMany { count: specs.len() });
        }
        let fee_recipient = fee_recipient.ok_or(MarketConfigError::NoFeeRecipient)?;
        let mut products: Vec<OfferedProduct> = Vec::with_capacity(specs.len());
        for spec in specs {
            if let Some(known) = sequenced
                && let Some(r) = spec
                    .offered
                    .product
                    .rollups()
                    .iter()
                    .find(|r| !known.contains(r))
            {
                return Err(MarketConfigError::UnknownRollup {
                    text: spec.text,
                    rollup: r.0,
                });
            }
            if products.iter().any(|p| p.id == spec.offered.id) {
                return Err(MarketConfigError::Duplicate { text: spec.text });
            }
            products.push(spec.offered);
        }
        Ok(Some(Self {
            products,
            close_ms,
            fee_recipient,
        }))
    }

    /// The offered product with this id.
    pub fn product(&self, id: ProductId) -> Option<&OfferedProduct> {
        self.products.iter().find(|p| p.id == id)
    }
}

/// Which of an award's two promises a request id names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardPart {
    /// The winning rollup transactions at the product's positions.
    Sequencing = 0,
    /// The L1 payment, for inclusion in the same slot.
    Payment = 1,
}

/// The request id of an award's promise: `keccak256(bidHash ‖ uint8 part)`, so a winner
/// finds its promises with `baton_getCommitment` from its own bid hash.
pub fn award_request_id(bid_hash: B256, part: AwardPart) -> B256 {
    let mut bytes = [0u8; 33];
    bytes[..32].copy_from_slice(bid_hash.as_slice());
    bytes[32] = part as u8;
    keccak256(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(s: &str) -> Result<ProductSpec, MarketConfigError> {
        s.parse()
    }

    #[test]
    fn the_three_forms_parse_with_and_without_reserve() {
        let top = spec("top:1:2@1000").unwrap().offered;
        assert_eq!(
            top.product,
            Product::TopOfBatch {
                rollup: RollupId(1),
                positions: 2
            }
        );
        assert_eq!(top.reserve, U256::from(1000u64));
        assert_eq!(top.id, top.product.id());
        let whole = spec(" whole:3 ").unwrap().offered;
        assert_eq!(whole.reserve, U256::ZERO);
        assert_eq!(
            whole.product,
            Product::WholeBatch {
                rollup: RollupId(3)
            }
        );
        let bundle = spec("bundle:1+2:1@5").unwrap().offered;
        assert_eq!(bundle.product.rollups(), &[RollupId(1), RollupId(2)]);
    }

    #[test]
    fn bad_items_are_refused_with_the_reason() {
        for (text, kind) in [
            ("top:1", "syntax"),
            ("first:1:2", "syntax"),
            ("top:0:1", "syntax"),
            ("top:1:x", "syntax"),
            ("top:1:1@lots", "syntax"),
            ("top:1:0", "bounds"),
            ("top:1:65", "bounds"),
            ("bundle:2+1:1", "bounds"),
            ("bundle:1:1", "bounds"),
            ("bundle:1+2:33", "bounds"),
            ("bundle:1+2+3+4+5+6+7+8+9:1", "bounds"),
        ] {
            let err = spec(text).unwrap_err();
            let got = match err {
                MarketConfigError::Syntax { .. } => "syntax",
                MarketConfigError::Bounds { .. } => "bounds",
                other => panic!("{text}: {other}"),
            };
            assert_eq!(got, kind, "{text}: {err}");
            assert!(err.to_string().contains(text), "{err}");
        }
    }

    #[test]
    fn config_checks_rollups_duplicates_count_and_fee_recipient() {
        let known = [RollupId(1), RollupId(2)];
        let specs = |items: &[&str]| items.iter().map(|s| spec(s).unwrap()).collect::<Vec<_>>();
        let recipient = Some(Address::repeat_byte(0xfe));
        assert_eq!(
            MarketConfig::new(vec![], 3_000, None, Some(&known)),
            Ok(None)
        );
        let ok = MarketConfig::new(
            specs(&["top:1:2", "bundle:1+2:1"]),
            3_000,
            recipient,
            Some(&known),
        )
        .unwrap()
        .unwrap();
        assert_eq!(ok.products.len(), 2);
        assert!(ok.product(ok.products[1].id).is_some());
        assert!(matches!(
            MarketConfig::new(specs(&["top:3:1"]), 3_000, recipient, Some(&known)),
            Err(MarketConfigError::UnknownRollup { rollup: 3, .. })
        ));
        assert!(matches!(
            MarketConfig::new(specs(&["top:1:1", "top:1:1@9"]), 3_000, recipient, None),
            Err(MarketConfigError::Duplicate { .. })
        ));
        assert_eq!(
            MarketConfig::new(specs(&["top:1:1"]), 3_000, None, None),
            Err(MarketConfigError::NoFeeRecipient)
        );
        let many: Vec<ProductSpec> = (1..=65)
            .map(|r| spec(&format!("whole:{r}")).unwrap())
            .collect();
        assert_eq!(
            MarketConfig::new(many, 3_000, recipient, None),
            Err(MarketConfigError::TooMany { count: 65 })
        );
    }

    #[test]
    fn award_request_ids_differ_by_part() {
        let h = B256::repeat_byte(7);
        assert_ne!(
            award_request_id(h, AwardPart::Sequencing),
            award_request_id(h, AwardPart::Payment)
        );
        let mut packed = h.to_vec();
        packed.push(1);
        assert_eq!(award_request_id(h, AwardPart::Payment), keccak256(packed));
    }
}
