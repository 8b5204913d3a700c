//! A sealed slot's transactions go to the execution client's pool (step ⑥'s fallback):
//! every promised L1 transaction and every batch transaction when the slot is sealed, and
//! again just before a fallback block is built.
//!
//! Not earlier: a pool shares its transactions with every block built from it, and a
//! promise for slot S that lands in an earlier block is a broken promise (the wallet asked
//! for slot S). At the deadline, the block before S has been proposed, so S's block is the
//! first that can take them.
//!
//! The pool's answers are not interpreted: clients word their refusals differently (and
//! ethereumjs answers an error for a blob transaction it did accept), so whether a
//! transaction made it is judged by the one thing that matters, the built payload.

use std::{fmt, time::Duration};

use alloy_primitives::Bytes;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};

/// Most transactions sent in one JSON-RPC batch.
const MAX_BATCH: usize = 256;

/// Where transactions are handed to be built into blocks.
pub trait TxPool: Send + Sync + fmt::Debug {
    /// Submits `txs` (network form); answers are not interpreted.
    fn submit<'a>(&'a self, txs: &'a [Bytes]) -> BoxFuture<'a, ()>;
}

/// The execution client's pool, through `eth_sendRawTransaction`.
#[derive(Clone)]
pub struct RpcPool {
    url: String,
    http: reqwest::Client,
}

impl fmt::Debug for RpcPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RpcPool")
    }
}

impl RpcPool {
    /// A pool behind the JSON-RPC at `url`.
    pub fn new(url: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap_or_default();
        Self {
            url: url.to_owned(),
            http,
        }
    }
}

impl TxPool for RpcPool {
    fn submit<'a>(&'a self, txs: &'a [Bytes]) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            for chunk in txs.chunks(MAX_BATCH) {
                let calls: Vec<Value> = chunk
                    .iter()
                    .enumerate()
                    .map(|(id, tx)| {
                        json!({"jsonrpc": "2.0", "id": id, "method": "eth_sendRawTransaction", "params": [tx]})
                    })
                    .collect();
                match self.http.post(&self.url).json(&calls).send().await {
                    Ok(answer) => {
                        let answers: Value = answer.json().await.unwrap_or(Value::Null);
                        let refused = answers
                            .as_array()
                            .map_or(0, |a| a.iter().filter(|x| x.get("error").is_some()).count());
                        tracing::debug!(
                            sent = chunk.len(),
                            refused,
                            "transactions handed to the execution client's pool"
                        );
                    }
                    Err(e) => {
                        tracing::warn!(error = %e.without_url(), "the execution client's pool is unreachable");
                    }
                }
            }
        })
    }
}
