//! How shared events look inside Redis: bids as beacon-style JSON (without the payload),
//! payloads as SSZ.

use std::sync::{OnceLock, atomic::AtomicBool};

use alloy_primitives::B256;
use baton_preconf::{
    Slot,
    ssz::{
        BYTES_PER_BLOB, BeaconJson, BidTrace, ExecutionPayload, ExecutionPayloadHeader,
        ExecutionRequests, InclusionMultiProof, decode, u256_to_alloy,
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

/// A payload's SSZ bytes: `StoredPayload`'s encoding, written directly. ssz_rs would first
/// need a copy of the payload and then writes byte lists one element at a time, which was
/// 15 % of a relay's CPU under load with Redis sharing; the transactions and blobs here are
/// copied as slices. The test holds this to ssz_rs's own encoding.
pub(crate) fn encode_payload(contents: &PayloadContents) -> Vec<u8> {
    let payload = &contents.payload;
    let bundle = &contents.blobs_bundle;
    let tx_bytes: usize = payload.transactions.iter().map(|tx| 4 + tx.len()).sum();
    let blob_bytes = bundle.blobs.len() * BYTES_PER_BLOB;
    let mut out = Vec::with_capacity(1024 + tx_bytes + blob_bytes);

    // The container: three variable fields, so three offsets, then the three encodings.
    out.resize(12, 0);
    set_offset(&mut out, 0, 12);
    encode_execution_payload(&mut out, payload);
    let at = out.len();
    set_offset(&mut out, 4, at);
    let start = out.len();
    out.resize(start + 12, 0);
    set_offset(&mut out, start, 12);
    extend_concatenated(&mut out, bundle.commitments.iter().map(|c| &c[..]));
    let at = out.len() - start;
    set_offset(&mut out, start + 4, at);
    extend_concatenated(&mut out, bundle.proofs.iter().map(|p| &p[..]));
    let at = out.len() - start;
    set_offset(&mut out, start + 8, at);
    extend_concatenated(&mut out, bundle.blobs.iter().map(|b| &b[..]));
    let at = out.len();
    set_offset(&mut out, 8, at);
    out.extend(ssz_rs::serialize(&contents.execution_requests).unwrap_or_default());
    out
}

/// Writes `value` as the 4-byte little-endian offset at `at`.
fn set_offset(out: &mut [u8], at: usize, value: usize) {
    out[at..at + 4].copy_from_slice(&(value as u32).to_le_bytes());
}

fn extend_concatenated<'a>(out: &mut Vec<u8>, items: impl Iterator<Item = &'a [u8]>) {
    for item in items {
        out.extend_from_slice(item);
    }
}

/// `ExecutionPayload` (Deneb/Electra layout): fixed fields with three offsets, then the
/// extra data, the transactions (offsets, then bytes) and the withdrawals.
fn encode_execution_payload(out: &mut Vec<u8>, payload: &ExecutionPayload) {
    let start = out.len();
    out.extend_from_slice(&payload.parent_hash);
    out.extend_from_slice(&payload.fee_recipient);
    out.extend_from_slice(&payload.state_root);
    out.extend_from_slice(&payload.receipts_root);
    out.extend_from_slice(&payload.logs_bloom[..]);
    out.extend_from_slice(&payload.prev_randao);
    for n in [
        payload.block_number,
        payload.gas_limit,
        payload.gas_used,
        payload.timestamp,
    ] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    let extra_data_offset = out.len();
    out.extend_from_slice(&[0; 4]);
    out.extend(ssz_rs::serialize(&payload.base_fee_per_gas).unwrap_or_default());
    out.extend_from_slice(&payload.block_hash);
    let transactions_offset = out.len();
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&payload.blob_gas_used.to_le_bytes());
    out.extend_from_slice(&payload.excess_blob_gas.to_le_bytes());

    let at = out.len() - start;
    set_offset(out, extra_data_offset, at);
    out.extend_from_slice(&payload.extra_data[..]);
    let at = out.len() - start;
    set_offset(out, transactions_offset, at);
    let list = out.len();
    let mut next = 4 * payload.transactions.len();
    for tx in payload.transactions.iter() {
        out.extend_from_slice(&(next as u32).to_le_bytes());
        next += tx.len();
    }
    extend_concatenated(out, payload.transactions.iter().map(|tx| &tx[..]));
    debug_assert_eq!(out.len() - list, next);
    let at = out.len() - start;
    set_offset(out, transactions_offset + 4, at);
    out.extend(ssz_rs::serialize(&payload.withdrawals).unwrap_or_default());
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

    /// The direct encoding is byte for byte ssz_rs's encoding of `StoredPayload`, with
    /// transactions of every size (none included), withdrawals, blobs and extra data.
    #[test]
    fn the_direct_payload_encoding_is_ssz_rs_encoding() {
        use baton_preconf::ssz::{BYTES_PER_BLOB, Withdrawal};
        use ssz_rs::Vector;

        for (txs, blobs) in [(0usize, 0usize), (1, 0), (300, 0), (17, 2)] {
            let mut payload = ExecutionPayload {
                parent_hash: [1; 32],
                fee_recipient: [2; 20],
                block_number: 7,
                gas_limit: 30_000_000,
                gas_used: 21_000 * txs as u64,
                timestamp: 1_700_000_000,
                extra_data: List::try_from(b"baton".to_vec()).unwrap(),
                base_fee_per_gas: baton_preconf::ssz::u256_from_alloy(U256::from(7_000_000_123u64)),
                block_hash: [3; 32],
                blob_gas_used: 131_072 * blobs as u64,
                excess_blob_gas: 5,
                ..Default::default()
            };
            payload.logs_bloom = Vector::try_from(vec![9u8; 256]).unwrap();
            for i in 0..txs {
                let tx: Vec<u8> = (0..(i * 37) % 600).map(|b| (b + i) as u8).collect();
                payload.transactions.push(List::try_from(tx).unwrap());
            }
            for i in 0..2u64 {
                payload.withdrawals.push(Withdrawal {
                    index: i,
                    validator_index: 10 + i,
                    address: [4; 20],
                    amount: 32 + i,
                });
            }
            let mut bundle = BlobsBundle::default();
            for i in 0..blobs {
                bundle
                    .commitments
                    .push(Vector::try_from(vec![i as u8 + 1; 48]).unwrap());
                bundle
                    .proofs
                    .push(Vector::try_from(vec![i as u8 + 100; 48]).unwrap());
                bundle
                    .blobs
                    .push(Vector::try_from(vec![i as u8 + 7; BYTES_PER_BLOB]).unwrap());
            }
            let contents = PayloadContents {
                payload,
                blobs_bundle: bundle,
                execution_requests: ExecutionRequests::default(),
            };
            let by_ssz_rs = ssz_rs::serialize(&container::StoredPayload {
                execution_payload: contents.payload.clone(),
                blobs_bundle: contents.blobs_bundle.clone(),
                execution_requests: contents.execution_requests.clone(),
            })
            .unwrap();
            let direct = encode_payload(&contents);
            assert!(direct == by_ssz_rs, "{txs} transactions, {blobs} blobs");
            let back = decode_payload(&direct).unwrap();
            assert_eq!(back.payload, contents.payload);
            assert_eq!(back.blobs_bundle, contents.blobs_bundle);
        }
    }
}
