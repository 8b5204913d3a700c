//! The Redis side of sharing: the writer (events → one stream, payloads → keys with a
//! time to live), the health loop (resync after an outage) and the reader (the other
//! instances' events → this instance's memory).
//!
//! Keys, under the configured prefix `P`: `P:events` (stream; fields `origin`, `kind`,
//! `data`), `P:payload:<block hash>` (SSZ), `P:registrations` (hash: validator key →
//! SSZ registration).

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, Ordering},
    },
    time::Duration,
};

use alloy_primitives::B256;
use baton_preconf::ssz::{BeaconJson, SignedValidatorRegistration, decode};
use redis::{
    AsyncConnectionConfig, Client, RedisResult, Value as RedisValue,
    aio::{ConnectionManager, ConnectionManagerConfig},
    streams::StreamReadReply,
};
use serde_json::Value;
use tokio::sync::{Mutex, mpsc};

use super::{
    SharedEvent,
    codec::{decode_payload, encode_bid, encode_payload},
};
use crate::{
    config::SensitiveUrl,
    metrics,
    service::Relay,
    state::{auction::PayloadContents, registrations::registration_key},
};

/// Events the hot path may queue before the writer catches up (then: resync).
pub(crate) const QUEUE: usize = 8192;
/// Approximate length the events stream is trimmed to.
const STREAM_MAXLEN: usize = 20_000;
/// Events written per pipeline.
const BATCH: usize = 256;
/// Events read per `XREAD`.
const READ_COUNT: usize = 256;
/// How long the writer gathers events before writing them (bids coalesce per builder).
const COALESCE_WINDOW: Duration = Duration::from_millis(100);

#[derive(Debug)]
struct Inner {
    client: Client,
    prefix: String,
    origin: String,
    payload_ttl_seconds: u64,
    dirty: AtomicBool,
    pending: AtomicI64,
    connection: Mutex<Option<ConnectionManager>>,
}

/// A handle on the shared Redis state.
#[derive(Debug, Clone)]
pub struct SharedStore {
    inner: Arc<Inner>,
}

impl SharedStore {
    fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.inner.prefix)
    }

    fn payload_key(&self, block_hash: B256) -> String {
        self.key(&format!("payload:{block_hash}"))
    }

    /// Marks the shared copy stale: the health loop rewrites it when Redis answers.
    pub fn mark_dirty(&self) {
        self.inner.dirty.store(true, Ordering::SeqCst);
    }

    /// Counts events handed to (positive) or taken off (negative) the writer's queue.
    pub fn queued(&self, events: i64) {
        self.inner.pending.fetch_add(events, Ordering::SeqCst);
    }

    /// Events handed to the writer and not yet written (or dropped for a resync).
    pub fn pending(&self) -> i64 {
        self.inner.pending.load(Ordering::SeqCst)
    }

    fn is_dirty(&self) -> bool {
        self.inner.dirty.load(Ordering::SeqCst)
    }

    async fn connection(&self) -> Option<ConnectionManager> {
        let mut slot = self.inner.connection.lock().await;
        if let Some(connection) = slot.as_ref() {
            return Some(connection.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_secs(1)))
            .set_number_of_retries(1);
        match ConnectionManager::new_with_config(self.inner.client.clone(), config).await {
            Ok(connection) => {
                *slot = Some(connection.clone());
                Some(connection)
            }
            Err(error) => {
                tracing::debug!(%error, "Redis not reachable");
                None
            }
        }
    }

    /// A payload another instance stored, if Redis has it.
    pub async fn fetch_payload(&self, block_hash: B256) -> Option<PayloadContents> {
        let mut connection = self.connection().await?;
        let bytes: Option<Vec<u8>> = redis::cmd("GET")
            .arg(self.payload_key(block_hash))
            .query_async(&mut connection)
            .await
            .ok()?;
        decode_payload(&bytes?)
    }

    /// Claims `slot` for `block_hash` across instances (`SET NX`): `Ok(None)` when it is
    /// ours (or already was), `Ok(Some(other))` when another block was delivered, `Err`
    /// when Redis does not answer.
    pub async fn claim_delivery(&self, slot: u64, block_hash: B256) -> Result<Option<B256>, ()> {
        let mut connection = self.connection().await.ok_or(())?;
        let key = self.key(&format!("delivered:{slot}"));
        let set: Option<String> = redis::cmd("SET")
            .arg(&key)
            .arg(block_hash.to_string())
            .arg("NX")
            .arg("EX")
            .arg(self.inner.payload_ttl_seconds.max(60) * 10)
            .query_async(&mut connection)
            .await
            .map_err(|_| ())?;
        if set.is_some() {
            return Ok(None);
        }
        let existing: Option<String> = redis::cmd("GET")
            .arg(&key)
            .query_async(&mut connection)
            .await
            .map_err(|_| ())?;
        let existing: B256 = existing.and_then(|e| e.parse().ok()).ok_or(())?;
        Ok((existing != block_hash).then_some(existing))
    }

    fn xadd(&self, pipe: &mut redis::Pipeline, kind: &str, data: String) {
        pipe.cmd("XADD")
            .arg(self.key("events"))
            .arg("MAXLEN")
            .arg("~")
            .arg(STREAM_MAXLEN)
            .arg("*")
            .arg("origin")
            .arg(&self.inner.origin)
            .arg("kind")
            .arg(kind)
            .arg("data")
            .arg(data)
            .ignore();
    }

    fn add_to(&self, pipe: &mut redis::Pipeline, event: &SharedEvent) {
        match event {
            SharedEvent::Bid(bid, contents) => {
                pipe.cmd("SET")
                    .arg(self.payload_key(bid.block_hash))
                    .arg(encode_payload(contents))
                    .arg("EX")
                    .arg(self.inner.payload_ttl_seconds)
                    .ignore();
                self.xadd(pipe, "bid", encode_bid(bid).to_string());
            }
            SharedEvent::Registrations(registrations) => {
                for registration in registrations {
                    pipe.cmd("HSET")
                        .arg(self.key("registrations"))
                        .arg(registration_key(registration).to_string())
                        .arg(ssz_rs::serialize(registration).unwrap_or_default())
                        .ignore();
                }
                let list: Vec<Value> = registrations.iter().map(BeaconJson::to_json).collect();
                self.xadd(pipe, "registrations", Value::Array(list).to_string());
            }
            SharedEvent::Delegation(delegation) => {
                let data = serde_json::to_string(delegation).unwrap_or_default();
                self.xadd(pipe, "delegation", data);
            }
            SharedEvent::Constraints(messages) => {
                let data = serde_json::to_string(messages).unwrap_or_default();
                self.xadd(pipe, "constraints", data);
            }
            SharedEvent::Delivered(record) => {
                self.xadd(pipe, "delivered", record.to_json().to_string());
            }
        }
    }

    async fn write(&self, events: &[SharedEvent]) -> RedisResult<()> {
        let Some(mut connection) = self.connection().await else {
            return Err(redis::RedisError::from(std::io::Error::other(
                "Redis not reachable",
            )));
        };
        for chunk in events.chunks(BATCH) {
            // Encoding payloads is CPU work: keep it off the threads that answer requests.
            let (store, chunk_events) = (self.clone(), chunk.to_vec());
            let pipe = tokio::task::spawn_blocking(move || {
                let mut pipe = redis::pipe();
                for event in &chunk_events {
                    store.add_to(&mut pipe, event);
                }
                pipe
            })
            .await
            .map_err(|e| redis::RedisError::from(std::io::Error::other(e.to_string())))?;
            pipe.query_async::<()>(&mut connection).await?;
            metrics::record_redis_write(chunk.len());
        }
        Ok(())
    }

    async fn ping(&self) -> bool {
        let Some(mut connection) = self.connection().await else {
            return false;
        };
        redis::cmd("PING")
            .query_async::<RedisValue>(&mut connection)
            .await
            .is_ok()
    }

    /// Rewrites this instance's live state (after an outage or at start).
    async fn resync(&self, relay: &Relay) -> RedisResult<usize> {
        let from = relay.kept_from();
        let mut events = Vec::new();
        let registrations: Vec<SignedValidatorRegistration> = relay
            .registrations
            .all()
            .into_iter()
            .map(|r| (*r).clone())
            .collect();
        for chunk in registrations.chunks(1000) {
            events.push(SharedEvent::Registrations(chunk.to_vec()));
        }
        for slot in relay.constraints.slots() {
            for delegation in relay.constraints.delegations(slot) {
                events.push(SharedEvent::Delegation((*delegation).clone()));
            }
            let messages: Vec<_> = relay
                .constraints
                .messages(slot)
                .into_iter()
                .map(|m| (*m).clone())
                .collect();
            if !messages.is_empty() {
                events.push(SharedEvent::Constraints(messages));
            }
        }
        for bid in relay.auction.latest_since(from) {
            if let Some(contents) = relay.payloads.get(&bid.block_hash) {
                events.push(SharedEvent::Bid(bid, contents));
            }
        }
        for record in relay.history.delivered_since(from) {
            events.push(SharedEvent::Delivered((*record).clone()));
        }
        self.write(&events).await?;
        Ok(events.len())
    }
}

/// Connects the relay to Redis: starts the writer, the health loop and the reader, and
/// hands the relay its event sink. Redis need not be up yet.
pub fn spawn(relay: Arc<Relay>, url: &SensitiveUrl, prefix: String) -> RedisResult<SharedStore> {
    let client = Client::open(url.0.as_str())?;
    let origin = format!(
        "{:x}-{:x}",
        std::process::id(),
        relay.now_us() ^ (Arc::as_ptr(&relay) as u64)
    );
    let seconds_per_slot = relay.chain().seconds_per_slot;
    let store = SharedStore {
        inner: Arc::new(Inner {
            client,
            prefix,
            origin,
            // Until the slot after next has started: past every cut-off of the bid's slot.
            payload_ttl_seconds: seconds_per_slot.saturating_mul(3),
            dirty: AtomicBool::new(true),
            pending: AtomicI64::new(0),
            connection: Mutex::new(None),
        }),
    };
    let (sink, events) = mpsc::channel(QUEUE);
    relay.share_through(sink, store.clone());
    tokio::spawn(write_loop(store.clone(), events));
    tokio::spawn(health_loop(store.clone(), relay.clone()));
    tokio::spawn(read_loop(store.clone(), relay));
    Ok(store)
}

/// Keeps, of the bids in `batch`, only each builder's last one per slot market (other
/// instances keep only a builder's latest bid anyway); other events keep their order.
fn coalesce(batch: Vec<SharedEvent>) -> Vec<SharedEvent> {
    let mut last: HashMap<(u64, B256, [u8; 48], [u8; 48]), usize> = HashMap::new();
    for (i, event) in batch.iter().enumerate() {
        if let SharedEvent::Bid(bid, _) = event {
            last.insert(
                (bid.slot.0, bid.parent_hash, bid.proposer.0, bid.builder.0),
                i,
            );
        }
    }
    batch
        .into_iter()
        .enumerate()
        .filter(|(i, event)| match event {
            SharedEvent::Bid(bid, _) => {
                last.get(&(bid.slot.0, bid.parent_hash, bid.proposer.0, bid.builder.0)) == Some(i)
            }
            _ => true,
        })
        .map(|(_, event)| event)
        .collect()
}

async fn write_loop(store: SharedStore, mut events: mpsc::Receiver<SharedEvent>) {
    while let Some(first) = events.recv().await {
        // Gather what arrives within a short window, so a builder submitting many times a
        // second costs Redis one payload per window, not one per submission.
        let mut batch = vec![first];
        let window = tokio::time::sleep(COALESCE_WINDOW);
        tokio::pin!(window);
        while batch.len() < BATCH * 4 {
            tokio::select! {
                () = &mut window => break,
                event = events.recv() => match event {
                    Some(event) => batch.push(event),
                    None => break,
                },
            }
        }
        let taken = batch.len() as i64;
        if store.is_dirty() {
            // Redis is (or was) down: the resync will write the live state instead.
            store.queued(-taken);
            continue;
        }
        let batch = coalesce(batch);
        let written = store.write(&batch).await;
        store.queued(-taken);
        if let Err(error) = written {
            tracing::warn!(%error, events = batch.len(), "Redis write failed; serving from memory, resync when it returns");
            metrics::record_redis_error();
            metrics::set_redis_up(false);
            store.mark_dirty();
        }
    }
}

async fn health_loop(store: SharedStore, relay: Arc<Relay>) {
    let mut interval = tokio::time::interval(Duration::from_millis(250));
    loop {
        interval.tick().await;
        if !store.is_dirty() {
            continue;
        }
        if !store.ping().await {
            metrics::set_redis_up(false);
            continue;
        }
        // Clear first: events accepted from now on are written by the writer, and the
        // snapshot covers everything before.
        store.inner.dirty.store(false, Ordering::SeqCst);
        match store.resync(&relay).await {
            Ok(events) => {
                metrics::set_redis_up(true);
                tracing::info!(events, "Redis in sync with this instance's memory");
            }
            Err(error) => {
                tracing::warn!(%error, "Redis resync failed; retrying");
                metrics::record_redis_error();
                store.mark_dirty();
            }
        }
    }
}

async fn read_loop(store: SharedStore, relay: Arc<Relay>) {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_millis(500)))
        .set_response_timeout(Some(Duration::from_secs(5)));
    loop {
        let connection = store
            .inner
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await;
        let Ok(mut connection) = connection else {
            tokio::time::sleep(Duration::from_millis(250)).await;
            continue;
        };
        if let Err(error) = read_from_start(&store, &relay, &mut connection).await {
            tracing::debug!(%error, "Redis reader reconnecting");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Loads the registrations, then follows the events stream from its start until an
/// error (a restarted Redis starts a new stream: reading from the start catches up).
async fn read_from_start(
    store: &SharedStore,
    relay: &Arc<Relay>,
    connection: &mut redis::aio::MultiplexedConnection,
) -> RedisResult<()> {
    let stored: Vec<(String, Vec<u8>)> = redis::cmd("HGETALL")
        .arg(store.key("registrations"))
        .query_async(connection)
        .await?;
    let registrations: Vec<SignedValidatorRegistration> = stored
        .iter()
        .filter_map(|(_, bytes)| decode(bytes).ok())
        .collect();
    if !registrations.is_empty() {
        let relay = relay.clone();
        let _ = tokio::task::spawn_blocking(move || relay.apply_registrations(registrations)).await;
    }
    let stream = store.key("events");
    let mut last = "0-0".to_owned();
    loop {
        let reply: Option<StreamReadReply> = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(READ_COUNT)
            .arg("BLOCK")
            .arg(1000)
            .arg("STREAMS")
            .arg(&stream)
            .arg(&last)
            .query_async(connection)
            .await?;
        let Some(reply) = reply else { continue };
        let mut batch = Vec::new();
        for key in reply.keys {
            for entry in key.ids {
                last.clone_from(&entry.id);
                let field = |name: &str| match entry.map.get(name) {
                    Some(RedisValue::BulkString(bytes)) => Some(bytes.clone()),
                    _ => None,
                };
                let (Some(origin), Some(kind), Some(data)) =
                    (field("origin"), field("kind"), field("data"))
                else {
                    continue;
                };
                if origin == store.inner.origin.as_bytes() {
                    continue;
                }
                batch.push((String::from_utf8_lossy(&kind).into_owned(), data));
            }
        }
        if !batch.is_empty() {
            let relay = relay.clone();
            let _ = tokio::task::spawn_blocking(move || {
                for (kind, data) in batch {
                    relay.apply_shared(&kind, &data);
                }
            })
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use baton_preconf::ssz::{BlobsBundle, ExecutionPayload, ExecutionRequests};

    use super::*;
    use crate::state::{auction::tests::bid, history::BidRecord};

    #[test]
    fn coalescing_keeps_each_builders_last_bid_and_every_other_event() {
        let contents = Arc::new(PayloadContents {
            payload: ExecutionPayload::default(),
            blobs_bundle: BlobsBundle::default(),
            execution_requests: ExecutionRequests::default(),
        });
        let event = |builder, hash| SharedEvent::Bid(bid(builder, 1, 1, hash), contents.clone());
        let record = BidRecord::of(&bid(9, 1, 1, 9));
        let batch = vec![
            event(1, 0xa1),
            event(2, 0xb1),
            SharedEvent::Delivered(record.clone()),
            event(1, 0xa2),
            SharedEvent::Delivered(record),
            event(1, 0xa3),
        ];
        let kept: Vec<String> = coalesce(batch)
            .iter()
            .map(|e| match e {
                SharedEvent::Bid(b, _) => format!("bid {:x}", b.block_hash.0[0]),
                _ => "other".to_owned(),
            })
            .collect();
        assert_eq!(kept, ["bid b1", "other", "other", "bid a3"]);
    }
}
