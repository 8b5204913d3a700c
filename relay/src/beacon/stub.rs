//! A beacon API stand-in for tests and the load generator: genesis, fork, proposer duties
//! (validator `slot % n` of a fixed list proposes each slot), the `payload_attributes`
//! event stream driven by the caller, and a `POST /eth/v2/beacon/blocks` that decodes and
//! keeps what it is given. It runs until the runtime stops.

use std::{
    convert::Infallible,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use alloy_primitives::Address;
use axum::{
    Json, Router,
    body::Bytes,
    extract::{Path, State},
    http::StatusCode,
    response::{
        IntoResponse, Response,
        sse::{Event, Sse},
    },
    routing::{get, post},
};
use baton_preconf::{
    BlsPublicKey,
    ssz::{SignedBlockContentsElectra, decode},
};
use serde_json::{Value, json};
use tokio::sync::broadcast;

use super::{ChainInfo, PayloadAttributes};

#[derive(Debug)]
struct StubState {
    info: ChainInfo,
    slots_per_epoch: u64,
    validators: Vec<BlsPublicKey>,
    events: broadcast::Sender<Value>,
    latest: Mutex<Option<Value>>,
    published: Mutex<Vec<SignedBlockContentsElectra>>,
    refuse_publish: AtomicBool,
}

/// A running stub beacon node.
#[derive(Debug, Clone)]
pub struct StubBeacon {
    url: String,
    state: Arc<StubState>,
}

impl StubBeacon {
    /// Starts the stub on a free loopback port. `validators` must not be empty.
    pub async fn start(
        info: ChainInfo,
        slots_per_epoch: u64,
        validators: Vec<BlsPublicKey>,
    ) -> std::io::Result<Self> {
        if validators.is_empty() {
            return Err(std::io::Error::other("the stub beacon needs a validator"));
        }
        let (events, _) = broadcast::channel(64);
        let state = Arc::new(StubState {
            info,
            slots_per_epoch: slots_per_epoch.max(1),
            validators,
            events,
            latest: Mutex::new(None),
            published: Mutex::new(Vec::new()),
            refuse_publish: AtomicBool::new(false),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let app = Router::new()
            .route("/eth/v1/beacon/genesis", get(genesis))
            .route("/eth/v1/beacon/states/head/fork", get(fork))
            .route("/eth/v1/validator/duties/proposer/{epoch}", get(duties))
            .route("/eth/v1/events", get(event_stream))
            .route("/eth/v2/beacon/blocks", post(publish))
            .with_state(state.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "stub beacon stopped");
            }
        });
        Ok(Self { url, state })
    }

    /// The base URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The proposer of `slot` and its validator index.
    pub fn proposer(&self, slot: u64) -> (BlsPublicKey, u64) {
        let n = self.state.validators.len() as u64;
        (self.state.validators[(slot % n) as usize], slot % n)
    }

    /// Emits a `payload_attributes` event (also sent to later subscribers first).
    pub fn announce(&self, attributes: &PayloadAttributes) {
        let data = attributes.to_event(Address::ZERO);
        if let Ok(mut latest) = self.state.latest.lock() {
            *latest = Some(data.clone());
        }
        let _ = self.state.events.send(data);
    }

    /// Blocks published so far.
    pub fn published(&self) -> Vec<SignedBlockContentsElectra> {
        self.state
            .published
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    /// Makes `POST /eth/v2/beacon/blocks` answer 500 (or work again).
    pub fn refuse_publishing(&self, refuse: bool) {
        self.state.refuse_publish.store(refuse, Ordering::SeqCst);
    }
}

async fn genesis(State(state): State<Arc<StubState>>) -> Json<Value> {
    Json(json!({ "data": {
        "genesis_time": state.info.genesis_time.to_string(),
        "genesis_validators_root": state.info.genesis_validators_root,
        "genesis_fork_version": format!("0x{}", hex::encode(state.info.genesis_fork_version)),
    }}))
}

async fn fork(State(state): State<Arc<StubState>>) -> Json<Value> {
    Json(json!({ "data": {
        "previous_version": format!("0x{}", hex::encode(state.info.current_fork_version)),
        "current_version": format!("0x{}", hex::encode(state.info.current_fork_version)),
        "epoch": "0",
    }}))
}

async fn duties(State(state): State<Arc<StubState>>, Path(epoch): Path<u64>) -> Json<Value> {
    let n = state.validators.len() as u64;
    let first = epoch.saturating_mul(state.slots_per_epoch);
    let duties: Vec<Value> = (first..first + state.slots_per_epoch)
        .map(|slot| {
            json!({
                "pubkey": state.validators[(slot % n) as usize],
                "validator_index": (slot % n).to_string(),
                "slot": slot.to_string(),
            })
        })
        .collect();
    Json(json!({ "data": duties }))
}

async fn event_stream(State(state): State<Arc<StubState>>) -> impl IntoResponse {
    let first = state.latest.lock().ok().and_then(|l| l.clone());
    let receiver = state.events.subscribe();
    let stream =
        futures_util::stream::unfold((first, receiver), |(mut first, mut receiver)| async move {
            let data = match first.take() {
                Some(data) => data,
                None => loop {
                    match receiver.recv().await {
                        Ok(data) => break data,
                        Err(broadcast::error::RecvError::Lagged(_)) => {}
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                },
            };
            let event = Event::default()
                .event("payload_attributes")
                .data(json!({ "version": "electra", "data": data }).to_string());
            Some((Ok::<_, Infallible>(event), (None, receiver)))
        });
    Sse::new(stream)
}

async fn publish(State(state): State<Arc<StubState>>, body: Bytes) -> Response {
    if state.refuse_publish.load(Ordering::SeqCst) {
        return (StatusCode::INTERNAL_SERVER_ERROR, "publishing refused").into_response();
    }
    match decode::<SignedBlockContentsElectra>(&body) {
        Ok(contents) => {
            if let Ok(mut published) = state.published.lock() {
                published.push(contents);
            }
            StatusCode::OK.into_response()
        }
        Err(e) => (StatusCode::BAD_REQUEST, e.to_string()).into_response(),
    }
}
