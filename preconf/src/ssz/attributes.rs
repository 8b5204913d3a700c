//! The beacon node's `payload_attributes` event (beacon-APIs): what the block of a slot
//! must build on and contain. The relay checks submissions against it (step ⑤); the
//! sidecar builds its fallback block from it (step ⑥).

use alloy_primitives::{Address, B256};
use serde_json::{Value, json};
use ssz_rs::List;

use super::{BeaconJson, JsonError, MAX_WITHDRAWALS_PER_PAYLOAD, Withdrawal, hash_tree_root};
use crate::types::Slot;

/// The beacon node's `payload_attributes` event: what the block of `proposal_slot` must
/// build on and contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayloadAttributes {
    /// The slot being built for.
    pub proposal_slot: Slot,
    /// Its proposer's validator index.
    pub proposer_index: u64,
    /// The parent execution block.
    pub parent_block_hash: B256,
    /// The parent execution block's number.
    pub parent_block_number: u64,
    /// The parent beacon block root (enters the execution block hash).
    pub parent_beacon_block_root: B256,
    /// The payload's timestamp.
    pub timestamp: u64,
    /// The payload's prevRandao.
    pub prev_randao: B256,
    /// The withdrawals the payload must carry.
    pub withdrawals: List<Withdrawal, MAX_WITHDRAWALS_PER_PAYLOAD>,
}

fn quoted_u64(value: &Value, name: &str) -> Result<u64, JsonError> {
    u64::from_json(value.get(name).unwrap_or(&Value::Null)).map_err(|e| e.at(name))
}

fn hash(value: &Value, name: &str) -> Result<B256, JsonError> {
    <[u8; 32]>::from_json(value.get(name).unwrap_or(&Value::Null))
        .map(B256::from)
        .map_err(|e| e.at(name))
}

impl PayloadAttributes {
    /// `hash_tree_root` of the withdrawals list (the header's `withdrawals_root`).
    pub fn withdrawals_root(&self) -> B256 {
        hash_tree_root(&self.withdrawals).unwrap_or_default()
    }

    /// Parses the event's `data` object (beacon-APIs `payload_attributes` topic).
    pub fn from_event(data: &Value) -> Result<Self, JsonError> {
        let attributes = data.get("payload_attributes").ok_or_else(|| JsonError {
            path: "payload_attributes".into(),
            reason: "missing".into(),
        })?;
        Ok(Self {
            proposal_slot: Slot(quoted_u64(data, "proposal_slot")?),
            proposer_index: quoted_u64(data, "proposer_index")?,
            parent_block_hash: hash(data, "parent_block_hash")?,
            parent_block_number: quoted_u64(data, "parent_block_number")?,
            parent_beacon_block_root: hash(attributes, "parent_beacon_block_root")
                .map_err(|e| e.at("payload_attributes"))?,
            timestamp: quoted_u64(attributes, "timestamp")
                .map_err(|e| e.at("payload_attributes"))?,
            prev_randao: hash(attributes, "prev_randao").map_err(|e| e.at("payload_attributes"))?,
            withdrawals: List::from_json(attributes.get("withdrawals").unwrap_or(&json!([])))
                .map_err(|e| e.at("payload_attributes.withdrawals"))?,
        })
    }

    /// The `suggested_fee_recipient` of an event's `data` object (the beacon node's choice
    /// for the proposer; not part of [`Self`], which holds what every block must share).
    pub fn fee_recipient_from_event(data: &Value) -> Result<Address, JsonError> {
        let value = data
            .get("payload_attributes")
            .and_then(|a| a.get("suggested_fee_recipient"))
            .unwrap_or(&Value::Null);
        <[u8; 20]>::from_json(value)
            .map(Address::from)
            .map_err(|e| e.at("payload_attributes.suggested_fee_recipient"))
    }

    /// The event's `data` object.
    pub fn to_event(&self, fee_recipient: Address) -> Value {
        json!({
            "proposer_index": self.proposer_index.to_string(),
            "proposal_slot": self.proposal_slot,
            "parent_block_number": self.parent_block_number.to_string(),
            "parent_block_root": self.parent_beacon_block_root,
            "parent_block_hash": self.parent_block_hash,
            "payload_attributes": {
                "timestamp": self.timestamp.to_string(),
                "prev_randao": self.prev_randao,
                "suggested_fee_recipient": fee_recipient,
                "withdrawals": self.withdrawals.to_json(),
                "parent_beacon_block_root": self.parent_beacon_block_root,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_round_trip() {
        let mut attributes = PayloadAttributes {
            proposal_slot: Slot(9),
            proposer_index: 4,
            parent_block_hash: B256::repeat_byte(1),
            parent_block_number: 8,
            parent_beacon_block_root: B256::repeat_byte(2),
            timestamp: 1_700_000_108,
            prev_randao: B256::repeat_byte(3),
            withdrawals: List::default(),
        };
        attributes.withdrawals.push(Withdrawal {
            index: 1,
            validator_index: 2,
            address: [5; 20],
            amount: 6,
        });
        let event = attributes.to_event(Address::repeat_byte(7));
        assert_eq!(event["proposal_slot"], "9");
        assert_eq!(
            PayloadAttributes::fee_recipient_from_event(&event).unwrap(),
            Address::repeat_byte(7)
        );
        assert_eq!(PayloadAttributes::from_event(&event).unwrap(), attributes);
        let mut broken = event;
        broken["payload_attributes"]["timestamp"] = json!(5);
        let err = PayloadAttributes::from_event(&broken).unwrap_err();
        assert_eq!(err.path, "payload_attributes.timestamp");
    }
}
