//! Promises against what L1 did (step ⑧): a sequencing promise is honoured when the
//! rollup's canonical batch of its slot holds the promised transaction at the promised
//! position; otherwise the derived chain diverges from the soft head that promise built.

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::{
    commitment::{CommitmentKind, SignedCommitment},
    types::{Position, RollupId, Slot},
};

/// One promised placement, taken from a sequencing commitment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Promise {
    /// The wallet request the commitment answers.
    pub request_id: B256,
    /// Who signed it.
    pub committer: Address,
    /// The slot.
    pub slot: Slot,
    /// The rollup.
    pub rollup_id: RollupId,
    /// The promised position.
    pub position: Position,
    /// The promised transaction's batch hash.
    pub tx_hash: B256,
}

/// The placements of a sequencing commitment (none for an inclusion commitment). The
/// commitment's signature is checked by the caller.
pub fn promises_of(signed: &SignedCommitment) -> Vec<Promise> {
    let c = &signed.commitment;
    if c.kind != CommitmentKind::Sequencing {
        return Vec::new();
    }
    c.placements
        .iter()
        .map(|p| Promise {
            request_id: c.request_id,
            committer: c.committer,
            slot: c.slot,
            rollup_id: p.rollup_id,
            position: p.position,
            tx_hash: p.tx_hash,
        })
        .collect()
}

/// What L1 did with a slot, for one rollup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotFate<'a> {
    /// No L1 block for the slot.
    Missed,
    /// The slot's L1 block, with the transaction hashes of the rollup's canonical batch
    /// if it has one.
    Landed(Option<&'a [B256]>),
}

/// How a promise was broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Divergence {
    /// The slot has no L1 block.
    SlotMissed,
    /// The slot's block has no canonical batch for the rollup.
    NoBatch,
    /// The canonical batch is shorter than the promised position.
    PositionEmpty {
        /// Transactions in the canonical batch.
        #[serde(with = "crate::types::quoted")]
        count: u64,
    },
    /// Another transaction sits at the promised position.
    OtherTransaction {
        /// Its batch hash.
        actual: B256,
    },
}

impl Divergence {
    /// A short label (metrics use it).
    pub const fn label(&self) -> &'static str {
        match self {
            Self::SlotMissed => "slot_missed",
            Self::NoBatch => "no_batch",
            Self::PositionEmpty { .. } => "position_empty",
            Self::OtherTransaction { .. } => "other_transaction",
        }
    }
}

/// Judges a promise once its slot is decided: `Ok` when honoured.
pub fn judge(promise: &Promise, fate: SlotFate<'_>) -> Result<(), Divergence> {
    let hashes = match fate {
        SlotFate::Missed => return Err(Divergence::SlotMissed),
        SlotFate::Landed(None) => return Err(Divergence::NoBatch),
        SlotFate::Landed(Some(hashes)) => hashes,
    };
    let count = hashes.len() as u64;
    let actual = usize::try_from(promise.position.0)
        .ok()
        .and_then(|p| hashes.get(p).copied())
        .ok_or(Divergence::PositionEmpty { count })?;
    if actual == promise.tx_hash {
        Ok(())
    } else {
        Err(Divergence::OtherTransaction { actual })
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::keccak256;

    use super::*;

    fn batch(txs: &[&'static [u8]]) -> Vec<B256> {
        txs.iter().map(keccak256).collect()
    }

    fn promise(position: u64, tx: &[u8]) -> Promise {
        Promise {
            request_id: B256::repeat_byte(4),
            committer: Address::repeat_byte(1),
            slot: Slot(9),
            rollup_id: RollupId(1),
            position: Position(position),
            tx_hash: keccak256(tx),
        }
    }

    #[test]
    fn honoured_only_at_the_promised_position() {
        let b = batch(&[b"a", b"b"]);
        assert_eq!(
            judge(&promise(1, b"b"), SlotFate::Landed(Some(&b[..]))),
            Ok(())
        );
        assert_eq!(
            judge(&promise(0, b"b"), SlotFate::Landed(Some(&b[..]))),
            Err(Divergence::OtherTransaction {
                actual: keccak256(b"a")
            })
        );
        assert_eq!(
            judge(&promise(2, b"b"), SlotFate::Landed(Some(&b[..]))),
            Err(Divergence::PositionEmpty { count: 2 })
        );
        assert_eq!(
            judge(&promise(0, b"a"), SlotFate::Landed(None)),
            Err(Divergence::NoBatch)
        );
        assert_eq!(
            judge(&promise(0, b"a"), SlotFate::Missed),
            Err(Divergence::SlotMissed)
        );
    }
}
