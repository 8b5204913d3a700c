//! What the journal stores: one entry per promise, with everything needed to rebuild the
//! ledger (positions, nonces, gas) and to re-sign the promise after a restart; and one
//! seal per slot (step ④), what was sealed and sent to the relays, so a restart re-sends
//! the same constraints and never seals a slot differently; and the auction's records
//! ([`MarketRecord`]): each receipted bid, and each slot's clearing, so a restart restores
//! every receipt, the per-slot `seq` counter and the clearing exactly, and never clears a
//! slot twice.

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{
    BlsPublicKey, Commitment, Position, RollupId, Slot,
    constraints::SignedConstraints,
    market::{BidReceipt, Clearing, SignedBid},
};
use serde::{Deserialize, Serialize};

/// The resources a promise took from a slot's book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Reservation {
    /// Rollup positions, per rollup, with the raw transactions (sealed into the batch later).
    Sequencing {
        /// `(rollup, position, raw transaction)` for each placement.
        placements: Vec<(RollupId, Position, Bytes)>,
        /// `(rollup, L2 sender, nonce, max cost)` of the transactions checked against an
        /// L2 RPC (empty when none is configured).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        l2_senders: Vec<(RollupId, Address, u64, U256)>,
    },
    /// L1 transactions: gas, and each sender's nonce and worst-case cost.
    Inclusion {
        /// The raw transactions (network form), in bundle order.
        txs: Vec<Bytes>,
        /// Gas the bundle reserves in the slot.
        gas: u64,
        /// Blobs the bundle reserves in the slot.
        #[serde(default)]
        blobs: u64,
        /// `(sender, nonce, max cost)` of each transaction.
        senders: Vec<(Address, u64, U256)>,
    },
}

impl Reservation {
    /// What a sequencing promise reserves: each `(rollup, raw, hash)` of `txs` at its
    /// planned position, and the L2 senders checked for it.
    pub(crate) fn sequencing(
        txs: &[(RollupId, Bytes, B256)],
        positions: &[Position],
        l2_items: &[crate::ledger::L2Item],
    ) -> Self {
        Self::Sequencing {
            placements: txs
                .iter()
                .zip(positions)
                .map(|((r, raw, _), p)| (*r, *p, raw.clone()))
                .collect(),
            l2_senders: l2_items
                .iter()
                .map(|i| (i.rollup_id, i.sender, i.nonce, i.max_cost))
                .collect(),
        }
    }
}

/// One durable record: a promise and what it reserved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalEntry {
    /// The unsigned commitment (ECDSA signing is deterministic, RFC 6979: the signature
    /// the wallet received is recomputed from it exactly).
    pub commitment: Commitment,
    /// What it reserved.
    pub reservation: Reservation,
    /// The wallet that asked.
    pub wallet: Address,
}

impl JournalEntry {
    /// The slot the promise is for.
    pub const fn slot(&self) -> Slot {
        self.commitment.slot
    }

    /// The request id.
    pub const fn request_id(&self) -> B256 {
        self.commitment.request_id
    }

    /// The record's bytes, as every journal stores them (JSON).
    pub(crate) fn encode(&self) -> Result<Vec<u8>, super::JournalError> {
        serde_json::to_vec(self).map_err(|e| super::JournalError::Corrupt {
            index: 0,
            reason: e.to_string(),
        })
    }
}

/// One rollup's batch transaction, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealedBatch {
    /// The rollup.
    pub rollup_id: RollupId,
    /// The committer's nonce the transaction uses.
    pub nonce: u64,
    /// The signed `RollupInbox.submitBatch` transaction (EIP-2718).
    pub tx: Bytes,
}

/// What a slot was sealed into at its deadline: durable before any of it leaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealRecord {
    /// The slot.
    pub slot: Slot,
    /// Its proposer (one of our validators).
    pub proposer: BlsPublicKey,
    /// The raw L1 transactions of the slot's inclusion promises (network form).
    pub inclusions: Vec<Bytes>,
    /// Each rollup's batch transaction.
    pub batches: Vec<SealedBatch>,
    /// The constraints sent to the relays (`None`: nothing to constrain, or no delegate key).
    pub constraints: Option<SignedConstraints>,
}

/// A bid the committer receipted: durable before the receipt's signature leaves. The
/// receipt is stored unsigned (ECDSA signing is deterministic, RFC 6979).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BidRecord {
    /// The bid as received (with its raw transactions and payment).
    pub bid: SignedBid,
    /// The receipt issued for it.
    pub receipt: BidReceipt,
}

/// A slot's auction record: a receipted bid, or the slot's clearing (unsigned, written once;
/// the winners' promises follow as ordinary promise records).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum MarketRecord {
    /// `{"bid": …}`.
    Bid(Box<BidRecord>),
    /// `{"clearing": …}`.
    Clearing(Clearing),
}

impl MarketRecord {
    /// The slot the record belongs to.
    pub const fn slot(&self) -> Slot {
        match self {
            Self::Bid(b) => b.receipt.slot,
            Self::Clearing(c) => c.slot,
        }
    }

    /// The record's bytes: `{"bid": …}` or `{"clearing": …}`, which no promise entry or
    /// seal can be mistaken for.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, super::JournalError> {
        serde_json::to_vec(self).map_err(|e| super::JournalError::Corrupt {
            index: 0,
            reason: e.to_string(),
        })
    }
}

/// Any journal record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Record {
    /// A promise.
    Promise(JournalEntry),
    /// A sealed slot.
    Seal(SealRecord),
    /// An auction record (journals written before the marketplace have none).
    Market(MarketRecord),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealEnvelope {
    seal: SealRecord,
}

impl SealRecord {
    /// The record's bytes: `{"seal": …}`, which no promise entry can be mistaken for.
    pub(crate) fn encode(&self) -> Result<Vec<u8>, super::JournalError> {
        serde_json::to_vec(&SealEnvelope { seal: self.clone() }).map_err(|e| {
            super::JournalError::Corrupt {
                index: 0,
                reason: e.to_string(),
            }
        })
    }
}

impl Record {
    /// Decodes either kind of record (promises are stored as they always were).
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, serde_json::Error> {
        if bytes.starts_with(b"{\"seal\"") {
            return serde_json::from_slice::<SealEnvelope>(bytes).map(|e| Self::Seal(e.seal));
        }
        if bytes.starts_with(b"{\"bid\"") || bytes.starts_with(b"{\"clearing\"") {
            return serde_json::from_slice(bytes).map(Self::Market);
        }
        serde_json::from_slice(bytes).map(Self::Promise)
    }

    /// Splits records into promises and seals, each in journal order (auction records are
    /// left out: see [`Self::split_all`]).
    pub fn split(records: Vec<Self>) -> (Vec<JournalEntry>, Vec<SealRecord>) {
        let (entries, seals, _) = Self::split_all(records);
        (entries, seals)
    }

    /// Splits records into promises, seals and auction records, each in journal order.
    pub fn split_all(
        records: Vec<Self>,
    ) -> (Vec<JournalEntry>, Vec<SealRecord>, Vec<MarketRecord>) {
        let mut entries = Vec::with_capacity(records.len());
        let mut seals = Vec::new();
        let mut market = Vec::new();
        for record in records {
            match record {
                Self::Promise(entry) => entries.push(entry),
                Self::Seal(seal) => seals.push(seal),
                Self::Market(record) => market.push(record),
            }
        }
        (entries, seals, market)
    }
}
