//! `baton_slots`: each upcoming slot of ours with its prices, its remaining capacity (L1 gas,
//! each rollup's batch) and the products auctioned in it while its auction is open.

use baton_preconf::{
    BlsPublicKey, RollupId, Slot,
    market::{Product, ProductId},
};
use serde::Serialize;

use super::{Service, bids::offered_products};

/// A product auctioned in a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotProduct {
    /// The ordering right.
    pub product: Product,
    /// Its id (what a bid signs).
    pub product_id: ProductId,
    /// Lowest amount receipted (decimal wei).
    pub reserve_wei: String,
    /// When the auction closes (decimal Unix ms).
    pub closes_at_ms: String,
    /// Where a bid's payment goes (`--market.fee-recipient`).
    pub payment_recipient: alloy_primitives::Address,
}

/// What one rollup's batch still takes in a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RollupCapacity {
    /// The rollup.
    pub rollup_id: RollupId,
    /// Transactions still promisable (decimal).
    pub batch_txs_left: String,
    /// Bytes still promisable (decimal).
    pub batch_bytes_left: String,
    /// Fee per rollup transaction (decimal wei).
    pub fee_per_tx: String,
}

/// A slot's remaining capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotCapacity {
    /// L1 gas still promisable (decimal).
    pub l1_gas_left: String,
    /// Each sequenced rollup's batch, by rollup id.
    pub rollups: Vec<RollupCapacity>,
}

/// One item of `baton_slots`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SlotOffer {
    /// The slot.
    pub slot: Slot,
    /// Its proposer.
    pub validator_pubkey: BlsPublicKey,
    /// L1 gas still promisable (decimal).
    pub l1_gas_left: String,
    /// Minimum priority fee per gas of a 21,000-gas transfer now (decimal wei), `null`
    /// when it no longer fits.
    pub min_priority_fee_per_gas: Option<String>,
    /// Fee per rollup transaction (decimal wei).
    pub rollup_tx_fee: String,
    /// Products auctioned while the slot's auction is open (empty once it closed).
    pub products: Vec<SlotProduct>,
    /// Remaining capacity.
    pub capacity: SlotCapacity,
}

impl Service {
    /// `baton_slots`: our upcoming slots in the window, soonest first.
    pub fn slot_offers(&self) -> Vec<SlotOffer> {
        let now = self.clock.now_ms();
        let pricing = self.pricing();
        let mut rollups: Vec<RollupId> = self.rollups.keys().copied().collect();
        rollups.sort();
        let Ok(ledger) = self.ledger.lock() else {
            return Vec::new();
        };
        let limits = ledger.limits();
        let cleared = |slot| self.auctions.lock().is_ok_and(|b| b.is_cleared(slot));
        let current = self.config.chain.slot_at(now / 1000).unwrap_or_default();
        let last = Slot(current.0 + self.config.window_slots);
        self.duties
            .owned_between(current.next(), last)
            .into_iter()
            .map(|(slot, validator)| {
                let gas_left = ledger.gas_left(slot);
                let closes_at = self.auction_close_ms(slot);
                let products = match &self.market {
                    Some(market) if now < closes_at && !cleared(slot) => {
                        offered_products(market, &ledger, slot)
                            .map(|p| SlotProduct {
                                product: p.product.clone(),
                                product_id: p.id,
                                reserve_wei: p.reserve.to_string(),
                                closes_at_ms: closes_at.to_string(),
                                payment_recipient: market.fee_recipient,
                            })
                            .collect()
                    }
                    _ => Vec::new(),
                };
                let capacity = SlotCapacity {
                    l1_gas_left: gas_left.to_string(),
                    rollups: rollups
                        .iter()
                        .map(|r| {
                            let (txs, bytes) = ledger.batch_usage(slot, *r);
                            RollupCapacity {
                                rollup_id: *r,
                                batch_txs_left: limits
                                    .batch_max_txs
                                    .saturating_sub(txs)
                                    .to_string(),
                                batch_bytes_left: limits
                                    .batch_max_bytes
                                    .saturating_sub(bytes)
                                    .to_string(),
                                fee_per_tx: pricing.rollup_fee(1).to_string(),
                            }
                        })
                        .collect(),
                };
                SlotOffer {
                    slot,
                    validator_pubkey: validator,
                    l1_gas_left: gas_left.to_string(),
                    min_priority_fee_per_gas: pricing
                        .min_tip(limits.gas_per_slot - gas_left, 21_000, limits.gas_per_slot)
                        .map(|t| t.to_string()),
                    rollup_tx_fee: pricing.rollup_fee(1).to_string(),
                    products,
                    capacity,
                }
            })
            .collect()
    }
}
