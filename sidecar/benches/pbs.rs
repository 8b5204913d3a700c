//! Criterion benchmarks of block production (step ⑥): the `getHeader` decision once the
//! relays have answered (every bid's relay signature, header and multiproof against our
//! constraints, then the best), and the fallback block built through a real execution
//! client's Engine API (ethereumjs: `forkchoiceUpdated` + `getPayload`, the promise check
//! and the delegate's signature).
//!
//! Run: `cargo bench -p baton-sidecar --bench pbs`; figures go in docs/benchmarks.md.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::{
    hint::black_box,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use alloy_signer_local::PrivateKeySigner;
use baton_engine::{EngineClient, JwtSecret};
use baton_preconf::{
    BlsSecretKey, Slot,
    ssz::{
        BuilderBidElectra, InclusionMultiProof, PayloadAttributes, TransactionsTree,
        transaction_leaf, u256_from_alloy,
    },
};
use baton_sidecar::{
    keys::DelegateKey,
    pbs::{
        ConstrainedTx, EngineBuilder, Expected, FallbackParts, RelayBid, RpcPool, Sealed,
        SlotAttributes, Valid, build_fallback, choose, verify_bid,
    },
    sample::{self, Fees},
};
use baton_toolchain::{EthereumJs, EthereumJsOptions};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const FORK: [u8; 4] = [0x10, 0, 0, 0x38];
const PARENT: B256 = B256::repeat_byte(0xaa);
const TIMESTAMP: u64 = 1_700_000_040;

/// A 300-transaction block (110–700 bytes each) whose first `constrained` are ours.
fn block(constrained: usize) -> (Vec<Bytes>, Vec<(B256, B256)>) {
    let txs: Vec<Bytes> = (0..300usize)
        .map(|i| Bytes::from(vec![(i % 251) as u8; 110 + (i * 37) % 590]))
        .collect();
    let ours = txs[..constrained]
        .iter()
        .map(|t| (keccak256(t), transaction_leaf(t)))
        .collect();
    (txs, ours)
}

/// One relay's `header_with_proofs` answer over `txs`, proving the first `constrained`.
fn bid(key: &BlsSecretKey, txs: &[Bytes], constrained: usize, value: u64) -> RelayBid {
    let tree = TransactionsTree::new(txs).unwrap();
    let mut message = BuilderBidElectra {
        value: u256_from_alloy(U256::from(value)),
        pubkey: ssz_rs::Vector::try_from(key.public_key().0.to_vec()).unwrap(),
        ..Default::default()
    };
    message.header.parent_hash = PARENT.0;
    message.header.timestamp = TIMESTAMP;
    message.header.transactions_root = tree.root().0;
    let items: Vec<(B256, usize)> = (0..constrained).map(|i| (keccak256(&txs[i]), i)).collect();
    RelayBid {
        signed: message.sign(key, FORK).unwrap(),
        proofs: Some(InclusionMultiProof::generate(&tree, &items).unwrap()),
    }
}

fn decision(c: &mut Criterion) {
    let keys: Vec<BlsSecretKey> = (0..3u8)
        .map(|i| BlsSecretKey::from_ikm(&[0x40 + i; 32]).unwrap())
        .collect();
    let mut group = c.benchmark_group("get_header_decision");
    for constrained in [16usize, 128] {
        let (txs, ours) = block(constrained);
        let bids: Vec<RelayBid> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| bid(k, &txs, constrained, 100 + i as u64))
            .collect();
        let expected = Expected {
            slot: Slot(20),
            timestamp: TIMESTAMP,
            parent_hash: PARENT,
            attributes: None,
            constrained: &ours,
            genesis_fork_version: FORK,
        };
        group.bench_with_input(
            BenchmarkId::new("3 relays, constraints", constrained),
            &bids,
            |b, bids| {
                b.iter(|| {
                    let valid: Vec<Valid> = bids
                        .iter()
                        .zip(&keys)
                        .enumerate()
                        .map(|(relay, (bid, key))| Valid {
                            relay,
                            value: verify_bid(black_box(bid), &key.public_key(), &expected)
                                .unwrap(),
                            bid: bid.clone(),
                        })
                        .collect();
                    choose(valid).unwrap()
                });
            },
        );
    }
    group.finish();
}

fn fallback(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let wallet = PrivateKeySigner::random();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let el = EthereumJs::start(&EthereumJsOptions {
        prefunded: vec![(wallet.address(), U256::from(10u128.pow(24)))],
        genesis_time: now - 60,
        ..Default::default()
    })
    .expect("ethereumjs starts (npm install in the repository root installs it)");
    let http = reqwest::Client::new();
    let genesis: B256 = runtime.block_on(async {
        for _ in 0..100 {
            let reply: serde_json::Value = http
                .post(el.rpc_url())
                .json(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "eth_getBlockByNumber", "params": ["latest", false]}))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if let Some(hash) = reply["result"]["hash"].as_str() {
                return hash.parse().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("ethereumjs never served its genesis block");
    });
    let engine = EngineClient::new(&el.engine_url(), JwtSecret::from_hex(el.jwt_hex()).unwrap());
    let parts = FallbackParts {
        builder: Arc::new(EngineBuilder::new(engine)),
        pool: Some(Arc::new(RpcPool::new(&el.rpc_url()))),
        execution: None,
        signer: DelegateKey::new(BlsSecretKey::from_ikm(&[2; 32]).unwrap()),
        genesis_fork_version: FORK,
        rebuild_until: None,
    };
    let fees = Fees {
        gas_limit: 30_000,
        max_fee_per_gas: 20_000_000_000,
        max_priority_fee_per_gas: 1_000_000_000,
    };
    let mut group = c.benchmark_group("fallback_build");
    group.sample_size(10);
    let mut round = 0u8;
    for promises in [0u64, 32] {
        let sealed = Sealed {
            slot: Slot(31),
            proposer: BlsSecretKey::from_ikm(&[1; 32]).unwrap().public_key(),
            constrained: (0..promises)
                .map(|n| {
                    let raw = sample::call(&wallet, el.chain_id(), n, b"promised", fees);
                    ConstrainedTx::decode(&raw).unwrap()
                })
                .collect(),
            constraints: None,
        };
        group.bench_with_input(
            BenchmarkId::new("promises", promises),
            &sealed,
            |b, sealed| {
                b.iter(|| {
                    // New attributes each time: a client answers one getPayload per build.
                    round = round.wrapping_add(1);
                    let attributes = SlotAttributes {
                        attributes: PayloadAttributes {
                            proposal_slot: Slot(31),
                            proposer_index: 0,
                            parent_block_hash: genesis,
                            parent_block_number: 0,
                            parent_beacon_block_root: B256::repeat_byte(0x31),
                            timestamp: el.genesis_time() + 62,
                            prev_randao: B256::repeat_byte(round),
                            withdrawals: Default::default(),
                        },
                        fee_recipient: Address::repeat_byte(0xfe),
                    };
                    let (out, _watch) = tokio::sync::watch::channel(None);
                    let built = runtime
                        .block_on(build_fallback(&parts, &attributes, Some(sealed), &out))
                        .unwrap();
                    assert!(built.missing.is_empty());
                    built
                });
            },
        );
    }
    group.finish();
}

criterion_group!(benches, decision, fallback);
criterion_main!(benches);
