//! Type-3 (blob) transactions: wallets send them in network form (with blobs), blocks
//! carry the canonical form; the transaction hash, the SSZ multiproof leaf and the MPT
//! proof must all use the canonical form.

use alloy_consensus::{EthereumTxEnvelope, SignableTransaction, TxEip4844, TxEip4844WithSidecar};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{
        BlobTransactionSidecar, Bytes48,
        builder::{SidecarBuilder, SimpleCoder},
    },
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    mpt::{prove_transaction, transactions_trie_root},
    ssz::{InclusionMultiProof, TransactionsTree},
    transaction::{TxDecodeError, decode_l1_transaction},
};

/// A sidecar of `blobs` real blobs (distinct contents) with their KZG commitments and
/// proofs.
fn sidecar(blobs: usize, seed: u8) -> BlobTransactionSidecar {
    // Just over a blob's worth of data per blob, so the builder fills exactly `blobs`.
    let data: Vec<u8> = (0..blobs * 120_000)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect();
    let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(&data)
        .build_4844()
        .unwrap();
    assert_eq!(sidecar.blobs.len(), blobs);
    sidecar
}

/// A signed blob transaction with `blobs` real blobs and the first `hashes` of their
/// versioned hashes (padded with made-up ones), in network form.
fn blob_tx(signer: &PrivateKeySigner, nonce: u64, blobs: usize, hashes: usize) -> Bytes {
    signed_blob_tx(signer, nonce, sidecar(blobs, nonce as u8), hashes)
}

fn signed_blob_tx(
    signer: &PrivateKeySigner,
    nonce: u64,
    sidecar: BlobTransactionSidecar,
    hashes: usize,
) -> Bytes {
    let mut versioned: Vec<B256> = sidecar.versioned_hashes().collect();
    versioned.resize(hashes, B256::with_last_byte(0xee));
    let tx = TxEip4844 {
        chain_id: 1,
        nonce,
        gas_limit: 50_000,
        max_fee_per_gas: 40_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: Address::repeat_byte(0x77),
        value: U256::ZERO,
        blob_versioned_hashes: versioned,
        max_fee_per_blob_gas: 5,
        ..Default::default()
    };
    let with_sidecar = TxEip4844WithSidecar {
        tx,
        sidecar: BlobTransactionSidecarVariant::Eip4844(sidecar),
    };
    let sig = signer
        .sign_hash_sync(&with_sidecar.tx.signature_hash())
        .unwrap();
    let envelope: EthereumTxEnvelope<TxEip4844WithSidecar<BlobTransactionSidecarVariant>> =
        with_sidecar.into_signed(sig).into();
    envelope.encoded_2718().into()
}

#[test]
fn network_form_decodes_to_the_canonical_hash_and_leaf() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x61)).unwrap();
    let raw = blob_tx(&signer, 0, 2, 2);
    let tx = decode_l1_transaction(&raw).unwrap();
    assert_eq!(tx.tx_type, 3);
    assert_eq!(tx.blob_count, 2);
    assert_eq!(tx.sender, signer.address());
    assert!(tx.raw.len() > 2 * 131_072, "network form carries the blobs");
    assert!(tx.canonical.len() < 1_000, "canonical form does not");
    assert_eq!(tx.hash, keccak256(&tx.canonical));
    assert!(tx.max_cost() > U256::from(50_000u64 * 40_000_000_000u64));

    // A block holding the canonical form among others: both proofs use canonical bytes.
    let others: Vec<Bytes> = (0..6u8)
        .map(|i| Bytes::from(vec![0x02; 90 + usize::from(i)]))
        .collect();
    let mut block = others;
    block.insert(3, tx.canonical.clone());
    block.push(
        decode_l1_transaction(&blob_tx(&signer, 1, 1, 1))
            .unwrap()
            .canonical,
    );
    let tree = TransactionsTree::new(&block).unwrap();
    let second = decode_l1_transaction(&blob_tx(&signer, 1, 1, 1)).unwrap();
    let proof = InclusionMultiProof::generate(
        &tree,
        &[(tx.hash, 3), (others_hash(&block, 0), 0), (second.hash, 7)],
    )
    .unwrap();
    proof
        .verify(
            tree.root(),
            &[
                (tx.hash, tx.canonical.clone()),
                (others_hash(&block, 0), block[0].clone()),
                (second.hash, second.canonical.clone()),
            ],
        )
        .unwrap();
    // Proving with the network form (blobs included) must fail: it is not what the block holds.
    let wrong = proof.verify(
        tree.root(),
        &[
            (tx.hash, tx.raw.clone()),
            (others_hash(&block, 0), block[0].clone()),
            (second.hash, second.canonical),
        ],
    );
    assert!(wrong.is_err());

    let trie_root = transactions_trie_root(&block);
    let mpt = prove_transaction(&block, 3).unwrap();
    mpt.verify(trie_root).unwrap();
    assert_eq!(mpt.tx_hash(), tx.hash);
}

fn others_hash(block: &[Bytes], i: usize) -> B256 {
    keccak256(&block[i])
}

#[test]
fn sidecar_must_match_the_versioned_hashes() {
    let signer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x62)).unwrap();
    assert_eq!(
        decode_l1_transaction(&blob_tx(&signer, 0, 1, 2)),
        Err(TxDecodeError::SidecarMismatch {
            blobs: 1,
            hashes: 2
        })
    );
    // Blobs whose commitments or proofs do not verify: no block could carry them.
    let mut bad_proof = sidecar(1, 9);
    bad_proof.proofs[0] = Bytes48::default();
    assert!(matches!(
        decode_l1_transaction(&signed_blob_tx(&signer, 0, bad_proof, 1)),
        Err(TxDecodeError::InvalidBlobs { .. })
    ));
    let mut other_blob = sidecar(1, 9);
    other_blob.blobs[0] = sidecar(1, 10).blobs[0];
    assert!(matches!(
        decode_l1_transaction(&signed_blob_tx(&signer, 0, other_blob, 1)),
        Err(TxDecodeError::InvalidBlobs { .. })
    ));
    // A canonical (sidecar-less) type-3 transaction is not a network-form request.
    let raw = blob_tx(&signer, 0, 1, 1);
    let canonical = decode_l1_transaction(&raw).unwrap().canonical;
    assert!(matches!(
        decode_l1_transaction(&canonical),
        Err(TxDecodeError::Malformed { .. })
    ));
}
