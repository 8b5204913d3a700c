//! Bids and receipts: every refusal, signatures, JSON.

use alloy_primitives::{Address, B256, Bytes, U256};

use super::*;
use crate::{
    market::{BidError, BidReceipt, PaymentError, ProductError, ReceiptError, SignedReceipt},
    signature::SignatureError,
    transaction::TxDecodeError,
};

fn validate(bid: SignedBid) -> Result<crate::market::ValidBid, BidError> {
    bid.validate(&domain(), &ctx())
}

/// Re-signs a changed bid so that only the change is wrong.
fn resign(mut bid: SignedBid, change: impl FnOnce(&mut SignedBid)) -> SignedBid {
    change(&mut bid);
    let signer = bidder(1);
    let digest = bid.bid.digest(&domain());
    bid.signature = crate::signature::sign_digest(&signer, digest).unwrap();
    bid
}

#[test]
fn a_good_bid_validates_and_round_trips() {
    for product in [top(1, 2), whole(2), bundle(&[1, 3], 2)] {
        let bid = signed_bid(1, product.clone(), 1_000, 7);
        let hash = bid.verify(&domain()).unwrap();
        let json = serde_json::to_string(&bid).unwrap();
        let back: SignedBid = serde_json::from_str(&json).unwrap();
        assert_eq!(back, bid);
        let valid = validate(back).unwrap();
        assert_eq!(valid.bid_hash(), hash);
        assert_eq!(valid.bid().product, product);
        assert_eq!(valid.payment().sender, bidder(1).address());
        let placements = product.placements(&valid.bid().tx_hashes);
        assert_eq!(placements.len(), valid.bid().tx_hashes.len());
    }
}

#[test]
fn shape_refusals() {
    let base = signed_bid(1, top(1, 2), 1_000, 7);
    let shape = |change: &dyn Fn(&mut Bid)| {
        let mut bid = base.bid.clone();
        change(&mut bid);
        bid.check_shape()
    };
    assert_eq!(
        shape(&|b| b.product = top(1, 0)),
        Err(BidError::Product(ProductError::ZeroPositions))
    );
    assert_eq!(shape(&|b| b.amount = U256::ZERO), Err(BidError::ZeroAmount));
    assert_eq!(
        shape(&|b| b.tx_hashes = vec![B256::ZERO; 65]),
        Err(BidError::TooManyTxs { count: 65 })
    );
    assert_eq!(
        shape(&|b| b.tx_hashes.truncate(1)),
        Err(BidError::WrongTxCount {
            count: 1,
            min: 2,
            max: 2
        })
    );
    assert_eq!(
        shape(&|b| {
            b.product = whole(1);
            b.tx_hashes.clear();
        }),
        Err(BidError::WrongTxCount {
            count: 0,
            min: 1,
            max: 64
        })
    );
    assert_eq!(
        shape(&|b| b.tx_hashes[1] = b.tx_hashes[0]),
        Err(BidError::DuplicateTx { index: 1 })
    );
    // Shape is checked before signing and before validating.
    let mut bad = base.bid.clone();
    bad.amount = U256::ZERO;
    assert_eq!(
        bad.sign(&bidder(1), &domain(), vec![], Bytes::new()),
        Err(BidError::ZeroAmount)
    );
    let mut bad = base.clone();
    bad.bid.amount = U256::ZERO;
    assert_eq!(bad.verify(&domain()), Err(BidError::ZeroAmount));
    assert_eq!(validate(bad), Err(BidError::ZeroAmount));
}

#[test]
fn auction_refusals() {
    let base = signed_bid(1, top(1, 2), 1_000, 7);
    assert_eq!(
        validate(resign(base.clone(), |b| b.bid.slot = Slot(1))),
        Err(BidError::WrongSlot {
            expected: SLOT,
            got: Slot(1)
        })
    );
    assert_eq!(
        validate(resign(base, |b| b.bid.validator_pubkey = BlsPublicKey([1; 48]))),
        Err(BidError::WrongValidator)
    );
    let cheap = signed_bid(1, top(1, 2), 99, 7);
    assert_eq!(
        validate(cheap),
        Err(BidError::BelowReserve {
            amount: U256::from(99u64),
            reserve: U256::from(100u64)
        })
    );
    // At the reserve is fine.
    validate(signed_bid(1, top(1, 2), 100, 7)).unwrap();
}

#[test]
fn transaction_refusals() {
    let base = signed_bid(1, top(1, 2), 1_000, 7);
    let mut missing = base.clone();
    missing.transactions.pop();
    assert_eq!(
        validate(missing),
        Err(BidError::TransactionCount {
            hashes: 2,
            transactions: 1
        })
    );
    let mut empty = base.clone();
    empty.transactions[1] = Bytes::new();
    assert_eq!(
        validate(empty),
        Err(BidError::RollupTx {
            index: 1,
            source: TxDecodeError::Empty
        })
    );
    let mut swapped = base.clone();
    swapped.transactions.swap(0, 1);
    assert!(matches!(
        validate(swapped),
        Err(BidError::TxHashMismatch { index: 0, .. })
    ));
    // The payment path is wired in (its own refusals are tested in `payment`).
    let mut other_payment = base.clone();
    other_payment.payment = signed_bid(1, top(1, 2), 2_000, 8).payment;
    assert!(matches!(
        validate(other_payment),
        Err(BidError::Payment(PaymentError::HashMismatch { .. }))
    ));
    let mut other_ctx = ctx();
    other_ctx.fee_recipient = Address::ZERO;
    assert!(matches!(
        base.validate(&domain(), &other_ctx),
        Err(BidError::Payment(PaymentError::WrongRecipient { .. }))
    ));
}

#[test]
fn signature_refusals() {
    let base = signed_bid(1, top(1, 2), 1_000, 7);
    // Tampered after signing: another amount is another digest.
    let mut tampered = base.clone();
    tampered.bid.amount = U256::from(5_000u64);
    assert!(matches!(
        tampered.verify(&domain()),
        Err(BidError::Signature(SignatureError::WrongSigner { .. }))
    ));
    // Another domain.
    let other = BatonDomain {
        chain_id: 1,
        ..domain()
    };
    assert!(matches!(
        base.verify(&other),
        Err(BidError::Signature(SignatureError::WrongSigner { .. }))
    ));
    assert!(matches!(
        base.clone().validate(&other, &ctx()),
        Err(BidError::Signature(SignatureError::WrongSigner { .. }))
    ));
    // Someone else cannot sign for the bidder.
    assert!(matches!(
        base.bid.sign(&bidder(2), &domain(), vec![], Bytes::new()),
        Err(BidError::Signature(SignatureError::WrongSigner { .. }))
    ));
}

fn receipt_for(bid: &SignedBid, seq: u32) -> BidReceipt {
    validate(bid.clone())
        .unwrap()
        .receipt(seq, 1_700_000_000_000, committer().address())
}

#[test]
fn receipts_sign_verify_and_match_their_bid() {
    let bid = signed_bid(1, bundle(&[1, 2], 1), 1_000, 7);
    let receipt = receipt_for(&bid, 3);
    assert_eq!(receipt.bid_hash, bid.bid.digest(&domain()));
    assert_eq!(receipt.product, bid.bid.product.id());
    let signed = receipt.sign(&committer(), &domain()).unwrap();
    signed.verify(&domain()).unwrap();
    signed
        .verify_for(&domain(), &bid.bid, committer().address())
        .unwrap();
    let json = serde_json::to_string(&signed).unwrap();
    assert_eq!(
        serde_json::from_str::<SignedReceipt>(&json).unwrap(),
        signed
    );
}

#[test]
fn receipt_refusals() {
    let bid = signed_bid(1, top(1, 1), 1_000, 7);
    let signed = receipt_for(&bid, 0).sign(&committer(), &domain()).unwrap();
    assert!(matches!(
        receipt_for(&bid, 0).sign(&bidder(1), &domain()),
        Err(ReceiptError::Signature(SignatureError::WrongSigner { .. }))
    ));
    assert_eq!(
        signed.verify_for(&domain(), &bid.bid, Address::ZERO),
        Err(ReceiptError::WrongCommitter {
            expected: Address::ZERO,
            got: committer().address()
        })
    );
    let mismatch = |change: &dyn Fn(&mut Bid)| {
        let mut other = bid.bid.clone();
        change(&mut other);
        signed.verify_for(&domain(), &other, committer().address())
    };
    for (field, result) in [
        ("slot", mismatch(&|b| b.slot = Slot(1))),
        ("product", mismatch(&|b| b.product = top(2, 1))),
        ("amount", mismatch(&|b| b.amount = U256::from(1u64))),
        ("bidHash", mismatch(&|b| b.nonce = 8)),
    ] {
        assert_eq!(result, Err(ReceiptError::BidMismatch { field }));
    }
    let mut tampered = signed;
    tampered.receipt.seq = 1;
    assert!(matches!(
        tampered.verify(&domain()),
        Err(ReceiptError::Signature(SignatureError::WrongSigner { .. }))
    ));
    let other = BatonDomain {
        verifying_contract: Address::ZERO,
        ..domain()
    };
    assert!(signed.verify(&other).is_err());
}
