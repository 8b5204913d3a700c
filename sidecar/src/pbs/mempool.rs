//! Promised transactions go to the execution client's pool (step ⑥'s fallback): inclusion
//! promises as soon as they are signed, batch transactions as soon as they are sealed, and
//! every constrained transaction again just before a fallback block is built.
//!
//! The pool's answers are not interpreted: clients word their refusals differently (and
//! ethereumjs answers an error for a blob transaction it did accept), so whether a
//! transaction made it is judged by the one thing that matters, the built payload.

use std::{fmt, time::Duration};

use alloy_primitives::Bytes;
use futures_util::future::BoxFuture;
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Most transactions sent in one JSON-RPC batch.
const MAX_BATCH: usize = 256;
/// Promised bundles queued for the pool at most; more are dropped (they are re-sent before
/// the fallback is built).
pub(crate) const QUEUE: usize = 1024;

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

/// Forwards each promised bundle from `promised` to `pool`, in order, until the sender
/// side is dropped.
pub(crate) async fn forward(
    mut promised: mpsc::Receiver<Vec<Bytes>>,
    pool: std::sync::Arc<dyn TxPool>,
) {
    while let Some(txs) = promised.recv().await {
        pool.submit(&txs).await;
    }
}
