//! What the journal stores: one entry per promise, with everything needed to rebuild the
//! ledger (positions, nonces, gas) and to re-sign the promise after a restart.

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{Commitment, Position, RollupId, Slot};
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
