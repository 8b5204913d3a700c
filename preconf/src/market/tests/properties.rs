//! The property: for random bid sets (conflicting products, tied amounts, up to
//! 200 bids) clearing is deterministic under permutation, every receipt is its leaf in the
//! root, every award is its product's best receipt, no two awards conflict, every
//! receipted product is awarded or blocked by a conflicting award, and no challenge
//! succeeds against the honest result.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::{clearing::receipted, *};
use crate::market::{
    ProductId, ReceiptedBid, clear,
    dispute::{OmissionEvidence, check_ignored_product, check_lower_winner, check_omitted_bid},
};

/// Products over rollups 1–4, so conflicts are frequent.
fn product() -> impl Strategy<Value = Product> {
    prop_oneof![
        (1u64..=4, 1u16..=3).prop_map(|(r, k)| top(r, k)),
        (1u64..=4).prop_map(whole),
        (
            proptest::sample::subsequence(vec![1u64, 2, 3, 4], 2..=3),
            1u16..=2
        )
            .prop_map(|(rs, k)| bundle(&rs, k)),
    ]
}

/// Receipted bids with seq 0..n, then shuffled; amounts from a small range, so ties.
fn bid_set(max: usize) -> impl Strategy<Value = Vec<ReceiptedBid>> {
    proptest::collection::vec((product(), 1u64..=6), 0..=max)
        .prop_map(|bids| {
            bids.into_iter()
                .enumerate()
                .map(|(seq, (p, amount))| receipted(seq as u32, p, amount))
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn sorted(bids: &[ReceiptedBid]) -> Vec<ReceiptedBid> {
    let mut sorted = bids.to_vec();
    sorted.sort_by_key(|b| b.receipt.seq);
    sorted
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn clearing_is_deterministic_complete_and_fair(bids in bid_set(200)) {
        let me = committer().address();
        let out = clear(SLOT, me, &bids).unwrap();
        let in_order = sorted(&bids);
        let again = clear(SLOT, me, &in_order).unwrap();
        prop_assert_eq!(&again.clearing, &out.clearing);
        prop_assert_eq!(again.tree.root(), out.tree.root());

        // Every receipt is accounted for at its seq.
        prop_assert_eq!(out.clearing.bid_count as usize, bids.len());
        for b in &bids {
            let proof = out.omission_proof(b.receipt.seq).unwrap();
            prop_assert_eq!(proof.verify(b.receipt.struct_hash(), out.clearing.bids_root), Ok(()));
        }
        prop_assert!(out.omission_proof(bids.len() as u32).is_none());

        // Each award is its product's highest receipt, ties to the lowest seq.
        let mut products: BTreeMap<ProductId, Product> = BTreeMap::new();
        for b in &in_order {
            products.insert(b.receipt.product, b.product.clone());
        }
        for (award, &winner) in out.clearing.awards.iter().zip(&out.winners) {
            prop_assert_eq!(bids[winner].receipt.bid_hash, award.bid_hash);
            let best = in_order
                .iter()
                .filter(|b| b.receipt.product == award.product)
                .max_by(|a, b| a.receipt.amount.cmp(&b.receipt.amount).then(b.receipt.seq.cmp(&a.receipt.seq)))
                .unwrap();
            prop_assert_eq!((best.receipt.amount, best.receipt.seq), (award.amount, award.seq));
        }
        // Clearing order: amount descending, then product id ascending.
        for pair in out.clearing.awards.windows(2) {
            prop_assert!(
                pair[0].amount > pair[1].amount
                    || (pair[0].amount == pair[1].amount && pair[0].product < pair[1].product)
            );
        }
        // No two awards conflict; every other product is blocked by an award.
        let awarded: Vec<&Product> = out.clearing.awards.iter().map(|a| &products[&a.product]).collect();
        for (i, a) in awarded.iter().enumerate() {
            for b in &awarded[i + 1..] {
                prop_assert!(!a.conflicts_with(b));
            }
        }
        for (id, p) in &products {
            prop_assert!(
                out.clearing.awards.iter().any(|a| a.product == *id)
                    || awarded.iter().any(|a| a.conflicts_with(p))
            );
        }
    }
}

proptest! {
    // Signs every receipt: fewer cases.
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn no_challenge_succeeds_against_an_honest_clearing(bids in bid_set(120)) {
        let d = domain();
        let out = clear(SLOT, committer().address(), &bids).unwrap();
        let clearing = out.clearing.clone().sign(&committer(), &d).unwrap();
        let award_products: Vec<Product> = out.winners.iter().map(|&i| bids[i].product.clone()).collect();
        for b in &bids {
            let receipt = b.receipt.sign(&committer(), &d).unwrap();
            prop_assert!(check_omitted_bid(&d, &receipt, &clearing, &OmissionEvidence::BeyondCount).is_err());
            let evidence = OmissionEvidence::OtherLeaf {
                leaf: b.receipt.struct_hash(),
                proof: out.omission_proof(b.receipt.seq).unwrap(),
            };
            prop_assert!(check_omitted_bid(&d, &receipt, &clearing, &evidence).is_err());
            for index in 0..clearing.clearing.awards.len() {
                prop_assert!(check_lower_winner(&d, &receipt, &clearing, index).is_err());
            }
            prop_assert!(check_ignored_product(&d, &receipt, &b.product, &clearing, &award_products).is_err());
        }
    }
}
