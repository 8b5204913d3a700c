//! What a rollup node reads from L1: `BatchSubmitted` logs (topics and data) and the batch
//! transactions inside them. Decoding, the envelope rules, the canonical choice and the
//! transaction rules must never panic, and whatever is included must satisfy the rules.
#![no_main]

use std::collections::HashMap;

use alloy_primitives::{Address, B256, Bytes, U256};
use baton_preconf::{
    ChainSpec,
    derive::{
        AccountState, BATCH_SUBMITTED_TOPIC, InboxLog, L1BlockRef, L2BlockParams, Sequencer,
        canonical_batches, decode_batch, select_transactions,
    },
};
use libfuzzer_sys::fuzz_target;

const INBOX: Address = Address::repeat_byte(0x1b);
const CHAIN: u64 = 901;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    if selector % 2 == 0 {
        // A log: three 32-byte topics after topic0, then the data.
        let (topics, body) = rest.split_at(rest.len().min(96));
        let mut all = vec![BATCH_SUBMITTED_TOPIC];
        all.extend(topics.chunks(32).map(B256::right_padding_from));
        let spec = ChainSpec::devnet(1, 0);
        let block = L1BlockRef {
            number: 1,
            hash: B256::ZERO,
            parent_hash: B256::ZERO,
            timestamp: u64::from(selector) * 2,
        };
        let log = InboxLog { address: INBOX, topics: all, data: Bytes::copy_from_slice(body), log_index: 0 };
        let sequencer = if selector & 2 == 0 { Sequencer::Open } else { Sequencer::Committer(Address::ZERO) };
        let out = canonical_batches(&spec, INBOX, block, sequencer, &[log]);
        assert_eq!(out.batches.len() + out.skipped.len(), 1);
    } else {
        // One batch: up to 64 transactions, each prefixed with its 2-byte length.
        let mut txs: Vec<Bytes> = Vec::new();
        let mut input = rest;
        while txs.len() < 64 && input.len() >= 2 {
            let len = usize::from(u16::from_be_bytes([input[0], input[1]])).min(input.len() - 2);
            txs.push(Bytes::copy_from_slice(&input[2..2 + len]));
            input = &input[2 + len..];
        }
        let (decoded, senders) = decode_batch(&txs, CHAIN);
        let accounts: HashMap<Address, AccountState> = senders
            .into_iter()
            .map(|s| (s, AccountState { nonce: 0, balance: U256::MAX, has_code: false }))
            .collect();
        let params = L2BlockParams { chain_id: CHAIN, gas_limit: 30_000_000, base_fee: 0 };
        let selection = select_transactions(params, decoded, &accounts);
        assert_eq!(selection.outcomes.len(), txs.len());
        let gas: u64 = selection.included.iter().map(|t| t.gas_limit).sum();
        assert!(gas <= params.gas_limit);
    }
});
