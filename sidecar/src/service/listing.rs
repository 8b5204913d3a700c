//! `baton_commitments`: the promises made for a range of slots, for watchers (the devnet's
//! explorer, a monitoring job) that check each one against L1 and the rollups (step ⑧).

use baton_preconf::{SignedCommitment, Slot};
use serde::Deserialize;

use crate::rpc::RpcError;

/// Most slots one `baton_commitments` call covers.
pub const MAX_LISTED_SLOTS: u64 = 64;
/// Most promises one `baton_commitments` answer carries (`truncated` says more exist).
pub const MAX_LISTED_COMMITMENTS: usize = 4_096;

/// Parameters of `baton_commitments`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ListParams {
    from_slot: Slot,
    to_slot: Slot,
}

impl ListParams {
    /// `fromSlot..=toSlot`, checked: ordered and at most [`MAX_LISTED_SLOTS`] slots.
    pub(crate) fn range(self) -> Result<(Slot, Slot), RpcError> {
        let (from, to) = (self.from_slot, self.to_slot);
        if from > to || to.0 - from.0 >= MAX_LISTED_SLOTS {
            return Err(RpcError::InvalidParams(format!(
                "need fromSlot <= toSlot and at most {MAX_LISTED_SLOTS} slots, got {from}..={to}"
            )));
        }
        Ok((from, to))
    }
}

/// The promises of `all` for slots `from..=to`, ordered by slot, then kind, then first
/// rollup position, then request id; at most `limit` of them, and whether more were left.
pub(crate) fn select<'a>(
    all: impl Iterator<Item = &'a SignedCommitment>,
    from: Slot,
    to: Slot,
    limit: usize,
) -> (Vec<SignedCommitment>, bool) {
    let mut found: Vec<&SignedCommitment> = all
        .filter(|s| (from..=to).contains(&s.commitment.slot))
        .collect();
    found.sort_by_key(|s| {
        let c = &s.commitment;
        let first = c.placements.first().map(|p| (p.rollup_id, p.position));
        (c.slot, c.kind.code(), first, c.request_id)
    });
    let truncated = found.len() > limit;
    (found.into_iter().take(limit).cloned().collect(), truncated)
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{B256, U256};
    use alloy_signer_local::PrivateKeySigner;
    use baton_preconf::{
        BatonDomain, BlsPublicKey, Commitment, CommitmentKind, Placement, Position, RollupId,
    };

    use super::*;

    fn signed(slot: u64, request: u8, placement: Option<u64>) -> SignedCommitment {
        let key = PrivateKeySigner::from_bytes(&B256::repeat_byte(9)).unwrap();
        let (kind, tx_hashes, placements) = match placement {
            Some(position) => (
                CommitmentKind::Sequencing,
                vec![],
                vec![Placement {
                    rollup_id: RollupId(1),
                    position: Position(position),
                    tx_hash: B256::repeat_byte(request),
                }],
            ),
            None => (
                CommitmentKind::Inclusion,
                vec![B256::repeat_byte(request)],
                vec![],
            ),
        };
        Commitment {
            kind,
            slot: Slot(slot),
            validator_pubkey: BlsPublicKey::default(),
            committer: key.address(),
            request_id: B256::repeat_byte(request),
            fee: U256::ZERO,
            tx_hashes,
            placements,
        }
        .sign(
            &key,
            &BatonDomain {
                chain_id: 1,
                verifying_contract: alloy_primitives::Address::ZERO,
            },
        )
        .unwrap()
    }

    #[test]
    fn selects_the_range_in_order_and_says_when_it_cut() {
        let all = [
            signed(12, 1, Some(1)),
            signed(9, 2, None),
            signed(10, 3, None),
            signed(12, 4, Some(0)),
            signed(12, 5, None),
            signed(13, 6, None),
        ];
        let (listed, truncated) = select(all.iter(), Slot(10), Slot(12), 10);
        assert!(!truncated);
        let order: Vec<(u64, u8)> = listed
            .iter()
            .map(|s| (s.commitment.slot.0, s.commitment.request_id.0[0]))
            .collect();
        // Slot 10, then slot 12: inclusion first, then positions 0 and 1.
        assert_eq!(order, vec![(10, 3), (12, 5), (12, 4), (12, 1)]);
        let (listed, truncated) = select(all.iter(), Slot(10), Slot(12), 2);
        assert!(truncated);
        assert_eq!(listed.len(), 2);
        assert!(select(all.iter(), Slot(20), Slot(30), 10).0.is_empty());
    }

    #[test]
    fn ranges_are_ordered_and_bounded() {
        let params = |json| serde_json::from_value::<ListParams>(json).unwrap().range();
        assert_eq!(
            params(serde_json::json!({"fromSlot": "3", "toSlot": 66})).unwrap(),
            (Slot(3), Slot(66))
        );
        for bad in [
            serde_json::json!({"fromSlot": "9", "toSlot": "3"}),
            serde_json::json!({"fromSlot": "0", "toSlot": "64"}),
        ] {
            assert!(matches!(params(bad), Err(RpcError::InvalidParams(_))));
        }
        assert!(
            serde_json::from_value::<ListParams>(
                serde_json::json!({"fromSlot": "1", "toSlot": "2", "limit": 3})
            )
            .is_err(),
            "unknown fields are refused"
        );
    }
}
