//! A relay, as the builder talks to it (`docs/relay.md`): the registered proposers, the
//! constraints of a slot and their delegations, the constraints stream (SSE), and block
//! submissions. Every answer is read with a size bound.

use std::{sync::Arc, time::Duration};

use baton_preconf::{
    BlsSecretKey, Slot,
    bls::{compute_signing_root, constraints_domain},
    constraints::{SignedConstraints, SignedDelegation},
    ssz::{BeaconJson, SignedValidatorRegistration, hash_tree_root},
};
use baton_relay::{beacon::SseParser, config::SensitiveUrl};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::assemble::Submission;

/// Largest `validators` answer (two epochs of registrations).
const MAX_VALIDATORS_BYTES: usize = 4 << 20;
/// Largest `constraints/{slot}` answer (256 transactions, blob ones with their blobs).
const MAX_CONSTRAINTS_BYTES: usize = 64 << 20;
/// Largest `delegations/{slot}` answer.
const MAX_DELEGATIONS_BYTES: usize = 1 << 20;
/// Largest event on the constraints stream (the relay takes at most 16 MiB per post).
const MAX_STREAM_EVENT_BYTES: usize = 17 << 20;
/// Largest error answer read to a submission.
const MAX_ERROR_BYTES: usize = 64 << 10;
/// Most messages taken from one stream event (the relay sends one).
const MAX_MESSAGES_PER_EVENT: usize = 64;
/// Most registrations taken from one `validators` answer.
const MAX_REGISTRATIONS: usize = 4096;

/// A call to a relay failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayCallError {
    /// No answer, or the connection broke.
    #[error("relay {relay} {path}: {reason}")]
    Transport {
        /// The relay (credentials removed).
        relay: String,
        /// The path called.
        path: String,
        /// What failed.
        reason: String,
    },
    /// An error status; `code` is the relay's `error_code` (0 if none).
    #[error("relay {relay} {path}: HTTP {status}, error {code}: {message}")]
    Refused {
        /// The relay.
        relay: String,
        /// The path called.
        path: String,
        /// HTTP status.
        status: u16,
        /// The relay's error code.
        code: u64,
        /// The relay's message (at most 300 characters; shown, never parsed).
        message: String,
    },
    /// The answer does not have the documented shape.
    #[error("relay {relay} {path}: unexpected answer: {reason}")]
    Shape {
        /// The relay.
        relay: String,
        /// The path called.
        path: String,
        /// What is wrong.
        reason: String,
    },
}

/// A proposer registered at the relay for a coming slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisteredProposer {
    /// The slot.
    pub slot: Slot,
    /// The validator index.
    pub validator_index: u64,
    /// Its signed registration (not yet verified).
    pub registration: SignedValidatorRegistration,
}

#[derive(Deserialize)]
struct ValidatorEntry {
    slot: Slot,
    #[serde(with = "baton_preconf::types::quoted")]
    validator_index: u64,
    entry: Value,
}

/// The key the builder reads restricted constraints with: messages whose `receivers`
/// name it are shown to a reader that signs the slot (slot 0 for the all-slots stream)
/// under the constraints domain.
#[derive(Clone)]
pub struct Receiver {
    key: Arc<BlsSecretKey>,
    genesis_fork_version: [u8; 4],
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Receiver({})", self.key.public_key())
    }
}

impl Receiver {
    /// Reads as `key`'s public key.
    pub fn new(key: Arc<BlsSecretKey>, genesis_fork_version: [u8; 4]) -> Self {
        Self {
            key,
            genesis_fork_version,
        }
    }

    /// `X-Receiver-Pubkey` and `X-Receiver-Signature` for `slot`.
    pub fn headers(&self, slot: Slot) -> [(&'static str, String); 2] {
        let root = hash_tree_root(&slot.0).unwrap_or_default();
        let signing_root =
            compute_signing_root(root, constraints_domain(self.genesis_fork_version));
        [
            ("X-Receiver-Pubkey", self.key.public_key().to_string()),
            (
                "X-Receiver-Signature",
                self.key.sign(signing_root).to_string(),
            ),
        ]
    }
}

/// One relay.
#[derive(Debug, Clone)]
pub struct RelayClient {
    base: SensitiveUrl,
    http: reqwest::Client,
    streaming: reqwest::Client,
    receiver: Option<Receiver>,
}

impl RelayClient {
    /// A client of the relay at `url`.
    pub fn new(url: &str) -> Self {
        Self {
            base: SensitiveUrl(url.trim_end_matches('/').to_owned()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(4))
                .build()
                .unwrap_or_default(),
            streaming: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(4))
                .build()
                .unwrap_or_default(),
            receiver: None,
        }
    }

    /// Also reads the constraints restricted to `receiver`.
    #[must_use]
    pub fn with_receiver(mut self, receiver: Receiver) -> Self {
        self.receiver = Some(receiver);
        self
    }

    fn get(
        &self,
        client: &reqwest::Client,
        path: &str,
        slot: Option<Slot>,
    ) -> reqwest::RequestBuilder {
        let mut request = client.get(format!("{}{path}", self.base.0));
        if let (Some(receiver), Some(slot)) = (&self.receiver, slot) {
            for (name, value) in receiver.headers(slot) {
                request = request.header(name, value);
            }
        }
        request
    }

    /// The relay's URL with any credentials removed.
    pub fn name(&self) -> String {
        self.base.redacted()
    }

    fn transport(&self, path: &str, reason: impl std::fmt::Display) -> RelayCallError {
        RelayCallError::Transport {
            relay: self.name(),
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }

    fn shape(&self, path: &str, reason: impl std::fmt::Display) -> RelayCallError {
        RelayCallError::Shape {
            relay: self.name(),
            path: path.to_owned(),
            reason: reason.to_string(),
        }
    }

    async fn refused(&self, path: &str, response: reqwest::Response) -> RelayCallError {
        let status = response.status().as_u16();
        let body = baton_relay::beacon::read_limited(response, MAX_ERROR_BYTES)
            .await
            .unwrap_or_default();
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        RelayCallError::Refused {
            relay: self.name(),
            path: path.to_owned(),
            status,
            code: value["error_code"].as_u64().unwrap_or(0),
            message: value["message"]
                .as_str()
                .unwrap_or_default()
                .chars()
                .take(300)
                .collect(),
        }
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        limit: usize,
        receiver_slot: Option<Slot>,
    ) -> Result<T, RelayCallError> {
        let response = self
            .get(&self.http, path, receiver_slot)
            .send()
            .await
            .map_err(|e| self.transport(path, e.without_url()))?;
        if !response.status().is_success() {
            return Err(self.refused(path, response).await);
        }
        let body = baton_relay::beacon::read_limited(response, limit)
            .await
            .map_err(|e| self.transport(path, e))?;
        serde_json::from_slice(&body).map_err(|e| self.shape(path, e))
    }

    /// The proposers of the current and next epoch that registered
    /// (`GET /relay/v1/builder/validators`). Entries that do not parse are skipped.
    pub async fn validators(&self) -> Result<Vec<RegisteredProposer>, RelayCallError> {
        let path = "/relay/v1/builder/validators";
        let entries: Vec<ValidatorEntry> = self.get_json(path, MAX_VALIDATORS_BYTES, None).await?;
        Ok(entries
            .into_iter()
            .take(MAX_REGISTRATIONS)
            .filter_map(|e| {
                let registration = SignedValidatorRegistration::from_json(&e.entry)
                    .map_err(|error| tracing::warn!(relay = %self.name(), %error, "malformed registration entry"))
                    .ok()?;
                Some(RegisteredProposer {
                    slot: e.slot,
                    validator_index: e.validator_index,
                    registration,
                })
            })
            .collect())
    }

    /// The slot's constraints (`GET /constraints/v0/relay/constraints/{slot}`): public
    /// ones, and those restricted to the receiver if one is set.
    pub async fn constraints(&self, slot: Slot) -> Result<Vec<SignedConstraints>, RelayCallError> {
        let path = format!("/constraints/v0/relay/constraints/{slot}");
        self.get_json(&path, MAX_CONSTRAINTS_BYTES, Some(slot))
            .await
    }

    /// The slot's delegations (`GET /constraints/v0/relay/delegations/{slot}`).
    pub async fn delegations(&self, slot: Slot) -> Result<Vec<SignedDelegation>, RelayCallError> {
        let path = format!("/constraints/v0/relay/delegations/{slot}");
        self.get_json(&path, MAX_DELEGATIONS_BYTES, None).await
    }

    /// Follows the all-slots constraints stream, sending each message to `sink`, until
    /// the stream ends or fails (the caller reconnects). Returns `Ok` when `sink` closed.
    pub async fn stream_constraints(
        &self,
        sink: &mpsc::Sender<SignedConstraints>,
    ) -> Result<(), RelayCallError> {
        let path = "/constraints/v0/relay/constraints_stream";
        // A reader of every slot proves its key over slot 0.
        let mut response = self
            .get(&self.streaming, path, Some(Slot(0)))
            .header("Accept", "text/event-stream")
            .send()
            .await
            .map_err(|e| self.transport(path, e.without_url()))?;
        if !response.status().is_success() {
            return Err(self.refused(path, response).await);
        }
        let mut parser = SseParser::with_limit(MAX_STREAM_EVENT_BYTES);
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport(path, e.without_url()))?
        {
            for (event, data) in parser.push(&chunk).map_err(|e| self.shape(path, e))? {
                if event != "signed_constraints" {
                    continue;
                }
                let messages: Vec<SignedConstraints> = match serde_json::from_str(&data) {
                    Ok(messages) => messages,
                    Err(error) => {
                        tracing::warn!(relay = %self.name(), %error, "ignoring a malformed constraints event");
                        continue;
                    }
                };
                for message in messages.into_iter().take(MAX_MESSAGES_PER_EVENT) {
                    if sink.send(message).await.is_err() {
                        return Ok(());
                    }
                }
            }
        }
        Err(self.transport(path, "the stream ended"))
    }

    /// Posts a block submission; `Ok` when the relay accepted it.
    pub async fn submit(&self, submission: &Submission) -> Result<(), RelayCallError> {
        let path = submission.route.path();
        let response = self
            .http
            .post(format!("{}{path}", self.base.0))
            .header("Content-Type", "application/json")
            .header("Eth-Consensus-Version", "electra")
            .body(submission.body.to_string())
            .send()
            .await
            .map_err(|e| self.transport(path, e.without_url()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(self.refused(path, response).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use baton_preconf::{BlsPublicKey, BlsSignature};

    use super::*;

    #[test]
    fn receiver_headers_prove_the_key_over_the_slot() {
        let key = Arc::new(BlsSecretKey::from_ikm(&[3; 32]).unwrap());
        let fork = [0x10, 0, 0, 0x38];
        let [(pk_name, pk), (sig_name, sig)] = Receiver::new(key.clone(), fork).headers(Slot(51));
        assert_eq!(
            (pk_name, sig_name),
            ("X-Receiver-Pubkey", "X-Receiver-Signature")
        );
        let pk: BlsPublicKey = pk.parse().unwrap();
        let sig: BlsSignature = sig.parse().unwrap();
        assert_eq!(pk, key.public_key());
        // What the relay checks (`Relay::check_receiver`).
        let root = |slot: u64| {
            compute_signing_root(hash_tree_root(&slot).unwrap(), constraints_domain(fork))
        };
        sig.verify(&pk, root(51)).unwrap();
        assert!(sig.verify(&pk, root(52)).is_err(), "bound to the slot");
        assert!(
            !format!("{:?}", Receiver::new(key.clone(), fork))
                .contains(&hex::encode(key.to_bytes()))
        );
    }
}
