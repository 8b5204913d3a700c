//! Raw transaction bytes straight from wallets: network-form L1 decoding (types 0–4, blob
//! sidecars) and rollup transaction hashing must never panic.
#![no_main]

use baton_preconf::transaction::{decode_l1_transaction, rollup_tx_hash};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(tx) = decode_l1_transaction(data) {
        // Whatever decodes must be internally consistent.
        assert_eq!(tx.hash, alloy_primitives::keccak256(&tx.canonical));
        let _ = tx.max_cost();
        let again = decode_l1_transaction(&tx.raw).expect("re-decoding the same bytes");
        assert_eq!(again, tx);
    }
    let _ = rollup_tx_hash(data);
});
