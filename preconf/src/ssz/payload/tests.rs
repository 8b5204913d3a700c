//! Unit tests of the parent module.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{TxKind, b256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;

use super::*;
use crate::ssz::{BlsPubkeyBytes, transactions_root};

fn transfer(nonce: u64) -> TxEnvelope {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(7)).unwrap();
    let tx = TxEip1559 {
        chain_id: 1,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: TxKind::Call(Address::repeat_byte(3)),
        value: AlloyU256::from(nonce + 1),
        ..Default::default()
    };
    let sig = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::Eip1559(tx.into_signed(sig))
}

/// Our payload → header mapping against alloy's own roots of typed transactions and
/// withdrawals: the block hash must agree with a header alloy builds independently.
#[test]
fn block_hash_agrees_with_an_alloy_built_header() {
    let txs: Vec<TxEnvelope> = (0..5).map(transfer).collect();
    let withdrawal = alloy_eips::eip4895::Withdrawal {
        index: 7,
        validator_index: 9,
        address: Address::repeat_byte(4),
        amount: 32,
    };
    let parent_beacon_block_root = B256::repeat_byte(0x42);
    let mut payload = ExecutionPayload {
        parent_hash: [1; 32],
        fee_recipient: [2; 20],
        state_root: [3; 32],
        receipts_root: [4; 32],
        prev_randao: [5; 32],
        block_number: 100,
        gas_limit: 30_000_000,
        gas_used: 105_000,
        timestamp: 1_700_000_000,
        extra_data: List::try_from(b"baton".to_vec()).unwrap(),
        base_fee_per_gas: U256::from(7u64),
        transactions: List::try_from(
            txs.iter()
                .map(|t| Transaction::try_from(t.encoded_2718()).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        withdrawals: List::try_from(vec![Withdrawal {
            index: 7,
            validator_index: 9,
            address: [4; 20],
            amount: 32,
        }])
        .unwrap(),
        blob_gas_used: 0,
        excess_blob_gas: 0,
        ..Default::default()
    };
    payload.logs_bloom[10] = 0xff;
    let mut requests = ExecutionRequests::default();
    requests.withdrawals.push(Default::default());

    let alloy_header = Header {
        parent_hash: B256::repeat_byte(1),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        beneficiary: Address::repeat_byte(2),
        state_root: B256::repeat_byte(3),
        transactions_root: alloy_consensus::proofs::calculate_transaction_root(&txs),
        receipts_root: B256::repeat_byte(4),
        logs_bloom: {
            let mut bloom = Bloom::ZERO;
            bloom.0[10] = 0xff;
            bloom
        },
        number: 100,
        gas_limit: 30_000_000,
        gas_used: 105_000,
        timestamp: 1_700_000_000,
        extra_data: Bytes::from_static(b"baton"),
        mix_hash: B256::repeat_byte(5),
        base_fee_per_gas: Some(7),
        withdrawals_root: Some(alloy_consensus::proofs::calculate_withdrawals_root(&[
            withdrawal,
        ])),
        blob_gas_used: Some(0),
        excess_blob_gas: Some(0),
        parent_beacon_block_root: Some(parent_beacon_block_root),
        requests_hash: Some({
            // One withdrawal request of 76 zero bytes, type 0x01.
            let mut data = vec![1u8];
            data.extend([0u8; 76]);
            let inner = Sha256::digest(&data);
            B256::from_slice(&Sha256::digest(inner))
        }),
        ..Default::default()
    };
    let expected = alloy_header.hash_slow();
    assert_eq!(
        execution_block_hash(&payload, parent_beacon_block_root, &requests).unwrap(),
        expected
    );
    // Any field changes the hash; the parent beacon root is part of it.
    assert_ne!(
        execution_block_hash(&payload, B256::ZERO, &requests).unwrap(),
        expected
    );
    payload.gas_used += 1;
    assert_ne!(
        execution_block_hash(&payload, parent_beacon_block_root, &requests).unwrap(),
        expected
    );
}

#[test]
fn empty_requests_hash_is_sha256_of_nothing() {
    assert_eq!(
        requests_hash(&ExecutionRequests::default()).unwrap(),
        b256!("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    );
}

#[test]
fn header_roots_match_the_payload_and_unblinding_keeps_the_block_root() {
    let txs: Vec<Vec<u8>> = (0..3).map(|i| transfer(i).encoded_2718()).collect();
    let payload = ExecutionPayload {
        block_number: 3,
        transactions: List::try_from(
            txs.iter()
                .map(|t| Transaction::try_from(t.clone()).unwrap())
                .collect::<Vec<_>>(),
        )
        .unwrap(),
        ..Default::default()
    };
    let header = payload.header(transactions_root(&txs).unwrap()).unwrap();
    assert_eq!(
        hash_tree_root(&header).unwrap(),
        hash_tree_root(&payload).unwrap(),
        "a header stands for its payload: equal hash_tree_roots"
    );
    let mut blinded = SignedBlindedBeaconBlockElectra::default();
    blinded.message.slot = 9;
    blinded.message.body.execution_payload_header = header;
    let full = blinded.unblind(payload);
    assert_eq!(
        hash_tree_root(&full.message).unwrap(),
        blinded.message.root().unwrap()
    );
}

#[test]
fn bid_trace_sign_verify_and_ssz_round_trip() {
    let key = BlsSecretKey::from_ikm(&[8; 32]).unwrap();
    let message = BidTrace {
        slot: 5,
        builder_pubkey: BlsPubkeyBytes::try_from(key.public_key().0.to_vec()).unwrap(),
        value: U256::from(99u64),
        ..Default::default()
    };
    let signature = message.sign(&key, [0; 4]).unwrap();
    let request = SubmitBlockRequestElectra {
        message,
        signature,
        ..Default::default()
    };
    request.verify([0; 4]).unwrap();
    assert!(request.verify([1, 0, 0, 0]).is_err());
    let mut tampered = request.clone();
    tampered.message.value = U256::from(100u64);
    assert!(tampered.verify([0; 4]).is_err());
    let bytes = ssz_rs::serialize(&request).unwrap();
    assert_eq!(
        crate::ssz::decode::<SubmitBlockRequestElectra>(&bytes).unwrap(),
        request
    );
    assert_eq!(
        u256_to_alloy(&u256_from_alloy(AlloyU256::MAX)),
        AlloyU256::MAX
    );
}
