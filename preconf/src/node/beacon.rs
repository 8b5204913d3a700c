//! Who proposes a slot (step ⑧ needs it to name the slot's sequencer): the beacon API's
//! proposer duties, behind a small trait so the node does not care where they come from.

use std::{
    collections::{BTreeMap, HashMap},
    future::Future,
    pin::Pin,
    sync::Mutex,
    time::Duration,
};

use alloy::transports::http::reqwest;
use serde::Deserialize;

use crate::{
    bls::BlsPublicKey,
    chain_spec::ChainSpec,
    types::{Epoch, Slot},
};

/// Largest duties response read (a mainnet epoch is about 6 KiB).
const MAX_DUTIES_BYTES: usize = 1 << 20;
/// Epochs of duties kept in memory.
const CACHED_EPOCHS: usize = 64;

/// A boxed future, for the object-safe [`ProposerSchedule`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Reading proposer duties failed.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// Transport or HTTP status error.
    #[error("beacon API {url}: {source}")]
    Http {
        /// The URL called.
        url: String,
        /// The error.
        source: reqwest::Error,
    },
    /// The response is over [`MAX_DUTIES_BYTES`].
    #[error("beacon API {url}: response over {max} bytes", max = MAX_DUTIES_BYTES)]
    TooLarge {
        /// The URL called.
        url: String,
    },
    /// The response is not the duties JSON.
    #[error("beacon API {url}: {source}")]
    Json {
        /// The URL called.
        url: String,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// The proposer of each slot.
pub trait ProposerSchedule: Send + Sync + std::fmt::Debug {
    /// The validator that proposes `slot`; `None` when the source does not know the slot.
    fn proposer(&self, slot: Slot) -> BoxFuture<'_, Result<Option<BlsPublicKey>, BeaconError>>;
}

#[derive(Debug, Deserialize)]
struct Duties {
    data: Vec<Duty>,
}

#[derive(Debug, Deserialize)]
struct Duty {
    pubkey: BlsPublicKey,
    slot: Slot,
}

/// Proposer duties from a beacon node: `GET /eth/v1/validator/duties/proposer/{epoch}`,
/// one call per epoch, cached.
#[derive(Debug)]
pub struct BeaconProposers {
    base: String,
    spec: ChainSpec,
    http: reqwest::Client,
    cache: Mutex<BTreeMap<Epoch, HashMap<Slot, BlsPublicKey>>>,
}

impl BeaconProposers {
    /// A client for the beacon node at `base` (e.g. `http://127.0.0.1:5052`).
    pub fn new(base: &str, spec: ChainSpec) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            spec,
            http,
            cache: Mutex::new(BTreeMap::new()),
        }
    }

    async fn fetch(&self, epoch: Epoch) -> Result<HashMap<Slot, BlsPublicKey>, BeaconError> {
        let url = format!("{}/eth/v1/validator/duties/proposer/{}", self.base, epoch.0);
        let http = |source| BeaconError::Http {
            url: url.clone(),
            source,
        };
        let mut response = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(http)?;
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(http)? {
            if body.len() + chunk.len() > MAX_DUTIES_BYTES {
                return Err(BeaconError::TooLarge { url });
            }
            body.extend_from_slice(&chunk);
        }
        let duties: Duties = serde_json::from_slice(&body).map_err(|source| BeaconError::Json {
            url: url.clone(),
            source,
        })?;
        Ok(duties
            .data
            .into_iter()
            .filter(|d| self.spec.epoch_of(d.slot) == epoch)
            .map(|d| (d.slot, d.pubkey))
            .collect())
    }
}

impl ProposerSchedule for BeaconProposers {
    fn proposer(&self, slot: Slot) -> BoxFuture<'_, Result<Option<BlsPublicKey>, BeaconError>> {
        Box::pin(async move {
            let epoch = self.spec.epoch_of(slot);
            if let Ok(cache) = self.cache.lock()
                && let Some(duties) = cache.get(&epoch)
            {
                return Ok(duties.get(&slot).copied());
            }
            let duties = self.fetch(epoch).await?;
            let found = duties.get(&slot).copied();
            if let Ok(mut cache) = self.cache.lock() {
                cache.insert(epoch, duties);
                while cache.len() > CACHED_EPOCHS {
                    cache.pop_first();
                }
            }
            Ok(found)
        })
    }
}
