//! The explorer's state: its sources, clients and caches, and the summary built from the
//! slot timeline and the promises.

use std::{collections::HashMap, sync::Arc, time::Duration};

use alloy_primitives::Address;
use baton_preconf::{BlsPublicKey, Slot};
use tokio::sync::Mutex;

use super::{
    beacon_reader::{BeaconReader, Validator},
    cache::Cache,
    chain_reads::{L2Rpcs, Rpc, SlasherWatch},
    error::ExplorerError,
    http::{Http, Relay, UpstreamError},
    model::{Counts, RollupView, Summary},
    sources::ExplorerSources,
};

/// Slots the summary counts (ending at the current slot).
pub(crate) const SUMMARY_SLOTS: u64 = 32;
/// How long a `Registry` answer is reused.
const REGISTRY_TTL: Duration = Duration::from_secs(24);
/// How long the validator list is reused (it changes only when the devnet restarts).
const VALIDATORS_TTL: Duration = Duration::from_secs(60);

/// Everything the explorer reads with, shared by its handlers.
#[derive(Debug)]
pub(crate) struct Aggregator {
    pub(crate) sources: ExplorerSources,
    pub(crate) http: Http,
    pub(crate) beacon: BeaconReader,
    pub(crate) relay: Option<Relay>,
    pub(crate) l1: Rpc,
    pub(crate) l2: L2Rpcs,
    pub(crate) registry_cache: Cache<BlsPublicKey, Option<Address>>,
    validators: Cache<(), Arc<HashMap<u64, Validator>>>,
    pub(crate) slasher: Mutex<SlasherWatch>,
}

impl Aggregator {
    /// Clients for `sources`; fails only on URLs that do not parse.
    pub(crate) fn new(sources: ExplorerSources) -> Result<Self, UpstreamError> {
        let l1 = Rpc::new(&sources.l1_rpc)?;
        let mut l2 = HashMap::new();
        for rollup in &sources.rollups {
            if let Some(url) = &rollup.l2_rpc {
                l2.insert(rollup.id, Rpc::new(url)?);
            }
        }
        Ok(Self {
            http: Http::new(),
            beacon: BeaconReader::new(sources.beacon.clone()),
            relay: sources.relay_url.clone().map(|url| Relay { url }),
            l1,
            l2,
            registry_cache: Cache::new(REGISTRY_TTL),
            validators: Cache::new(VALIDATORS_TTL),
            slasher: Mutex::new(SlasherWatch::default()),
            sources,
        })
    }

    /// The current slot.
    pub(crate) async fn current_slot(&self) -> Result<Slot, ExplorerError> {
        Ok(self.beacon.info(&self.http).await?.current_slot())
    }

    /// Validators by index.
    pub(crate) async fn validators(&self) -> Result<Arc<HashMap<u64, Validator>>, ExplorerError> {
        if let Some(known) = self.validators.get(&()) {
            return Ok(known);
        }
        let list = self.beacon.validators(&self.http).await?;
        let by_index = Arc::new(list.into_iter().map(|v| (v.index, v)).collect());
        self.validators.put((), Arc::clone(&by_index));
        Ok(by_index)
    }

    /// `/api/summary`: chain ids, sources, and counts over the last
    /// [`SUMMARY_SLOTS`] slots and the default promise window.
    pub(crate) async fn summary(&self) -> Result<Summary, ExplorerError> {
        let info = self.beacon.info(&self.http).await?;
        let current = info.current_slot();
        let from = Slot(current.0.saturating_sub(SUMMARY_SLOTS - 1));
        let timeline = self.slots(from, current).await?;
        let (promise_from, promise_to) = default_promise_window(current);
        let promises = self.promises(promise_from, promise_to).await?;
        let mut counts = Counts::default();
        for slot in &timeline.slots {
            *counts.slots.entry(slot.outcome.label()).or_default() += 1;
        }
        for promise in &promises.promises {
            *counts.promises.entry(promise.status).or_default() += 1;
        }
        let head = timeline.slots.iter().find_map(|s| s.block);
        let contracts = self.sources.contracts;
        Ok(Summary {
            l1_chain_id: self.sources.l1_chain_id,
            genesis_time: info.genesis_time,
            seconds_per_slot: info.seconds_per_slot,
            current_slot: current,
            head,
            validators: self.validators().await?.len() as u64,
            rollups: self
                .sources
                .rollups
                .iter()
                .map(|r| RollupView {
                    id: r.id,
                    name: r.name.clone(),
                    l2_chain_id: r.l2_chain_id,
                })
                .collect(),
            sidecars: self
                .sources
                .sidecars
                .iter()
                .map(|s| s.name.clone())
                .collect(),
            relay: self.relay.is_some(),
            registry: contracts.map(|c| c.registry),
            rollup_inbox: contracts.map(|c| c.rollup_inbox),
            slasher: contracts.map(|c| c.slasher),
            window_from: from,
            window_to: current,
            counts,
        })
    }
}

/// Promises shown by default: the last 12 slots and the next 4.
pub(crate) const fn default_promise_window(current: Slot) -> (Slot, Slot) {
    (Slot(current.0.saturating_sub(11)), Slot(current.0 + 4))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explorer::sources::{BeaconSource, RollupSource, SidecarSource};

    #[test]
    fn nothing_it_prints_carries_credentials() {
        let secret = |path: &str| format!("http://user:secret@127.0.0.1:1/{path}");
        let sources = ExplorerSources {
            beacon: BeaconSource::Url(secret("beacon")),
            relay_url: Some(secret("relay")),
            l1_rpc: secret("l1"),
            l1_chain_id: 1,
            contracts: None,
            sidecars: vec![SidecarSource {
                name: "s".into(),
                rpc_url: secret("rpc"),
                builder_url: Some(secret("builder")),
            }],
            rollups: vec![RollupSource {
                id: baton_preconf::RollupId(1),
                name: "alpha".into(),
                l2_chain_id: 2,
                l2_rpc: Some(secret("l2")),
            }],
        };
        let aggregator = Aggregator::new(sources).unwrap();
        let shown = format!("{aggregator:?}");
        assert!(!shown.contains("secret"), "{shown}");
        assert!(
            shown.contains("127.0.0.1:1/l2"),
            "URLs are still shown: {shown}"
        );
    }
}
