//! Evidence checks: an honest clearing survives every challenge; each dishonest one is
//! caught by its fault's check.

use alloy_primitives::{B256, U256};
use alloy_signer_local::PrivateKeySigner;

use super::{clearing::receipted, *};
use crate::{
    batch::PositionProofError,
    market::{
        ClearingError, ReceiptError, ReceiptedBid, SignedClearing, SignedReceipt, clear,
        dispute::{
            DisputeError, OmissionEvidence, check_ignored_product, check_lower_winner,
            check_omitted_bid,
        },
    },
    signature::SignatureError,
};

fn bids() -> Vec<ReceiptedBid> {
    vec![
        receipted(0, top(1, 1), 5),
        receipted(1, top(1, 1), 8),
        receipted(2, bundle(&[1, 2], 1), 3),
        receipted(3, top(3, 1), 4),
    ]
}

fn sign_receipt(bid: &ReceiptedBid) -> SignedReceipt {
    bid.receipt.sign(&committer(), &domain()).unwrap()
}

fn sign_clearing(bids: &[ReceiptedBid]) -> (SignedClearing, crate::market::ClearingOutcome) {
    let out = clear(SLOT, committer().address(), bids).unwrap();
    (
        out.clearing.clone().sign(&committer(), &domain()).unwrap(),
        out,
    )
}

fn resign(clearing: SignedClearing) -> SignedClearing {
    clearing.clearing.sign(&committer(), &domain()).unwrap()
}

#[test]
fn an_honest_clearing_survives_every_challenge() {
    let bids = bids();
    let (clearing, out) = sign_clearing(&bids);
    let d = domain();
    let receipts: Vec<SignedReceipt> = bids.iter().map(sign_receipt).collect();
    // (a) Every receipt is within the count and at its leaf.
    for (seq, r) in receipts.iter().enumerate() {
        let seq = seq as u32;
        assert_eq!(
            check_omitted_bid(&d, r, &clearing, &OmissionEvidence::BeyondCount),
            Err(DisputeError::WithinCount { seq, bid_count: 4 })
        );
        let evidence = OmissionEvidence::OtherLeaf {
            leaf: r.receipt.struct_hash(),
            proof: out.omission_proof(seq).unwrap(),
        };
        assert_eq!(
            check_omitted_bid(&d, r, &clearing, &evidence),
            Err(DisputeError::ReceiptPresent { seq })
        );
    }
    // A proof of another position, or a forged sibling, proves nothing.
    let misplaced = OmissionEvidence::OtherLeaf {
        leaf: receipts[1].receipt.struct_hash(),
        proof: out.omission_proof(1).unwrap(),
    };
    assert!(matches!(
        check_omitted_bid(&d, &receipts[0], &clearing, &misplaced),
        Err(DisputeError::ProofMisplaced { seq: 0, .. })
    ));
    let mut proof = out.omission_proof(0).unwrap();
    proof.siblings[0] = B256::repeat_byte(9);
    let forged = OmissionEvidence::OtherLeaf {
        leaf: B256::repeat_byte(7),
        proof,
    };
    assert!(matches!(
        check_omitted_bid(&d, &receipts[0], &clearing, &forged),
        Err(DisputeError::Proof(PositionProofError::RootMismatch { .. }))
    ));
    // (b) The award for top(1,1) is seq 1 at 8; seq 0 at 5 does not beat it.
    assert_eq!(clearing.clearing.awards[0].seq, 1);
    assert!(matches!(
        check_lower_winner(&d, &receipts[0], &clearing, 0),
        Err(DisputeError::AwardNotLower { .. })
    ));
    assert!(matches!(
        check_lower_winner(&d, &receipts[1], &clearing, 0),
        Err(DisputeError::AwardNotLower { .. })
    ));
    assert!(matches!(
        check_lower_winner(&d, &receipts[3], &clearing, 0),
        Err(DisputeError::DifferentProduct { .. })
    ));
    assert_eq!(
        check_lower_winner(&d, &receipts[0], &clearing, 2),
        Err(DisputeError::AwardOutOfRange { index: 2, count: 2 })
    );
    // (a') The bundle lost to a conflicting award; top(1,1) and top(3,1) were awarded.
    let awarded = [top(1, 1), top(3, 1)];
    assert_eq!(
        check_ignored_product(&d, &receipts[2], &bids[2].product, &clearing, &awarded),
        Err(DisputeError::ConflictingAward { index: 0 })
    );
    assert_eq!(
        check_ignored_product(&d, &receipts[0], &bids[0].product, &clearing, &awarded),
        Err(DisputeError::ProductAwarded { index: 0 })
    );
    assert!(matches!(
        check_ignored_product(&d, &receipts[2], &top(9, 1), &clearing, &awarded),
        Err(DisputeError::PreimageMismatch { index: 0, .. })
    ));
    assert_eq!(
        check_ignored_product(&d, &receipts[2], &bids[2].product, &clearing, &awarded[..1]),
        Err(DisputeError::AwardProductCount {
            given: 1,
            awards: 2
        })
    );
    assert!(matches!(
        check_ignored_product(
            &d,
            &receipts[3],
            &bids[3].product,
            &clearing,
            &[top(1, 1), top(4, 1)]
        ),
        Err(DisputeError::PreimageMismatch { index: 2, .. })
    ));
}

#[test]
fn evidence_must_be_signed_and_about_one_auction() {
    let bids = bids();
    let (clearing, _) = sign_clearing(&bids);
    let d = domain();
    let beyond = OmissionEvidence::BeyondCount;
    // A receipt signed by someone else than its committer.
    let mallory = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x99)).unwrap();
    let mut forged = sign_receipt(&bids[0]);
    forged.signature = crate::signature::sign_digest(&mallory, forged.receipt.digest(&d)).unwrap();
    assert!(matches!(
        check_omitted_bid(&d, &forged, &clearing, &beyond),
        Err(DisputeError::Receipt(ReceiptError::Signature(
            SignatureError::WrongSigner { .. }
        )))
    ));
    // A tampered clearing.
    let mut tampered = clearing.clone();
    tampered.clearing.bids_root = B256::repeat_byte(3);
    assert!(matches!(
        check_lower_winner(&d, &sign_receipt(&bids[0]), &tampered, 0),
        Err(DisputeError::Clearing(ClearingError::Signature(_)))
    ));
    // Another slot's receipt.
    let mut other_slot = bids[0].clone();
    other_slot.receipt.slot = Slot(1);
    assert_eq!(
        check_omitted_bid(&d, &sign_receipt(&other_slot), &clearing, &beyond),
        Err(DisputeError::SlotMismatch {
            receipt: Slot(1),
            clearing: SLOT
        })
    );
    // Another committer's receipt.
    let mut other_committer = bids[0].clone();
    other_committer.receipt.committer = mallory.address();
    let signed = other_committer.receipt.sign(&mallory, &d).unwrap();
    assert_eq!(
        check_omitted_bid(&d, &signed, &clearing, &beyond),
        Err(DisputeError::CommitterMismatch)
    );
    // An invalid product cannot ground (a').
    let mut invalid = bids[0].clone();
    invalid.product = bundle(&[2, 1], 1);
    invalid.receipt.product = invalid.product.id();
    assert!(matches!(
        check_ignored_product(
            &d,
            &sign_receipt(&invalid),
            &invalid.product,
            &clearing,
            &[top(1, 1), top(3, 1)]
        ),
        Err(DisputeError::InvalidProduct(_))
    ));
}

#[test]
fn an_omitted_receipt_is_caught() {
    let bids = bids();
    let d = domain();
    // Drops the last receipt: seq 3 is beyond the count.
    let (short, _) = sign_clearing(&bids[..3]);
    check_omitted_bid(
        &d,
        &sign_receipt(&bids[3]),
        &short,
        &OmissionEvidence::BeyondCount,
    )
    .unwrap();
    // Replaces seq 1 (8 wei) by a cheaper receipt: leaf 1 holds another hash, and the award
    // for top(1,1) is now below the receipted 8.
    let mut swapped = bids.clone();
    swapped[1] = receipted(1, top(1, 1), 2);
    let (clearing, out) = sign_clearing(&swapped);
    let honest_receipt = sign_receipt(&bids[1]);
    let evidence = OmissionEvidence::OtherLeaf {
        leaf: swapped[1].receipt.struct_hash(),
        proof: out.omission_proof(1).unwrap(),
    };
    check_omitted_bid(&d, &honest_receipt, &clearing, &evidence).unwrap();
    let award = clearing
        .clearing
        .awards
        .iter()
        .position(|a| a.product == top(1, 1).id())
        .unwrap();
    check_lower_winner(&d, &honest_receipt, &clearing, award).unwrap();
}

#[test]
fn a_lower_or_later_winner_is_caught() {
    let bids = vec![receipted(0, top(1, 1), 5), receipted(1, top(1, 1), 5)];
    let d = domain();
    let (honest, _) = sign_clearing(&bids);
    assert_eq!(honest.clearing.awards[0].seq, 0);
    // Award the tie to the later bid.
    let mut later = honest.clone();
    later.clearing.awards[0].seq = 1;
    later.clearing.awards[0].bid_hash = bids[1].receipt.bid_hash;
    let later = resign(later);
    check_lower_winner(&d, &sign_receipt(&bids[0]), &later, 0).unwrap();
    // Award a lower amount than receipted.
    let mut lower = honest;
    lower.clearing.awards[0].amount = U256::from(4u64);
    let lower = resign(lower);
    check_lower_winner(&d, &sign_receipt(&bids[0]), &lower, 0).unwrap();
}

#[test]
fn an_ignored_product_is_caught() {
    let bids = bids();
    let d = domain();
    let (mut clearing, _) = sign_clearing(&bids);
    // Drop the award for top(3,1), which conflicts with nothing.
    clearing.clearing.awards.truncate(1);
    let clearing = resign(clearing);
    check_ignored_product(
        &d,
        &sign_receipt(&bids[3]),
        &bids[3].product,
        &clearing,
        &[top(1, 1)],
    )
    .unwrap();
}
