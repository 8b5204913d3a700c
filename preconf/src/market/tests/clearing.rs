//! Clearing: the rules on a worked example, every refusal, and clearing shapes.

use alloy_primitives::{Address, B256, U256, keccak256};

use super::*;
use crate::{
    market::{
        Award, BidReceipt, ClearingError, MAX_BIDS_PER_SLOT, MAX_PRODUCTS_PER_SLOT, ProductError,
        ReceiptedBid, SignedClearing, clear,
    },
    signature::SignatureError,
};

/// A receipted bid without the bid itself (clearing reads receipts only).
pub(super) fn receipted(seq: u32, product: Product, amount: u64) -> ReceiptedBid {
    ReceiptedBid {
        receipt: BidReceipt {
            bid_hash: keccak256(u64::from(seq).to_be_bytes()),
            slot: SLOT,
            product: product.id(),
            amount: U256::from(amount),
            seq,
            arrival_ms: 1_700_000_000_000 + u64::from(seq),
            committer: committer().address(),
        },
        product,
    }
}

fn award_of(bids: &[ReceiptedBid], seq: usize) -> Award {
    let r = &bids[seq].receipt;
    Award {
        product: r.product,
        bid_hash: r.bid_hash,
        amount: r.amount,
        seq: r.seq,
    }
}

#[test]
fn worked_example() {
    // Rollups 1 and 2 are contested by a bundle, 3 by two equal whole-batch bids, 4 by two
    // different products with equal amounts; 5 sells to the only bidder.
    let bids = vec![
        receipted(0, top(1, 2), 10),
        receipted(1, bundle(&[1, 2], 1), 12),
        receipted(2, top(2, 1), 11),
        receipted(3, whole(3), 5),
        receipted(4, whole(3), 5),
        receipted(5, top(4, 1), 7),
        receipted(6, top(4, 2), 7),
        receipted(7, top(1, 2), 9),
        receipted(8, top(5, 3), 1),
    ];
    let out = clear(SLOT, committer().address(), &bids).unwrap();
    let first_4 = if top(4, 1).id() < top(4, 2).id() {
        5
    } else {
        6
    };
    // Bundle (12) takes rollups 1 and 2; top(2) (11) and top(1) (10) are skipped; top of 4
    // at 7 goes to the lower product id; whole(3) at 5 to the earlier seq; top(5) last.
    let expected = vec![
        award_of(&bids, 1),
        award_of(&bids, first_4),
        award_of(&bids, 3),
        award_of(&bids, 8),
    ];
    assert_eq!(out.clearing.awards, expected);
    assert_eq!(out.winners, vec![1, first_4, 3, 8]);
    assert_eq!(out.clearing.bid_count, 9);
    let leaves: Vec<B256> = bids.iter().map(|b| b.receipt.struct_hash()).collect();
    assert_eq!(
        out.clearing.bids_root,
        crate::batch::batch_root(&leaves).unwrap()
    );
    for (seq, leaf) in leaves.iter().enumerate() {
        out.omission_proof(seq as u32)
            .unwrap()
            .verify(*leaf, out.clearing.bids_root)
            .unwrap();
    }
    assert!(out.omission_proof(9).is_none());
    // Input order does not matter.
    let mut reversed = bids;
    reversed.reverse();
    let again = clear(SLOT, committer().address(), &reversed).unwrap();
    assert_eq!(again.clearing, out.clearing);
    assert_eq!(again.winners, vec![8 - 1, 8 - first_4, 8 - 3, 0]);
    // Signs and verifies; JSON round-trips.
    let signed = out.clearing.sign(&committer(), &domain()).unwrap();
    signed.verify(&domain()).unwrap();
    let json = serde_json::to_string(&signed).unwrap();
    assert_eq!(
        serde_json::from_str::<SignedClearing>(&json).unwrap(),
        signed
    );
}

#[test]
fn an_empty_auction_has_the_zero_root() {
    let out = clear(SLOT, committer().address(), &[]).unwrap();
    assert_eq!(out.clearing.bids_root, B256::ZERO);
    assert_eq!(out.clearing.bid_count, 0);
    assert!(out.clearing.awards.is_empty() && out.winners.is_empty());
    assert!(out.omission_proof(0).is_none());
    out.clearing
        .sign(&committer(), &domain())
        .unwrap()
        .verify(&domain())
        .unwrap();
}

#[test]
fn clear_refusals() {
    let me = committer().address();
    let two = || vec![receipted(0, top(1, 1), 5), receipted(1, top(2, 1), 6)];
    let too_many: Vec<ReceiptedBid> = (0..=MAX_BIDS_PER_SLOT as u32)
        .map(|s| receipted(s, top(1, 1), 1))
        .collect();
    assert_eq!(
        clear(SLOT, me, &too_many),
        Err(ClearingError::TooManyBids {
            count: MAX_BIDS_PER_SLOT + 1
        })
    );
    let products: Vec<ReceiptedBid> = (0..=MAX_PRODUCTS_PER_SLOT as u32)
        .map(|s| receipted(s, top(u64::from(s), 1), 1))
        .collect();
    assert_eq!(
        clear(SLOT, me, &products),
        Err(ClearingError::TooManyProducts {
            count: MAX_PRODUCTS_PER_SLOT + 1
        })
    );
    let mut dup = two();
    dup[1].receipt.seq = 0;
    assert_eq!(
        clear(SLOT, me, &dup),
        Err(ClearingError::SeqGap {
            expected: 1,
            got: 0
        })
    );
    let mut gap = two();
    gap[1].receipt.seq = 2;
    assert_eq!(
        clear(SLOT, me, &gap),
        Err(ClearingError::SeqGap {
            expected: 1,
            got: 2
        })
    );
    let mut slot = two();
    slot[1].receipt.slot = Slot(1);
    assert!(matches!(
        clear(SLOT, me, &slot),
        Err(ClearingError::WrongSlot { seq: 1, .. })
    ));
    assert!(matches!(
        clear(SLOT, Address::ZERO, &two()),
        Err(ClearingError::WrongCommitter { seq: 0, .. })
    ));
    let mut product = two();
    product[0].product = top(1, 2);
    assert!(matches!(
        clear(SLOT, me, &product),
        Err(ClearingError::ProductMismatch { seq: 0, .. })
    ));
    let invalid = vec![receipted(0, bundle(&[2, 1], 1), 3)];
    assert!(matches!(
        clear(SLOT, me, &invalid),
        Err(ClearingError::InvalidProduct {
            seq: 0,
            source: ProductError::BundleNotAscending { .. }
        })
    ));
    let zero = vec![receipted(0, top(1, 1), 0)];
    assert_eq!(
        clear(SLOT, me, &zero),
        Err(ClearingError::ZeroAmount { seq: 0 })
    );
}

#[test]
fn clearing_shape_refusals() {
    let bids = vec![receipted(0, top(1, 1), 5), receipted(1, top(2, 1), 6)];
    let good = clear(SLOT, committer().address(), &bids).unwrap().clearing;
    let shape = |change: &dyn Fn(&mut crate::market::Clearing)| {
        let mut c = good.clone();
        change(&mut c);
        c.check_shape()
    };
    assert_eq!(shape(&|_| {}), Ok(()));
    assert_eq!(
        shape(&|c| c.bid_count = MAX_BIDS_PER_SLOT as u32 + 1),
        Err(ClearingError::TooManyBids {
            count: MAX_BIDS_PER_SLOT + 1
        })
    );
    assert_eq!(
        shape(&|c| c.awards = vec![c.awards[0]; MAX_PRODUCTS_PER_SLOT + 1]),
        Err(ClearingError::TooManyProducts {
            count: MAX_PRODUCTS_PER_SLOT + 1
        })
    );
    assert_eq!(
        shape(&|c| {
            c.bid_count = 0;
            c.awards.clear();
        }),
        Err(ClearingError::NonEmptyWithoutBids)
    );
    assert_eq!(
        shape(&|c| c.awards[1].seq = 2),
        Err(ClearingError::AwardSeqOutOfRange {
            index: 1,
            seq: 2,
            bid_count: 2
        })
    );
    assert_eq!(
        shape(&|c| c.awards[0].amount = U256::ZERO),
        Err(ClearingError::ZeroAmount {
            seq: good.awards[0].seq
        })
    );
    assert_eq!(
        shape(&|c| c.awards[1].product = c.awards[0].product),
        Err(ClearingError::DuplicateAward {
            index: 1,
            product: good.awards[0].product
        })
    );
    // Signing checks shape and signer; verification catches tampering.
    let mut bad = good.clone();
    bad.awards[0].seq = 9;
    assert!(matches!(
        bad.sign(&committer(), &domain()),
        Err(ClearingError::AwardSeqOutOfRange { .. })
    ));
    assert!(matches!(
        good.clone().sign(&bidder(1), &domain()),
        Err(ClearingError::Signature(SignatureError::WrongSigner { .. }))
    ));
    let mut signed = good.sign(&committer(), &domain()).unwrap();
    signed.clearing.bids_root = B256::repeat_byte(1);
    assert!(matches!(
        signed.verify(&domain()),
        Err(ClearingError::Signature(SignatureError::WrongSigner { .. }))
    ));
}
