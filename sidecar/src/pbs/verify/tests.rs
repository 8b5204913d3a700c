//! Unit tests of bid verification: every way a relay's answer can be wrong.

use alloy_primitives::{Bytes, keccak256};
use baton_preconf::{
    BlsSecretKey,
    ssz::{
        BuilderBidElectra, InclusionMultiProof, TransactionsTree, Withdrawal, hash_tree_root,
        transaction_leaf, u256_from_alloy,
    },
};
use ssz_rs::List;

use super::*;

const FORK: [u8; 4] = [0x10, 0, 0, 0x38];

fn relay_key() -> BlsSecretKey {
    BlsSecretKey::from_ikm(&[0x33; 32]).unwrap()
}

fn attributes() -> PayloadAttributes {
    let mut withdrawals = List::default();
    withdrawals.push(Withdrawal {
        index: 1,
        validator_index: 2,
        address: [3; 20],
        amount: 4,
    });
    PayloadAttributes {
        proposal_slot: Slot(20),
        proposer_index: 0,
        parent_block_hash: B256::repeat_byte(0xaa),
        parent_block_number: 99,
        parent_beacon_block_root: B256::repeat_byte(0xbb),
        timestamp: 1_700_000_040,
        prev_randao: B256::repeat_byte(0xcc),
        withdrawals,
    }
}

/// The block's transactions: filler at 0, 2, 4; our promises at 1 and 3; a stranger at 5.
fn txs() -> Vec<Bytes> {
    (0..6u8)
        .map(|i| Bytes::from(vec![i; 40 + usize::from(i) * 9]))
        .collect()
}

fn constrained() -> Vec<(B256, B256)> {
    let txs = txs();
    [1usize, 3]
        .iter()
        .map(|&i| (keccak256(&txs[i]), transaction_leaf(&txs[i])))
        .collect()
}

/// A bid proving the transactions at `prove`, signed by `signer`.
fn bid_with(prove: &[usize], value: u64, signer: &BlsSecretKey) -> RelayBid {
    let a = attributes();
    let txs = txs();
    let tree = TransactionsTree::new(&txs).unwrap();
    let mut message = BuilderBidElectra {
        value: u256_from_alloy(U256::from(value)),
        pubkey: ssz_rs::Vector::try_from(signer.public_key().0.to_vec()).unwrap(),
        ..Default::default()
    };
    let header = &mut message.header;
    header.parent_hash = a.parent_block_hash.0;
    header.timestamp = a.timestamp;
    header.block_number = a.parent_block_number + 1;
    header.prev_randao = a.prev_randao.0;
    header.withdrawals_root = hash_tree_root(&a.withdrawals).unwrap().0;
    header.transactions_root = tree.root().0;
    let items: Vec<(B256, usize)> = prove.iter().map(|&i| (keccak256(&txs[i]), i)).collect();
    let proofs = (!items.is_empty()).then(|| InclusionMultiProof::generate(&tree, &items).unwrap());
    RelayBid {
        signed: message.sign(signer, FORK).unwrap(),
        proofs,
    }
}

fn honest(value: u64) -> RelayBid {
    bid_with(&[1, 3], value, &relay_key())
}

fn check(bid: &RelayBid) -> Result<U256, Rejected> {
    let a = attributes();
    let constrained = constrained();
    verify_bid(
        bid,
        &relay_key().public_key(),
        &Expected {
            slot: a.proposal_slot,
            timestamp: a.timestamp,
            parent_hash: a.parent_block_hash,
            attributes: Some(&a),
            constrained: &constrained,
            genesis_fork_version: FORK,
        },
    )
}

fn reason(bid: &RelayBid) -> BidRejection {
    check(bid).expect_err("the bid must be refused").reason
}

/// Re-signs a bid after a test changed its message (so only the change is wrong).
fn resigned(mut bid: RelayBid, change: impl FnOnce(&mut BuilderBidElectra)) -> RelayBid {
    change(&mut bid.signed.message);
    bid.signed = bid.signed.message.clone().sign(&relay_key(), FORK).unwrap();
    bid
}

#[test]
fn an_honest_bid_is_valid_and_worth_its_value() {
    assert_eq!(check(&honest(77)), Ok(U256::from(77u64)));
    // The order of the proven leaves does not matter.
    assert_eq!(
        check(&bid_with(&[3, 1], 5, &relay_key())),
        Ok(U256::from(5u64))
    );
}

#[test]
fn wrong_slot_parent_or_slot_fields_are_a_wrong_header() {
    let slot = resigned(honest(1), |m| m.header.timestamp += 2);
    assert_eq!(reason(&slot), BidRejection::WrongHeader);
    let parent = resigned(honest(1), |m| m.header.parent_hash = [0x11; 32]);
    assert_eq!(reason(&parent), BidRejection::WrongHeader);
    let number = resigned(honest(1), |m| m.header.block_number += 1);
    assert_eq!(reason(&number), BidRejection::WrongHeader);
    let randao = resigned(honest(1), |m| m.header.prev_randao = [0; 32]);
    assert_eq!(reason(&randao), BidRejection::WrongHeader);
    let withdrawals = resigned(honest(1), |m| m.header.withdrawals_root = [0; 32]);
    assert_eq!(reason(&withdrawals), BidRejection::WrongHeader);
}

#[test]
fn a_bad_or_foreign_relay_signature_is_a_wrong_header() {
    let mut tampered = honest(10);
    tampered.signed.message.value = u256_from_alloy(U256::from(1_000u64));
    let refused = check(&tampered).unwrap_err();
    assert_eq!(refused.reason, BidRejection::WrongHeader);
    assert!(refused.detail.contains("signature"), "{refused}");
    // A bid validly signed by a key other than the relay's configured one.
    let stranger = BlsSecretKey::from_ikm(&[0x34; 32]).unwrap();
    let foreign = bid_with(&[1, 3], 10, &stranger);
    let refused = check(&foreign).unwrap_err();
    assert_eq!(refused.reason, BidRejection::WrongHeader);
    assert!(refused.detail.contains("another key"), "{refused}");
    // Our configured key named, but another key's signature.
    let mut mixed = foreign;
    mixed.signed.message.pubkey =
        ssz_rs::Vector::try_from(relay_key().public_key().0.to_vec()).unwrap();
    assert_eq!(reason(&mixed), BidRejection::WrongHeader);
}

#[test]
fn a_tampered_proof_is_a_bad_proof() {
    let mut bid = honest(1);
    let proofs = bid.proofs.as_mut().unwrap();
    proofs.merkle_hashes[0] = B256::repeat_byte(0xee);
    assert_eq!(reason(&bid), BidRejection::BadProof);
    // A proof against another transactions root (the relay swapped the header's root).
    let swapped = resigned(honest(1), |m| m.header.transactions_root = [0x55; 32]);
    assert_eq!(reason(&swapped), BidRejection::BadProof);
    // Indices moved to other positions.
    let mut moved = honest(1);
    let proofs = moved.proofs.as_mut().unwrap();
    proofs.generalized_indexes.swap(0, 1);
    assert_eq!(reason(&moved), BidRejection::BadProof);
}

#[test]
fn a_missing_constraint_or_no_proof_is_a_missing_constraint() {
    let partial = bid_with(&[1], 9, &relay_key());
    let refused = check(&partial).unwrap_err();
    assert_eq!(refused.reason, BidRejection::MissingConstraint);
    let none = bid_with(&[], 9, &relay_key());
    assert_eq!(reason(&none), BidRejection::MissingConstraint);
}

#[test]
fn extra_leaves_we_never_constrained_are_a_bad_proof() {
    let extra = bid_with(&[1, 3, 5], 9, &relay_key());
    let refused = check(&extra).unwrap_err();
    assert_eq!(refused.reason, BidRejection::BadProof);
    assert!(refused.detail.contains("not among"), "{refused}");
}

#[test]
fn without_constraints_any_well_formed_bid_counts() {
    let a = attributes();
    let bid = bid_with(&[], 4, &relay_key());
    let expected = Expected {
        slot: a.proposal_slot,
        timestamp: a.timestamp,
        parent_hash: a.parent_block_hash,
        attributes: None,
        constrained: &[],
        genesis_fork_version: FORK,
    };
    assert_eq!(
        verify_bid(&bid, &relay_key().public_key(), &expected),
        Ok(U256::from(4u64))
    );
}

#[test]
fn the_best_bid_is_the_highest_and_the_first_relay_on_a_tie() {
    let valid = |relay, value: u64| Valid {
        relay,
        value: U256::from(value),
        bid: honest(value),
    };
    assert_eq!(choose(vec![]), None);
    let best = choose(vec![valid(0, 5), valid(1, 9), valid(2, 7)]).unwrap();
    assert_eq!((best.relay, best.value), (1, U256::from(9u64)));
    let tie = choose(vec![valid(2, 9), valid(1, 9), valid(0, 3)]).unwrap();
    assert_eq!(tie.relay, 1, "equal values: the relay configured first");
}
