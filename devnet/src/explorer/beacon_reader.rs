//! The beacon service's slots and validators, read in-process ([`BeaconView`]) or over
//! its REST API, into the explorer's own small types.

use std::time::{SystemTime, UNIX_EPOCH};

use alloy_primitives::B256;
use baton_preconf::{BlsPublicKey, Slot, types::quoted};
use serde::Deserialize;
use tokio::sync::OnceCell;

use super::{
    http::{Http, SMALL_ANSWER, UpstreamError},
    model::BlockRef,
    sources::BeaconSource,
};
use crate::beacon::{BeaconView, BlockSource, SlotOutcome, SlotRecord};

/// Where a slot's block came from, as the beacon service recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// Through the builder API from this URL.
    Builder(String),
    /// Published to the beacon API.
    Published,
    /// Built locally.
    Local,
}

/// One slot's record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BeaconSlot {
    pub slot: Slot,
    pub proposer_index: u64,
    pub proposer: BlsPublicKey,
    /// The block and where it came from; `Err(reason)` for a missed slot.
    pub block: Result<(BlockRef, Source), String>,
}

/// A validator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Validator {
    pub index: u64,
    pub pubkey: BlsPublicKey,
    pub builder_url: Option<String>,
}

/// Chain parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BeaconInfo {
    pub genesis_time: u64,
    pub seconds_per_slot: u64,
    pub genesis_fork_version: [u8; 4],
}

impl BeaconInfo {
    /// The slot running at `now` (Unix seconds).
    pub(crate) const fn slot_at(&self, now: u64) -> Slot {
        Slot(now.saturating_sub(self.genesis_time) / self.seconds_per_slot)
    }

    /// The slot running now.
    pub(crate) fn current_slot(&self) -> Slot {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        self.slot_at(now)
    }

    /// Unix time at which `slot` starts.
    pub(crate) const fn timestamp(&self, slot: Slot) -> u64 {
        self.genesis_time + slot.0 * self.seconds_per_slot
    }
}

fn from_record(record: &SlotRecord) -> BeaconSlot {
    let block = match &record.outcome {
        SlotOutcome::Proposed(block) => Ok((
            BlockRef {
                number: block.block_number,
                hash: block.block_hash,
                tx_count: block.tx_count as u64,
            },
            match &block.source {
                BlockSource::Builder { url } => Source::Builder(url.clone()),
                BlockSource::Published => Source::Published,
                BlockSource::Local => Source::Local,
            },
        )),
        SlotOutcome::Missed { reason } => Err(serde_json::to_value(reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()),
    };
    BeaconSlot {
        slot: record.slot,
        proposer_index: record.proposer_index,
        proposer: record.proposer,
        block,
    }
}

/// `/baton/v1/slots` records as the REST API serialises them.
#[derive(Deserialize)]
struct RecordWire {
    slot: Slot,
    #[serde(with = "quoted")]
    proposer_index: u64,
    proposer: BlsPublicKey,
    outcome: String,
    source: Option<SourceWire>,
    block_hash: Option<B256>,
    block_number: Option<u64>,
    tx_count: Option<u64>,
    reason: Option<String>,
}

#[derive(Deserialize)]
struct SourceWire {
    kind: String,
    url: Option<String>,
}

impl RecordWire {
    fn into_slot(self) -> Result<BeaconSlot, String> {
        let block = match self.outcome.as_str() {
            "proposed" => {
                let (Some(hash), Some(number), Some(source)) =
                    (self.block_hash, self.block_number, self.source)
                else {
                    return Err(format!("slot {}: proposed without a block", self.slot));
                };
                let source = match (source.kind.as_str(), source.url) {
                    ("builder", Some(url)) => Source::Builder(url),
                    ("published", _) => Source::Published,
                    ("local", _) => Source::Local,
                    (other, _) => return Err(format!("unknown block source {other}")),
                };
                Ok((
                    BlockRef {
                        number,
                        hash,
                        tx_count: self.tx_count.unwrap_or_default(),
                    },
                    source,
                ))
            }
            "missed" => Err(self.reason.unwrap_or_default()),
            other => return Err(format!("unknown outcome {other}")),
        };
        Ok(BeaconSlot {
            slot: self.slot,
            proposer_index: self.proposer_index,
            proposer: self.proposer,
            block,
        })
    }
}

#[derive(Deserialize)]
struct Data<T> {
    data: T,
}

#[derive(Deserialize)]
struct ValidatorWire {
    #[serde(with = "quoted")]
    index: u64,
    pubkey: BlsPublicKey,
    builder_url: Option<String>,
}

/// Reads the beacon service.
pub(crate) enum BeaconReader {
    /// In this process.
    View(BeaconView),
    /// Over REST; the chain parameters are read once.
    Rest {
        url: String,
        info: OnceCell<BeaconInfo>,
    },
}

impl std::fmt::Debug for BeaconReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::View(_) => f.write_str("BeaconReader::View"),
            Self::Rest { url, .. } => {
                write!(f, "BeaconReader::Rest({})", super::sources::redact(url))
            }
        }
    }
}

impl BeaconReader {
    pub(crate) fn new(source: BeaconSource) -> Self {
        match source {
            BeaconSource::InProcess(view) => Self::View(view),
            BeaconSource::Url(url) => Self::Rest {
                url: url.trim_end_matches('/').to_owned(),
                info: OnceCell::new(),
            },
        }
    }

    /// Chain parameters.
    pub(crate) async fn info(&self, http: &Http) -> Result<BeaconInfo, UpstreamError> {
        match self {
            Self::View(view) => {
                let spec = view.spec();
                Ok(BeaconInfo {
                    genesis_time: spec.genesis_time,
                    seconds_per_slot: spec.seconds_per_slot,
                    genesis_fork_version: spec.genesis_fork_version,
                })
            }
            Self::Rest { url, info } => {
                info.get_or_try_init(|| rest_info(http, url)).await.copied()
            }
        }
    }

    /// Records of slots `from..=to` (at most 1,024).
    pub(crate) async fn slots(
        &self,
        http: &Http,
        from: Slot,
        to: Slot,
    ) -> Result<Vec<BeaconSlot>, UpstreamError> {
        match self {
            Self::View(view) => Ok(view
                .records(from, to, 1_024)
                .iter()
                .map(from_record)
                .collect()),
            Self::Rest { url, .. } => {
                let query = format!("{url}/baton/v1/slots?from={from}&to={to}");
                let wire: Data<Vec<RecordWire>> = http.get(&query, SMALL_ANSWER).await?;
                wire.data
                    .into_iter()
                    .map(|r| {
                        r.into_slot().map_err(|reason| UpstreamError {
                            url: super::sources::redact(&query),
                            reason,
                        })
                    })
                    .collect()
            }
        }
    }

    /// Every validator.
    pub(crate) async fn validators(&self, http: &Http) -> Result<Vec<Validator>, UpstreamError> {
        match self {
            Self::View(view) => Ok(view
                .validators()
                .into_iter()
                .map(|v| Validator {
                    index: v.index,
                    pubkey: v.pubkey,
                    builder_url: v.builder_url,
                })
                .collect()),
            Self::Rest { url, .. } => {
                let wire: Data<Vec<ValidatorWire>> = http
                    .get(&format!("{url}/baton/v1/validators"), SMALL_ANSWER)
                    .await?;
                Ok(wire
                    .data
                    .into_iter()
                    .map(|v| Validator {
                        index: v.index,
                        pubkey: v.pubkey,
                        builder_url: v.builder_url,
                    })
                    .collect())
            }
        }
    }
}

async fn rest_info(http: &Http, url: &str) -> Result<BeaconInfo, UpstreamError> {
    #[derive(Deserialize)]
    struct Genesis {
        #[serde(with = "quoted")]
        genesis_time: u64,
        genesis_fork_version: String,
    }
    #[derive(Deserialize)]
    struct Spec {
        #[serde(rename = "SECONDS_PER_SLOT", with = "quoted")]
        seconds_per_slot: u64,
    }
    let genesis: Data<Genesis> = http
        .get(&format!("{url}/eth/v1/beacon/genesis"), SMALL_ANSWER)
        .await?;
    let spec: Data<Spec> = http
        .get(&format!("{url}/eth/v1/config/spec"), SMALL_ANSWER)
        .await?;
    let bad = |reason: &str| UpstreamError {
        url: super::sources::redact(url),
        reason: reason.to_owned(),
    };
    let version = hex::decode(genesis.data.genesis_fork_version.trim_start_matches("0x"))
        .ok()
        .and_then(|v| <[u8; 4]>::try_from(v).ok())
        .ok_or_else(|| bad("genesis_fork_version is not 4 bytes of hex"))?;
    if spec.data.seconds_per_slot == 0 {
        return Err(bad("SECONDS_PER_SLOT is 0"));
    }
    Ok(BeaconInfo {
        genesis_time: genesis.data.genesis_time,
        seconds_per_slot: spec.data.seconds_per_slot,
        genesis_fork_version: version,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_records_parse_like_the_service_writes_them() {
        let proposed = serde_json::json!({
            "slot": "9", "proposer_index": "2", "proposer": BlsPublicKey::default(),
            "outcome": "proposed", "source": {"kind": "builder", "url": "http://sidecar"},
            "root": B256::ZERO, "parent_root": B256::ZERO, "block_hash": B256::repeat_byte(7),
            "block_number": 31, "tx_count": 4
        });
        let slot = serde_json::from_value::<RecordWire>(proposed)
            .unwrap()
            .into_slot()
            .unwrap();
        assert_eq!(slot.proposer_index, 2);
        let (block, source) = slot.block.unwrap();
        assert_eq!((block.number, block.tx_count), (31, 4));
        assert_eq!(source, Source::Builder("http://sidecar".into()));
        let missed = serde_json::json!({
            "slot": "10", "proposer_index": "1", "proposer": BlsPublicKey::default(),
            "outcome": "missed", "reason": "fault"
        });
        let slot = serde_json::from_value::<RecordWire>(missed)
            .unwrap()
            .into_slot()
            .unwrap();
        assert_eq!(slot.block, Err("fault".to_owned()));
        let info = BeaconInfo {
            genesis_time: 100,
            seconds_per_slot: 2,
            genesis_fork_version: [0; 4],
        };
        assert_eq!(info.slot_at(105), Slot(2));
        assert_eq!(info.slot_at(50), Slot(0));
        assert_eq!(info.timestamp(Slot(3)), 106);
    }
}
