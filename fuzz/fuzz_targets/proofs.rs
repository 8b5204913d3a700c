//! Proofs arrive from relays, builders and challengers: SSZ multiproofs (JSON and raw
//! index sets), SSZ-encoded builder bids and blinded blocks, batch position proofs and MPT
//! proofs must be rejected with typed errors, never panic or loop unbounded.
#![no_main]

use std::{
    cell::Cell,
    sync::{Once, OnceLock},
};

use alloy_primitives::{B256, Bytes, keccak256};
use baton_preconf::{
    PositionProof,
    mpt::{TransactionProof, verify_account_proof},
    ssz::{
        InclusionMultiProof, SignedBlindedBeaconBlockElectra, SignedBuilderBidElectra,
        TransactionsTree, calculate_multi_merkle_root, decode,
    },
};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    block: Vec<Bytes>,
    tree: TransactionsTree,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let block: Vec<Bytes> = (0..40u8)
            .map(|i| Bytes::from(vec![i; 100 + usize::from(i)]))
            .collect();
        let tree = TransactionsTree::new(&block).expect("small block");
        Fixture { block, tree }
    })
}

thread_local! {
    static IN_SSZ_DECODE: Cell<bool> = const { Cell::new(false) };
}

/// `ssz::decode` turns an ssz_rs decoder panic into an error (see docs/fuzzing.md), but
/// libFuzzer's panic hook aborts on every panic, caught or not. Chain the hook so a panic
/// inside `decode` is left to `decode`, and any other panic still aborts as a crash.
fn tolerate_panics_inside_decode() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let libfuzzer_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !IN_SSZ_DECODE.with(Cell::get) {
                libfuzzer_hook(info);
            }
        }));
    });
}

fn decode_untrusted<T: ssz_rs::SimpleSerialize>(bytes: &[u8]) {
    IN_SSZ_DECODE.with(|flag| flag.set(true));
    let _ = decode::<T>(bytes);
    IN_SSZ_DECODE.with(|flag| flag.set(false));
}

fuzz_target!(|data: &[u8]| {
    tolerate_panics_inside_decode();
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    match selector % 6 {
        0 => {
            if let Ok(proof) = serde_json::from_slice::<InclusionMultiProof>(rest) {
                let constrained: Vec<(B256, Bytes)> = f
                    .block
                    .iter()
                    .take(8)
                    .map(|t| (keccak256(t), t.clone()))
                    .collect();
                let _ = proof.verify(f.tree.root(), &constrained);
            }
        }
        1 => {
            // Raw index sets: 8-byte indices followed by 32-byte hashes.
            let (idx, hashes) = rest.split_at(rest.len().min(8 * 16));
            let indices: Vec<u64> = idx
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()) % (1 << 23))
                .collect();
            let nodes: Vec<B256> = hashes.chunks_exact(32).map(B256::from_slice).collect();
            let leaves = vec![B256::ZERO; indices.len()];
            let _ = calculate_multi_merkle_root(&leaves, &nodes, &indices);
        }
        2 => {
            decode_untrusted::<SignedBuilderBidElectra>(rest);
        }
        3 => {
            decode_untrusted::<SignedBlindedBeaconBlockElectra>(rest);
        }
        4 => {
            if let Ok(proof) = serde_json::from_slice::<PositionProof>(rest) {
                let _ = proof.verify(B256::repeat_byte(1), B256::repeat_byte(2));
            }
        }
        _ => {
            if let Ok(proof) = serde_json::from_slice::<TransactionProof>(rest) {
                let _ = proof.verify(B256::repeat_byte(3));
                let _ = verify_account_proof(
                    B256::repeat_byte(3),
                    alloy_primitives::Address::ZERO,
                    &proof.nodes,
                );
            }
        }
    }
});
