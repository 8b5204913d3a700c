//! Step ⑥: is a relay's bid one the proposer may sign? A bid counts only if the relay we
//! configured signed it, its header builds the requested slot on the requested parent, and
//! its multiproof shows, against the header's own `transactions_root`, every transaction
//! we constrained for the slot (inclusion promises and rollup batch transactions), and
//! nothing we did not.
//!
//! The builder bid names no proposer; the proposer is checked where the request is made
//! (only the slot's proposer, from our duties, is asked for), and the header's fields
//! that the slot fixes (timestamp, and with the slot's payload attributes its block number,
//! prevRandao and withdrawals) tie the bid to that proposal.

use alloy_primitives::{B256, U256};
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{MultiProofError, PayloadAttributes, u256_to_alloy},
};

use super::relays::RelayBid;

/// Why a bid was refused: the `reason` label of `baton_sidecar_bids_rejected_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BidRejection {
    /// The proof is malformed, does not reach `transactions_root`, or names transactions we
    /// did not constrain.
    BadProof,
    /// A constrained transaction is not proven (or there is no proof at all).
    MissingConstraint,
    /// Another signer, a bad signature, or a header for another slot or parent.
    WrongHeader,
}

impl BidRejection {
    /// Every reason, in label order.
    pub const ALL: [Self; 3] = [Self::BadProof, Self::MissingConstraint, Self::WrongHeader];

    /// The metric label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::BadProof => "bad_proof",
            Self::MissingConstraint => "missing_constraint",
            Self::WrongHeader => "wrong_header",
        }
    }
}

/// A refused bid: the reason and what exactly was wrong (for the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {detail}", reason.label())]
pub struct Rejected {
    /// The reason.
    pub reason: BidRejection,
    /// Details.
    pub detail: String,
}

fn wrong(detail: impl Into<String>) -> Rejected {
    Rejected {
        reason: BidRejection::WrongHeader,
        detail: detail.into(),
    }
}

/// What a bid for one `getHeader` must match.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The slot asked for.
    pub slot: Slot,
    /// Its timestamp.
    pub timestamp: u64,
    /// The parent block asked for.
    pub parent_hash: B256,
    /// The slot's payload attributes, when the beacon node announced them for this parent.
    pub attributes: Option<&'a PayloadAttributes>,
    /// `(transaction hash, SSZ leaf)` of every transaction constrained for the slot.
    pub constrained: &'a [(B256, B256)],
    /// The genesis fork version (the builder domain of the relay's signature).
    pub genesis_fork_version: [u8; 4],
}

/// Checks `bid` from the relay whose key is `relay_key`; returns its value.
pub fn verify_bid(
    bid: &RelayBid,
    relay_key: &BlsPublicKey,
    expected: &Expected<'_>,
) -> Result<U256, Rejected> {
    let message = &bid.signed.message;
    if message.pubkey.as_ref() != relay_key.0.as_slice() {
        return Err(wrong("signed by another key than the relay's"));
    }
    bid.signed
        .verify(expected.genesis_fork_version)
        .map_err(|_| wrong("the relay's signature does not verify"))?;
    let header = &message.header;
    if B256::from(header.parent_hash) != expected.parent_hash {
        return Err(wrong(format!(
            "builds on {}, not {}",
            B256::from(header.parent_hash),
            expected.parent_hash
        )));
    }
    if header.timestamp != expected.timestamp {
        return Err(wrong(format!(
            "timestamp {} is not slot {}'s ({})",
            header.timestamp, expected.slot, expected.timestamp
        )));
    }
    if let Some(attributes) = expected.attributes
        && attributes.parent_block_hash == expected.parent_hash
    {
        if header.block_number != attributes.parent_block_number + 1 {
            return Err(wrong(format!(
                "block number {} does not follow the parent's {}",
                header.block_number, attributes.parent_block_number
            )));
        }
        if B256::from(header.prev_randao) != attributes.prev_randao {
            return Err(wrong("prevRandao is not the slot's"));
        }
        if B256::from(header.withdrawals_root) != attributes.withdrawals_root() {
            return Err(wrong("withdrawals are not the slot's"));
        }
    }
    if !expected.constrained.is_empty() {
        let proofs = bid.proofs.as_ref().ok_or_else(|| Rejected {
            reason: BidRejection::MissingConstraint,
            detail: format!(
                "no proof of the slot's {} constrained transactions",
                expected.constrained.len()
            ),
        })?;
        proofs
            .verify_leaves(B256::from(header.transactions_root), expected.constrained)
            .map_err(|e| Rejected {
                reason: match e {
                    MultiProofError::MissingTransaction { .. } => BidRejection::MissingConstraint,
                    _ => BidRejection::BadProof,
                },
                detail: e.to_string(),
            })?;
    }
    Ok(u256_to_alloy(&message.value))
}

/// A bid that passed [`verify_bid`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid {
    /// Index of the relay in the configuration.
    pub relay: usize,
    /// Value to the proposer (wei).
    pub value: U256,
    /// The bid.
    pub bid: RelayBid,
}

/// The best of several valid bids: the highest value; on a tie, the relay listed first.
pub fn choose(bids: Vec<Valid>) -> Option<Valid> {
    bids.into_iter().reduce(|best, bid| {
        if bid.value > best.value || (bid.value == best.value && bid.relay < best.relay) {
            bid
        } else {
            best
        }
    })
}

#[cfg(test)]
mod tests;
