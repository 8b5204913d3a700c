//! The beacon API client (step ②): genesis and proposer duties, polled into [`Duties`].
//!
//! Reads `GET /eth/v1/beacon/genesis` once and `GET /eth/v1/validator/duties/proposer/{epoch}`
//! for the current and next epoch every slot, keeping the slots of this sidecar's
//! validators. Head events are read by [`crate::head_events`].

use std::{collections::HashSet, sync::Arc, time::Duration};

use baton_preconf::{BlsPublicKey, ChainSpec, Epoch, Slot};
use serde::Deserialize;

use crate::lookahead::{Duties, SlotClock};

/// A beacon API call failed.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// Transport or HTTP status error.
    #[error("beacon API {url}: {source}")]
    Http {
        /// The URL called (no credentials: beacon URLs here are plain).
        url: String,
        /// The error.
        source: reqwest::Error,
    },
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    data: T,
}

#[derive(Debug, Deserialize)]
struct Genesis {
    #[serde(with = "baton_preconf::types::quoted")]
    genesis_time: u64,
    #[serde(default)]
    genesis_fork_version: Option<alloy_primitives::FixedBytes<4>>,
    #[serde(default)]
    genesis_validators_root: Option<alloy_primitives::B256>,
}

#[derive(Debug, Deserialize)]
struct Fork {
    current_version: alloy_primitives::FixedBytes<4>,
}

#[derive(Debug, Deserialize)]
struct ProposerDuty {
    pubkey: BlsPublicKey,
    slot: Slot,
}

/// A beacon node's REST API.
#[derive(Debug, Clone)]
pub struct BeaconClient {
    base: String,
    http: reqwest::Client,
}

impl BeaconClient {
    /// A client for the beacon node at `base` (e.g. `http://127.0.0.1:5052`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
        }
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, BeaconError> {
        let url = format!("{}{path}", self.base);
        let wrap = |source| BeaconError::Http {
            url: url.clone(),
            source,
        };
        let envelope: Envelope<T> = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(wrap)?
            .json()
            .await
            .map_err(wrap)?;
        Ok(envelope.data)
    }

    /// Beacon genesis time and genesis fork version (the domain of builder-API and
    /// constraints signatures; `None` if the node does not say).
    pub async fn genesis(&self) -> Result<(u64, Option<[u8; 4]>), BeaconError> {
        let genesis = self.get::<Genesis>("/eth/v1/beacon/genesis").await?;
        Ok((
            genesis.genesis_time,
            genesis.genesis_fork_version.map(|v| v.0),
        ))
    }

    /// Fills `chain`'s genesis time, genesis fork version, genesis validators root and
    /// current fork version (the domains of builder-API, constraints and proposer
    /// signatures) from the beacon node; what it does not say keeps `chain`'s value.
    pub async fn chain_facts(&self, chain: &mut ChainSpec) -> Result<(), BeaconError> {
        let genesis = self.get::<Genesis>("/eth/v1/beacon/genesis").await?;
        chain.genesis_time = genesis.genesis_time;
        if let Some(version) = genesis.genesis_fork_version {
            chain.genesis_fork_version = version.0;
        }
        if let Some(root) = genesis.genesis_validators_root {
            chain.genesis_validators_root = root;
        }
        match self.get::<Fork>("/eth/v1/beacon/states/head/fork").await {
            Ok(fork) => chain.current_fork_version = fork.current_version.0,
            Err(error) => {
                tracing::warn!(%error, "no fork from the beacon node; proposer signatures are checked with the configured fork version");
            }
        }
        Ok(())
    }

    /// Beacon genesis time.
    pub async fn genesis_time(&self) -> Result<u64, BeaconError> {
        Ok(self
            .get::<Genesis>("/eth/v1/beacon/genesis")
            .await?
            .genesis_time)
    }

    /// The proposer of every slot of `epoch`.
    pub async fn proposer_duties(
        &self,
        epoch: Epoch,
    ) -> Result<Vec<(Slot, BlsPublicKey)>, BeaconError> {
        let duties: Vec<ProposerDuty> = self
            .get(&format!("/eth/v1/validator/duties/proposer/{}", epoch.0))
            .await?;
        Ok(duties.into_iter().map(|d| (d.slot, d.pubkey)).collect())
    }
}

/// Keeps `duties` filled with our validators' slots of the current and next epoch, forever.
pub async fn follow_duties(
    client: BeaconClient,
    chain: ChainSpec,
    ours: HashSet<BlsPublicKey>,
    duties: Arc<Duties>,
    clock: Arc<dyn SlotClock>,
) {
    loop {
        let now = clock.now_ms() / 1000;
        let current = chain.slot_at(now).unwrap_or_default();
        let epoch = chain.epoch_of(current);
        for e in [epoch, Epoch(epoch.0 + 1)] {
            match client.proposer_duties(e).await {
                Ok(list) => {
                    for (slot, pubkey) in list {
                        if ours.contains(&pubkey) {
                            duties.insert(slot, pubkey);
                        }
                    }
                }
                Err(error) => tracing::warn!(%error, epoch = e.0, "cannot read proposer duties"),
            }
        }
        duties.prune_before(current);
        tokio::time::sleep(Duration::from_secs(chain.seconds_per_slot.max(1))).await;
    }
}

/// A beacon API stand-in for tests and benchmarks: serves `genesis_time`, assigns every
/// slot to `validator`, and sends a `head` event at the start of every 2-second slot.
/// Returns its URL; it runs until the runtime stops.
pub async fn serve_stub(
    genesis_time: u64,
    slots_per_epoch: u64,
    validator: BlsPublicKey,
) -> std::io::Result<String> {
    use axum::{
        Json, Router,
        extract::Path,
        response::sse::{Event, Sse},
        routing::get,
    };
    use serde_json::json;

    const SECONDS_PER_SLOT: u64 = 2;
    let heads = move || async move {
        let stream = futures_util::stream::unfold((), move |()| async move {
            let now_ms = crate::lookahead::SystemClock.now_ms();
            let slot_ms = SECONDS_PER_SLOT * 1000;
            let next = (now_ms / slot_ms + 1) * slot_ms;
            tokio::time::sleep(Duration::from_millis(next - now_ms)).await;
            let slot = (next / 1000).saturating_sub(genesis_time) / SECONDS_PER_SLOT;
            let data = json!({
                "slot": slot.to_string(),
                "block": alloy_primitives::B256::left_padding_from(&slot.to_be_bytes()),
                "state": alloy_primitives::B256::ZERO,
                "epoch_transition": slot.is_multiple_of(slots_per_epoch),
            });
            let event = Event::default().event("head").data(data.to_string());
            Some((Ok::<_, std::convert::Infallible>(event), ()))
        });
        Sse::new(stream)
    };

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let app = Router::new()
        .route(
            "/eth/v1/beacon/genesis",
            get(move || async move { Json(json!({ "data": { "genesis_time": genesis_time.to_string() } })) }),
        )
        .route(
            "/eth/v1/validator/duties/proposer/{epoch}",
            get(move |Path(epoch): Path<u64>| async move {
                let duties: Vec<_> = (epoch * slots_per_epoch..(epoch + 1) * slots_per_epoch)
                    .map(|slot| json!({ "pubkey": validator, "validator_index": "0", "slot": slot.to_string() }))
                    .collect();
                Json(json!({ "data": duties }))
            }),
        )
        .route("/eth/v1/events", get(heads));
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::error!(%error, "stub beacon stopped");
        }
    });
    Ok(url)
}
