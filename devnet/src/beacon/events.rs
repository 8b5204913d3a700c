//! Beacon-API events (`GET /eth/v1/events`): `head` after every block and
//! `payload_attributes` for the next slot once the previous slot's block is in (or the
//! slot was missed). A new subscriber first gets the latest event of each topic it asked
//! for, so a relay that connects between slots still learns the next slot's parent.

use std::sync::Mutex;

use alloy_primitives::{Address, B256};
use baton_preconf::{Slot, ssz::BeaconJson};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{chain::Head, engine::PayloadAttributes};

/// Events buffered per subscriber before the slowest one skips ahead.
const CHANNEL: usize = 64;

/// A topic of the event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Topic {
    /// A new head block.
    Head,
    /// What the next slot's payload must build on.
    PayloadAttributes,
}

impl Topic {
    /// Every topic served.
    pub(super) const ALL: [Self; 2] = [Self::Head, Self::PayloadAttributes];

    /// The topic's name in the API.
    pub(super) const fn name(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::PayloadAttributes => "payload_attributes",
        }
    }

    /// Parses a topic name.
    pub(super) fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.name() == name)
    }
}

/// One event: its topic and its JSON `data` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Event {
    /// The topic (the SSE `event:` field).
    pub topic: Topic,
    /// The JSON text (the SSE `data:` field).
    pub data: String,
}

/// The fan-out of events to subscribers.
#[derive(Debug)]
pub(super) struct Events {
    sender: broadcast::Sender<Event>,
    latest: Mutex<[Option<Event>; 2]>,
}

impl Default for Events {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CHANNEL).0,
            latest: Mutex::new([None, None]),
        }
    }
}

impl Events {
    /// Sends `event` to every subscriber and keeps it as its topic's latest.
    pub(super) fn publish(&self, event: Event) {
        if let Ok(mut latest) = self.latest.lock() {
            latest[event.topic as usize] = Some(event.clone());
        }
        // No subscriber is not an error.
        let _ = self.sender.send(event);
    }

    /// A subscription, with the latest event of each of `topics` to replay first.
    pub(super) fn subscribe(&self, topics: &[Topic]) -> (Vec<Event>, broadcast::Receiver<Event>) {
        let receiver = self.sender.subscribe();
        let replay = self
            .latest
            .lock()
            .map(|latest| {
                topics
                    .iter()
                    .filter_map(|t| latest[*t as usize].clone())
                    .collect()
            })
            .unwrap_or_default();
        (replay, receiver)
    }
}

/// The `head` event of `head` (beacon-APIs `head` topic).
pub(super) fn head_event(head: &Head, epoch_transition: bool, dependent_root: B256) -> Event {
    let data = json!({
        "slot": head.slot,
        "block": head.root,
        "state": head.state_root,
        "epoch_transition": epoch_transition,
        "previous_duty_dependent_root": dependent_root,
        "current_duty_dependent_root": dependent_root,
        "execution_optimistic": false,
    });
    Event {
        topic: Topic::Head,
        data: data.to_string(),
    }
}

/// The `payload_attributes` event for `slot`, proposed by `proposer_index` on `head`
/// (beacon-APIs `payload_attributes` topic, Electra).
pub(super) fn payload_attributes_event(
    slot: Slot,
    proposer_index: u64,
    head: &Head,
    attributes: &PayloadAttributes,
) -> Event {
    let withdrawals: Vec<Value> = attributes
        .withdrawals
        .iter()
        .map(BeaconJson::to_json)
        .collect();
    let fee_recipient: Address = attributes.suggested_fee_recipient;
    let data = json!({
        "version": "electra",
        "data": {
            "proposer_index": proposer_index.to_string(),
            "proposal_slot": slot,
            "parent_block_number": head.block_number.to_string(),
            "parent_block_root": head.root,
            "parent_block_hash": head.block_hash,
            "payload_attributes": {
                "timestamp": attributes.timestamp.to_string(),
                "prev_randao": attributes.prev_randao,
                "suggested_fee_recipient": fee_recipient,
                "withdrawals": withdrawals,
                "parent_beacon_block_root": attributes.parent_beacon_block_root,
            },
        },
    });
    Event {
        topic: Topic::PayloadAttributes,
        data: data.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use baton_preconf::ssz::Withdrawal;
    use baton_relay::beacon::PayloadAttributes as RelayAttributes;
    use baton_sidecar::head_events::{HeadEvent, SseParser};

    use super::*;

    fn head() -> Head {
        Head {
            slot: Slot(15),
            root: B256::repeat_byte(1),
            state_root: B256::repeat_byte(2),
            block_hash: B256::repeat_byte(3),
            block_number: 12,
            timestamp: 1_030,
            gas_limit: 30_000_000,
            randao_mix: B256::repeat_byte(4),
        }
    }

    fn sse(event: &Event) -> String {
        format!("event: {}\ndata: {}\n\n", event.topic.name(), event.data)
    }

    #[test]
    fn the_relay_parses_our_payload_attributes() {
        let attributes = PayloadAttributes {
            timestamp: 1_032,
            prev_randao: B256::repeat_byte(4),
            suggested_fee_recipient: Address::repeat_byte(9),
            withdrawals: vec![Withdrawal {
                index: 1,
                validator_index: 2,
                address: [3; 20],
                amount: 4,
            }],
            parent_beacon_block_root: head().root,
        };
        let event = payload_attributes_event(Slot(16), 5, &head(), &attributes);
        let value: Value = serde_json::from_str(&event.data).unwrap();
        let parsed = RelayAttributes::from_event(&value["data"]).unwrap();
        assert_eq!(parsed.proposal_slot, Slot(16));
        assert_eq!(parsed.proposer_index, 5);
        assert_eq!(parsed.parent_block_hash, head().block_hash);
        assert_eq!(parsed.parent_block_number, 12);
        assert_eq!(parsed.parent_beacon_block_root, head().root);
        assert_eq!(parsed.timestamp, 1_032);
        assert_eq!(parsed.prev_randao, attributes.prev_randao);
        assert_eq!(parsed.withdrawals.len(), 1);
        assert_eq!(parsed.withdrawals[0].amount, 4);
    }

    #[test]
    fn the_sidecar_parses_our_head_events() {
        let event = head_event(&head(), true, B256::ZERO);
        let text = sse(&event);
        let mut parser = SseParser::default();
        let events = parser.feed(text.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].0, "head");
        let parsed: HeadEvent = serde_json::from_str(&events[0].1).unwrap();
        assert_eq!(parsed.slot, Slot(15));
        assert_eq!(parsed.block, head().root);
        assert!(parsed.epoch_transition);
    }

    #[tokio::test]
    async fn subscribers_get_the_latest_then_live_events() {
        let events = Events::default();
        events.publish(head_event(&head(), false, B256::ZERO));
        let (replay, mut live) = events.subscribe(&[Topic::PayloadAttributes]);
        assert!(replay.is_empty(), "only the topics asked for are replayed");
        let (replay, _) = events.subscribe(&[Topic::Head, Topic::PayloadAttributes]);
        assert_eq!(replay.len(), 1);
        assert_eq!(replay[0].topic, Topic::Head);
        events.publish(head_event(&head(), false, B256::ZERO));
        assert_eq!(live.recv().await.unwrap().topic, Topic::Head);
        assert_eq!(
            Topic::parse("payload_attributes"),
            Some(Topic::PayloadAttributes)
        );
        assert_eq!(Topic::parse("block"), None);
    }
}
