//! The explorer's routes: the page (HTML, CSS, JavaScript embedded in the binary) and the
//! JSON API behind it. Only `GET`; every query is bounded and validated; every refusal is
//! a JSON error with a unique code (`docs/explorer.md`).

use std::{sync::Arc, time::Duration};

use alloy_primitives::B256;
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, RawQuery, State},
    http::header,
    response::{IntoResponse, Response},
    routing::get,
};
use baton_preconf::{RollupId, Slot};
use serde_json::Value;

use super::{
    aggregate::{Aggregator, default_promise_window},
    auctions::MAX_AUCTION_SLOTS,
    cache::Cache,
    error::ExplorerError,
    promises::MAX_PROMISE_SLOTS,
};
use crate::beacon::BoxFuture;

/// Most slots one `/api/slots` answer covers.
pub const MAX_TIMELINE_SLOTS: u64 = 64;
/// Slots `/api/slots` shows without `from`.
const DEFAULT_TIMELINE_SLOTS: u64 = 32;
/// How long an answer is reused.
const ANSWER_TTL: Duration = Duration::from_millis(1_000);
/// Longest query parameter value read.
const MAX_PARAM: usize = 80;

const INDEX_HTML: &str = include_str!("page/index.html");
const EXPLORER_CSS: &str = include_str!("page/explorer.css");
const EXPLORER_JS: &str = include_str!("page/explorer.js");

/// Which chain a receipt link reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChainRef {
    /// L1.
    L1,
    /// A rollup's L2.
    Rollup(RollupId),
}

/// What the routes read; the aggregator in production, a fake in unit tests.
pub(crate) trait ExplorerData: Send + Sync + 'static {
    /// The slot running now.
    fn current_slot(&self) -> BoxFuture<'_, Result<Slot, ExplorerError>>;
    /// `/api/summary`.
    fn summary(&self) -> BoxFuture<'_, Result<Value, ExplorerError>>;
    /// `/api/slots`.
    fn slots(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>>;
    /// `/api/promises`.
    fn promises(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>>;
    /// `/api/auctions`.
    fn auctions(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>>;
    /// `/api/receipt`: the node's receipt, or `null`.
    fn receipt(&self, chain: ChainRef, hash: B256) -> BoxFuture<'_, Result<Value, ExplorerError>>;
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, ExplorerError> {
    serde_json::to_value(value).map_err(|_| ExplorerError::Internal)
}

impl ExplorerData for Aggregator {
    fn current_slot(&self) -> BoxFuture<'_, Result<Slot, ExplorerError>> {
        Box::pin(Self::current_slot(self))
    }

    fn summary(&self) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { to_json(&Self::summary(self).await?) })
    }

    fn slots(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { to_json(&Self::slots(self, from, to).await?) })
    }

    fn promises(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move { to_json(&Self::promises(self, from, to).await?) })
    }

    fn auctions(&self, from: Slot, to: Slot) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(Self::auctions(self, from, to))
    }

    fn receipt(&self, chain: ChainRef, hash: B256) -> BoxFuture<'_, Result<Value, ExplorerError>> {
        Box::pin(async move {
            let rpc = match chain {
                ChainRef::L1 => &self.l1,
                ChainRef::Rollup(id) => self.l2.get(&id).ok_or(ExplorerError::BadParameter {
                    name: "chain",
                    reason: format!("rollup {id} has no L2 RPC here"),
                })?,
            };
            Ok(rpc.raw_receipt(hash).await?)
        })
    }
}

/// The routes' shared state.
struct Api {
    data: Arc<dyn ExplorerData>,
    cache: Cache<String, Value>,
}

type AppState = State<Arc<Api>>;

/// Every route.
pub(crate) fn router(data: Arc<dyn ExplorerData>) -> Router {
    let api = Arc::new(Api {
        data,
        cache: Cache::new(ANSWER_TTL),
    });
    Router::new()
        .route(
            "/",
            get(|| async { page(INDEX_HTML, "text/html; charset=utf-8") }),
        )
        .route(
            "/explorer.css",
            get(|| async { page(EXPLORER_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/explorer.js",
            get(|| async { page(EXPLORER_JS, "text/javascript; charset=utf-8") }),
        )
        .route("/api/summary", get(summary))
        .route("/api/slots", get(slots))
        .route("/api/promises", get(promises))
        .route("/api/auctions", get(auctions))
        .route("/api/receipt", get(receipt))
        .fallback(|| async { ExplorerError::NotFound })
        .method_not_allowed_fallback(|| async { ExplorerError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(1_024))
        .with_state(api)
}

fn page(body: &'static str, content_type: &'static str) -> Response {
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

fn answer(value: Value) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(value)).into_response()
}

/// The query's pairs; only `allowed` keys, each at most once, values bounded.
fn query_pairs<'a>(
    query: Option<&'a str>,
    allowed: &[&'static str],
) -> Result<Vec<(&'static str, &'a str)>, ExplorerError> {
    let mut pairs: Vec<(&'static str, &'a str)> = Vec::new();
    for pair in query
        .unwrap_or_default()
        .split('&')
        .filter(|p| !p.is_empty())
    {
        if pairs.len() == allowed.len() {
            return Err(ExplorerError::BadParameter {
                name: "query",
                reason: "too many parameters".to_owned(),
            });
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(name) = allowed.iter().copied().find(|a| *a == key) else {
            return Err(ExplorerError::BadParameter {
                name: "query",
                reason: format!(
                    "unknown parameter {}; allowed: {}",
                    key.chars().take(32).collect::<String>(),
                    allowed.join(", ")
                ),
            });
        };
        if pairs.iter().any(|(k, _)| *k == name) {
            return Err(ExplorerError::BadParameter {
                name,
                reason: "given twice".to_owned(),
            });
        }
        if value.len() > MAX_PARAM {
            return Err(ExplorerError::BadParameter {
                name,
                reason: format!("longer than {MAX_PARAM} characters"),
            });
        }
        pairs.push((name, value));
    }
    Ok(pairs)
}

fn parse<T: std::str::FromStr>(name: &'static str, text: &str) -> Result<T, ExplorerError>
where
    T::Err: std::fmt::Display,
{
    text.parse()
        .map_err(|e: T::Err| ExplorerError::BadParameter {
            name,
            reason: e.to_string(),
        })
}

fn get_slot(pairs: &[(&'static str, &str)], name: &str) -> Result<Option<Slot>, ExplorerError> {
    pairs
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(k, v)| parse::<u64>(k, v).map(Slot))
        .transpose()
}

/// `from`/`to` (or `slot`), with defaults, checked against `max` slots.
pub(crate) fn slot_range(
    pairs: &[(&'static str, &str)],
    default: (Slot, Slot),
    max: u64,
) -> Result<(Slot, Slot), ExplorerError> {
    let (from, to) = match get_slot(pairs, "slot")? {
        Some(_) if pairs.len() > 1 => {
            return Err(ExplorerError::BadParameter {
                name: "slot",
                reason: "give slot, or from and to, not both".to_owned(),
            });
        }
        Some(slot) => (slot, slot),
        None => {
            let to = get_slot(pairs, "to")?.unwrap_or(default.1);
            let span = default.1.0 - default.0.0;
            let from = get_slot(pairs, "from")?.unwrap_or(Slot(to.0.saturating_sub(span)));
            (from, to)
        }
    };
    if from > to || to.0 - from.0 >= max {
        return Err(ExplorerError::RangeTooWide { max });
    }
    Ok((from, to))
}

async fn cached(
    api: &Api,
    key: String,
    compute: BoxFuture<'_, Result<Value, ExplorerError>>,
) -> Result<Response, ExplorerError> {
    if let Some(value) = api.cache.get(&key) {
        return Ok(answer(value));
    }
    let value = compute.await?;
    api.cache.put(key, value.clone());
    Ok(answer(value))
}

async fn summary(
    State(api): AppState,
    RawQuery(query): RawQuery,
) -> Result<Response, ExplorerError> {
    query_pairs(query.as_deref(), &[])?;
    cached(&api, "summary".to_owned(), api.data.summary()).await
}

async fn slots(State(api): AppState, RawQuery(query): RawQuery) -> Result<Response, ExplorerError> {
    let pairs = query_pairs(query.as_deref(), &["from", "to"])?;
    let current = api.data.current_slot().await?;
    let default = (
        Slot(current.0.saturating_sub(DEFAULT_TIMELINE_SLOTS - 1)),
        current,
    );
    let (from, to) = slot_range(&pairs, default, MAX_TIMELINE_SLOTS)?;
    cached(&api, format!("slots {from} {to}"), api.data.slots(from, to)).await
}

async fn promises(
    State(api): AppState,
    RawQuery(query): RawQuery,
) -> Result<Response, ExplorerError> {
    let pairs = query_pairs(query.as_deref(), &["slot", "from", "to"])?;
    let current = api.data.current_slot().await?;
    let (from, to) = slot_range(&pairs, default_promise_window(current), MAX_PROMISE_SLOTS)?;
    cached(
        &api,
        format!("promises {from} {to}"),
        api.data.promises(from, to),
    )
    .await
}

async fn auctions(
    State(api): AppState,
    RawQuery(query): RawQuery,
) -> Result<Response, ExplorerError> {
    let pairs = query_pairs(query.as_deref(), &["slot", "from", "to"])?;
    let current = api.data.current_slot().await?;
    // Recent slots and the next few (an auction clears before its slot starts).
    let default = (
        Slot(current.0.saturating_sub(MAX_AUCTION_SLOTS - 5)),
        Slot(current.0 + 4),
    );
    let (from, to) = slot_range(&pairs, default, MAX_AUCTION_SLOTS)?;
    cached(
        &api,
        format!("auctions {from} {to}"),
        api.data.auctions(from, to),
    )
    .await
}

async fn receipt(
    State(api): AppState,
    RawQuery(query): RawQuery,
) -> Result<Response, ExplorerError> {
    let pairs = query_pairs(query.as_deref(), &["chain", "hash"])?;
    let value = |name: &'static str| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
            .ok_or(ExplorerError::BadParameter {
                name,
                reason: "missing".to_owned(),
            })
    };
    let chain = match value("chain")? {
        "l1" => ChainRef::L1,
        other => ChainRef::Rollup(RollupId(parse("chain", other)?)),
    };
    let hash: B256 = parse("hash", value("hash")?)?;
    let receipt = api.data.receipt(chain, hash).await?;
    Ok(answer(receipt))
}

#[cfg(test)]
#[path = "api_tests.rs"]
mod tests;
