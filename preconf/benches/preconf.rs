//! Criterion benchmarks of the protocol core's hot operations.
//!
//! Run: `cargo bench -p baton-preconf --bench preconf`; medians go in docs/benchmarks.md.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatchTree, BatonDomain, BlsSecretKey, Commitment, CommitmentKind, Placement, Position,
    RollupId, RollupTransaction, SequencingRequest, Slot,
    request::Request,
    ssz::{InclusionMultiProof, TransactionsTree},
};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn domain() -> BatonDomain {
    BatonDomain {
        chain_id: 1,
        verifying_contract: Address::repeat_byte(0x51),
    }
}

fn commitment(committer: Address) -> Commitment {
    Commitment {
        kind: CommitmentKind::Sequencing,
        slot: Slot(9_000_000),
        validator_pubkey: BlsSecretKey::from_ikm(&[1; 32]).unwrap().public_key(),
        committer,
        request_id: B256::repeat_byte(7),
        fee: U256::from(1_000_000_000_000u64),
        tx_hashes: vec![],
        placements: (0..4)
            .map(|i| Placement {
                rollup_id: RollupId(1 + i % 2),
                position: Position(i),
                tx_hash: B256::repeat_byte(i as u8),
            })
            .collect(),
    }
}

fn ecdsa(c: &mut Criterion) {
    let committer = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x11)).unwrap();
    let unsigned = commitment(committer.address());
    c.bench_function("commitment/sign", |b| {
        b.iter(|| {
            black_box(unsigned.clone())
                .sign(&committer, &domain())
                .unwrap()
        });
    });
    let signed = unsigned.sign(&committer, &domain()).unwrap();
    c.bench_function("commitment/verify", |b| {
        b.iter(|| black_box(&signed).verify(&domain()).unwrap());
    });

    let wallet = PrivateKeySigner::from_bytes(&B256::repeat_byte(0x22)).unwrap();
    let request = Request::Sequencing(SequencingRequest {
        slot: Slot(9_000_000),
        txs: (0..4u8)
            .map(|i| RollupTransaction {
                rollup_id: RollupId(1),
                tx: Bytes::from(vec![i; 150]),
            })
            .collect(),
    })
    .sign(&wallet, &domain())
    .unwrap();
    c.bench_function("request/recover_signer", |b| {
        b.iter(|| black_box(&request).check(&domain()).unwrap().wallet);
    });

    // Public-key recovery alone: what every wallet request and commitment check costs.
    let digest = keccak256(b"recover");
    let signature = baton_preconf::signature::sign_digest(&wallet, digest).unwrap();
    c.bench_function("ecdsa/recover", |b| {
        b.iter(|| black_box(&signature).recover(black_box(digest)).unwrap());
    });
    // The same recovery through k256 (alloy's), the path `recover` used before libsecp256k1.
    c.bench_function("ecdsa/recover_k256", |b| {
        b.iter(|| {
            black_box(&signature)
                .inner()
                .recover_address_from_prehash(black_box(&digest))
                .unwrap()
        });
    });
}

fn bls(c: &mut Criterion) {
    let key = BlsSecretKey::from_ikm(&[3; 32]).unwrap();
    let root = B256::repeat_byte(0x42);
    c.bench_function("bls/sign", |b| b.iter(|| key.sign(black_box(root))));
    let sig = key.sign(root);
    let pk = key.public_key();
    c.bench_function("bls/verify", |b| {
        b.iter(|| black_box(&sig).verify(&pk, root).unwrap());
    });
}

fn multiproofs(c: &mut Criterion) {
    // A 500-transaction block of typical sizes (110 to 700 bytes).
    let block: Vec<Bytes> = (0..500u32)
        .map(|i| {
            let mut tx = vec![0x02];
            tx.extend_from_slice(&i.to_be_bytes());
            tx.resize(110 + (i as usize * 37) % 600, 0xab);
            Bytes::from(tx)
        })
        .collect();
    let tree = TransactionsTree::new(&block).unwrap();
    let mut group = c.benchmark_group("multiproof");
    for leaves in [1usize, 16, 128] {
        let positions: Vec<usize> = (0..leaves).map(|i| (i * 389) % 500).collect();
        let items: Vec<(B256, usize)> = positions
            .iter()
            .map(|&p| (keccak256(&block[p]), p))
            .collect();
        let constrained: Vec<(B256, Bytes)> = positions
            .iter()
            .map(|&p| (keccak256(&block[p]), block[p].clone()))
            .collect();
        group.bench_with_input(BenchmarkId::new("generate", leaves), &items, |b, items| {
            b.iter(|| InclusionMultiProof::generate(&tree, black_box(items)).unwrap());
        });
        let proof = InclusionMultiProof::generate(&tree, &items).unwrap();
        group.bench_with_input(
            BenchmarkId::new("verify", leaves),
            &constrained,
            |b, constrained| {
                b.iter(|| proof.verify(tree.root(), black_box(constrained)).unwrap());
            },
        );
        // As the relay checks every block: the leaves computed once per slot.
        let leaves: Vec<(B256, B256)> = positions
            .iter()
            .map(|&p| (keccak256(&block[p]), tree.leaf(p).unwrap()))
            .collect();
        group.bench_with_input(
            BenchmarkId::new("verify_leaves", leaves.len()),
            &leaves,
            |b, leaves| {
                b.iter(|| proof.verify_leaves(tree.root(), black_box(leaves)).unwrap());
            },
        );
    }
    group.bench_function("transactions_tree/500", |b| {
        b.iter(|| TransactionsTree::new(black_box(&block)).unwrap());
    });
    group.finish();
}

fn batch(c: &mut Criterion) {
    let hashes: Vec<B256> = (0..1_000u64).map(|i| keccak256(i.to_be_bytes())).collect();
    c.bench_function("batch_root/1000", |b| {
        b.iter(|| BatchTree::new(black_box(&hashes)).unwrap().root());
    });
}

criterion_group!(benches, ecdsa, bls, multiproofs, batch);
criterion_main!(benches);
