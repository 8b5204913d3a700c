//! The Engine API's JSON (camelCase, hex quantities) to and from Baton's SSZ payload types.
//!
//! Everything the execution client sends is checked here: fixed sizes, list bounds, hex.
//! A field that does not fit is an [`EngineError::Decode`] naming the field.

use alloy_primitives::{Address, B256, U256, hex};
use baton_preconf::ssz::{
    Blob, BlobsBundle, ConsolidationRequest, DepositRequest, ExecutionPayload, ExecutionRequests,
    KzgBytes, MAX_WITHDRAWALS_PER_PAYLOAD, Transaction, Withdrawal, WithdrawalRequest,
    u256_from_alloy, u256_to_alloy,
};
use serde_json::{Value, json};
use ssz_rs::{List, Vector};

use crate::EngineError;

/// Request type bytes (EIP-7685) of the Electra requests.
const DEPOSIT_TYPE: u8 = 0x00;
const WITHDRAWAL_TYPE: u8 = 0x01;
const CONSOLIDATION_TYPE: u8 = 0x02;
const DEPOSIT_SIZE: usize = 48 + 32 + 8 + 96 + 8;
const WITHDRAWAL_SIZE: usize = 20 + 48 + 8;
const CONSOLIDATION_SIZE: usize = 20 + 48 + 48;

fn decode_error(field: &str, reason: impl std::fmt::Display) -> EngineError {
    EngineError::Decode(format!("{field}: {reason}"))
}

fn field<'a>(value: &'a Value, name: &str) -> Result<&'a Value, EngineError> {
    value.get(name).ok_or_else(|| decode_error(name, "missing"))
}

fn bytes(value: &Value, name: &str) -> Result<Vec<u8>, EngineError> {
    let text = field(value, name)?
        .as_str()
        .ok_or_else(|| decode_error(name, "not a string"))?;
    hex::decode(text).map_err(|e| decode_error(name, e))
}

fn fixed<const N: usize>(value: &Value, name: &str) -> Result<[u8; N], EngineError> {
    let raw = bytes(value, name)?;
    raw.try_into()
        .map_err(|raw: Vec<u8>| decode_error(name, format!("{} bytes, want {N}", raw.len())))
}

fn quantity_u256(value: &Value, name: &str) -> Result<U256, EngineError> {
    let text = field(value, name)?
        .as_str()
        .ok_or_else(|| decode_error(name, "not a string"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| decode_error(name, "no 0x prefix"))?;
    if digits.is_empty() || digits.len() > 64 {
        return Err(decode_error(name, "not a quantity"));
    }
    U256::from_str_radix(digits, 16).map_err(|e| decode_error(name, e))
}

fn quantity(value: &Value, name: &str) -> Result<u64, EngineError> {
    let wide = quantity_u256(value, name)?;
    u64::try_from(wide).map_err(|_| decode_error(name, "above 2^64"))
}

fn array<'a>(value: &'a Value, name: &str) -> Result<&'a Vec<Value>, EngineError> {
    field(value, name)?
        .as_array()
        .ok_or_else(|| decode_error(name, "not an array"))
}

fn to_list<T, const N: usize>(items: Vec<T>, name: &str) -> Result<List<T, N>, EngineError>
where
    T: ssz_rs::SimpleSerialize,
{
    let len = items.len();
    List::try_from(items).map_err(|_| decode_error(name, format!("{len} items, at most {N}")))
}

fn to_vector<const N: usize>(raw: Vec<u8>, name: &str) -> Result<Vector<u8, N>, EngineError> {
    let len = raw.len();
    Vector::try_from(raw).map_err(|_| decode_error(name, format!("{len} bytes, want {N}")))
}

fn qty(n: u64) -> String {
    format!("{n:#x}")
}

/// A withdrawal in Engine-API JSON.
pub(crate) fn withdrawal_json(w: &Withdrawal) -> Value {
    json!({
        "index": qty(w.index),
        "validatorIndex": qty(w.validator_index),
        "address": Address::from(w.address),
        "amount": qty(w.amount),
    })
}

fn withdrawal_from_json(value: &Value) -> Result<Withdrawal, EngineError> {
    Ok(Withdrawal {
        index: quantity(value, "index")?,
        validator_index: quantity(value, "validatorIndex")?,
        address: fixed(value, "address")?,
        amount: quantity(value, "amount")?,
    })
}

/// `ExecutionPayloadV3` JSON of `payload`.
pub fn payload_to_json(payload: &ExecutionPayload) -> Value {
    json!({
        "parentHash": B256::from(payload.parent_hash),
        "feeRecipient": Address::from(payload.fee_recipient),
        "stateRoot": B256::from(payload.state_root),
        "receiptsRoot": B256::from(payload.receipts_root),
        "logsBloom": hex::encode_prefixed(payload.logs_bloom.as_ref()),
        "prevRandao": B256::from(payload.prev_randao),
        "blockNumber": qty(payload.block_number),
        "gasLimit": qty(payload.gas_limit),
        "gasUsed": qty(payload.gas_used),
        "timestamp": qty(payload.timestamp),
        "extraData": hex::encode_prefixed(payload.extra_data.as_ref()),
        "baseFeePerGas": format!("{:#x}", u256_to_alloy(&payload.base_fee_per_gas)),
        "blockHash": B256::from(payload.block_hash),
        "transactions": payload.transactions.iter().map(|tx| hex::encode_prefixed(tx.as_ref())).collect::<Vec<_>>(),
        "withdrawals": payload.withdrawals.iter().map(withdrawal_json).collect::<Vec<_>>(),
        "blobGasUsed": qty(payload.blob_gas_used),
        "excessBlobGas": qty(payload.excess_blob_gas),
    })
}

/// Parses `ExecutionPayloadV3` JSON.
pub fn payload_from_json(value: &Value) -> Result<ExecutionPayload, EngineError> {
    let transactions = array(value, "transactions")?
        .iter()
        .enumerate()
        .map(|(i, tx)| {
            let name = format!("transactions[{i}]");
            let raw = tx
                .as_str()
                .ok_or_else(|| decode_error(&name, "not a string"))
                .and_then(|t| hex::decode(t).map_err(|e| decode_error(&name, e)))?;
            Transaction::try_from(raw).map_err(|_| decode_error(&name, "too long"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let withdrawals = array(value, "withdrawals")?;
    if withdrawals.len() > MAX_WITHDRAWALS_PER_PAYLOAD {
        return Err(decode_error("withdrawals", "too many"));
    }
    let withdrawals = withdrawals
        .iter()
        .map(withdrawal_from_json)
        .collect::<Result<Vec<_>, _>>()?;
    let extra_data = bytes(value, "extraData")?;
    Ok(ExecutionPayload {
        parent_hash: fixed(value, "parentHash")?,
        fee_recipient: fixed(value, "feeRecipient")?,
        state_root: fixed(value, "stateRoot")?,
        receipts_root: fixed(value, "receiptsRoot")?,
        logs_bloom: to_vector(bytes(value, "logsBloom")?, "logsBloom")?,
        prev_randao: fixed(value, "prevRandao")?,
        block_number: quantity(value, "blockNumber")?,
        gas_limit: quantity(value, "gasLimit")?,
        gas_used: quantity(value, "gasUsed")?,
        timestamp: quantity(value, "timestamp")?,
        extra_data: to_list(extra_data, "extraData")?,
        base_fee_per_gas: u256_from_alloy(quantity_u256(value, "baseFeePerGas")?),
        block_hash: fixed(value, "blockHash")?,
        transactions: to_list(transactions, "transactions")?,
        withdrawals: to_list(withdrawals, "withdrawals")?,
        blob_gas_used: quantity(value, "blobGasUsed")?,
        excess_blob_gas: quantity(value, "excessBlobGas")?,
    })
}

/// Parses `BlobsBundleV1` JSON.
pub(crate) fn blobs_bundle_from_json(value: &Value) -> Result<BlobsBundle, EngineError> {
    fn items<const N: usize>(value: &Value, name: &str) -> Result<Vec<Vector<u8, N>>, EngineError> {
        array(value, name)?
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name = format!("blobsBundle.{name}[{i}]");
                let text = item
                    .as_str()
                    .ok_or_else(|| decode_error(&name, "not a string"))?;
                to_vector(
                    hex::decode(text).map_err(|e| decode_error(&name, e))?,
                    &name,
                )
            })
            .collect()
    }
    let commitments: Vec<KzgBytes> = items(value, "commitments")?;
    let proofs: Vec<KzgBytes> = items(value, "proofs")?;
    let blobs: Vec<Blob> = items(value, "blobs")?;
    if commitments.len() != blobs.len() || proofs.len() != blobs.len() {
        return Err(decode_error(
            "blobsBundle",
            "commitments, proofs and blobs differ in length",
        ));
    }
    Ok(BlobsBundle {
        commitments: to_list(commitments, "blobsBundle.commitments")?,
        proofs: to_list(proofs, "blobsBundle.proofs")?,
        blobs: to_list(blobs, "blobsBundle.blobs")?,
    })
}

fn split<const SIZE: usize>(data: &[u8], name: &str) -> Result<Vec<[u8; SIZE]>, EngineError> {
    if !data.len().is_multiple_of(SIZE) {
        return Err(decode_error(
            name,
            format!("length not a multiple of {SIZE}"),
        ));
    }
    Ok(data
        .chunks_exact(SIZE)
        .map(|c| {
            let mut item = [0u8; SIZE];
            item.copy_from_slice(c);
            item
        })
        .collect())
}

fn le_u64(bytes: &[u8]) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(bytes);
    u64::from_le_bytes(raw)
}

/// Parses the EIP-7685 request list of `engine_getPayloadV4` (type byte then the
/// concatenated SSZ items, ascending types, empty types left out).
pub fn requests_from_json(value: &Value) -> Result<ExecutionRequests, EngineError> {
    let list = value
        .as_array()
        .ok_or_else(|| decode_error("executionRequests", "not an array"))?;
    let mut requests = ExecutionRequests::default();
    let mut last_type = None;
    for (i, item) in list.iter().enumerate() {
        let name = format!("executionRequests[{i}]");
        let raw = item
            .as_str()
            .ok_or_else(|| decode_error(&name, "not a string"))
            .and_then(|t| hex::decode(t).map_err(|e| decode_error(&name, e)))?;
        let (&kind, data) = raw
            .split_first()
            .ok_or_else(|| decode_error(&name, "empty"))?;
        if last_type.is_some_and(|last| kind <= last) || data.is_empty() {
            return Err(decode_error(&name, "types out of order, repeated or empty"));
        }
        last_type = Some(kind);
        match kind {
            DEPOSIT_TYPE => {
                let items = split::<DEPOSIT_SIZE>(data, &name)?
                    .iter()
                    .map(|d| {
                        Ok(DepositRequest {
                            pubkey: to_vector(d[..48].to_vec(), &name)?,
                            withdrawal_credentials: d[48..80].try_into().unwrap_or_default(),
                            amount: le_u64(&d[80..88]),
                            signature: to_vector(d[88..184].to_vec(), &name)?,
                            index: le_u64(&d[184..192]),
                        })
                    })
                    .collect::<Result<Vec<_>, EngineError>>()?;
                requests.deposits = to_list(items, &name)?;
            }
            WITHDRAWAL_TYPE => {
                let items = split::<WITHDRAWAL_SIZE>(data, &name)?
                    .iter()
                    .map(|w| {
                        Ok(WithdrawalRequest {
                            source_address: w[..20].try_into().unwrap_or_default(),
                            validator_pubkey: to_vector(w[20..68].to_vec(), &name)?,
                            amount: le_u64(&w[68..76]),
                        })
                    })
                    .collect::<Result<Vec<_>, EngineError>>()?;
                requests.withdrawals = to_list(items, &name)?;
            }
            CONSOLIDATION_TYPE => {
                let items = split::<CONSOLIDATION_SIZE>(data, &name)?
                    .iter()
                    .map(|c| {
                        Ok(ConsolidationRequest {
                            source_address: c[..20].try_into().unwrap_or_default(),
                            source_pubkey: to_vector(c[20..68].to_vec(), &name)?,
                            target_pubkey: to_vector(c[68..116].to_vec(), &name)?,
                        })
                    })
                    .collect::<Result<Vec<_>, EngineError>>()?;
                requests.consolidations = to_list(items, &name)?;
            }
            other => return Err(decode_error(&name, format!("unknown request type {other}"))),
        }
    }
    Ok(requests)
}

/// The EIP-7685 request list for `engine_newPayloadV4`.
pub fn requests_to_json(requests: &ExecutionRequests) -> Value {
    let mut list = Vec::new();
    let mut push = |kind: u8, data: Vec<u8>| {
        if !data.is_empty() {
            let mut raw = Vec::with_capacity(1 + data.len());
            raw.push(kind);
            raw.extend_from_slice(&data);
            list.push(Value::String(hex::encode_prefixed(raw)));
        }
    };
    push(
        DEPOSIT_TYPE,
        requests
            .deposits
            .iter()
            .flat_map(|d| {
                [
                    d.pubkey.as_ref(),
                    &d.withdrawal_credentials[..],
                    &d.amount.to_le_bytes(),
                    d.signature.as_ref(),
                    &d.index.to_le_bytes(),
                ]
                .concat()
            })
            .collect(),
    );
    push(
        WITHDRAWAL_TYPE,
        requests
            .withdrawals
            .iter()
            .flat_map(|w| {
                [
                    &w.source_address[..],
                    w.validator_pubkey.as_ref(),
                    &w.amount.to_le_bytes(),
                ]
                .concat()
            })
            .collect(),
    );
    push(
        CONSOLIDATION_TYPE,
        requests
            .consolidations
            .iter()
            .flat_map(|c| {
                [
                    &c.source_address[..],
                    c.source_pubkey.as_ref(),
                    c.target_pubkey.as_ref(),
                ]
                .concat()
            })
            .collect(),
    );
    Value::Array(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_payload() -> ExecutionPayload {
        let mut payload = ExecutionPayload {
            parent_hash: [1; 32],
            fee_recipient: [2; 20],
            state_root: [3; 32],
            receipts_root: [4; 32],
            prev_randao: [5; 32],
            block_number: 7,
            gas_limit: 30_000_000,
            gas_used: 21_000,
            timestamp: 1_700_000_000,
            base_fee_per_gas: u256_from_alloy(U256::from(875_000_000u64)),
            block_hash: [6; 32],
            blob_gas_used: 131_072,
            excess_blob_gas: 0,
            ..Default::default()
        };
        payload
            .transactions
            .push(Transaction::try_from(vec![2, 0xf8, 1, 2]).unwrap());
        payload.withdrawals.push(Withdrawal {
            index: 3,
            validator_index: 9,
            address: [8; 20],
            amount: 32,
        });
        payload.extra_data = List::try_from(b"baton".to_vec()).unwrap();
        payload
    }

    #[test]
    fn payload_round_trips_through_engine_json() {
        let payload = sample_payload();
        let json = payload_to_json(&payload);
        assert_eq!(json["blockNumber"], "0x7");
        assert_eq!(json["baseFeePerGas"], "0x342770c0");
        assert_eq!(json["withdrawals"][0]["validatorIndex"], "0x9");
        assert_eq!(payload_from_json(&json).unwrap(), payload);
    }

    #[test]
    fn payload_fields_are_checked() {
        let json = payload_to_json(&sample_payload());
        let mut short_hash = json.clone();
        short_hash["blockHash"] = json!("0x1234");
        let err = payload_from_json(&short_hash).unwrap_err().to_string();
        assert!(err.contains("blockHash"), "{err}");
        let mut huge = json.clone();
        huge["gasUsed"] = json!(format!("0x1{}", "0".repeat(16)));
        assert!(
            payload_from_json(&huge)
                .unwrap_err()
                .to_string()
                .contains("gasUsed")
        );
        let mut no_prefix = json;
        no_prefix["timestamp"] = json!("10");
        assert!(payload_from_json(&no_prefix).is_err());
    }

    #[test]
    fn requests_round_trip_and_reject_disorder() {
        let mut requests = ExecutionRequests::default();
        requests.withdrawals.push(WithdrawalRequest {
            source_address: [1; 20],
            validator_pubkey: Vector::try_from(vec![2; 48]).unwrap(),
            amount: 5,
        });
        requests.consolidations.push(ConsolidationRequest {
            source_address: [3; 20],
            source_pubkey: Vector::try_from(vec![4; 48]).unwrap(),
            target_pubkey: Vector::try_from(vec![5; 48]).unwrap(),
        });
        let json = requests_to_json(&requests);
        let list = json.as_array().unwrap();
        assert_eq!(list.len(), 2, "empty deposit list left out");
        assert!(list[0].as_str().unwrap().starts_with("0x01"));
        assert_eq!(requests_from_json(&json).unwrap(), requests);
        let reversed = Value::Array(list.iter().rev().cloned().collect());
        assert!(requests_from_json(&reversed).is_err());
        assert!(requests_from_json(&json!(["0x01"])).is_err());
        assert_eq!(
            requests_from_json(&json!([])).unwrap(),
            ExecutionRequests::default()
        );
    }
}
