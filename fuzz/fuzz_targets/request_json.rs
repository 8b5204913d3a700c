//! Wallet requests and commitments arrive as JSON: decoding, transaction decoding, id
//! computation and signer recovery must never panic, whatever the bytes.
#![no_main]

use alloy_primitives::Address;
use baton_preconf::{BatonDomain, SignedCommitment, SignedRequest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let domain = BatonDomain {
        chain_id: 1,
        verifying_contract: Address::repeat_byte(0x51),
    };
    if let Ok(request) = serde_json::from_slice::<SignedRequest>(data) {
        let _ = request.check(&domain);
        let _ = request.request.id(&domain);
    }
    if let Ok(commitment) = serde_json::from_slice::<SignedCommitment>(data) {
        let _ = commitment.verify(&domain);
        let _ = commitment.commitment.digest(&domain);
    }
});
