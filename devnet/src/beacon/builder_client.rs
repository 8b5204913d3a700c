//! The proposer's builder-API client (ethereum/builder-specs): `registerValidator`,
//! `getHeader` and `submitBlindedBlock`, in JSON (SSZ answers are read too). Every
//! answer is read with a size bound and a deadline.

use std::time::Duration;

use alloy_primitives::B256;
use baton_preconf::{
    BlsPublicKey, Slot,
    ssz::{
        BeaconJson, ExecutionPayloadAndBlobsBundle, SignedBlindedBeaconBlockElectra,
        SignedBuilderBidElectra, SignedValidatorRegistration, decode,
    },
};
use serde_json::Value;
use ssz_rs::SimpleSerialize;

/// Largest `getHeader` answer read (a bid with the most blob commitments and requests
/// fits with room).
pub(crate) const MAX_HEADER_ANSWER: usize = 4 * 1024 * 1024;
/// Largest `submitBlindedBlock` answer read (a full payload with its blobs).
pub(crate) const MAX_PAYLOAD_ANSWER: usize = 32 * 1024 * 1024;

/// A builder-API call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum BuilderError {
    /// Transport failure or deadline passed.
    #[error("builder {url}: {reason}")]
    Transport {
        /// The builder (credentials removed).
        url: String,
        /// What failed.
        reason: String,
    },
    /// An error status.
    #[error("builder {url}: status {status}: {body}")]
    Status {
        /// The builder (credentials removed).
        url: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The answer does not have the expected shape.
    #[error("builder {url}: unexpected answer: {reason}")]
    Shape {
        /// The builder (credentials removed).
        url: String,
        /// What is wrong.
        reason: String,
    },
}

/// A builder URL without any user info (`http://user:pass@host` → `http://host`).
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let rest = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    format!("{scheme}://{rest}")
}

/// The builder-API client (one connection pool for every builder URL).
#[derive(Debug, Clone, Default)]
pub(crate) struct BuilderClient {
    http: reqwest::Client,
}

#[derive(Clone, Copy)]
enum Encoding {
    Json,
    Ssz,
}

impl BuilderClient {
    /// A client.
    pub(super) fn new() -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self { http }
    }

    async fn send(
        &self,
        base: &str,
        request: reqwest::RequestBuilder,
        limit: usize,
        timeout: Duration,
    ) -> Result<Option<(Encoding, Vec<u8>)>, BuilderError> {
        let url = redact(base);
        let transport = |reason: String| BuilderError::Transport {
            url: url.clone(),
            reason,
        };
        let call = async {
            let mut response = request.send().await.map_err(|e| transport(e.to_string()))?;
            let status = response.status();
            if status == reqwest::StatusCode::NO_CONTENT {
                return Ok(None);
            }
            if response.content_length().is_some_and(|l| l > limit as u64) {
                return Err(transport(format!("answer over {limit} bytes")));
            }
            let encoding = match response.headers().get(reqwest::header::CONTENT_TYPE) {
                Some(v) if v.as_bytes().starts_with(b"application/octet-stream") => Encoding::Ssz,
                _ => Encoding::Json,
            };
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| transport(e.to_string()))?
            {
                if body.len() + chunk.len() > limit {
                    return Err(transport(format!("answer over {limit} bytes")));
                }
                body.extend_from_slice(&chunk);
            }
            if !status.is_success() {
                return Err(BuilderError::Status {
                    url: url.clone(),
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&body).chars().take(200).collect(),
                });
            }
            Ok(Some((encoding, body)))
        };
        tokio::time::timeout(timeout, call)
            .await
            .map_err(|_| transport(format!("no answer within {} ms", timeout.as_millis())))?
    }

    /// `POST /eth/v1/builder/validators`.
    pub(super) async fn register(
        &self,
        base: &str,
        registrations: &[SignedValidatorRegistration],
        timeout: Duration,
    ) -> Result<(), BuilderError> {
        let body = Value::Array(registrations.iter().map(BeaconJson::to_json).collect());
        let request = self
            .http
            .post(format!(
                "{}/eth/v1/builder/validators",
                base.trim_end_matches('/')
            ))
            .header("Content-Type", "application/json")
            .body(body.to_string());
        self.send(base, request, 64 * 1024, timeout).await?;
        Ok(())
    }

    /// `GET /eth/v1/builder/header/{slot}/{parent_hash}/{pubkey}`; `None` on 204 (no bid).
    pub(super) async fn get_header(
        &self,
        base: &str,
        slot: Slot,
        parent_hash: B256,
        pubkey: &BlsPublicKey,
        timeout: Duration,
    ) -> Result<Option<SignedBuilderBidElectra>, BuilderError> {
        let request = self
            .http
            .get(format!(
                "{}/eth/v1/builder/header/{}/{parent_hash}/{pubkey}",
                base.trim_end_matches('/'),
                slot.0
            ))
            .header("Accept", "application/json");
        let Some((encoding, body)) = self.send(base, request, MAX_HEADER_ANSWER, timeout).await?
        else {
            return Ok(None);
        };
        parse(base, encoding, &body).map(Some)
    }

    /// `POST /eth/v1/builder/blinded_blocks`: the payload of a signed blinded block.
    pub(super) async fn submit_blinded(
        &self,
        base: &str,
        block: &SignedBlindedBeaconBlockElectra,
        timeout: Duration,
    ) -> Result<ExecutionPayloadAndBlobsBundle, BuilderError> {
        let request = self
            .http
            .post(format!(
                "{}/eth/v1/builder/blinded_blocks",
                base.trim_end_matches('/')
            ))
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .header("Eth-Consensus-Version", "electra")
            .body(block.to_json().to_string());
        match self
            .send(base, request, MAX_PAYLOAD_ANSWER, timeout)
            .await?
        {
            Some((encoding, body)) => parse(base, encoding, &body),
            None => Err(BuilderError::Shape {
                url: redact(base),
                reason: "no payload in the answer".to_owned(),
            }),
        }
    }
}

/// A versioned JSON answer (`{"version": "electra", "data": …}`) or an SSZ one.
fn parse<T: BeaconJson + SimpleSerialize>(
    base: &str,
    encoding: Encoding,
    body: &[u8],
) -> Result<T, BuilderError> {
    let shape = |reason: String| BuilderError::Shape {
        url: redact(base),
        reason,
    };
    match encoding {
        Encoding::Ssz => decode(body).map_err(|e| shape(e.to_string())),
        Encoding::Json => {
            let value: Value = serde_json::from_slice(body).map_err(|e| shape(e.to_string()))?;
            if let Some(version) = value.get("version").and_then(Value::as_str)
                && !version.eq_ignore_ascii_case("electra")
            {
                return Err(shape(format!(
                    "fork {} instead of electra",
                    version.chars().take(16).collect::<String>()
                )));
            }
            let data = value
                .get("data")
                .ok_or_else(|| shape("no data".to_owned()))?;
            T::from_json(data).map_err(|e| shape(e.to_string()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact("http://user:secret@relay:9000/x"),
            "http://relay:9000/x"
        );
        assert_eq!(redact("http://127.0.0.1:18550"), "http://127.0.0.1:18550");
    }

    #[test]
    fn answers_parse_from_json_and_refuse_other_forks() {
        let bid = SignedBuilderBidElectra::default();
        let body = serde_json::json!({ "version": "electra", "data": bid.to_json() });
        let parsed: SignedBuilderBidElectra =
            parse("http://b", Encoding::Json, body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed, bid);
        let old = serde_json::json!({ "version": "deneb", "data": bid.to_json() });
        assert!(matches!(
            parse::<SignedBuilderBidElectra>(
                "http://b",
                Encoding::Json,
                old.to_string().as_bytes()
            ),
            Err(BuilderError::Shape { .. })
        ));
        let ssz = ssz_rs::serialize(&bid).unwrap();
        assert_eq!(
            parse::<SignedBuilderBidElectra>("http://b", Encoding::Ssz, &ssz).unwrap(),
            bid
        );
        assert!(parse::<SignedBuilderBidElectra>("http://b", Encoding::Ssz, &ssz[1..]).is_err());
    }
}
