//! The slot timeline: who proposed, whether they opted in, and who built the block.

use std::collections::HashMap;

use alloy_primitives::Address;
use baton_preconf::{BlsPublicKey, Slot};
use futures_util::{StreamExt, stream};

use super::{
    aggregate::Aggregator,
    beacon_reader::{BeaconSlot, Source},
    error::ExplorerError,
    http::Delivered,
    model::{OptInVia, Outcome, SlotView, SlotsPage},
    sources::{SidecarSource, normalize},
};

/// Registry lookups in flight at once.
const LOOKUPS_IN_FLIGHT: usize = 8;

/// The sidecar whose builder URL is `url`.
pub(crate) fn sidecar_by_builder_url<'a>(
    sidecars: &'a [SidecarSource],
    url: &str,
) -> Option<&'a SidecarSource> {
    let url = normalize(url);
    sidecars
        .iter()
        .find(|s| s.builder_url.as_deref().map(normalize).as_deref() == Some(url.as_str()))
}

/// Who built `record`'s block: a relay delivery for this block wins; otherwise a block
/// from a sidecar's builder URL is its fallback block.
pub(crate) fn outcome(
    record: Option<&BeaconSlot>,
    delivered: Option<&Delivered>,
    sidecars: &[SidecarSource],
) -> Outcome {
    let Some(record) = record else {
        return Outcome::Pending;
    };
    let (block, source) = match &record.block {
        Err(reason) => {
            return Outcome::Missed {
                reason: reason.clone(),
            };
        }
        Ok(found) => found,
    };
    if let Some(d) = delivered.filter(|d| d.block_hash == block.hash) {
        return Outcome::Relay {
            builder_pubkey: d.builder,
            value: d.value.clone(),
        };
    }
    match source {
        Source::Builder(url) => match sidecar_by_builder_url(sidecars, url) {
            Some(sidecar) => Outcome::SidecarFallback {
                sidecar: sidecar.name.clone(),
            },
            None => Outcome::Builder {
                url: super::sources::redact(url),
            },
        },
        Source::Published => Outcome::Published,
        Source::Local => Outcome::Local,
    }
}

/// Whether a validator opted in, and how: the `Registry` first, else a builder URL that
/// is a sidecar's.
pub(crate) fn opt_in(
    committer: Option<Address>,
    builder_url: Option<&str>,
    sidecars: &[SidecarSource],
) -> Option<OptInVia> {
    if committer.is_some() {
        Some(OptInVia::Registry)
    } else if builder_url.is_some_and(|url| sidecar_by_builder_url(sidecars, url).is_some()) {
        Some(OptInVia::BuilderUrl)
    } else {
        None
    }
}

impl Aggregator {
    /// The committers the `Registry` names for `keys` (empty without contracts).
    pub(crate) async fn committers(
        &self,
        keys: Vec<BlsPublicKey>,
    ) -> Result<HashMap<BlsPublicKey, Option<Address>>, ExplorerError> {
        let Some(contracts) = self.sources.contracts else {
            return Ok(HashMap::new());
        };
        let lookups: Vec<_> = keys
            .into_iter()
            .map(|key| async move {
                if let Some(known) = self.registry_cache.get(&key) {
                    return Ok((key, known));
                }
                let committer = self.l1.committer_of(contracts.registry, &key).await?;
                self.registry_cache.put(key, committer);
                Ok((key, committer))
            })
            .collect();
        let found: Vec<Result<(BlsPublicKey, Option<Address>), ExplorerError>> =
            stream::iter(lookups)
                .buffer_unordered(LOOKUPS_IN_FLIGHT)
                .collect()
                .await;
        found.into_iter().collect()
    }

    /// The timeline of slots `from..=to`, newest first; `to` is capped at the current slot.
    pub(crate) async fn slots(&self, from: Slot, to: Slot) -> Result<SlotsPage, ExplorerError> {
        let info = self.beacon.info(&self.http).await?;
        let current = info.current_slot();
        let to = to.min(current);
        let records: HashMap<Slot, BeaconSlot> = if from <= to {
            self.beacon
                .slots(&self.http, from, to)
                .await?
                .into_iter()
                .map(|r| (r.slot, r))
                .collect()
        } else {
            HashMap::new()
        };
        let validators = self.validators().await?;
        let mut warnings = Vec::new();
        let delivered: HashMap<Slot, Delivered> = match (&self.relay, from <= to) {
            (Some(relay), true) => match relay.delivered(&self.http, from, to).await {
                Ok(list) => list.into_iter().map(|d| (d.slot, d)).collect(),
                Err(e) => {
                    warnings.push(format!("relay: {e}"));
                    HashMap::new()
                }
            },
            _ => HashMap::new(),
        };
        let mut proposers: Vec<BlsPublicKey> = records.values().map(|r| r.proposer).collect();
        proposers.sort_unstable();
        proposers.dedup();
        let committers = self.committers(proposers).await?;
        let sidecars = &self.sources.sidecars;
        let mut slots = Vec::new();
        let mut slot = to;
        while slot >= from && from <= to {
            let record = records.get(&slot);
            let builder_url = record
                .and_then(|r| validators.get(&r.proposer_index))
                .and_then(|v| v.builder_url.clone());
            let committer = record.and_then(|r| committers.get(&r.proposer).copied().flatten());
            let via = opt_in(committer, builder_url.as_deref(), sidecars);
            slots.push(SlotView {
                slot,
                timestamp: info.timestamp(slot),
                proposer_index: record.map(|r| r.proposer_index),
                proposer: record.map(|r| r.proposer),
                opted_in: via.is_some(),
                opt_in_via: via,
                committer,
                builder_url,
                outcome: if record.is_none() && slot < current {
                    Outcome::Unrecorded
                } else {
                    outcome(record, delivered.get(&slot), sidecars)
                },
                block: record.and_then(|r| r.block.as_ref().ok().map(|(b, _)| *b)),
            });
            if slot.0 == 0 {
                break;
            }
            slot = Slot(slot.0 - 1);
        }
        Ok(SlotsPage {
            from,
            to,
            current_slot: current,
            slots,
            warnings,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::B256;

    use super::*;
    use crate::explorer::model::BlockRef;

    fn sidecars() -> Vec<SidecarSource> {
        vec![SidecarSource {
            name: "sidecar-1".into(),
            rpc_url: "http://127.0.0.1:1".into(),
            builder_url: Some("http://127.0.0.1:2/".into()),
        }]
    }

    fn proposed(source: Source) -> BeaconSlot {
        BeaconSlot {
            slot: Slot(5),
            proposer_index: 1,
            proposer: BlsPublicKey::default(),
            block: Ok((
                BlockRef {
                    number: 3,
                    hash: B256::repeat_byte(3),
                    tx_count: 1,
                },
                source,
            )),
        }
    }

    #[test]
    fn outcomes_credit_the_relay_then_the_sidecar_then_the_source() {
        let delivered = Delivered {
            slot: Slot(5),
            block_hash: B256::repeat_byte(3),
            builder: BlsPublicKey([9; 48]),
            value: "7".into(),
        };
        let via_sidecar = proposed(Source::Builder("http://127.0.0.1:2".into()));
        assert_eq!(
            outcome(Some(&via_sidecar), Some(&delivered), &sidecars()),
            Outcome::Relay {
                builder_pubkey: BlsPublicKey([9; 48]),
                value: "7".into()
            }
        );
        let other_block = Delivered {
            block_hash: B256::repeat_byte(4),
            ..delivered
        };
        assert_eq!(
            outcome(Some(&via_sidecar), Some(&other_block), &sidecars()),
            Outcome::SidecarFallback {
                sidecar: "sidecar-1".into()
            },
            "a delivery of another block does not count"
        );
        let via_relay = proposed(Source::Builder("http://u:p@relay:9".into()));
        assert_eq!(
            outcome(Some(&via_relay), None, &sidecars()),
            Outcome::Builder {
                url: "http://relay:9".into()
            }
        );
        assert_eq!(
            outcome(Some(&proposed(Source::Local)), None, &sidecars()),
            Outcome::Local
        );
        let missed = BeaconSlot {
            block: Err("fault".into()),
            ..proposed(Source::Local)
        };
        assert_eq!(
            outcome(Some(&missed), None, &sidecars()),
            Outcome::Missed {
                reason: "fault".into()
            }
        );
        assert_eq!(outcome(None, None, &sidecars()), Outcome::Pending);
    }

    #[test]
    fn opted_in_through_the_registry_or_a_sidecar_builder_url() {
        let s = sidecars();
        assert_eq!(
            opt_in(Some(Address::repeat_byte(1)), None, &s),
            Some(OptInVia::Registry)
        );
        assert_eq!(
            opt_in(None, Some("HTTP://127.0.0.1:2"), &s),
            Some(OptInVia::BuilderUrl)
        );
        assert_eq!(opt_in(None, Some("http://relay"), &s), None);
        assert_eq!(opt_in(None, None, &s), None);
    }
}
