//! The beacon-API JSON form of the SSZ containers (steps ⑤–⑥): builders, relays and
//! beacon nodes exchange the same containers as JSON or as SSZ bytes.
//!
//! The mapping is mechanical (beacon-APIs): `uint64` and `uint256` are decimal strings,
//! byte vectors and byte lists `0x`-hex, bitfields the `0x`-hex of their SSZ encoding,
//! containers objects with the field names, other lists arrays. [`BeaconJson`] does it
//! for each container here, with every length bounded before anything is allocated.

use alloy_primitives::{U256 as AlloyU256, hex};
use serde_json::{Map, Value};
use ssz_rs::prelude::*;

use super::{
    beacon::{
        AttestationData, AttestationElectra, AttesterSlashingElectra, BeaconBlockHeader,
        BlindedBeaconBlockBodyElectra, BlindedBeaconBlockElectra, BlsToExecutionChange, Checkpoint,
        Deposit, DepositData, Eth1Data, IndexedAttestationElectra, ProposerSlashing,
        SignedBeaconBlockHeader, SignedBlindedBeaconBlockElectra, SignedBlsToExecutionChange,
        SignedVoluntaryExit, SyncAggregate, VoluntaryExit,
    },
    builder::{
        BuilderBidElectra, ConsolidationRequest, DepositRequest, ExecutionPayloadHeader,
        ExecutionRequests, SignedBuilderBidElectra, SignedValidatorRegistration,
        ValidatorRegistrationV1, WithdrawalRequest,
    },
    payload::{
        BeaconBlockBodyElectra, BeaconBlockElectra, BidTrace, BlobsBundle, ExecutionPayload,
        ExecutionPayloadAndBlobsBundle, SignedBeaconBlockElectra, SignedBlockContentsElectra,
        SubmitBlockRequestElectra, Withdrawal, u256_from_alloy, u256_to_alloy,
    },
};

/// JSON that does not describe the expected container.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct JsonError {
    /// Where, as a dotted path (`message.slot`, `transactions[3]`).
    pub path: String,
    /// What is wrong.
    pub reason: String,
}

impl JsonError {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            path: String::new(),
            reason: reason.into(),
        }
    }

    /// The same error, one level further out (`field` contains the current path).
    pub fn at(mut self, field: &str) -> Self {
        self.path = match (self.path.is_empty(), self.path.starts_with('[')) {
            (true, _) => field.to_owned(),
            (false, true) => format!("{field}{}", self.path),
            (false, false) => format!("{field}.{}", self.path),
        };
        self
    }
}

/// A value with a beacon-API JSON form.
pub trait BeaconJson: std::marker::Sized {
    /// The JSON form.
    fn to_json(&self) -> Value;
    /// Parses the JSON form.
    fn from_json(value: &Value) -> Result<Self, JsonError>;

    /// The JSON form of a sequence of these (an array; bytes override it with hex).
    #[doc(hidden)]
    fn seq_to_json(items: &[Self]) -> Value {
        Value::Array(items.iter().map(Self::to_json).collect())
    }

    /// Parses a sequence of at most `max` of these.
    #[doc(hidden)]
    fn seq_from_json(value: &Value, max: usize) -> Result<Vec<Self>, JsonError> {
        let items = value
            .as_array()
            .ok_or_else(|| JsonError::new("expected an array"))?;
        if items.len() > max {
            return Err(JsonError::new(format!(
                "{} items, at most {max} allowed",
                items.len()
            )));
        }
        items
            .iter()
            .enumerate()
            .map(|(i, item)| Self::from_json(item).map_err(|e| e.at(&format!("[{i}]"))))
            .collect()
    }
}

/// Parses `0x`-hex of at most `max` bytes.
pub fn hex_from_json(value: &Value, max: usize) -> Result<Vec<u8>, JsonError> {
    let text = value
        .as_str()
        .ok_or_else(|| JsonError::new("expected a 0x-hex string"))?;
    let digits = text
        .strip_prefix("0x")
        .ok_or_else(|| JsonError::new("hex must start with 0x"))?;
    if digits.len() > max.saturating_mul(2) {
        return Err(JsonError::new(format!(
            "{} hex digits, at most {max} bytes allowed",
            digits.len()
        )));
    }
    hex::decode(digits).map_err(|e| JsonError::new(format!("bad hex: {e}")))
}

fn hex_to_json(bytes: &[u8]) -> Value {
    Value::String(format!("0x{}", hex::encode(bytes)))
}

fn decimal_from_json(value: &Value) -> Result<AlloyU256, JsonError> {
    let text = match value {
        Value::String(s) => s.as_str(),
        _ => return Err(JsonError::new("expected a decimal string")),
    };
    if text.is_empty() || text.len() > 78 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(JsonError::new(format!("`{text}` is not a decimal integer")));
    }
    AlloyU256::from_str_radix(text, 10).map_err(|_| JsonError::new("over 256 bits"))
}

impl BeaconJson for u8 {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        Self::try_from(decimal_from_json(value)?).map_err(|_| JsonError::new("over 8 bits"))
    }

    fn seq_to_json(items: &[Self]) -> Value {
        hex_to_json(items)
    }

    fn seq_from_json(value: &Value, max: usize) -> Result<Vec<Self>, JsonError> {
        hex_from_json(value, max)
    }
}

impl BeaconJson for u64 {
    fn to_json(&self) -> Value {
        Value::String(self.to_string())
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        Self::try_from(decimal_from_json(value)?).map_err(|_| JsonError::new("over 64 bits"))
    }
}

impl BeaconJson for U256 {
    fn to_json(&self) -> Value {
        Value::String(u256_to_alloy(self).to_string())
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        decimal_from_json(value).map(u256_from_alloy)
    }
}

impl<const N: usize> BeaconJson for [u8; N] {
    fn to_json(&self) -> Value {
        hex_to_json(self)
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let bytes = hex_from_json(value, N)?;
        bytes
            .try_into()
            .map_err(|b: Vec<u8>| JsonError::new(format!("expected {N} bytes, got {}", b.len())))
    }
}

impl<T: BeaconJson + SimpleSerialize, const N: usize> BeaconJson for List<T, N> {
    fn to_json(&self) -> Value {
        T::seq_to_json(self)
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let items = T::seq_from_json(value, N)?;
        Self::try_from(items).map_err(|_| JsonError::new(format!("more than {N} items")))
    }
}

impl<T: BeaconJson + SimpleSerialize, const N: usize> BeaconJson for Vector<T, N> {
    fn to_json(&self) -> Value {
        T::seq_to_json(self)
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let items = T::seq_from_json(value, N)?;
        let len = items.len();
        Self::try_from(items).map_err(|_| JsonError::new(format!("expected {N} items, got {len}")))
    }
}

impl<const N: usize> BeaconJson for Bitlist<N> {
    fn to_json(&self) -> Value {
        hex_to_json(&ssz_rs::serialize(self).unwrap_or_default())
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let bytes = hex_from_json(value, N / 8 + 1)?;
        super::decode(&bytes).map_err(|e| JsonError::new(e.to_string()))
    }
}

impl<const N: usize> BeaconJson for Bitvector<N> {
    fn to_json(&self) -> Value {
        hex_to_json(&ssz_rs::serialize(self).unwrap_or_default())
    }

    fn from_json(value: &Value) -> Result<Self, JsonError> {
        let bytes = hex_from_json(value, N.div_ceil(8))?;
        super::decode(&bytes).map_err(|e| JsonError::new(e.to_string()))
    }
}

/// Reads `field` of a JSON object.
fn field<T: BeaconJson>(object: &Map<String, Value>, name: &str) -> Result<T, JsonError> {
    let value = object
        .get(name)
        .ok_or_else(|| JsonError::new("missing").at(name))?;
    T::from_json(value).map_err(|e| e.at(name))
}

/// Implements [`BeaconJson`] for a container from its field list (in SSZ order).
macro_rules! beacon_json_container {
    ($($name:ident { $($field:ident),+ $(,)? })+) => {$(
        impl BeaconJson for $name {
            fn to_json(&self) -> Value {
                let mut object = Map::new();
                $( object.insert(stringify!($field).to_owned(), self.$field.to_json()); )+
                Value::Object(object)
            }

            fn from_json(value: &Value) -> Result<Self, JsonError> {
                let object = value
                    .as_object()
                    .ok_or_else(|| JsonError::new(concat!("expected a ", stringify!($name), " object")))?;
                Ok(Self { $( $field: field(object, stringify!($field))?, )+ })
            }
        }
    )+};
}

beacon_json_container! {
    ValidatorRegistrationV1 { fee_recipient, gas_limit, timestamp, pubkey }
    SignedValidatorRegistration { message, signature }
    ExecutionPayloadHeader {
        parent_hash, fee_recipient, state_root, receipts_root, logs_bloom, prev_randao,
        block_number, gas_limit, gas_used, timestamp, extra_data, base_fee_per_gas,
        block_hash, transactions_root, withdrawals_root, blob_gas_used, excess_blob_gas
    }
    DepositRequest { pubkey, withdrawal_credentials, amount, signature, index }
    WithdrawalRequest { source_address, validator_pubkey, amount }
    ConsolidationRequest { source_address, source_pubkey, target_pubkey }
    ExecutionRequests { deposits, withdrawals, consolidations }
    BuilderBidElectra { header, blob_kzg_commitments, execution_requests, value, pubkey }
    SignedBuilderBidElectra { message, signature }
    Withdrawal { index, validator_index, address, amount }
    ExecutionPayload {
        parent_hash, fee_recipient, state_root, receipts_root, logs_bloom, prev_randao,
        block_number, gas_limit, gas_used, timestamp, extra_data, base_fee_per_gas,
        block_hash, transactions, withdrawals, blob_gas_used, excess_blob_gas
    }
    BlobsBundle { commitments, proofs, blobs }
    BidTrace {
        slot, parent_hash, block_hash, builder_pubkey, proposer_pubkey,
        proposer_fee_recipient, gas_limit, gas_used, value
    }
    SubmitBlockRequestElectra {
        message, execution_payload, blobs_bundle, execution_requests, signature
    }
    ExecutionPayloadAndBlobsBundle { execution_payload, blobs_bundle }
    Eth1Data { deposit_root, deposit_count, block_hash }
    BeaconBlockHeader { slot, proposer_index, parent_root, state_root, body_root }
    SignedBeaconBlockHeader { message, signature }
    ProposerSlashing { signed_header_1, signed_header_2 }
    Checkpoint { epoch, root }
    AttestationData { slot, index, beacon_block_root, source, target }
    IndexedAttestationElectra { attesting_indices, data, signature }
    AttesterSlashingElectra { attestation_1, attestation_2 }
    AttestationElectra { aggregation_bits, data, signature, committee_bits }
    DepositData { pubkey, withdrawal_credentials, amount, signature }
    Deposit { proof, data }
    VoluntaryExit { epoch, validator_index }
    SignedVoluntaryExit { message, signature }
    SyncAggregate { sync_committee_bits, sync_committee_signature }
    BlsToExecutionChange { validator_index, from_bls_pubkey, to_execution_address }
    SignedBlsToExecutionChange { message, signature }
    BlindedBeaconBlockBodyElectra {
        randao_reveal, eth1_data, graffiti, proposer_slashings, attester_slashings,
        attestations, deposits, voluntary_exits, sync_aggregate, execution_payload_header,
        bls_to_execution_changes, blob_kzg_commitments, execution_requests
    }
    BlindedBeaconBlockElectra { slot, proposer_index, parent_root, state_root, body }
    SignedBlindedBeaconBlockElectra { message, signature }
    BeaconBlockBodyElectra {
        randao_reveal, eth1_data, graffiti, proposer_slashings, attester_slashings,
        attestations, deposits, voluntary_exits, sync_aggregate, execution_payload,
        bls_to_execution_changes, blob_kzg_commitments, execution_requests
    }
    BeaconBlockElectra { slot, proposer_index, parent_root, state_root, body }
    SignedBeaconBlockElectra { message, signature }
    SignedBlockContentsElectra { signed_block, kzg_proofs, blobs }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::ssz::hash_tree_root;

    fn sample_block() -> SignedBlindedBeaconBlockElectra {
        let mut block = SignedBlindedBeaconBlockElectra::default();
        block.message.slot = 77;
        block.message.proposer_index = 3;
        block.message.parent_root = [9; 32];
        let body = &mut block.message.body;
        body.graffiti = [b'b'; 32];
        body.execution_payload_header.block_number = 12;
        body.execution_payload_header.base_fee_per_gas = U256::from(1_000_000_007u64);
        body.execution_payload_header.extra_data = List::try_from(vec![1, 2, 3]).unwrap();
        let mut attestation = AttestationElectra {
            aggregation_bits: Bitlist::try_from([true, false, true].as_slice()).unwrap(),
            ..Default::default()
        };
        attestation.committee_bits.set(3, true);
        attestation.data.source.epoch = 4;
        body.attestations.push(attestation);
        body.execution_requests.deposits.push(DepositRequest {
            amount: 32_000_000_000,
            index: 5,
            ..Default::default()
        });
        block
    }

    #[test]
    fn round_trip_keeps_the_root() {
        let block = sample_block();
        let value = block.to_json();
        assert_eq!(value["message"]["slot"], "77");
        assert_eq!(
            value["message"]["body"]["execution_payload_header"]["base_fee_per_gas"],
            "1000000007"
        );
        assert_eq!(
            value["message"]["body"]["execution_payload_header"]["extra_data"],
            "0x010203"
        );
        assert_eq!(
            value["message"]["body"]["attestations"][0]["aggregation_bits"], "0x0d",
            "bits 1,0,1 then the length bit"
        );
        let text = serde_json::to_string(&value).unwrap();
        let back =
            SignedBlindedBeaconBlockElectra::from_json(&serde_json::from_str(&text).unwrap())
                .unwrap();
        assert_eq!(back, block);
        assert_eq!(
            hash_tree_root(&back.message).unwrap(),
            hash_tree_root(&block.message).unwrap()
        );
    }

    #[test]
    fn errors_name_the_path_and_bounds_hold() {
        let mut value = sample_block().to_json();
        value["message"]["body"]["attestations"][0]["data"]["source"]["epoch"] = json!(4);
        let err = SignedBlindedBeaconBlockElectra::from_json(&value).unwrap_err();
        assert_eq!(
            err.path, "message.body.attestations[0].data.source.epoch",
            "{err}"
        );

        let mut value = sample_block().to_json();
        value["message"]["body"]["graffiti"] = json!("0x1234");
        let err = SignedBlindedBeaconBlockElectra::from_json(&value).unwrap_err();
        assert_eq!(err.path, "message.body.graffiti");

        let mut value = sample_block().to_json();
        value["message"]["body"]["execution_payload_header"]["extra_data"] =
            json!(format!("0x{}", "00".repeat(33)));
        assert!(SignedBlindedBeaconBlockElectra::from_json(&value).is_err());

        let mut value = sample_block().to_json();
        value["message"]["body"]["attestations"] = json!(vec![json!({}); 9]);
        let err = SignedBlindedBeaconBlockElectra::from_json(&value).unwrap_err();
        assert!(err.reason.contains("at most 8"), "{err}");

        let mut value = sample_block().to_json();
        value["message"]
            .as_object_mut()
            .unwrap()
            .remove("proposer_index");
        let err = SignedBlindedBeaconBlockElectra::from_json(&value).unwrap_err();
        assert_eq!(err.path, "message.proposer_index");
        assert_eq!(err.reason, "missing");

        for bad in [
            json!("-1"),
            json!("1e3"),
            json!(""),
            json!("18446744073709551616"),
        ] {
            assert!(u64::from_json(&bad).is_err(), "{bad}");
        }
        assert_eq!(
            U256::from_json(&json!(
                "115792089237316195423570985008687907853269984665640564039457584007913129639935"
            ))
            .map(|v| u256_to_alloy(&v)),
            Ok(AlloyU256::MAX)
        );
        assert!(
            U256::from_json(&json!(
                "115792089237316195423570985008687907853269984665640564039457584007913129639936"
            ))
            .is_err()
        );
    }

    #[test]
    fn payload_transactions_are_hex() {
        let mut payload = ExecutionPayload::default();
        payload
            .transactions
            .push(List::try_from(vec![0x02, 0xf8]).unwrap());
        let value = payload.to_json();
        assert_eq!(value["transactions"], json!(["0x02f8"]));
        assert_eq!(ExecutionPayload::from_json(&value).unwrap(), payload);
    }
}
