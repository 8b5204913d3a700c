//! Unit and property tests across the market files, with shared fixtures.

use alloy_primitives::{Address, B256, Bytes, TxKind, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;

use super::{Bid, BidContext, Product, SignedBid, payment::testing::payment};
use crate::{bls::BlsPublicKey, eip712::BatonDomain, types::RollupId, types::Slot};

mod bids;
mod clearing;
mod disputes;
mod properties;

pub(super) const SLOT: Slot = Slot(4_242);
pub(super) const CHAIN_ID: u64 = 1;
pub(super) const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
pub(super) const VALIDATOR: BlsPublicKey = BlsPublicKey([0xab; 48]);

pub(super) fn domain() -> BatonDomain {
    BatonDomain {
        chain_id: 3_151_908,
        verifying_contract: Address::repeat_byte(0x5a),
    }
}

pub(super) fn committer() -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()
}

pub(super) fn bidder(n: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::repeat_byte(0x60 + n)).unwrap()
}

pub(super) fn ctx() -> BidContext {
    BidContext {
        slot: SLOT,
        validator_pubkey: VALIDATOR,
        fee_recipient: FEE_RECIPIENT,
        l1_chain_id: CHAIN_ID,
        reserve: U256::from(100u64),
    }
}

pub(super) fn top(rollup: u64, positions: u16) -> Product {
    Product::TopOfBatch {
        rollup: RollupId(rollup),
        positions,
    }
}

pub(super) fn whole(rollup: u64) -> Product {
    Product::WholeBatch {
        rollup: RollupId(rollup),
    }
}

pub(super) fn bundle(rollups: &[u64], positions: u16) -> Product {
    Product::Bundle {
        rollups: rollups.iter().copied().map(RollupId).collect(),
        positions,
    }
}

/// Raw rollup transactions for a bid: as many as the product takes at least.
pub(super) fn rollup_txs(product: &Product, nonce: u64) -> Vec<Bytes> {
    let (min, _) = product.tx_count_range();
    (0..min)
        .map(|i| Bytes::from(format!("rollup tx {nonce}/{i}").into_bytes()))
        .collect()
}

/// A correctly signed bid by `bidder(who)`, with its transactions and payment.
pub(super) fn signed_bid(who: u8, product: Product, amount: u64, nonce: u64) -> SignedBid {
    let signer = bidder(who);
    let transactions = rollup_txs(&product, nonce);
    let pay = payment(
        &signer,
        TxKind::Call(FEE_RECIPIENT),
        U256::from(amount),
        CHAIN_ID,
    );
    Bid {
        slot: SLOT,
        validator_pubkey: VALIDATOR,
        product,
        amount: U256::from(amount),
        tx_hashes: transactions.iter().map(keccak256).collect(),
        payment_tx_hash: keccak256(&pay),
        bidder: signer.address(),
        nonce,
    }
    .sign(&signer, &domain(), transactions, pay)
    .unwrap()
}
