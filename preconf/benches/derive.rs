//! Derivation throughput of the pure rules (`baton_preconf::derive`) over a long scripted
//! L1 history: every slot carries, for each of two rollups, an outsider's invalid batch and
//! the sequencer's batch of signed L2 transfers (opted-in and open slots alternate).
//!
//! Run: `cargo bench -p baton-preconf --bench derive`; figures go in docs/benchmarks.md.

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::{collections::HashMap, hint::black_box};

use alloy_consensus::{EthereumTxEnvelope, SignableTransaction, TxEip1559, TxEip4844};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, B256, Bytes, LogData, TxKind, U256, keccak256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::SolEvent;
use baton_preconf::{
    ChainSpec, Slot,
    batch::batch_root,
    derive::{
        AccountState, BatchSubmitted, InboxLog, L1BlockRef, L2BlockParams, Sequencer,
        canonical_batches, decode_batch, select_transactions,
    },
};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const INBOX: Address = Address::repeat_byte(0x1b);
const BLOCKS: usize = 256;
const TXS_PER_BATCH: usize = 16;
const SENDERS: usize = 64;
const CHAINS: [u64; 2] = [901, 902];

struct History {
    spec: ChainSpec,
    blocks: Vec<(L1BlockRef, Sequencer, Vec<InboxLog>)>,
    accounts: HashMap<Address, AccountState>,
}

/// The log of a batch; `valid: false` logs a wrong root (an invalid envelope).
fn log(
    rollup: u64,
    slot: u64,
    submitter: Address,
    txs: Vec<Bytes>,
    index: u64,
    valid: bool,
) -> InboxLog {
    let hashes: Vec<B256> = txs.iter().map(keccak256).collect();
    let root = if valid {
        batch_root(&hashes).unwrap()
    } else {
        B256::repeat_byte(0xee)
    };
    let event = BatchSubmitted {
        rollupId: rollup,
        slot,
        submitter,
        root,
        txs,
    };
    let data: LogData = event.encode_log_data();
    InboxLog {
        address: INBOX,
        topics: data.topics().to_vec(),
        data: data.data,
        log_index: index,
    }
}

fn history() -> History {
    let spec = ChainSpec::devnet(1, 1_000);
    let committer = Address::repeat_byte(0xc0);
    let senders: Vec<PrivateKeySigner> = (1..=SENDERS)
        .map(|i| PrivateKeySigner::from_bytes(&keccak256(i.to_be_bytes())).unwrap())
        .collect();
    let mut nonces = vec![[0u64; 2]; SENDERS];
    let mut next_sender = 0;
    let mut parent = B256::ZERO;
    let mut blocks = Vec::with_capacity(BLOCKS);
    for i in 0..BLOCKS {
        let slot = 10 + i as u64;
        let block = L1BlockRef {
            number: 100 + i as u64,
            hash: keccak256(slot.to_be_bytes()),
            parent_hash: parent,
            timestamp: spec.slot_timestamp(Slot(slot)),
        };
        parent = block.hash;
        let mut logs = Vec::new();
        for (r, chain) in CHAINS.iter().enumerate() {
            let txs: Vec<Bytes> = (0..TXS_PER_BATCH)
                .map(|_| {
                    let s = next_sender % SENDERS;
                    next_sender += 1;
                    let tx = TxEip1559 {
                        chain_id: *chain,
                        nonce: nonces[s][r],
                        gas_limit: 21_000,
                        max_fee_per_gas: 2_000_000_000,
                        max_priority_fee_per_gas: 1,
                        to: TxKind::Call(Address::repeat_byte(0xda)),
                        value: U256::from(1_000u64),
                        ..Default::default()
                    };
                    nonces[s][r] += 1;
                    let sig = senders[s].sign_hash_sync(&tx.signature_hash()).unwrap();
                    let envelope: EthereumTxEnvelope<TxEip4844> = tx.into_signed(sig).into();
                    Bytes::from(envelope.encoded_2718())
                })
                .collect();
            let rollup = r as u64 + 1;
            let junk = vec![Bytes::from_static(b"\x02outsider")];
            // An invalid batch first: skipped in opted-in and open slots alike.
            let outsider = Address::repeat_byte(0x0e);
            logs.push(log(rollup, slot, outsider, junk, logs.len() as u64, false));
            logs.push(log(rollup, slot, committer, txs, logs.len() as u64, true));
        }
        let sequencer = if i % 2 == 0 {
            Sequencer::Committer(committer)
        } else {
            Sequencer::Open
        };
        blocks.push((block, sequencer, logs));
    }
    let accounts = senders
        .iter()
        .map(|s| {
            let state = AccountState {
                nonce: 0,
                balance: U256::from(10u128.pow(24)),
                has_code: false,
            };
            (s.address(), state)
        })
        .collect();
    History {
        spec,
        blocks,
        accounts,
    }
}

/// Derives the whole history; returns the L2 transactions included.
fn derive_all(h: &History, with_transactions: bool) -> usize {
    let mut state: [HashMap<Address, AccountState>; 2] = [h.accounts.clone(), h.accounts.clone()];
    let mut included = 0;
    for (block, sequencer, logs) in &h.blocks {
        let batches = canonical_batches(&h.spec, INBOX, *block, *sequencer, logs);
        if !with_transactions {
            included += batches.batches.values().map(|b| b.txs.len()).sum::<usize>();
            continue;
        }
        for (id, batch) in &batches.batches {
            let r = (id.0 - 1) as usize;
            let params = L2BlockParams {
                chain_id: CHAINS[r],
                gas_limit: 30_000_000,
                base_fee: 1_000_000_000,
            };
            let (decoded, _senders) = decode_batch(&batch.txs, CHAINS[r]);
            let selection = select_transactions(params, decoded, &state[r]);
            for tx in &selection.included {
                let account = state[r].entry(tx.sender).or_default();
                account.nonce += 1;
                account.balance -= tx.max_cost;
            }
            included += selection.included.len();
        }
    }
    included
}

fn derive(c: &mut Criterion) {
    let h = history();
    let expected = BLOCKS * CHAINS.len() * TXS_PER_BATCH;
    assert_eq!(
        derive_all(&h, true),
        expected,
        "every sequencer transaction is included"
    );
    let mut group = c.benchmark_group("derive");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BLOCKS as u64));
    group.bench_function("history_256_blocks/canonical_batches_only", |b| {
        b.iter(|| derive_all(black_box(&h), false));
    });
    group.bench_function("history_256_blocks/with_l2_transactions", |b| {
        b.iter(|| derive_all(black_box(&h), true));
    });
    group.finish();
}

criterion_group!(benches, derive);
criterion_main!(benches);
