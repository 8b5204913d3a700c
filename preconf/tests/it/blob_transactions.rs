//! Type-3 (blob) transactions: wallets send them in network form (with blobs), blocks
//! carry the canonical form; the transaction hash, the SSZ multiproof leaf and the MPT
//! proof must all use the canonical form.

use alloy_consensus::{EthereumTxEnvelope, SignableTransaction, TxEip4844, TxEip4844WithSidecar};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{BlobTransactionSidecar, Bytes48},
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

/// A signed blob transaction with `blobs` (dummy, unverified) blobs, in network form.
fn blob_tx(signer: &PrivateKeySigner, nonce: u64, blobs: usize, hashes: usize) -> Bytes {
    let tx = TxEip4844 {
        chain_id: 1,
        nonce,
        gas_limit: 50_000,
        max_fee_per_gas: 40_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
        to: Address::repeat_byte(0x77),
        value: U256::ZERO,
        blob_versioned_hashes: (0..hashes)
            .map(|i| B256::with_last_byte(i as u8 + 1))
            .collect(),
        max_fee_per_blob_gas: 5,
        ..Default::default()
    };
    let sidecar = BlobTransactionSidecar {
        blobs: vec![Default::default(); blobs],
        commitments: vec![Bytes48::default(); blobs],
        proofs: vec![Bytes48::default(); blobs],
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
    // A canonical (sidecar-less) type-3 transaction is not a network-form request.
    let raw = blob_tx(&signer, 0, 1, 1);
    let canonical = decode_l1_transaction(&raw).unwrap().canonical;
    assert!(matches!(
        decode_l1_transaction(&canonical),
        Err(TxDecodeError::Malformed { .. })
    ));
}
