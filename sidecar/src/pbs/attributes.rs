//! The beacon node's `payload_attributes` events (step ⑥): what each slot's block must
//! build on (parent, timestamp, prevRandao, withdrawals, parent beacon root), which the
//! fallback block is built from. `GET /eth/v1/events?topics=payload_attributes`, read with
//! the bounded SSE parser of [`crate::head_events`]; reconnects after a failure.

use std::time::Duration;

use baton_preconf::ssz::PayloadAttributes;
use serde_json::Value;

use super::state::SlotAttributes;
use crate::head_events::{EventsError, read_topic};

/// Parses one event's `data` line (`{"version": ..., "data": {...}}`).
pub fn parse_event(data: &str) -> Result<SlotAttributes, String> {
    let value: Value = serde_json::from_str(data).map_err(|e| e.to_string())?;
    let data = value.get("data").unwrap_or(&Value::Null);
    let attributes = PayloadAttributes::from_event(data).map_err(|e| e.to_string())?;
    let fee_recipient =
        PayloadAttributes::fee_recipient_from_event(data).map_err(|e| e.to_string())?;
    Ok(SlotAttributes {
        attributes,
        fee_recipient,
    })
}

async fn read(
    http: &reqwest::Client,
    base: &str,
    on_attributes: &(dyn Fn(SlotAttributes) + Send + Sync),
) -> Result<(), EventsError> {
    read_topic(
        http,
        base,
        "payload_attributes",
        &|data| match parse_event(data) {
            Ok(attributes) => on_attributes(attributes),
            Err(reason) => {
                tracing::warn!(%reason, "ignoring a malformed payload_attributes event");
            }
        },
    )
    .await
}

/// Follows the beacon node's `payload_attributes` events forever.
pub(crate) async fn follow(base: String, on_attributes: impl Fn(SlotAttributes) + Send + Sync) {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .build()
        .unwrap_or_default();
    let base = base.trim_end_matches('/').to_owned();
    let mut failures = 0u32;
    loop {
        if let Err(error) = read(&http, &base, &on_attributes).await {
            failures += 1;
            if failures == 1 || failures.is_multiple_of(30) {
                tracing::warn!(%error, failures, "payload_attributes events interrupted; no fallback block until they resume");
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, B256};
    use baton_preconf::Slot;
    use serde_json::json;

    use super::*;

    #[test]
    fn an_event_line_parses_with_its_fee_recipient() {
        let attributes = PayloadAttributes {
            proposal_slot: Slot(12),
            proposer_index: 3,
            parent_block_hash: B256::repeat_byte(1),
            parent_block_number: 11,
            parent_beacon_block_root: B256::repeat_byte(2),
            timestamp: 1_700_000_024,
            prev_randao: B256::repeat_byte(3),
            withdrawals: Default::default(),
        };
        let line =
            json!({"version": "electra", "data": attributes.to_event(Address::repeat_byte(9))})
                .to_string();
        let parsed = parse_event(&line).unwrap();
        assert_eq!(parsed.attributes, attributes);
        assert_eq!(parsed.fee_recipient, Address::repeat_byte(9));
        assert!(parse_event("{\"data\": {}}").is_err());
        assert!(parse_event("not json").is_err());
    }
}
