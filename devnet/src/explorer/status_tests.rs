//! Unit tests of `status`: fake evidence in, statuses out.

use alloy_primitives::{Address, B256, U256};
use baton_preconf::{
    BlsPublicKey, Commitment, CommitmentKind, Placement, Position, RollupId, Slot,
};

use super::{
    model::{OnChain, PromiseStatus},
    status::{Evidence, LandedBatch, Receipt, SlotFact, judge_commitment},
};

const COMMITTER: Address = Address::repeat_byte(0xc0);
const BLOCK: B256 = B256::repeat_byte(0xbb);

fn h(byte: u8) -> B256 {
    B256::repeat_byte(byte)
}

fn inclusion(hashes: &[u8]) -> Commitment {
    Commitment {
        kind: CommitmentKind::Inclusion,
        slot: Slot(7),
        validator_pubkey: BlsPublicKey::default(),
        committer: COMMITTER,
        request_id: h(0xee),
        fee: U256::ZERO,
        tx_hashes: hashes.iter().copied().map(h).collect(),
        placements: vec![],
    }
}

fn sequencing(placements: &[(u64, u64, u8)]) -> Commitment {
    Commitment {
        kind: CommitmentKind::Sequencing,
        tx_hashes: vec![],
        placements: placements
            .iter()
            .map(|(rollup, position, hash)| Placement {
                rollup_id: RollupId(*rollup),
                position: Position(*position),
                tx_hash: h(*hash),
            })
            .collect(),
        ..inclusion(&[])
    }
}

const fn landed() -> SlotFact {
    SlotFact::Landed {
        number: 12,
        hash: BLOCK,
    }
}

fn status(c: &Commitment, ev: &Evidence) -> PromiseStatus {
    judge_commitment(c, ev, &OnChain::default()).0
}

#[test]
fn inclusion_goes_from_promised_to_sealed_to_included() {
    let c = inclusion(&[1, 2]);
    let mut ev = Evidence::default();
    let (s, reason, _) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(
        (s, reason.as_str()),
        (PromiseStatus::Promised, "the slot has not come yet")
    );
    ev.constraints_read = true;
    let (_, reason, _) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(reason, "not in the slot's constraints yet");
    ev.sealed_l1.insert(h(1));
    assert_eq!(status(&c, &ev), PromiseStatus::Promised, "half sealed");
    ev.sealed_l1.insert(h(2));
    assert_eq!(status(&c, &ev), PromiseStatus::Sealed);
    ev.slot = Some(landed());
    ev.slot_txs.extend([h(1), h(2), h(3)]);
    let (status, _, items) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(status, PromiseStatus::Included, "by the block's body alone");
    assert_eq!(items[0].l1_tx, Some(h(1)));
    assert_eq!(items[1].l1_block, Some(12));
}

#[test]
fn the_block_body_not_a_receipt_decides_inclusion() {
    let c = inclusion(&[1]);
    let mut ev = Evidence {
        slot: Some(landed()),
        ..Evidence::default()
    };
    // A receipt naming the slot's block, for a transaction its body lacks (a node's
    // index that disagrees with the block it serves): the body wins.
    ev.l1_receipts.insert(
        h(1),
        Receipt {
            block_number: 12,
            block_hash: BLOCK,
        },
    );
    let (s, reason, _) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(s, PromiseStatus::Broken);
    assert!(reason.contains("not in the slot's block 12"), "{reason}");
    ev.l1_receipts.clear();
    ev.slot_txs.insert(h(1));
    assert_eq!(
        status(&c, &ev),
        PromiseStatus::Included,
        "no receipt needed"
    );
}

#[test]
fn inclusion_breaks_when_a_transaction_is_missing_late_or_the_slot_missed() {
    let c = inclusion(&[1, 2]);
    let mut ev = Evidence {
        slot: Some(landed()),
        ..Evidence::default()
    };
    ev.slot_txs.insert(h(1));
    let (s, reason, items) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(s, PromiseStatus::Broken, "all or nothing");
    assert_eq!(items[0].status, PromiseStatus::Included);
    assert!(reason.contains("not in the slot's block 12"), "{reason}");
    ev.l1_receipts.insert(
        h(2),
        Receipt {
            block_number: 13,
            block_hash: h(0x13),
        },
    );
    let (s, reason, _) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(s, PromiseStatus::Broken);
    assert!(reason.contains("landed in block 13"), "{reason}");
    ev.slot = Some(SlotFact::Missed);
    assert_eq!(status(&c, &ev), PromiseStatus::Broken);
}

#[test]
fn sequencing_is_sealed_only_by_the_committers_batch_at_the_position() {
    let c = sequencing(&[(1, 1, 0xa1)]);
    let mut ev = Evidence::default();
    ev.sealed_batches
        .insert((RollupId(1), Address::repeat_byte(9)), vec![h(0), h(0xa1)]);
    assert_eq!(
        status(&c, &ev),
        PromiseStatus::Promised,
        "someone else's batch"
    );
    ev.sealed_batches
        .insert((RollupId(1), COMMITTER), vec![h(0xa1), h(0)]);
    assert_eq!(status(&c, &ev), PromiseStatus::Promised, "wrong position");
    ev.sealed_batches
        .insert((RollupId(1), COMMITTER), vec![h(0), h(0xa1)]);
    assert_eq!(status(&c, &ev), PromiseStatus::Sealed);
}

#[test]
fn sequencing_is_included_with_the_batch_and_the_l2_receipt() {
    let c = sequencing(&[(1, 0, 0xa1), (2, 0, 0xb1)]);
    let mut ev = Evidence {
        slot: Some(landed()),
        ..Evidence::default()
    };
    for (rollup, hash) in [(1, 0xa1), (2, 0xb1)] {
        ev.landed_batches.insert(
            RollupId(rollup),
            LandedBatch {
                tx_hashes: vec![h(hash)],
                l1_tx: Some(h(hash ^ 0x70)),
            },
        );
    }
    // Rollup 2 has no L2 RPC: the batch alone decides.
    ev.l2_receipts.insert(RollupId(1), Default::default());
    let (s, reason, items) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(s, PromiseStatus::Sealed, "L2 receipt pending: {reason}");
    assert_eq!(items[1].status, PromiseStatus::Included);
    assert_eq!(items[0].l1_tx, Some(h(0xa1 ^ 0x70)), "linked to its batch");
    ev.l2_receipts
        .get_mut(&RollupId(1))
        .unwrap()
        .insert(h(0xa1), 33);
    let (s, _, items) = judge_commitment(&c, &ev, &OnChain::default());
    assert_eq!(s, PromiseStatus::Included);
    assert_eq!(items[0].l2_block, Some(33));
    assert_eq!(items[0].l1_block, Some(12));
}

#[test]
fn sequencing_breaks_on_another_tx_a_short_batch_no_batch_or_a_missed_slot() {
    let c = sequencing(&[(1, 1, 0xa1)]);
    let mut ev = Evidence {
        slot: Some(landed()),
        ..Evidence::default()
    };
    let cases: [(Option<Vec<B256>>, &str); 3] = [
        (Some(vec![h(0), h(0xa2)]), "the position holds"),
        (Some(vec![h(0)]), "the batch has 1 transactions"),
        (None, "no canonical batch"),
    ];
    for (batch, expected) in cases {
        ev.landed_batches.clear();
        if let Some(tx_hashes) = batch {
            ev.landed_batches.insert(
                RollupId(1),
                LandedBatch {
                    tx_hashes,
                    l1_tx: None,
                },
            );
        }
        let (s, reason, _) = judge_commitment(&c, &ev, &OnChain::default());
        assert_eq!(s, PromiseStatus::Broken);
        assert!(reason.contains(expected), "{reason} vs {expected}");
    }
    ev.slot = Some(SlotFact::Missed);
    assert_eq!(status(&c, &ev), PromiseStatus::Broken);
}

#[test]
fn contracts_override_what_the_chain_shows() {
    let c = inclusion(&[1]);
    let mut ev = Evidence {
        slot: Some(landed()),
        ..Evidence::default()
    };
    ev.slot_txs.insert(h(1));
    let open = OnChain {
        dispute: Some("open"),
        dispute_tx: Some(h(0xd1)),
        ..OnChain::default()
    };
    assert_eq!(judge_commitment(&c, &ev, &open).0, PromiseStatus::Disputed);
    let defended = OnChain {
        dispute: Some("defended"),
        ..open.clone()
    };
    let (s, reason, _) = judge_commitment(&c, &ev, &defended);
    assert_eq!(s, PromiseStatus::Included);
    assert!(reason.contains("defended"), "{reason}");
    let slashed = OnChain {
        slash: Some("DisputeSlashed"),
        ..open
    };
    let (s, reason, _) = judge_commitment(&c, &ev, &slashed);
    assert_eq!(s, PromiseStatus::Slashed);
    assert!(reason.contains("DisputeSlashed"), "{reason}");
}
