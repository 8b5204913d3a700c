//! The execution client's transaction pool (JSON-RPC `eth_sendRawTransaction`): where
//! constrained transactions go before a build. The answer is only logged: a pool that
//! already holds a transaction, or answers oddly (ethereumjs accepts blob transactions
//! but answers with an error), is fine; whether a transaction made it is decided by
//! looking at the built payload, never by parsing an error string.

use std::time::Duration;

use alloy_primitives::Bytes;
use baton_relay::config::SensitiveUrl;
use serde_json::{Value, json};

/// Largest JSON-RPC answer read.
const MAX_ANSWER_BYTES: usize = 64 << 10;

/// The execution client's JSON-RPC endpoint.
#[derive(Debug, Clone)]
pub struct Pool {
    url: SensitiveUrl,
    http: reqwest::Client,
}

/// What the pool said to one transaction (for logs only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolAnswer {
    /// It answered with a transaction hash.
    Accepted,
    /// It answered with a JSON-RPC error (message shortened; never parsed).
    Error(String),
    /// It did not answer.
    Unreachable(String),
}

impl Pool {
    /// A client of the JSON-RPC endpoint at `url`.
    pub fn new(url: &str) -> Self {
        Self {
            url: SensitiveUrl(url.to_owned()),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(2))
                .build()
                .unwrap_or_default(),
        }
    }

    /// Sends one raw transaction (network form).
    pub async fn send_raw(&self, raw: &Bytes) -> PoolAnswer {
        let request = json!({
            "jsonrpc": "2.0",
            "id": 1,
            "method": "eth_sendRawTransaction",
            "params": [raw],
        });
        let response = match self.http.post(&self.url.0).json(&request).send().await {
            Ok(response) => response,
            Err(e) => return PoolAnswer::Unreachable(e.without_url().to_string()),
        };
        let body = match baton_relay::beacon::read_limited(response, MAX_ANSWER_BYTES).await {
            Ok(body) => body,
            Err(reason) => return PoolAnswer::Unreachable(reason),
        };
        let value: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        if value.get("result").is_some_and(|r| !r.is_null()) {
            PoolAnswer::Accepted
        } else {
            PoolAnswer::Error(
                value["error"]["message"]
                    .as_str()
                    .unwrap_or("no result")
                    .chars()
                    .take(200)
                    .collect(),
            )
        }
    }
}
