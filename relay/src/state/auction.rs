//! The auction (steps ⑤–⑥): validated bids per slot, parent and proposer, the latest
//! bid of each builder counting, the highest value winning (earlier arrival breaks a
//! tie). This is the hot path: all in memory, one short lock per insert or lookup.
//!
//! Payloads are kept apart ([`Payloads`]) and only while they can still be asked for: a
//! builder's bid that was replaced before any `getHeader` served it drops its payload.

use std::{
    collections::{BTreeMap, HashMap, HashSet},
    sync::{
        Arc, OnceLock, RwLock,
        atomic::{AtomicBool, Ordering},
    },
};

use alloy_primitives::{B256, U256};
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{
        BidTrace, BlobsBundle, ExecutionPayload, ExecutionPayloadHeader, ExecutionRequests,
        InclusionMultiProof, KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK, SignedBuilderBidElectra,
    },
};
use ssz_rs::List;

/// Most bids one builder market keeps per slot (a bound on memory under a flood).
pub const MAX_BUILDERS_PER_MARKET: usize = 4096;

/// A validated bid.
#[derive(Debug)]
pub struct Bid {
    /// The builder's signed trace.
    pub trace: BidTrace,
    /// Slot.
    pub slot: Slot,
    /// Parent block hash.
    pub parent_hash: B256,
    /// The block's hash.
    pub block_hash: B256,
    /// Proposer.
    pub proposer: BlsPublicKey,
    /// Builder.
    pub builder: BlsPublicKey,
    /// Value to the proposer (wei).
    pub value: U256,
    /// Block number.
    pub block_number: u64,
    /// Transactions in the block.
    pub num_tx: usize,
    /// When this relay (or the instance that shared it) accepted it, Unix µs.
    pub received_at_us: u64,
    /// The payload header served to the proposer.
    pub header: ExecutionPayloadHeader,
    /// Blob commitments.
    pub blob_kzg_commitments: List<KzgBytes, MAX_BLOB_COMMITMENTS_PER_BLOCK>,
    /// Execution requests.
    pub execution_requests: ExecutionRequests,
    /// The builder's proof of the slot's constraints, if the slot had any.
    pub proofs: Option<InclusionMultiProof>,
    /// Whether a `getHeader` served it (then its payload is kept).
    pub served: AtomicBool,
    /// The relay-signed bid, made once: as the bid becomes the best, or on first serve
    /// (`None` if its header cannot be hashed).
    pub signed: OnceLock<Option<SignedBuilderBidElectra>>,
}

impl Bid {
    /// The transaction hashes its proof covers.
    pub fn proven(&self) -> HashSet<B256> {
        self.proofs
            .as_ref()
            .map(|p| p.transaction_hashes.iter().copied().collect())
            .unwrap_or_default()
    }

    fn beats(&self, other: &Self) -> bool {
        self.value > other.value
            || (self.value == other.value && self.received_at_us < other.received_at_us)
    }
}

/// A full payload with what travels with it.
#[derive(Debug)]
pub struct PayloadContents {
    /// The payload.
    pub payload: ExecutionPayload,
    /// Its blobs.
    pub blobs_bundle: BlobsBundle,
    /// Execution requests.
    pub execution_requests: ExecutionRequests,
}

#[derive(Debug, Default)]
struct Market {
    latest: HashMap<BlsPublicKey, Arc<Bid>>,
    best: Option<Arc<Bid>>,
}

impl Market {
    fn recompute(&mut self) {
        self.best = self
            .latest
            .values()
            .fold(None::<&Arc<Bid>>, |best, bid| match best {
                Some(b) if !bid.beats(b) => Some(b),
                _ => Some(bid),
            })
            .cloned();
    }
}

type MarketKey = (B256, BlsPublicKey);

/// What inserting a bid did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    /// It is the builder's latest bid; `best` tells whether it tops the market.
    Latest {
        /// Whether it is now the best bid.
        best: bool,
        /// The builder's previous bid, if it was never served (its payload can go).
        replaced_unserved: Option<B256>,
    },
    /// The builder already has a later bid; ignored.
    Stale,
    /// The bid does not prove the constraints in force now; ignored.
    Uncovered,
    /// The market is full of builders; ignored.
    Full,
}

/// Bids by slot.
#[derive(Debug, Default)]
pub struct Auction {
    slots: RwLock<BTreeMap<Slot, HashMap<MarketKey, Market>>>,
}

impl Auction {
    /// Inserts a validated bid.
    pub fn insert(&self, bid: &Arc<Bid>) -> Inserted {
        self.insert_covering(bid, &HashSet::new)
    }

    /// Inserts a validated bid if it proves `required()`, read under the auction's lock:
    /// constraints stored before this insert are seen here, and those stored after it
    /// drop the bid in [`Self::drop_uncovered`], so no uncovered bid is ever left.
    pub fn insert_covering(
        &self,
        bid: &Arc<Bid>,
        required: &dyn Fn() -> HashSet<B256>,
    ) -> Inserted {
        let Ok(mut slots) = self.slots.write() else {
            return Inserted::Full;
        };
        let required = required();
        if !required.is_empty() && !required.is_subset(&bid.proven()) {
            return Inserted::Uncovered;
        }
        let market = slots
            .entry(bid.slot)
            .or_default()
            .entry((bid.parent_hash, bid.proposer))
            .or_default();
        let replaced_unserved = match market.latest.get(&bid.builder) {
            Some(previous) if previous.received_at_us > bid.received_at_us => {
                return Inserted::Stale;
            }
            Some(previous) if previous.block_hash == bid.block_hash => return Inserted::Stale,
            Some(previous) => {
                (!previous.served.load(Ordering::SeqCst)).then_some(previous.block_hash)
            }
            None if market.latest.len() >= MAX_BUILDERS_PER_MARKET => return Inserted::Full,
            None => None,
        };
        market.latest.insert(bid.builder, bid.clone());
        market.recompute();
        let best = market
            .best
            .as_ref()
            .is_some_and(|b| b.block_hash == bid.block_hash);
        Inserted::Latest {
            best,
            replaced_unserved,
        }
    }

    /// The best bid for a slot, parent and proposer; marks it served when `serve`.
    pub fn best(
        &self,
        slot: Slot,
        parent_hash: B256,
        proposer: &BlsPublicKey,
        serve: bool,
    ) -> Option<Arc<Bid>> {
        let slots = self.slots.read().ok()?;
        let bid = slots
            .get(&slot)?
            .get(&(parent_hash, *proposer))?
            .best
            .clone()?;
        if serve {
            bid.served.store(true, Ordering::SeqCst);
        }
        Some(bid)
    }

    /// Any bid of `slot` (latest per builder) with this block hash.
    pub fn by_block_hash(&self, slot: Slot, block_hash: B256) -> Option<Arc<Bid>> {
        let slots = self.slots.read().ok()?;
        slots.get(&slot)?.values().find_map(|market| {
            market
                .latest
                .values()
                .find(|b| b.block_hash == block_hash)
                .cloned()
        })
    }

    /// Drops the bids of `slot` whose proofs do not cover `required`; returns their
    /// block hashes.
    pub fn drop_uncovered(&self, slot: Slot, required: &HashSet<B256>) -> Vec<B256> {
        let Ok(mut slots) = self.slots.write() else {
            return Vec::new();
        };
        let mut dropped = Vec::new();
        if let Some(markets) = slots.get_mut(&slot) {
            for market in markets.values_mut() {
                market.latest.retain(|_, bid| {
                    let keep = required.is_subset(&bid.proven());
                    if !keep {
                        dropped.push(bid.block_hash);
                    }
                    keep
                });
                market.recompute();
            }
        }
        dropped
    }

    /// Every builder's latest bid in slots from `from` on (for the Redis resync).
    pub fn latest_since(&self, from: Slot) -> Vec<Arc<Bid>> {
        self.slots
            .read()
            .map(|s| {
                s.range(from..)
                    .flat_map(|(_, markets)| markets.values())
                    .flat_map(|m| m.latest.values().cloned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Forgets slots before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut slots) = self.slots.write() {
            *slots = slots.split_off(&slot);
        }
    }
}

/// Payloads by block hash, with their slot for expiry.
#[derive(Debug, Default)]
pub struct Payloads {
    by_hash: RwLock<HashMap<B256, (Slot, Arc<PayloadContents>)>>,
}

impl Payloads {
    /// Keeps a payload.
    pub fn insert(&self, slot: Slot, block_hash: B256, contents: Arc<PayloadContents>) {
        if let Ok(mut map) = self.by_hash.write() {
            map.insert(block_hash, (slot, contents));
        }
    }

    /// The payload of `block_hash`.
    pub fn get(&self, block_hash: &B256) -> Option<Arc<PayloadContents>> {
        self.by_hash
            .read()
            .ok()
            .and_then(|m| m.get(block_hash).map(|(_, c)| c.clone()))
    }

    /// Drops a payload.
    pub fn remove(&self, block_hash: &B256) {
        if let Ok(mut map) = self.by_hash.write() {
            map.remove(block_hash);
        }
    }

    /// Forgets payloads of slots before `slot`.
    pub fn prune_before(&self, slot: Slot) {
        if let Ok(mut map) = self.by_hash.write() {
            map.retain(|_, (s, _)| *s >= slot);
        }
    }

    /// Payloads held.
    pub fn len(&self) -> usize {
        self.by_hash.read().map(|m| m.len()).unwrap_or_default()
    }

    /// Whether none are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn bid(builder: u8, value: u64, at: u64, hash: u8) -> Arc<Bid> {
        Arc::new(Bid {
            trace: BidTrace::default(),
            slot: Slot(5),
            parent_hash: B256::repeat_byte(1),
            block_hash: B256::repeat_byte(hash),
            proposer: BlsPublicKey([9; 48]),
            builder: BlsPublicKey([builder; 48]),
            value: U256::from(value),
            block_number: 1,
            num_tx: 0,
            received_at_us: at,
            header: ExecutionPayloadHeader::default(),
            blob_kzg_commitments: List::default(),
            execution_requests: ExecutionRequests::default(),
            proofs: None,
            served: AtomicBool::new(false),
            signed: OnceLock::new(),
        })
    }

    fn best_hash(auction: &Auction) -> Option<u8> {
        auction
            .best(Slot(5), B256::repeat_byte(1), &BlsPublicKey([9; 48]), false)
            .map(|b| b.block_hash.0[0])
    }

    #[test]
    fn highest_latest_bid_wins() {
        let auction = Auction::default();
        assert!(matches!(
            auction.insert(&bid(1, 10, 100, 0xa1)),
            Inserted::Latest { best: true, .. }
        ));
        assert!(matches!(
            auction.insert(&bid(2, 20, 101, 0xb1)),
            Inserted::Latest { best: true, .. }
        ));
        assert_eq!(best_hash(&auction), Some(0xb1));
        // Builder 2 lowers its bid (a cancellation): builder 1 wins again.
        assert_eq!(
            auction.insert(&bid(2, 5, 102, 0xb2)),
            Inserted::Latest {
                best: false,
                replaced_unserved: Some(B256::repeat_byte(0xb1))
            }
        );
        assert_eq!(best_hash(&auction), Some(0xa1));
        // An older bid arriving late (from another instance) changes nothing.
        assert_eq!(auction.insert(&bid(2, 50, 99, 0xb0)), Inserted::Stale);
        assert_eq!(best_hash(&auction), Some(0xa1));
        // Equal value: the earlier one keeps the top.
        auction.insert(&bid(3, 10, 103, 0xc1));
        assert_eq!(best_hash(&auction), Some(0xa1));
        // A served bid's replacement does not release its payload.
        let served = auction
            .best(Slot(5), B256::repeat_byte(1), &BlsPublicKey([9; 48]), true)
            .unwrap();
        assert_eq!(served.block_hash, B256::repeat_byte(0xa1));
        assert_eq!(
            auction.insert(&bid(1, 11, 104, 0xa2)),
            Inserted::Latest {
                best: true,
                replaced_unserved: None
            }
        );
        assert!(
            auction
                .by_block_hash(Slot(5), B256::repeat_byte(0xa2))
                .is_some()
        );
        auction.prune_before(Slot(6));
        assert_eq!(best_hash(&auction), None);
    }

    #[test]
    fn a_bid_not_proving_the_constraints_in_force_is_not_inserted() {
        let auction = Auction::default();
        let required = || HashSet::from([B256::repeat_byte(7)]);
        assert_eq!(
            auction.insert_covering(&bid(1, 10, 100, 0xa1), &required),
            Inserted::Uncovered
        );
        assert_eq!(best_hash(&auction), None);
    }

    #[test]
    fn uncovered_bids_drop_out() {
        let auction = Auction::default();
        auction.insert(&bid(1, 10, 100, 0xa1));
        let dropped = auction.drop_uncovered(Slot(5), &HashSet::from([B256::repeat_byte(7)]));
        assert_eq!(dropped, vec![B256::repeat_byte(0xa1)]);
        assert_eq!(best_hash(&auction), None);
    }
}
