//! The beacon REST client: genesis, fork, proposer duties, the `payload_attributes` event
//! stream and block publishing.

use std::time::Duration;

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, Epoch, Slot,
    ssz::{BeaconJson, SignedBlockContentsElectra},
};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use super::PayloadAttributes;

/// Largest JSON answer read from the beacon node (duties of one epoch are small).
const MAX_ANSWER_BYTES: usize = 4 * 1024 * 1024;
/// Longest SSE line accepted from the event stream.
const MAX_EVENT_BYTES: usize = 256 * 1024;

/// A beacon API call failed.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// Transport error or an error status.
    #[error("beacon API {path}: {reason}")]
    Http {
        /// The path called (the base URL is configuration, not repeated here).
        path: String,
        /// What failed.
        reason: String,
    },
    /// The answer does not have the expected shape.
    #[error("beacon API {path}: unexpected answer: {reason}")]
    Shape {
        /// The path called.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// The chain facts the relay reads once at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainInfo {
    /// Unix time of slot 0.
    pub genesis_time: u64,
    /// Genesis validators root (proposer signatures).
    pub genesis_validators_root: B256,
    /// Genesis fork version (builder and constraints domains).
    pub genesis_fork_version: [u8; 4],
    /// Current fork version (proposer signatures).
    pub current_fork_version: [u8; 4],
}

/// One slot's proposer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ProposerDuty {
    /// The validator's key.
    pub pubkey: BlsPublicKey,
    /// The validator's index.
    #[serde(with = "baton_preconf::types::quoted")]
    pub validator_index: u64,
    /// The slot.
    pub slot: Slot,
}

#[derive(Debug, Deserialize)]
struct Envelope<T> {
    data: T,
}

/// A beacon node's REST API.
#[derive(Debug, Clone)]
pub struct BeaconClient {
    base: String,
    http: reqwest::Client,
    streaming: reqwest::Client,
}

fn fork_version(value: &Value, name: &str, path: &str) -> Result<[u8; 4], BeaconError> {
    <[u8; 4]>::from_json(value.get(name).unwrap_or(&Value::Null)).map_err(|e| BeaconError::Shape {
        path: path.to_owned(),
        reason: e.at(name).to_string(),
    })
}

impl BeaconClient {
    /// A client for the beacon node at `base` (e.g. `http://127.0.0.1:5052`).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        let streaming = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Self {
            base: base.trim_end_matches('/').to_owned(),
            http,
            streaming,
        }
    }

    async fn get_data(&self, path: &str) -> Result<Value, BeaconError> {
        let http = |reason: String| BeaconError::Http {
            path: path.to_owned(),
            reason,
        };
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| http(e.to_string()))?;
        let bytes = read_limited(response, MAX_ANSWER_BYTES)
            .await
            .map_err(http)?;
        let envelope: Envelope<Value> =
            serde_json::from_slice(&bytes).map_err(|e| BeaconError::Shape {
                path: path.to_owned(),
                reason: e.to_string(),
            })?;
        Ok(envelope.data)
    }

    /// Genesis and the current fork.
    pub async fn chain_info(&self) -> Result<ChainInfo, BeaconError> {
        let path = "/eth/v1/beacon/genesis";
        let genesis = self.get_data(path).await?;
        let shape = |reason: String| BeaconError::Shape {
            path: path.to_owned(),
            reason,
        };
        let genesis_time = u64::from_json(genesis.get("genesis_time").unwrap_or(&Value::Null))
            .map_err(|e| shape(e.at("genesis_time").to_string()))?;
        let root = <[u8; 32]>::from_json(
            genesis
                .get("genesis_validators_root")
                .unwrap_or(&Value::Null),
        )
        .map_err(|e| shape(e.at("genesis_validators_root").to_string()))?;
        let genesis_fork_version = fork_version(&genesis, "genesis_fork_version", path)?;
        let fork_path = "/eth/v1/beacon/states/head/fork";
        let fork = self.get_data(fork_path).await?;
        Ok(ChainInfo {
            genesis_time,
            genesis_validators_root: B256::from(root),
            genesis_fork_version,
            current_fork_version: fork_version(&fork, "current_version", fork_path)?,
        })
    }

    /// The proposer of every slot of `epoch`.
    pub async fn proposer_duties(&self, epoch: Epoch) -> Result<Vec<ProposerDuty>, BeaconError> {
        let path = format!("/eth/v1/validator/duties/proposer/{}", epoch.0);
        let data = self.get_data(&path).await?;
        serde_json::from_value(data).map_err(|e| BeaconError::Shape {
            path,
            reason: e.to_string(),
        })
    }

    /// Publishes a full signed block (`POST /eth/v2/beacon/blocks`, SSZ).
    pub async fn publish_block(
        &self,
        contents: &SignedBlockContentsElectra,
    ) -> Result<(), BeaconError> {
        let path = "/eth/v2/beacon/blocks";
        let http = |reason: String| BeaconError::Http {
            path: path.to_owned(),
            reason,
        };
        let body = ssz_rs::serialize(contents).map_err(|e| http(e.to_string()))?;
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/octet-stream")
            .header("Eth-Consensus-Version", "electra")
            .body(body)
            .send()
            .await
            .map_err(|e| http(e.to_string()))?;
        let status = response.status();
        if status.is_success() {
            Ok(())
        } else {
            let text = response.text().await.unwrap_or_default();
            Err(http(format!(
                "status {status}: {}",
                text.chars().take(200).collect::<String>()
            )))
        }
    }

    /// Follows the `payload_attributes` event stream, sending each event to `sink`, until
    /// the stream ends or fails (the caller reconnects).
    pub async fn stream_payload_attributes(
        &self,
        sink: &mpsc::Sender<PayloadAttributes>,
    ) -> Result<(), BeaconError> {
        let path = "/eth/v1/events?topics=payload_attributes";
        let http = |reason: String| BeaconError::Http {
            path: path.to_owned(),
            reason,
        };
        let mut response = self
            .streaming
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/event-stream")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| http(e.to_string()))?;
        let mut parser = SseParser::default();
        while let Some(chunk) = response.chunk().await.map_err(|e| http(e.to_string()))? {
            for (event, data) in parser.push(&chunk).map_err(http)? {
                if event != "payload_attributes" {
                    continue;
                }
                let parsed = serde_json::from_str::<Value>(&data)
                    .map_err(|e| e.to_string())
                    .and_then(|v| {
                        PayloadAttributes::from_event(v.get("data").unwrap_or(&Value::Null))
                            .map_err(|e| e.to_string())
                    });
                match parsed {
                    Ok(attributes) => {
                        if sink.send(attributes).await.is_err() {
                            return Ok(());
                        }
                    }
                    Err(reason) => {
                        tracing::warn!(%reason, "ignoring a malformed payload_attributes event");
                    }
                }
            }
        }
        Ok(())
    }
}

/// Reads a response body of at most `limit` bytes, chunk by chunk (a larger one is an
/// error before it is all in memory).
pub async fn read_limited(
    mut response: reqwest::Response,
    limit: usize,
) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|l| l > limit as u64) {
        return Err(format!("answer over {limit} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if body.len() + chunk.len() > limit {
            return Err(format!("answer over {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Splits a `text/event-stream` into `(event, data)` pairs, with bounded buffering (the
/// relay reads the beacon node's events with it, `baton-builder` the relay's constraints
/// stream).
#[derive(Debug)]
pub struct SseParser {
    buffer: Vec<u8>,
    event: String,
    data: String,
    limit: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_limit(MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser refusing events (and lines) over `limit` bytes.
    pub fn with_limit(limit: usize) -> Self {
        Self {
            buffer: Vec::new(),
            event: String::new(),
            data: String::new(),
            limit,
        }
    }

    /// Feeds bytes; returns the events they complete, or an error once an event or a
    /// line passes the limit.
    pub fn push(&mut self, bytes: &[u8]) -> Result<Vec<(String, String)>, String> {
        self.buffer.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(end) = self.buffer.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.buffer.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    let event = std::mem::take(&mut self.event);
                    out.push((
                        if event.is_empty() {
                            "message".to_owned()
                        } else {
                            event
                        },
                        std::mem::take(&mut self.data),
                    ));
                }
                self.event.clear();
            } else if let Some(value) = line.strip_prefix("event:") {
                self.event = value.trim().to_owned();
            } else if let Some(value) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(value.trim_start());
            }
            if self.data.len() > self.limit {
                return Err(format!("an event over {} bytes", self.limit));
            }
        }
        if self.buffer.len() > self.limit {
            return Err(format!("a line over {} bytes", self.limit));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_events_across_chunks() {
        let mut parser = SseParser::default();
        assert!(parser.push(b"event: payload_attr").unwrap().is_empty());
        assert!(parser.push(b"ibutes\ndata: {\"a\":").unwrap().is_empty());
        let events = parser
            .push(b"1}\n\n: comment\n\nevent: head\ndata: x\n\n")
            .unwrap();
        assert_eq!(
            events,
            vec![
                ("payload_attributes".to_owned(), "{\"a\":1}".to_owned()),
                ("head".to_owned(), "x".to_owned())
            ]
        );
        let mut parser = SseParser::default();
        assert!(parser.push(&vec![b'x'; MAX_EVENT_BYTES + 1]).is_err());
    }
}
