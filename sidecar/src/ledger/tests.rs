//! Unit tests of the parent module.

use alloy_primitives::keccak256;
use baton_preconf::{BlsPublicKey, Commitment, CommitmentKind, Placement};

use super::*;

const LIMITS: Limits = Limits {
    gas_per_slot: 100_000,
    batch_max_txs: 3,
    batch_max_bytes: 1_000,
    blobs_per_slot: 6,
};

fn rtx(rollup: u64, body: &str) -> (RollupId, Bytes, B256) {
    let raw = Bytes::from(body.as_bytes().to_vec());
    let hash = keccak256(&raw);
    (RollupId(rollup), raw, hash)
}

fn entry_for(slot: Slot, txs: &[(RollupId, Bytes, B256)], positions: &[Position]) -> JournalEntry {
    JournalEntry {
        commitment: Commitment {
            kind: CommitmentKind::Sequencing,
            slot,
            validator_pubkey: BlsPublicKey([1; 48]),
            committer: Address::ZERO,
            request_id: B256::ZERO,
            fee: U256::ZERO,
            tx_hashes: vec![],
            placements: txs
                .iter()
                .zip(positions)
                .map(|((r, _, h), p)| Placement {
                    rollup_id: *r,
                    position: *p,
                    tx_hash: *h,
                })
                .collect(),
        },
        reservation: Reservation::Sequencing {
            placements: txs
                .iter()
                .zip(positions)
                .map(|((r, raw, _), p)| (*r, *p, raw.clone()))
                .collect(),
            l2_senders: vec![],
        },
        wallet: Address::ZERO,
    }
}

#[test]
fn positions_are_first_come_first_served_and_bundles_all_or_nothing() {
    let mut ledger = Ledger::new(LIMITS);
    let slot = Slot(5);
    let a = [rtx(1, "a1"), rtx(2, "b1")];
    let pos = ledger.plan_sequencing(slot, &a).unwrap();
    assert_eq!(pos, vec![Position(0), Position(0)]);
    ledger.apply(&entry_for(slot, &a, &pos));

    let b = [rtx(1, "a2"), rtx(1, "a3")];
    let pos = ledger.plan_sequencing(slot, &b).unwrap();
    assert_eq!(pos, vec![Position(1), Position(2)]);
    ledger.apply(&entry_for(slot, &b, &pos));

    // Rollup 1 is full (3 txs); a bundle touching it reserves nothing anywhere.
    let c = [rtx(2, "b2"), rtx(1, "a4")];
    assert!(matches!(
        ledger.plan_sequencing(slot, &c),
        Err(LedgerError::BatchFull {
            rollup_id: RollupId(1),
            ..
        })
    ));
    assert_eq!(
        ledger.batch(slot, RollupId(2)).len(),
        1,
        "rollup 2 untouched by the failed bundle"
    );
    // Already promised.
    assert!(matches!(
        ledger.plan_sequencing(slot, &[rtx(2, "b1")]),
        Err(LedgerError::AlreadyPromised { .. })
    ));
    assert_eq!(
        ledger.batch(slot, RollupId(1)),
        vec![
            Bytes::from_static(b"a1"),
            Bytes::from_static(b"a2"),
            Bytes::from_static(b"a3")
        ]
    );
}

#[test]
fn nonces_and_balances_count_every_pending_promise() {
    let mut ledger = Ledger::new(LIMITS);
    let alice = Address::repeat_byte(0xa1);
    let accounts = HashMap::from([(
        alice,
        AccountState {
            nonce: 7,
            balance: U256::from(100u64),
        },
    )]);
    let item = |nonce, cost: u64| L1Item {
        sender: alice,
        nonce,
        gas: 21_000,
        blobs: 0,
        max_cost: U256::from(cost),
    };

    assert!(matches!(
        ledger.plan_inclusion(Slot(1), &[item(6, 10)], &accounts),
        Err(LedgerError::NonceMismatch { expected: 7, .. })
    ));
    let gas = ledger
        .plan_inclusion(Slot(1), &[item(7, 40), item(8, 40)], &accounts)
        .unwrap();
    assert_eq!(gas, 42_000);
    let entry = JournalEntry {
        reservation: Reservation::Inclusion {
            txs: vec![],
            gas,
            blobs: 0,
            senders: vec![(alice, 7, U256::from(40u64)), (alice, 8, U256::from(40u64))],
        },
        ..entry_for(Slot(1), &[], &[])
    };
    ledger.apply(&entry);
    // The next promise, even in a later slot, must use nonce 9 and fit in 20 wei.
    assert!(matches!(
        ledger.plan_inclusion(Slot(2), &[item(8, 1)], &accounts),
        Err(LedgerError::NonceMismatch { expected: 9, .. })
    ));
    assert!(matches!(
        ledger.plan_inclusion(Slot(2), &[item(9, 21)], &accounts),
        Err(LedgerError::InsufficientBalance { .. })
    ));
    ledger
        .plan_inclusion(Slot(2), &[item(9, 20)], &accounts)
        .unwrap();
    // Gas cap per slot.
    let many: Vec<_> = (9..14).map(|n| item(n, 0)).collect();
    assert!(matches!(
        ledger.plan_inclusion(Slot(1), &many, &accounts),
        Err(LedgerError::SlotGasFull { .. })
    ));
    // Once slot 1 is past, its spend no longer counts (the head balance reflects it).
    ledger.prune_before(Slot(2));
    let after = HashMap::from([(
        alice,
        AccountState {
            nonce: 9,
            balance: U256::from(21u64),
        },
    )]);
    ledger
        .plan_inclusion(Slot(2), &[item(9, 21)], &after)
        .unwrap();
    assert_eq!(ledger.gas_left(Slot(1)), LIMITS.gas_per_slot);
}

#[test]
fn a_sealed_slot_returns_its_contents_and_takes_nothing_more() {
    let mut ledger = Ledger::new(LIMITS);
    let txs = [rtx(2, "b0"), rtx(1, "a0"), rtx(2, "b1")];
    let positions = ledger.plan_sequencing(Slot(4), &txs).unwrap();
    ledger.apply(&entry_for(Slot(4), &txs, &positions));
    let raw = Bytes::from_static(b"l1 tx");
    ledger.apply(&JournalEntry {
        reservation: Reservation::Inclusion {
            txs: vec![raw.clone()],
            gas: 21_000,
            blobs: 0,
            senders: vec![(Address::repeat_byte(1), 0, U256::ZERO)],
        },
        ..entry_for(Slot(4), &[], &[])
    });
    assert!(!ledger.is_sealed(Slot(4)));
    let contents = ledger.seal(Slot(4));
    assert_eq!(contents.inclusions, vec![raw]);
    assert_eq!(
        contents.batches,
        vec![
            (RollupId(1), vec![txs[1].1.clone()]),
            (RollupId(2), vec![txs[0].1.clone(), txs[2].1.clone()]),
        ],
        "rollups in id order, transactions in position order"
    );
    assert!(ledger.is_sealed(Slot(4)));
    assert_eq!(
        ledger.seal(Slot(4)),
        contents,
        "sealing twice changes nothing"
    );
    assert!(matches!(
        ledger.plan_sequencing(Slot(4), &[rtx(1, "late")]),
        Err(LedgerError::Sealed { slot: Slot(4) })
    ));
    assert!(matches!(
        ledger.plan_inclusion(Slot(4), &[], &HashMap::new()),
        Err(LedgerError::Sealed { .. })
    ));
    // Other slots are untouched; an empty slot seals to nothing.
    ledger.plan_sequencing(Slot(5), &[rtx(1, "x")]).unwrap();
    assert_eq!(ledger.seal(Slot(6)), SlotContents::default());
}
