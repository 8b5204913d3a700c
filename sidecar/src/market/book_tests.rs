//! The auction book: `seq` order, closing, clearing once, holding rollups until settled,
//! and publication only once signed.

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsPublicKey, RollupId, Slot,
    market::{Bid, BidReceipt, Product, SignedBid},
};

use super::*;

const SLOT: Slot = Slot(40);

fn domain() -> BatonDomain {
    BatonDomain {
        chain_id: 1,
        verifying_contract: Address::repeat_byte(0x5a),
    }
}

fn committer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
}

fn bid(product: Product, amount: u64, nonce: u64) -> SignedBid {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x61)).unwrap();
    let (count, _) = product.tx_count_range();
    let txs: Vec<Bytes> = (0..count)
        .map(|i| Bytes::from(format!("tx {nonce} {i}").into_bytes()))
        .collect();
    Bid {
        slot: SLOT,
        validator_pubkey: BlsPublicKey([1; 48]),
        product,
        amount: U256::from(amount),
        tx_hashes: txs.iter().map(keccak256).collect(),
        payment_tx_hash: B256::repeat_byte(9),
        bidder: signer.address(),
        nonce,
    }
    .sign(&signer, &domain(), txs, Bytes::from_static(b"pay"))
    .unwrap()
}

fn receipt(bid: &SignedBid, seq: u32) -> BidReceipt {
    BidReceipt {
        bid_hash: bid.bid.digest(&domain()),
        slot: bid.bid.slot,
        product: bid.bid.product.id(),
        amount: bid.bid.amount,
        seq,
        arrival_ms: 1_000 + u64::from(seq),
        committer: committer().address(),
    }
}

fn top(rollup: u64) -> Product {
    Product::TopOfBatch {
        rollup: RollupId(rollup),
        positions: 1,
    }
}

/// A book with bids of `amounts` for top-of-batch of rollup 1, receipted in order.
fn book_with(amounts: &[u64]) -> (AuctionBook, Vec<SignedBid>) {
    let mut book = AuctionBook::default();
    let bids: Vec<SignedBid> = amounts
        .iter()
        .enumerate()
        .map(|(i, a)| bid(top(1), *a, i as u64))
        .collect();
    for b in &bids {
        let seq = book.next_seq(SLOT).unwrap();
        book.add(b.clone(), receipt(b, seq)).unwrap();
    }
    (book, bids)
}

#[test]
fn receipts_follow_seq_and_replay_refuses_gaps() {
    let (mut book, bids) = book_with(&[5, 9]);
    assert_eq!(book.next_seq(SLOT), Ok(2));
    assert_eq!(book.next_seq(Slot(41)), Ok(0));
    let gap = book.add(bids[0].clone(), receipt(&bids[0], 7));
    assert!(matches!(gap, Err(BookError::Replay { .. })), "{gap:?}");
    let first = book.receipt(receipt(&bids[0], 0).bid_hash).unwrap();
    assert_eq!(first.seq, 0);
    assert!(book.receipt(B256::ZERO).is_none());
}

#[test]
fn clearing_closes_once_and_publishes_only_when_signed() {
    let (mut book, bids) = book_with(&[5, 9, 9]);
    let outcome = book.clear(SLOT, committer().address()).unwrap().unwrap();
    assert_eq!(outcome.clearing.bid_count, 3);
    assert_eq!(outcome.clearing.awards.len(), 1);
    assert_eq!(outcome.clearing.awards[0].seq, 1, "the tie goes to seq 1");
    book.install(outcome.clearing.clone());
    assert!(
        book.clear(SLOT, committer().address()).is_none(),
        "never twice"
    );
    assert_eq!(book.next_seq(SLOT), Err(BookError::Closed { slot: SLOT }));
    assert!(
        book.pending_awards(SLOT).is_empty(),
        "nothing before the signature"
    );
    let unsigned = book.publication(SLOT, |_| None, |_| vec![]);
    assert!(unsigned.clearing.is_none());

    let signed = outcome.clearing.sign(&committer(), &domain()).unwrap();
    book.signed(signed.clone());
    assert!(book.is_published(SLOT));
    let published = book.publication(SLOT, |r| r.sign(&committer(), &domain()).ok(), |_| vec![]);
    assert_eq!(published.clearing, Some(signed));
    assert_eq!(published.leaves.len(), 3);
    assert_eq!(published.awards[0].product, top(1));
    published.check(&domain()).unwrap();
    let proof = published.proof(2).unwrap();
    proof
        .verify(
            receipt(&bids[2], 2).struct_hash(),
            published.clearing.unwrap().clearing.bids_root,
        )
        .unwrap();
}

#[test]
fn rollups_are_held_until_settled_and_a_whole_batch_stays_sold() {
    let mut book = AuctionBook::default();
    let whole = bid(
        Product::WholeBatch {
            rollup: RollupId(2),
        },
        4,
        0,
    );
    book.add(whole.clone(), receipt(&whole, 0)).unwrap();
    assert!(book.holds(SLOT, RollupId(2)));
    assert!(!book.holds(SLOT, RollupId(1)));
    assert_eq!(book.unsettled(), vec![SLOT]);
    let outcome = book.clear(SLOT, committer().address()).unwrap().unwrap();
    book.install(outcome.clearing.clone());
    book.signed(outcome.clearing.sign(&committer(), &domain()).unwrap());
    let pending = book.pending_awards(SLOT);
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].2, whole);
    book.set_fate(SLOT, 0, AwardFate::Promised);
    assert!(book.pending_awards(SLOT).is_empty());
    assert!(book.holds(SLOT, RollupId(2)), "held until settled");
    book.settle(SLOT);
    assert!(book.is_settled(SLOT));
    assert!(!book.holds(SLOT, RollupId(2)));
    assert!(book.sold_whole(SLOT, RollupId(2)));
    assert!(!book.sold_whole(SLOT, RollupId(1)));
    assert!(book.unsettled().is_empty());
}

#[test]
fn an_empty_auction_clears_to_the_zero_root() {
    let mut book = AuctionBook::default();
    let outcome = book.clear(SLOT, committer().address()).unwrap().unwrap();
    assert_eq!(outcome.clearing.bid_count, 0);
    assert_eq!(outcome.clearing.bids_root, B256::ZERO);
    book.install(outcome.clearing);
    assert!(book.knows(SLOT));
    assert!(book.is_cleared(SLOT));
}
