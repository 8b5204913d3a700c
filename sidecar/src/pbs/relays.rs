//! The relays, as the sidecar talks to them (steps ④ and ⑥): `0x<pubkey>@url` endpoints
//! (mev-boost style, so a bid's signature is checked against a key we were given, never one
//! the relay names), and one client per relay for delegations, constraints,
//! `header_with_proofs`, registrations and signed blinded blocks.
//!
//! Every answer is untrusted input: bodies are read with a size bound, JSON is parsed into
//! the SSZ containers field by field, and a call that may be repeated (delegations,
//! constraints) is retried with exponential backoff until its deadline.

use std::{fmt, future::Future, str::FromStr, time::Duration};

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, Slot,
    constraints::{SignedConstraints, SignedDelegation},
    ssz::{
        BeaconJson, ExecutionPayloadAndBlobsBundle, InclusionMultiProof,
        SignedBlindedBeaconBlockElectra, SignedBuilderBidElectra,
    },
};
use serde_json::Value;

/// Largest `header_with_proofs` answer read (a bid with a 1,024-leaf proof is ~150 KiB).
pub(crate) const MAX_HEADER_ANSWER: usize = 2 * 1024 * 1024;
/// Largest payload answer read (six blobs in hex and a full block of calldata fit).
pub(crate) const MAX_PAYLOAD_ANSWER: usize = 32 * 1024 * 1024;
/// Largest answer of any other call read.
const MAX_SMALL_ANSWER: usize = 1024 * 1024;
/// First pause between retries; doubled each time up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(50);
/// Longest pause between retries.
const MAX_BACKOFF: Duration = Duration::from_millis(800);

/// A relay given as `0x<BLS public key>@http://host:port`, or as a bare URL where only
/// delegations are sent (the operator's `delegate` command).
#[derive(Clone, PartialEq, Eq)]
pub struct RelayEndpoint {
    /// The key the relay signs bids with.
    pub pubkey: Option<BlsPublicKey>,
    /// The base URL (may carry credentials: never printed).
    pub url: String,
}

impl RelayEndpoint {
    /// `scheme://host:port` of the URL, without credentials or path: what logs and metric
    /// labels show.
    pub fn label(&self) -> String {
        let (scheme, rest) = self.url.split_once("://").unwrap_or(("http", &self.url));
        let host = rest.split('/').next().unwrap_or(rest);
        let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
        format!("{scheme}://{host}")
    }
}

impl fmt::Debug for RelayEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RelayEndpoint({})", self.label())
    }
}

impl fmt::Display for RelayEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.label())
    }
}

impl FromStr for RelayEndpoint {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (pubkey, url) = match s.split_once("@http") {
            Some((key, rest)) if key.starts_with("0x") => {
                let key: BlsPublicKey = key
                    .parse()
                    .map_err(|e| format!("relay `{}`: bad BLS public key: {e}", redact(s)))?;
                (Some(key), format!("http{rest}"))
            }
            _ => (None, s.to_owned()),
        };
        if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() <= 8 {
            return Err(format!(
                "relay `{}` must be `0x<pubkey>@http://host:port` or a URL",
                redact(s)
            ));
        }
        Ok(Self {
            pubkey,
            url: url.trim_end_matches('/').to_owned(),
        })
    }
}

fn redact(s: &str) -> String {
    let url = s
        .split_once("@http")
        .map_or(s.to_owned(), |(_, r)| format!("http{r}"));
    RelayEndpoint { pubkey: None, url }.label()
}

/// A relay call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelayCallError {
    /// No answer (connection refused, timeout).
    #[error("{relay}: {reason}")]
    Transport {
        /// The relay.
        relay: String,
        /// What failed.
        reason: String,
    },
    /// An error status; `code` is the relay's `error_code` if it sent one.
    #[error("{relay}: HTTP {status} (error code {code:?}): {message}")]
    Refused {
        /// The relay.
        relay: String,
        /// HTTP status.
        status: u16,
        /// Baton's `error_code`, if any.
        code: Option<u64>,
        /// The relay's message, shortened.
        message: String,
    },
    /// An answer that is too large or of the wrong shape.
    #[error("{relay}: unusable answer: {reason}")]
    Malformed {
        /// The relay.
        relay: String,
        /// What is wrong.
        reason: String,
    },
}

impl RelayCallError {
    /// Whether trying again may help (no answer, or a server-side error).
    pub const fn retryable(&self) -> bool {
        match self {
            Self::Transport { .. } | Self::Malformed { .. } => true,
            Self::Refused { status, .. } => *status >= 500 || *status == 429,
        }
    }

    /// The relay's `error_code`, if it refused with one.
    pub const fn code(&self) -> Option<u64> {
        match self {
            Self::Refused { code, .. } => *code,
            _ => None,
        }
    }
}

/// A relay's bid as `header_with_proofs` serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayBid {
    /// The bid, signed by the relay.
    pub signed: SignedBuilderBidElectra,
    /// The builder's proof of the slot's constraints (`None` when the relay sent none).
    pub proofs: Option<InclusionMultiProof>,
}

/// One relay.
#[derive(Debug, Clone)]
pub struct RelayClient {
    endpoint: RelayEndpoint,
    label: String,
    http: reqwest::Client,
}

impl RelayClient {
    /// A client for `endpoint`; every call is bounded by `timeout` unless it names its own.
    pub fn new(endpoint: RelayEndpoint, timeout: Duration) -> Self {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(2)))
            .build()
            .unwrap_or_default();
        Self {
            label: endpoint.label(),
            endpoint,
            http,
        }
    }

    /// The relay.
    pub const fn endpoint(&self) -> &RelayEndpoint {
        &self.endpoint
    }

    /// `scheme://host:port`, for logs and metrics.
    pub fn label(&self) -> &str {
        &self.label
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.endpoint.url)
    }

    fn transport(&self, e: &reqwest::Error) -> RelayCallError {
        RelayCallError::Transport {
            relay: self.label.clone(),
            reason: without_url(e),
        }
    }

    fn malformed(&self, reason: impl Into<String>) -> RelayCallError {
        RelayCallError::Malformed {
            relay: self.label.clone(),
            reason: reason.into(),
        }
    }

    /// Sends `request`, reads at most `limit` bytes; `Ok(None)` for 204.
    async fn call(
        &self,
        request: reqwest::RequestBuilder,
        limit: usize,
    ) -> Result<Option<Vec<u8>>, RelayCallError> {
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        if status == reqwest::StatusCode::NO_CONTENT {
            return Ok(None);
        }
        let body = read_limited(response, limit)
            .await
            .map_err(|reason| self.malformed(reason))?;
        if status.is_success() {
            return Ok(Some(body));
        }
        let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        Err(RelayCallError::Refused {
            relay: self.label.clone(),
            status: status.as_u16(),
            code: json["error_code"].as_u64(),
            message: json["message"]
                .as_str()
                .map_or_else(
                    || String::from_utf8_lossy(&body).into_owned(),
                    str::to_owned,
                )
                .chars()
                .take(200)
                .collect(),
        })
    }

    /// `GET /eth/v1/builder/status`.
    pub async fn status(&self) -> Result<(), RelayCallError> {
        self.call(
            self.http.get(self.url("/eth/v1/builder/status")),
            MAX_SMALL_ANSWER,
        )
        .await
        .map(|_| ())
    }

    /// `POST /constraints/v0/builder/delegate`.
    pub async fn delegate(&self, delegation: &SignedDelegation) -> Result<(), RelayCallError> {
        self.call(
            self.http
                .post(self.url("/constraints/v0/builder/delegate"))
                .json(delegation),
            MAX_SMALL_ANSWER,
        )
        .await
        .map(|_| ())
    }

    /// `GET /constraints/v0/relay/delegations/{slot}`.
    pub async fn delegations(&self, slot: Slot) -> Result<Vec<SignedDelegation>, RelayCallError> {
        let body = self
            .call(
                self.http
                    .get(self.url(&format!("/constraints/v0/relay/delegations/{}", slot.0))),
                MAX_SMALL_ANSWER,
            )
            .await?
            .unwrap_or_default();
        serde_json::from_slice(&body).map_err(|e| self.malformed(e.to_string()))
    }

    /// `POST /constraints/v0/builder/constraints` with one slot's messages.
    pub async fn constraints(&self, messages: &[SignedConstraints]) -> Result<(), RelayCallError> {
        self.call(
            self.http
                .post(self.url("/constraints/v0/builder/constraints"))
                .json(messages),
            MAX_SMALL_ANSWER,
        )
        .await
        .map(|_| ())
    }

    /// `GET /constraints/v0/builder/header_with_proofs/{slot}/{parent}/{pubkey}` within
    /// `timeout`; `None` when the relay has no bid (204).
    pub async fn header_with_proofs(
        &self,
        slot: Slot,
        parent_hash: B256,
        proposer: &BlsPublicKey,
        timeout: Duration,
    ) -> Result<Option<RelayBid>, RelayCallError> {
        let path = format!(
            "/constraints/v0/builder/header_with_proofs/{}/{parent_hash}/{proposer}",
            slot.0
        );
        let request = self
            .http
            .get(self.url(&path))
            .header("Accept", "application/json")
            .timeout(timeout);
        let Some(body) = self.call(request, MAX_HEADER_ANSWER).await? else {
            return Ok(None);
        };
        let json: Value =
            serde_json::from_slice(&body).map_err(|e| self.malformed(e.to_string()))?;
        let data = json.get("data").unwrap_or(&Value::Null);
        let signed = SignedBuilderBidElectra::from_json(data)
            .map_err(|e| self.malformed(e.at("data").to_string()))?;
        let proofs = match data.get("proofs") {
            None | Some(Value::Null) => None,
            Some(value) => Some(
                serde_json::from_value::<InclusionMultiProof>(value.clone())
                    .map_err(|e| self.malformed(format!("data.proofs: {e}")))?,
            ),
        };
        Ok(Some(RelayBid { signed, proofs }))
    }

    /// `POST /eth/v1/builder/validators` with the beacon node's body, as it came.
    pub async fn register(
        &self,
        body: axum::body::Bytes,
        content_type: &str,
    ) -> Result<(), RelayCallError> {
        self.call(
            self.http
                .post(self.url("/eth/v1/builder/validators"))
                .header("Content-Type", content_type)
                .body(body),
            MAX_SMALL_ANSWER,
        )
        .await
        .map(|_| ())
    }

    /// `POST /eth/v1/builder/blinded_blocks` (JSON): the relay publishes the block and
    /// answers its payload.
    pub async fn submit_blinded_block(
        &self,
        block: &SignedBlindedBeaconBlockElectra,
        timeout: Duration,
    ) -> Result<ExecutionPayloadAndBlobsBundle, RelayCallError> {
        let request = self
            .http
            .post(self.url("/eth/v1/builder/blinded_blocks"))
            .header("Eth-Consensus-Version", "electra")
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .body(block.to_json().to_string())
            .timeout(timeout);
        let body = self
            .call(request, MAX_PAYLOAD_ANSWER)
            .await?
            .ok_or_else(|| self.malformed("no payload in the answer"))?;
        let json: Value =
            serde_json::from_slice(&body).map_err(|e| self.malformed(e.to_string()))?;
        ExecutionPayloadAndBlobsBundle::from_json(json.get("data").unwrap_or(&Value::Null))
            .map_err(|e| self.malformed(e.at("data").to_string()))
    }
}

/// A reqwest error's text without its URL (which may carry credentials).
fn without_url(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "bad body"
    } else {
        "request failed"
    };
    kind.to_owned()
}

/// Reads a response body of at most `limit` bytes, chunk by chunk.
async fn read_limited(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, String> {
    if response.content_length().is_some_and(|l| l > limit as u64) {
        return Err(format!("answer over {limit} bytes"));
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(|e| format!("reading the answer: {}", without_url(&e)))?
    {
        if body.len() + chunk.len() > limit {
            return Err(format!("answer over {limit} bytes"));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Calls `attempt` until it succeeds, fails for good, or `deadline` (from `now`) passes;
/// pauses double from 50 ms to 800 ms. Returns the last result.
pub async fn with_backoff<T, F, Fut>(
    deadline: tokio::time::Instant,
    mut attempt: F,
) -> Result<T, RelayCallError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, RelayCallError>>,
{
    let mut pause = FIRST_BACKOFF;
    loop {
        let result = attempt().await;
        match &result {
            Ok(_) => return result,
            Err(e) if !e.retryable() => return result,
            Err(_) => {}
        }
        let now = tokio::time::Instant::now();
        if now + pause >= deadline {
            return result;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicU32, Ordering},
    };

    use baton_preconf::BlsSecretKey;

    use super::*;

    #[test]
    fn endpoints_parse_and_never_print_credentials() {
        let key = BlsSecretKey::from_ikm(&[3; 32]).unwrap().public_key();
        let e: RelayEndpoint = format!("{key}@http://user:pw@10.0.0.1:18550/")
            .parse()
            .unwrap();
        assert_eq!(e.pubkey, Some(key));
        assert_eq!(e.url, "http://user:pw@10.0.0.1:18550");
        assert_eq!(e.label(), "http://10.0.0.1:18550");
        assert!(!format!("{e:?} {e}").contains("pw"));
        let bare: RelayEndpoint = "https://relay.example".parse().unwrap();
        assert_eq!(
            (bare.pubkey, bare.url.as_str()),
            (None, "https://relay.example")
        );
        assert!("0x1234@http://h:1".parse::<RelayEndpoint>().is_err());
        assert!("relay.example:80".parse::<RelayEndpoint>().is_err());
        let err = "0xzz@http://u:secret@h:1"
            .parse::<RelayEndpoint>()
            .unwrap_err();
        assert!(!err.contains("secret"), "{err}");
    }

    #[tokio::test]
    async fn backoff_retries_until_success_or_a_final_refusal() {
        let tries = Arc::new(AtomicU32::new(0));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let t = tries.clone();
        let result = with_backoff(deadline, || {
            let t = t.clone();
            async move {
                if t.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(RelayCallError::Transport {
                        relay: "r".into(),
                        reason: "down".into(),
                    })
                } else {
                    Ok(7)
                }
            }
        })
        .await;
        assert_eq!(result, Ok(7));
        assert_eq!(tries.load(Ordering::SeqCst), 3);

        let refused = RelayCallError::Refused {
            relay: "r".into(),
            status: 400,
            code: Some(6003),
            message: String::new(),
        };
        tries.store(0, Ordering::SeqCst);
        let t = tries.clone();
        let r = refused.clone();
        let result: Result<(), _> = with_backoff(deadline, || {
            t.fetch_add(1, Ordering::SeqCst);
            let r = r.clone();
            async move { Err(r) }
        })
        .await;
        assert_eq!(result, Err(refused));
        assert_eq!(tries.load(Ordering::SeqCst), 1, "a 4xx is final");

        // Past the deadline: one try only.
        tries.store(0, Ordering::SeqCst);
        let t = tries.clone();
        let _: Result<(), _> = with_backoff(tokio::time::Instant::now(), || {
            t.fetch_add(1, Ordering::SeqCst);
            async {
                Err(RelayCallError::Transport {
                    relay: "r".into(),
                    reason: "down".into(),
                })
            }
        })
        .await;
        assert_eq!(tries.load(Ordering::SeqCst), 1);
    }
}
