//! Per slot: the receipted bids in `seq` order, then the clearing and what became of each
//! award. No I/O and no signing: the service journals and signs around it, and replays the
//! journal's auction records into it on restart.
//!
//! A slot's auction moves one way: open (receipts `0, 1, …`) → cleared (no more receipts;
//! the awards' promises are being made) → settled (every award promised or failed). Until
//! it is settled, ordinary sequencing requests for the auctioned rollups are refused, so
//! the winners take positions `0..` and the batch has no holes.

use std::collections::{BTreeMap, HashMap};

use alloy_primitives::{Address, B256};
use baton_preconf::{
    RollupId, SignedCommitment, Slot,
    market::{
        Award, BidReceipt, Clearing, ClearingError, ClearingOutcome, ClearingPublication,
        MAX_BIDS_PER_SLOT, Product, PublishedAward, ReceiptedBid, SignedBid, SignedClearing,
        SignedReceipt, clear,
    },
};

/// `baton_getClearing`'s answer.
pub type ClearingView = ClearingPublication;
/// One award in it.
pub type AwardView = PublishedAward;

/// What became of an award's promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AwardFate {
    /// Not made yet (or to be retried: the L1 or an L2 could not be read).
    Pending,
    /// Both promises are made.
    Promised,
    /// They cannot be made (the payment no longer fits, the positions are taken, the slot
    /// is sealed): the award stands in the clearing without promises.
    Failed,
}

#[derive(Debug, Clone)]
struct Receipted {
    bid: SignedBid,
    /// Unsigned: the signature (deterministic, RFC 6979) is made after the record is
    /// durable, and again whenever the receipt is published.
    receipt: BidReceipt,
}

#[derive(Debug, Clone)]
struct Cleared {
    clearing: Clearing,
    /// Set once the clearing record is durable; published only then.
    signed: Option<SignedClearing>,
    leaves: Vec<B256>,
    /// Per award (clearing order): the winning receipt's seq and its fate.
    awards: Vec<(u32, AwardFate)>,
    settled: bool,
}

#[derive(Debug, Clone, Default)]
struct SlotAuction {
    bids: Vec<Receipted>,
    cleared: Option<Cleared>,
}

/// Why the book refuses a receipt or a replayed record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BookError {
    /// The slot's auction is cleared: no more receipts.
    #[error("the auction for slot {slot} is closed")]
    Closed {
        /// The slot.
        slot: Slot,
    },
    /// [`MAX_BIDS_PER_SLOT`] receipts already.
    #[error("the auction for slot {slot} holds {max} bids, its limit", max = MAX_BIDS_PER_SLOT)]
    Full {
        /// The slot.
        slot: Slot,
    },
    /// A replayed record does not follow the ones before it.
    #[error("journal auction record for slot {slot}: {reason}")]
    Replay {
        /// The slot.
        slot: Slot,
        /// What is wrong.
        reason: String,
    },
}

/// Every auction this sidecar ran (kept, like its promises, for the journal's life).
#[derive(Debug, Default)]
pub struct AuctionBook {
    slots: BTreeMap<Slot, SlotAuction>,
    /// Each bid hash's first receipt.
    by_bid: HashMap<B256, (Slot, u32)>,
}

impl AuctionBook {
    /// The `seq` the next receipt of `slot` gets, if the auction still takes bids.
    pub fn next_seq(&self, slot: Slot) -> Result<u32, BookError> {
        let Some(auction) = self.slots.get(&slot) else {
            return Ok(0);
        };
        if auction.cleared.is_some() {
            return Err(BookError::Closed { slot });
        }
        if auction.bids.len() >= MAX_BIDS_PER_SLOT {
            return Err(BookError::Full { slot });
        }
        // Below MAX_BIDS_PER_SLOT, so it fits.
        Ok(auction.bids.len() as u32)
    }

    /// Adds a receipted bid; its `seq` must be [`Self::next_seq`] (live) or the next in
    /// journal order (replay).
    pub fn add(&mut self, bid: SignedBid, receipt: BidReceipt) -> Result<(), BookError> {
        let slot = receipt.slot;
        let seq = self.next_seq(slot)?;
        if receipt.seq != seq {
            return Err(BookError::Replay {
                slot,
                reason: format!("receipt seq {} where {seq} was next", receipt.seq),
            });
        }
        self.by_bid.entry(receipt.bid_hash).or_insert((slot, seq));
        self.slots
            .entry(slot)
            .or_default()
            .bids
            .push(Receipted { bid, receipt });
        Ok(())
    }

    /// Clears `slot` over every receipt (`None`: already cleared). Install the signed
    /// result with [`Self::install`].
    pub fn clear(
        &self,
        slot: Slot,
        committer: Address,
    ) -> Option<Result<ClearingOutcome, ClearingError>> {
        let auction = self.slots.get(&slot);
        if auction.is_some_and(|a| a.cleared.is_some()) {
            return None;
        }
        let inputs: Vec<ReceiptedBid> = auction
            .map(|a| {
                a.bids
                    .iter()
                    .map(|r| ReceiptedBid {
                        receipt: r.receipt,
                        product: r.bid.bid.product.clone(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(clear(slot, committer, &inputs))
    }

    /// Closes `slot` with its clearing (from [`Self::clear`]): no receipt is issued any
    /// more. Nothing is published until [`Self::signed`].
    pub fn install(&mut self, clearing: Clearing) {
        let slot = clearing.slot;
        let auction = self.slots.entry(slot).or_default();
        let leaves = auction
            .bids
            .iter()
            .map(|r| r.receipt.struct_hash())
            .collect();
        let awards = clearing
            .awards
            .iter()
            .map(|a| (a.seq, AwardFate::Pending))
            .collect();
        auction.cleared = Some(Cleared {
            clearing,
            signed: None,
            leaves,
            awards,
            settled: false,
        });
    }

    /// The clearing of `slot` is durable and signed: it is published and its awards are
    /// made.
    pub fn signed(&mut self, signed: SignedClearing) {
        if let Some(cleared) = self
            .slots
            .get_mut(&signed.clearing.slot)
            .and_then(|a| a.cleared.as_mut())
            && cleared.clearing == signed.clearing
        {
            cleared.signed = Some(signed);
        }
    }

    /// The installed clearing of `slot`, signed or not.
    pub fn clearing(&self, slot: Slot) -> Option<&Clearing> {
        Some(&self.slots.get(&slot)?.cleared.as_ref()?.clearing)
    }

    /// Slots cleared but not settled, and slots with receipts not cleared yet.
    pub fn unsettled(&self) -> Vec<Slot> {
        self.slots
            .iter()
            .filter(|(_, a)| a.cleared.as_ref().is_none_or(|c| !c.settled))
            .map(|(s, _)| *s)
            .collect()
    }

    /// Whether `slot` is cleared.
    pub fn is_cleared(&self, slot: Slot) -> bool {
        self.slots.get(&slot).is_some_and(|a| a.cleared.is_some())
    }

    /// Whether `slot`'s clearing is durable and signed (published).
    pub fn is_published(&self, slot: Slot) -> bool {
        self.slots
            .get(&slot)
            .and_then(|a| a.cleared.as_ref())
            .is_some_and(|c| c.signed.is_some())
    }

    /// Whether `slot` is settled (cleared and every award's fate known).
    pub fn is_settled(&self, slot: Slot) -> bool {
        self.slots
            .get(&slot)
            .and_then(|a| a.cleared.as_ref())
            .is_some_and(|c| c.settled)
    }

    /// The awards of `slot` still pending: index, award, winning bid.
    pub fn pending_awards(&self, slot: Slot) -> Vec<(usize, Award, SignedBid)> {
        let Some(auction) = self.slots.get(&slot) else {
            return Vec::new();
        };
        let Some(cleared) = auction.cleared.as_ref().filter(|c| c.signed.is_some()) else {
            return Vec::new();
        };
        cleared
            .awards
            .iter()
            .zip(&cleared.clearing.awards)
            .enumerate()
            .filter(|(_, ((_, fate), _))| *fate == AwardFate::Pending)
            .filter_map(|(i, ((seq, _), award))| {
                let bid = auction.bids.get(*seq as usize)?.bid.clone();
                Some((i, *award, bid))
            })
            .collect()
    }

    /// Records what became of award `index` of `slot`.
    pub fn set_fate(&mut self, slot: Slot, index: usize, fate: AwardFate) {
        if let Some(entry) = self
            .slots
            .get_mut(&slot)
            .and_then(|a| a.cleared.as_mut())
            .and_then(|c| c.awards.get_mut(index))
        {
            entry.1 = fate;
        }
    }

    /// Marks `slot` settled: ordinary requests for its rollups are taken again.
    pub fn settle(&mut self, slot: Slot) {
        if let Some(cleared) = self.slots.get_mut(&slot).and_then(|a| a.cleared.as_mut()) {
            cleared.settled = true;
        }
    }

    /// Whether ordinary sequencing in `rollup` waits for `slot`'s auction: not settled and
    /// a receipted bid's product names the rollup.
    pub fn holds(&self, slot: Slot, rollup: RollupId) -> bool {
        self.slots.get(&slot).is_some_and(|a| {
            a.cleared.as_ref().is_none_or(|c| !c.settled)
                && a.bids
                    .iter()
                    .any(|r| r.bid.bid.product.rollups().contains(&rollup))
        })
    }

    /// Whether `rollup`'s whole batch in `slot` was sold (and promised) to a winner.
    pub fn sold_whole(&self, slot: Slot, rollup: RollupId) -> bool {
        let Some(auction) = self.slots.get(&slot) else {
            return false;
        };
        let Some(cleared) = &auction.cleared else {
            return false;
        };
        cleared.awards.iter().any(|(seq, fate)| {
            *fate == AwardFate::Promised
                && auction
                    .bids
                    .get(*seq as usize)
                    .is_some_and(|r| r.bid.bid.product == Product::WholeBatch { rollup })
        })
    }

    /// The first receipt issued for `bid_hash` (sign it to publish it).
    pub fn receipt(&self, bid_hash: B256) -> Option<BidReceipt> {
        let (slot, seq) = self.by_bid.get(&bid_hash)?;
        Some(self.slots.get(slot)?.bids.get(*seq as usize)?.receipt)
    }

    /// Whether the book knows `slot` (receipts or a clearing).
    pub fn knows(&self, slot: Slot) -> bool {
        self.slots.contains_key(&slot)
    }

    /// The publication of `slot` (`clearing: null` until the clearing is durable);
    /// `sign` signs a winning receipt, `commitments` finds an award's promises by its
    /// winning bid hash.
    pub fn publication(
        &self,
        slot: Slot,
        sign: impl Fn(BidReceipt) -> Option<SignedReceipt>,
        commitments: impl Fn(B256) -> Vec<SignedCommitment>,
    ) -> ClearingView {
        let open = ClearingPublication {
            clearing: None,
            leaves: Vec::new(),
            awards: Vec::new(),
        };
        let Some(auction) = self.slots.get(&slot) else {
            return open;
        };
        let Some((cleared, signed)) = auction
            .cleared
            .as_ref()
            .and_then(|c| Some((c, c.signed.clone()?)))
        else {
            return open;
        };
        let awards = cleared
            .awards
            .iter()
            .filter_map(|(seq, _)| auction.bids.get(*seq as usize))
            .filter_map(|r| {
                Some(PublishedAward {
                    receipt: sign(r.receipt)?,
                    product: r.bid.bid.product.clone(),
                    commitments: commitments(r.receipt.bid_hash),
                })
            })
            .collect();
        ClearingPublication {
            clearing: Some(signed),
            leaves: cleared.leaves.clone(),
            awards,
        }
    }
}

#[cfg(test)]
#[path = "book_tests.rs"]
mod tests;
