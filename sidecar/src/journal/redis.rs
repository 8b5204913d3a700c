//! The shared journal: a Redis list that two or more sidecars serving the same validators
//! share, with a signing lease so that only one of them makes promises at a time.
//!
//! Safety does not rest on clocks. Every append runs one Lua script that checks, atomically
//! with the write, that (a) the lease key still holds this sidecar's token and (b) the list
//! still has exactly the length this sidecar last saw. A sidecar that lost the lease, or
//! whose view of the books is stale because another appended, cannot write, so it cannot
//! sign (record before sign). The lease (a key with a TTL, renewed every third of it) only
//! decides who should be trying. A standby waits in [`RedisJournal::open`] until the lease
//! is free, then replays the whole list before it serves.
//!
//! Durability is Redis's: the server must run with `appendonly yes` and
//! `appendfsync always`, so a reply means the record is fsync'd. `open` checks this and
//! refuses otherwise unless told the risk is accepted.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{Script, aio::MultiplexedConnection};
use tokio::sync::{mpsc, oneshot};

use super::{JournalEntry, JournalError, MarketRecord, PendingAppend, Record, SealRecord};

/// Records taken into one append at most.
const MAX_GROUP: usize = 1024;
/// Records read per `LRANGE` during replay.
const REPLAY_PAGE: isize = 10_000;
/// Largest record accepted on replay.
const MAX_RECORD_BYTES: usize = 64 * 1024 * 1024;

/// Appends if the lease and the length are what the caller saw; returns the new length.
const APPEND: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return redis.error_reply('BATON_LEASE the signing lease is held by another sidecar')
end
if redis.call('LLEN', KEYS[2]) ~= tonumber(ARGV[2]) then
  return redis.error_reply('BATON_FENCE another sidecar appended to the journal')
end
for i = 3, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[i])
end
return redis.call('LLEN', KEYS[2])
";

/// Extends our lease, or takes it back if it lapsed and nobody took it (safe: appends are
/// fenced by length). 1 = held, 0 = someone else holds it.
const RENEW: &str = r"
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
elseif not holder then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0
";

/// Deletes the lease if it is ours.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Settings of the shared journal.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisOptions {
    /// `redis://` URL (may carry a password: never logged).
    pub url: String,
    /// Key prefix shared by the sidecars of one operator.
    pub namespace: String,
    /// Lease time to live.
    pub lease: Duration,
    /// Accept a server that does not fsync every write (benchmarks only).
    pub allow_volatile: bool,
}

impl std::fmt::Debug for RedisOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisOptions")
            .field("server", &describe(&self.url))
            .field("namespace", &self.namespace)
            .field("lease", &self.lease)
            .field("allow_volatile", &self.allow_volatile)
            .finish()
    }
}

type Ack = oneshot::Sender<Result<(), String>>;

/// The shared journal, once this sidecar holds the signing lease. Cheap to clone.
#[derive(Debug, Clone)]
pub struct RedisJournal {
    tx: mpsc::UnboundedSender<(Vec<u8>, Ack)>,
    lost: Arc<AtomicBool>,
    conn: MultiplexedConnection,
    lease_key: String,
    token: String,
    describe: Arc<str>,
}

fn redis_err(describe: &str) -> impl Fn(redis::RedisError) -> JournalError + '_ {
    move |e| JournalError::Redis {
        server: describe.to_owned(),
        reason: e.to_string(),
    }
}

/// `host:port` of a Redis URL, without credentials.
fn describe(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    format!("redis {}", host.split('/').next().unwrap_or(host))
}

impl RedisJournal {
    /// Connects, checks durability, waits until this sidecar holds the signing lease,
    /// then replays the list. Returns the journal and every promise in append order
    /// ([`Self::open_all`] also returns the seals).
    pub async fn open(options: &RedisOptions) -> Result<(Self, Vec<JournalEntry>), JournalError> {
        let (journal, records) = Self::open_all(options).await?;
        Ok((journal, Record::split(records).0))
    }

    /// [`Self::open`], returning every record (promises and seals) in append order.
    pub async fn open_all(options: &RedisOptions) -> Result<(Self, Vec<Record>), JournalError> {
        let describe: Arc<str> = describe(&options.url).into();
        let err = redis_err(&describe);
        let client = redis::Client::open(options.url.as_str()).map_err(&err)?;
        let mut conn = client
            .get_multiplexed_async_connection()
            .await
            .map_err(&err)?;
        check_durability(&mut conn, &describe, options.allow_volatile).await?;

        let lease_key = format!("baton:{}:lease", options.namespace);
        let list_key = format!("baton:{}:journal", options.namespace);
        let token = format!("{:032x}", rand::random::<u128>());
        let ttl_ms = options.lease.as_millis().max(30) as u64;
        let mut waiting_logged = false;
        loop {
            let acquired: Option<String> = redis::cmd("SET")
                .arg(&lease_key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(ttl_ms)
                .query_async(&mut conn)
                .await
                .map_err(&err)?;
            if acquired.is_some() {
                break;
            }
            if !waiting_logged {
                tracing::info!(server = %describe, namespace = %options.namespace, "standby: another sidecar holds the signing lease; waiting for it");
                waiting_logged = true;
            }
            tokio::time::sleep(Duration::from_millis(ttl_ms / 3)).await;
        }
        tracing::info!(server = %describe, namespace = %options.namespace, "holding the signing lease");
        let entries = replay(&mut conn, &list_key, &describe).await?;

        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(writer(
            conn.clone(),
            rx,
            lost.clone(),
            [lease_key.clone(), list_key],
            token.clone(),
            entries.len() as u64,
            describe.clone(),
        ));
        tokio::spawn(renew(
            conn.clone(),
            lost.clone(),
            lease_key.clone(),
            token.clone(),
            ttl_ms,
        ));
        Ok((
            Self {
                tx,
                lost,
                conn,
                lease_key,
                token,
                describe: describe.clone(),
            },
            entries,
        ))
    }

    /// Queues `entry` for the next append; see [`super::Journal::submit`].
    pub fn submit(&self, entry: &JournalEntry) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(entry.encode()?)
    }

    /// Queues a seal record, like [`Self::submit`].
    pub fn submit_seal(&self, seal: &SealRecord) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(seal.encode()?)
    }

    /// Queues an auction record, like [`Self::submit`].
    pub fn submit_market(&self, record: &MarketRecord) -> Result<PendingAppend, JournalError> {
        self.submit_bytes(record.encode()?)
    }

    fn submit_bytes(&self, payload: Vec<u8>) -> Result<PendingAppend, JournalError> {
        if self.lost.load(Ordering::SeqCst) {
            return Err(JournalError::Stopped);
        }
        let (ack_tx, ack_rx) = oneshot::channel();
        self.tx
            .send((payload, ack_tx))
            .map_err(|_| JournalError::Stopped)?;
        Ok(PendingAppend::new(ack_rx, self.describe.clone()))
    }

    /// Gives the lease up (at shutdown, after in-flight promises drained), so a standby
    /// takes over at once instead of after the TTL.
    pub async fn release(&self) -> Result<(), JournalError> {
        self.lost.store(true, Ordering::SeqCst);
        let mut conn = self.conn.clone();
        let _: i64 = Script::new(RELEASE)
            .key(&self.lease_key)
            .arg(&self.token)
            .invoke_async(&mut conn)
            .await
            .map_err(redis_err(&self.describe))?;
        Ok(())
    }

    /// Whether this sidecar lost the lease (it then makes no more promises).
    pub fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }
}

async fn check_durability(
    conn: &mut MultiplexedConnection,
    describe: &str,
    allow_volatile: bool,
) -> Result<(), JournalError> {
    let mut get = async |name: &str| -> Option<String> {
        let pair: Vec<String> = redis::cmd("CONFIG")
            .arg("GET")
            .arg(name)
            .query_async(conn)
            .await
            .ok()?;
        pair.get(1).cloned()
    };
    let appendonly = get("appendonly").await;
    let appendfsync = get("appendfsync").await;
    if appendonly.as_deref() == Some("yes") && appendfsync.as_deref() == Some("always") {
        return Ok(());
    }
    let found = format!(
        "appendonly={}, appendfsync={}",
        appendonly.as_deref().unwrap_or("unknown"),
        appendfsync.as_deref().unwrap_or("unknown")
    );
    if allow_volatile {
        tracing::warn!(server = %describe, %found, "the Redis journal does not fsync every write: promises can be lost if Redis crashes");
        return Ok(());
    }
    Err(JournalError::Redis {
        server: describe.to_owned(),
        reason: format!(
            "{found}: a promise must be on disk before it is signed; run Redis with `appendonly yes` and `appendfsync always` (or accept the risk with --journal.redis-allow-volatile)"
        ),
    })
}

async fn replay(
    conn: &mut MultiplexedConnection,
    list_key: &str,
    describe: &str,
) -> Result<Vec<Record>, JournalError> {
    let err = redis_err(describe);
    let len: isize = redis::cmd("LLEN")
        .arg(list_key)
        .query_async(conn)
        .await
        .map_err(&err)?;
    let mut entries = Vec::with_capacity(len.max(0) as usize);
    let mut start = 0isize;
    while start < len {
        let page: Vec<Vec<u8>> = redis::cmd("LRANGE")
            .arg(list_key)
            .arg(start)
            .arg((start + REPLAY_PAGE - 1).min(len - 1))
            .query_async(conn)
            .await
            .map_err(&err)?;
        if page.is_empty() {
            break;
        }
        for raw in &page {
            let index = entries.len();
            if raw.len() > MAX_RECORD_BYTES {
                return Err(JournalError::Corrupt {
                    index,
                    reason: format!("{} bytes", raw.len()),
                });
            }
            let entry = Record::decode(raw).map_err(|e| JournalError::Corrupt {
                index,
                reason: e.to_string(),
            })?;
            entries.push(entry);
        }
        start += page.len() as isize;
    }
    Ok(entries)
}

async fn writer(
    mut conn: MultiplexedConnection,
    mut rx: mpsc::UnboundedReceiver<(Vec<u8>, Ack)>,
    lost: Arc<AtomicBool>,
    [lease_key, list_key]: [String; 2],
    token: String,
    mut expected_len: u64,
    describe: Arc<str>,
) {
    let script = Script::new(APPEND);
    let mut batch: Vec<(Vec<u8>, Ack)> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(item) => batch.push(item),
                Err(_) => break,
            }
        }
        let result = if lost.load(Ordering::SeqCst) {
            Err("the signing lease was lost".to_owned())
        } else {
            let mut invocation = script.key(&lease_key);
            invocation.key(&list_key).arg(&token).arg(expected_len);
            for (payload, _) in &batch {
                invocation.arg(payload.as_slice());
            }
            invocation
                .invoke_async::<u64>(&mut conn)
                .await
                .map_err(|e| e.to_string())
        };
        match result {
            Ok(len) => {
                expected_len = len;
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Ok(()));
                }
            }
            Err(reason) => {
                // Fenced out or Redis failed: whether the write happened is unknown or
                // someone else writes now. Either way this sidecar makes no more promises.
                lost.store(true, Ordering::SeqCst);
                tracing::error!(server = %describe, %reason, "journal append failed; promises stop");
                for (_, ack) in batch.drain(..) {
                    let _ = ack.send(Err(reason.clone()));
                }
            }
        }
    }
}

async fn renew(
    mut conn: MultiplexedConnection,
    lost: Arc<AtomicBool>,
    lease_key: String,
    token: String,
    ttl_ms: u64,
) {
    let script = Script::new(RENEW);
    loop {
        tokio::time::sleep(Duration::from_millis(ttl_ms / 3)).await;
        if lost.load(Ordering::SeqCst) {
            return;
        }
        match script
            .key(&lease_key)
            .arg(&token)
            .arg(ttl_ms)
            .invoke_async::<i64>(&mut conn)
            .await
        {
            Ok(1) => {}
            Ok(_) => {
                tracing::error!("another sidecar took the signing lease; promises stop");
                lost.store(true, Ordering::SeqCst);
                return;
            }
            // Transient: appends are fenced, so a late renewal is safe to retry.
            Err(error) => tracing::warn!(%error, "renewing the signing lease failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_carry_no_credentials() {
        assert_eq!(
            describe("redis://:s3cret@10.0.0.1:6379/0"),
            "redis 10.0.0.1:6379"
        );
        assert_eq!(describe("redis://user:pw@host:1"), "redis host:1");
        assert_eq!(describe("redis://127.0.0.1:6379"), "redis 127.0.0.1:6379");
    }
}
