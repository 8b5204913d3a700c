//! The router driven in process (`oneshot`, a manual clock, no sockets): every route's
//! happy path and every refusal, each refusal checked for its code and for leaving the
//! relay's state as it was.

mod constraints;
mod data;
mod proposer;
mod register;
mod submit;

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};
use axum::{
    Router,
    body::Body,
    http::{Request, StatusCode},
};
use baton_preconf::{BlsSecretKey, ChainId, ChainSpec, Slot};
use serde_json::Value;
use tower::ServiceExt;

use super::{AppState, router};
use crate::{
    beacon::{ChainInfo, PayloadAttributes, ProposerDuty},
    clock::ManualClock,
    config::{AdminToken, RelayKey, Timing},
    market::Market,
    service::Relay,
    sim::{self, BlockSpec, Built, Proposer},
};

pub(super) const GENESIS: u64 = 1_700_000_000;
pub(super) const SECONDS: u64 = 12;
pub(super) const SLOT: Slot = Slot(100);
pub(super) const ADMIN: &str = "test-admin-token-0123";

/// A relay with one registered proposer for [`SLOT`], its attributes announced, and the
/// clock 4 s before the slot.
pub(super) struct Fixture {
    pub(super) relay: Arc<Relay>,
    pub(super) app: Router,
    pub(super) clock: Arc<ManualClock>,
    pub(super) info: ChainInfo,
    pub(super) proposer: Proposer,
    pub(super) attributes: PayloadAttributes,
}

/// An answer: status, `error_code` (0 if none) and the body.
#[derive(Debug)]
pub(super) struct Answer {
    pub(super) status: StatusCode,
    pub(super) code: u64,
    pub(super) body: Vec<u8>,
}

impl Answer {
    pub(super) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

pub(super) fn slot_start_ms(slot: Slot) -> u64 {
    (GENESIS + slot.0 * SECONDS) * 1000
}

pub(super) fn fixture() -> Fixture {
    let info = sim::chain_info(GENESIS);
    let chain = ChainSpec {
        chain_id: ChainId(0),
        genesis_time: GENESIS,
        seconds_per_slot: SECONDS,
        slots_per_epoch: 32,
        genesis_fork_version: info.genesis_fork_version,
        current_fork_version: info.current_fork_version,
        genesis_validators_root: info.genesis_validators_root,
    };
    let clock = Arc::new(ManualClock::new(slot_start_ms(SLOT) - 4_000));
    let relay = Arc::new(Relay::new(
        chain,
        Timing::default(),
        RelayKey(Arc::new(sim::bls_key(1000))),
        clock.clone(),
        None,
    ));
    let proposer = Proposer {
        key: sim::bls_key(1),
        index: 7,
        fee_recipient: Address::repeat_byte(0xfe),
    };
    relay.add_duty(ProposerDuty {
        pubkey: proposer.pubkey(),
        validator_index: proposer.index,
        slot: SLOT,
    });
    relay
        .register(vec![proposer.registration(&info, GENESIS + 1000)])
        .unwrap();
    let attributes = sim::attributes(&info, SECONDS, SLOT, proposer.index);
    relay.add_head(attributes.clone());
    let app = router(AppState {
        relay: relay.clone(),
        market: Arc::new(Market::default()),
        admin: Some(AdminToken(ADMIN.to_owned())),
    });
    Fixture {
        relay,
        app,
        clock,
        info,
        proposer,
        attributes,
    }
}

impl Fixture {
    pub(super) async fn call(
        &self,
        method: &str,
        uri: &str,
        headers: &[(&str, &str)],
        body: impl Into<Body>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(body.into()).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap()
            .to_vec();
        let code = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("error_code").and_then(Value::as_u64))
            .unwrap_or(0);
        Answer { status, code, body }
    }

    pub(super) async fn post_json(&self, uri: &str, body: &Value) -> Answer {
        self.call(
            "POST",
            uri,
            &[("content-type", "application/json")],
            body.to_string(),
        )
        .await
    }

    pub(super) async fn get(&self, uri: &str) -> Answer {
        self.call("GET", uri, &[], Body::empty()).await
    }

    /// A block for [`SLOT`] with `n` filler transactions plus `constrained` ones (proven).
    pub(super) fn block(
        &self,
        builder: &BlsSecretKey,
        value: u64,
        nonce: u64,
        constrained: &[alloy_primitives::Bytes],
    ) -> Built {
        let mut txs = sim::transactions(9, nonce * 1000, 20);
        let first = txs.len();
        txs.extend(constrained.iter().cloned());
        sim::build(
            builder,
            &self.info,
            &BlockSpec {
                attributes: self.attributes.clone(),
                proposer: self.proposer.pubkey(),
                fee_recipient: self.proposer.fee_recipient,
                value: U256::from(value),
                prove: (first..txs.len()).collect(),
                txs,
                nonce,
            },
        )
    }

    pub(super) async fn submit(&self, built: &Built) -> Answer {
        // Arrival orders a builder's bids; the manual clock only moves when told to.
        self.clock.advance_ms(10);
        self.post_json("/relay/v1/builder/blocks", &built.json())
            .await
    }

    pub(super) async fn submit_with_proofs(&self, built: &Built) -> Answer {
        self.clock.advance_ms(10);
        self.post_json(
            "/constraints/v0/relay/blocks_with_proofs",
            &built.json_with_proofs(),
        )
        .await
    }

    pub(super) fn header_uri(&self, prefix: &str) -> String {
        format!(
            "{prefix}/{}/{}/{}",
            SLOT,
            self.attributes.parent_block_hash,
            self.proposer.pubkey()
        )
    }

    /// The block hash `getHeader` serves now, if any.
    pub(super) async fn best(&self) -> Option<B256> {
        let answer = self.get(&self.header_uri("/eth/v1/builder/header")).await;
        if answer.status == StatusCode::NO_CONTENT {
            return None;
        }
        assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.json());
        answer.json()["data"]["message"]["header"]["block_hash"]
            .as_str()
            .and_then(|h| h.parse().ok())
    }

    /// Records received for the slot (the data API).
    pub(super) fn received(&self) -> usize {
        self.relay
            .history
            .query_received(&crate::state::history::Filter {
                slot: Some(SLOT),
                limit: 1000,
                ..Default::default()
            })
            .len()
    }
}
