//! How shared events look inside Redis: bids as beacon-style JSON (without the payload),
//! payloads as SSZ.

use std::sync::{OnceLock, atomic::AtomicBool};

use alloy_primitives::B256;
use baton_preconf::{
    Slot,
    ssz::{
        BeaconJson, BidTrace, ExecutionPayloadHeader, ExecutionRequests, InclusionMultiProof,
        decode, u256_to_alloy,
    },
};
use serde_json::{Value, json};
use ssz_rs::List;

use crate::state::auction::{Bid, PayloadContents};

/// The SSZ container a payload is stored as.
mod container {
    use baton_preconf::ssz::{BlobsBundle, ExecutionPayload, ExecutionRequests};
    use ssz_rs::prelude::*;

    #[derive(Debug, Default, Clone, PartialEq, Eq, SimpleSerialize)]
    pub(super) struct StoredPayload {
        pub(super) execution_payload: ExecutionPayload,
        pub(super) blobs_bundle: BlobsBundle,
        pub(super) execution_requests: ExecutionRequests,
    }
}

/// A bid's JSON form in the shared stream.
pub fn encode_bid(bid: &Bid) -> Value {
    json!({
        "trace": bid.trace.to_json(),
        "received_at_us": bid.received_at_us.to_string(),
        "num_tx": bid.num_tx.to_string(),
        "header": bid.header.to_json(),
        "blob_kzg_commitments": bid.blob_kzg_commitments.to_json(),
        "execution_requests": bid.execution_requests.to_json(),
        "proofs": bid.proofs,
    })
}

fn part<T: BeaconJson>(value: &Value, name: &str) -> Option<T> {
    T::from_json(value.get(name)?).ok()
}

/// Parses [`encode_bid`].
pub fn decode_bid(value: &Value) -> Option<Bid> {
    let trace: BidTrace = part(value, "trace")?;
    let header: ExecutionPayloadHeader = part(value, "header")?;
    let proofs: Option<InclusionMultiProof> =
        serde_json::from_value(value.get("proofs")?.clone()).ok()?;
    let num_tx: u64 = part(value, "num_tx")?;
    Some(Bid {
        slot: Slot(trace.slot),
        parent_hash: B256::from(trace.parent_hash),
        block_hash: B256::from(trace.block_hash),
        proposer: trace.proposer(),
        builder: trace.builder(),
        value: u256_to_alloy(&trace.value),
        block_number: header.block_number,
        num_tx: usize::try_from(num_tx).ok()?,
        received_at_us: part(value, "received_at_us")?,
        blob_kzg_commitments: part::<List<_, 4096>>(value, "blob_kzg_commitments")?,
        execution_requests: part::<ExecutionRequests>(value, "execution_requests")?,
        header,
        trace,
        proofs,
        served: AtomicBool::new(false),
        signed: OnceLock::new(),
    })
}

/// A payload's SSZ bytes.
pub(crate) fn encode_payload(contents: &PayloadContents) -> Vec<u8> {
    let stored = container::StoredPayload {
        execution_payload: contents.payload.clone(),
        blobs_bundle: contents.blobs_bundle.clone(),
        execution_requests: contents.execution_requests.clone(),
    };
    ssz_rs::serialize(&stored).unwrap_or_default()
}

/// Parses [`encode_payload`].
pub(crate) fn decode_payload(bytes: &[u8]) -> Option<PayloadContents> {
    let stored: container::StoredPayload = decode(bytes).ok()?;
    Some(PayloadContents {
        payload: stored.execution_payload,
        blobs_bundle: stored.blobs_bundle,
        execution_requests: stored.execution_requests,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use alloy_primitives::U256;
    use baton_preconf::ssz::{BlobsBundle, ExecutionPayload};

    use super::*;
    use crate::state::auction::tests::bid;

    #[test]
    fn bid_and_payload_round_trip() {
        let original = bid(3, 77, 1_700_000_000_000_123, 0xab);
        let mut with_trace = Bid {
            trace: BidTrace {
                slot: 5,
                parent_hash: [1; 32],
                block_hash: [0xab; 32],
                builder_pubkey: crate::service::pubkey_bytes(&original.builder),
                proposer_pubkey: crate::service::pubkey_bytes(&original.proposer),
                value: baton_preconf::ssz::u256_from_alloy(U256::from(77)),
                ..Default::default()
            },
            ..Arc::try_unwrap(original).unwrap()
        };
        with_trace.proofs = Some(InclusionMultiProof {
            transaction_hashes: vec![B256::repeat_byte(4)],
            generalized_indexes: vec![(1 << 21) + 2],
            merkle_hashes: vec![B256::repeat_byte(5)],
        });
        let json = encode_bid(&with_trace);
        let back = decode_bid(&serde_json::from_str(&json.to_string()).unwrap()).unwrap();
        assert_eq!(back.block_hash, with_trace.block_hash);
        assert_eq!(back.builder, with_trace.builder);
        assert_eq!(back.value, U256::from(77));
        assert_eq!(back.received_at_us, with_trace.received_at_us);
        assert_eq!(back.proofs, with_trace.proofs);
        assert!(decode_bid(&json!({})).is_none());

        let mut payload = ExecutionPayload {
            block_hash: [0xab; 32],
            ..Default::default()
        };
        payload
            .transactions
            .push(List::try_from(vec![1, 2, 3]).unwrap());
        let contents = PayloadContents {
            payload,
            blobs_bundle: BlobsBundle::default(),
            execution_requests: ExecutionRequests::default(),
        };
        let decoded = decode_payload(&encode_payload(&contents)).unwrap();
        assert_eq!(decoded.payload, contents.payload);
        assert!(decode_payload(&[1, 2, 3]).is_none());
    }
}
