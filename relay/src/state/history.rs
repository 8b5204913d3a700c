//! What the data API reports: bids received and payloads delivered, bounded in memory
//! (oldest dropped first).

use std::{
    collections::{BTreeMap, VecDeque},
    sync::{Arc, Mutex},
};

use alloy_primitives::{Address, B256, U256};
use baton_preconf::{BlsPublicKey, Slot, ssz::BeaconJson};
use serde_json::{Value, json};

use super::auction::Bid;

/// Received bids kept for `builder_blocks_received`.
pub const MAX_RECEIVED: usize = 100_000;
/// Delivered payloads kept for `proposer_payload_delivered`.
pub const MAX_DELIVERED: usize = 10_000;

/// One bid trace, as the data API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidRecord {
    /// Slot.
    pub slot: Slot,
    /// Parent hash.
    pub parent_hash: B256,
    /// Block hash.
    pub block_hash: B256,
    /// Builder.
    pub builder: BlsPublicKey,
    /// Proposer.
    pub proposer: BlsPublicKey,
    /// Fee recipient.
    pub fee_recipient: Address,
    /// Gas limit.
    pub gas_limit: u64,
    /// Gas used.
    pub gas_used: u64,
    /// Value (wei).
    pub value: U256,
    /// Block number.
    pub block_number: u64,
    /// Transactions.
    pub num_tx: usize,
    /// Received, Unix ms.
    pub timestamp_ms: u64,
}

impl BidRecord {
    /// The record of a bid.
    pub fn of(bid: &Bid) -> Self {
        Self {
            slot: bid.slot,
            parent_hash: bid.parent_hash,
            block_hash: bid.block_hash,
            builder: bid.builder,
            proposer: bid.proposer,
            fee_recipient: Address::from(bid.trace.proposer_fee_recipient),
            gas_limit: bid.trace.gas_limit,
            gas_used: bid.trace.gas_used,
            value: bid.value,
            block_number: bid.block_number,
            num_tx: bid.num_tx,
            timestamp_ms: bid.received_at_us / 1000,
        }
    }

    /// The data API's JSON form (every number a decimal string).
    pub fn to_json(&self) -> Value {
        json!({
            "slot": self.slot,
            "parent_hash": self.parent_hash,
            "block_hash": self.block_hash,
            "builder_pubkey": self.builder,
            "proposer_pubkey": self.proposer,
            "proposer_fee_recipient": self.fee_recipient,
            "gas_limit": self.gas_limit.to_string(),
            "gas_used": self.gas_used.to_string(),
            "value": self.value.to_string(),
            "block_number": self.block_number.to_string(),
            "num_tx": self.num_tx.to_string(),
            "timestamp": (self.timestamp_ms / 1000).to_string(),
            "timestamp_ms": self.timestamp_ms.to_string(),
        })
    }

    /// Parses [`Self::to_json`] (records shared through Redis).
    pub fn from_json(value: &Value) -> Option<Self> {
        let text = |name: &str| value.get(name).and_then(Value::as_str);
        let number = |name: &str| u64::from_json(value.get(name)?).ok();
        Some(Self {
            slot: Slot(number("slot")?),
            parent_hash: text("parent_hash")?.parse().ok()?,
            block_hash: text("block_hash")?.parse().ok()?,
            builder: text("builder_pubkey")?.parse().ok()?,
            proposer: text("proposer_pubkey")?.parse().ok()?,
            fee_recipient: text("proposer_fee_recipient")?.parse().ok()?,
            gas_limit: number("gas_limit")?,
            gas_used: number("gas_used")?,
            value: U256::from_str_radix(text("value")?, 10).ok()?,
            block_number: number("block_number")?,
            num_tx: usize::try_from(number("num_tx")?).ok()?,
            timestamp_ms: number("timestamp_ms")?,
        })
    }
}

/// Filters of the data API (all optional; `limit` already bounded by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Exact slot.
    pub slot: Option<Slot>,
    /// Slots at or below (delivered payloads only).
    pub cursor: Option<Slot>,
    /// Block hash.
    pub block_hash: Option<B256>,
    /// Block number.
    pub block_number: Option<u64>,
    /// Builder.
    pub builder: Option<BlsPublicKey>,
    /// Proposer.
    pub proposer: Option<BlsPublicKey>,
    /// Most records returned.
    pub limit: usize,
    /// Sort by value, highest first (`order_by=-value`), or lowest first (`value`).
    pub order_by_value: Option<bool>,
}

impl Filter {
    fn matches(&self, record: &BidRecord) -> bool {
        self.slot.is_none_or(|s| record.slot == s)
            && self.cursor.is_none_or(|c| record.slot <= c)
            && self.block_hash.is_none_or(|h| record.block_hash == h)
            && self.block_number.is_none_or(|n| record.block_number == n)
            && self.builder.is_none_or(|b| record.builder == b)
            && self.proposer.is_none_or(|p| record.proposer == p)
    }
}

/// The history store.
#[derive(Debug, Default)]
pub struct History {
    received: Mutex<VecDeque<Arc<BidRecord>>>,
    delivered: Mutex<BTreeMap<Slot, Arc<BidRecord>>>,
}

impl History {
    /// Records a received bid.
    pub fn received(&self, record: BidRecord) {
        if let Ok(mut received) = self.received.lock() {
            if received.len() >= MAX_RECEIVED {
                received.pop_front();
            }
            received.push_back(Arc::new(record));
        }
    }

    /// Records a delivered payload; returns the block already delivered for the slot, if
    /// it is another one (then nothing changes).
    pub fn delivered(&self, record: BidRecord) -> Option<B256> {
        let Ok(mut delivered) = self.delivered.lock() else {
            return None;
        };
        if let Some(existing) = delivered.get(&record.slot) {
            return (existing.block_hash != record.block_hash).then_some(existing.block_hash);
        }
        if delivered.len() >= MAX_DELIVERED
            && let Some(first) = delivered.keys().next().copied()
        {
            delivered.remove(&first);
        }
        delivered.insert(record.slot, Arc::new(record));
        None
    }

    /// The block delivered for `slot`, if any.
    pub fn delivered_in(&self, slot: Slot) -> Option<Arc<BidRecord>> {
        self.delivered.lock().ok()?.get(&slot).cloned()
    }

    /// Delivered payloads matching `filter`, newest slot first (or by value).
    pub fn query_delivered(&self, filter: &Filter) -> Vec<Arc<BidRecord>> {
        let Ok(delivered) = self.delivered.lock() else {
            return Vec::new();
        };
        let mut out: Vec<Arc<BidRecord>> = delivered
            .values()
            .rev()
            .filter(|r| filter.matches(r))
            .cloned()
            .collect();
        if let Some(descending) = filter.order_by_value {
            out.sort_by(|a, b| {
                if descending {
                    b.value.cmp(&a.value)
                } else {
                    a.value.cmp(&b.value)
                }
            });
        }
        out.truncate(filter.limit);
        out
    }

    /// Received bids matching `filter`, oldest first.
    pub fn query_received(&self, filter: &Filter) -> Vec<Arc<BidRecord>> {
        let Ok(received) = self.received.lock() else {
            return Vec::new();
        };
        received
            .iter()
            .filter(|r| filter.matches(r))
            .take(filter.limit)
            .cloned()
            .collect()
    }

    /// Delivered records of slots from `from` on (for the Redis resync).
    pub fn delivered_since(&self, from: Slot) -> Vec<Arc<BidRecord>> {
        self.delivered
            .lock()
            .map(|d| d.range(from..).map(|(_, r)| r.clone()).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(slot: u64, value: u64, hash: u8) -> BidRecord {
        BidRecord {
            slot: Slot(slot),
            parent_hash: B256::ZERO,
            block_hash: B256::repeat_byte(hash),
            builder: BlsPublicKey([hash; 48]),
            proposer: BlsPublicKey([1; 48]),
            fee_recipient: Address::ZERO,
            gas_limit: 30_000_000,
            gas_used: 21_000,
            value: U256::from(value),
            block_number: slot + 100,
            num_tx: 1,
            timestamp_ms: 1_700_000_000_123,
        }
    }

    #[test]
    fn json_round_trip_and_filters() {
        let r = record(3, 5, 9);
        let json = r.to_json();
        assert_eq!(json["value"], "5");
        assert_eq!(json["timestamp"], "1700000000");
        assert_eq!(BidRecord::from_json(&json), Some(r));

        let history = History::default();
        for (slot, value, hash) in [(1, 10, 1), (2, 30, 2), (3, 20, 3)] {
            assert_eq!(history.delivered(record(slot, value, hash)), None);
            history.received(record(slot, value, hash));
        }
        assert_eq!(
            history.delivered(record(2, 99, 7)),
            Some(B256::repeat_byte(2)),
            "a second block for a slot is refused"
        );
        let all = Filter {
            limit: 10,
            ..Default::default()
        };
        let slots: Vec<u64> = history
            .query_delivered(&all)
            .iter()
            .map(|r| r.slot.0)
            .collect();
        assert_eq!(slots, vec![3, 2, 1]);
        let by_value = Filter {
            order_by_value: Some(true),
            ..all
        };
        assert_eq!(history.query_delivered(&by_value)[0].slot, Slot(2));
        let cursor = Filter {
            cursor: Some(Slot(2)),
            limit: 1,
            ..Default::default()
        };
        assert_eq!(history.query_delivered(&cursor)[0].slot, Slot(2));
        let by_builder = Filter {
            builder: Some(BlsPublicKey([3; 48])),
            ..all
        };
        assert_eq!(history.query_received(&by_builder).len(), 1);
    }
}
