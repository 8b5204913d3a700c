//! The shared Redis journal against a real `redis-server`: one signing lease, fenced
//! appends, a standby that takes over with every promise, and a refusal to run on a Redis
//! that does not fsync.

use std::time::Duration;

use alloy_primitives::{Address, B256, U256};
use baton_preconf::{BlsPublicKey, Commitment, CommitmentKind, Slot};
use baton_sidecar::journal::{JournalEntry, JournalError, RedisJournal, RedisOptions, Reservation};
use baton_toolchain::Redis;

fn entry(n: u8) -> JournalEntry {
    JournalEntry {
        commitment: Commitment {
            kind: CommitmentKind::Inclusion,
            slot: Slot(u64::from(n)),
            validator_pubkey: BlsPublicKey([1; 48]),
            committer: Address::ZERO,
            request_id: B256::repeat_byte(n),
            fee: U256::ZERO,
            tx_hashes: vec![B256::repeat_byte(n)],
            placements: vec![],
        },
        reservation: Reservation::Inclusion {
            txs: vec![],
            gas: 21_000,
            blobs: 0,
            senders: vec![(Address::repeat_byte(n), 0, U256::from(1u64))],
        },
        wallet: Address::repeat_byte(n),
    }
}

fn options(redis: &Redis, namespace: &str) -> RedisOptions {
    RedisOptions {
        url: redis.url(),
        namespace: namespace.to_owned(),
        lease: Duration::from_millis(1_500),
        allow_volatile: false,
    }
}

fn tempdir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "baton-sidecar-it-redis-{name}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn raw(redis: &Redis) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_standby_waits_for_the_lease_and_takes_over_with_every_promise() {
    let dir = tempdir("standby");
    let redis = Redis::spawn_durable(&dir).unwrap();
    let (leader, replayed) = RedisJournal::open(&options(&redis, "op")).await.unwrap();
    assert!(replayed.is_empty());
    for n in 1..=3 {
        leader.submit(&entry(n)).unwrap().durable().await.unwrap();
    }

    let standby_options = options(&redis, "op");
    let standby = tokio::spawn(async move { RedisJournal::open(&standby_options).await });
    // Several lease lifetimes pass: the leader renews, the standby keeps waiting.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert!(!standby.is_finished(), "the standby must not get the lease");
    leader.submit(&entry(4)).unwrap().durable().await.unwrap();

    leader.release().await.unwrap();
    let (successor, replayed) = tokio::time::timeout(Duration::from_secs(2), standby)
        .await
        .expect("a released lease is taken at once")
        .unwrap()
        .unwrap();
    assert_eq!(replayed, (1..=4).map(entry).collect::<Vec<_>>());
    assert!(matches!(
        leader.submit(&entry(5)),
        Err(JournalError::Stopped)
    ));
    successor
        .submit(&entry(5))
        .unwrap()
        .durable()
        .await
        .unwrap();
    // Another namespace is another operator: its own lease, its own list.
    let (other, replayed) = RedisJournal::open(&options(&redis, "other")).await.unwrap();
    assert!(replayed.is_empty());
    other.release().await.unwrap();
    drop(redis);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn appends_are_fenced_by_the_lease_and_by_the_length() {
    let dir = tempdir("fence");
    let redis = Redis::spawn_durable(&dir).unwrap();
    let mut conn = raw(&redis).await;

    // Someone else appended behind our back: our view of the books is stale.
    let (a, _) = RedisJournal::open(&options(&redis, "len")).await.unwrap();
    a.submit(&entry(1)).unwrap().durable().await.unwrap();
    let _: i64 = redis::cmd("RPUSH")
        .arg("baton:len:journal")
        .arg(serde_json::to_vec(&entry(9)).unwrap())
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = a.submit(&entry(2)).unwrap().durable().await.unwrap_err();
    assert!(err.to_string().contains("BATON_FENCE"), "{err}");
    assert!(a.lost(), "a fenced sidecar makes no more promises");
    let len: i64 = redis::cmd("LLEN")
        .arg("baton:len:journal")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(len, 2, "nothing of the refused append was written");

    // Our lease lapsed during a long pause and another sidecar took it.
    let (b, _) = RedisJournal::open(&options(&redis, "lease")).await.unwrap();
    let _: () = redis::cmd("SET")
        .arg("baton:lease:lease")
        .arg("another-sidecar")
        .arg("PX")
        .arg(60_000)
        .query_async(&mut conn)
        .await
        .unwrap();
    let err = b.submit(&entry(1)).unwrap().durable().await.unwrap_err();
    assert!(err.to_string().contains("BATON_LEASE"), "{err}");
    assert!(b.lost());
    let len: i64 = redis::cmd("LLEN")
        .arg("baton:lease:journal")
        .query_async(&mut conn)
        .await
        .unwrap();
    assert_eq!(len, 0, "nothing was written without the lease");
    drop(redis);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_redis_that_does_not_fsync_is_refused_unless_accepted() {
    let redis = Redis::spawn().unwrap();
    let err = RedisJournal::open(&options(&redis, "volatile"))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("appendfsync"), "{text}");
    assert!(text.contains("--journal.redis-allow-volatile"), "{text}");
    let (journal, _) = RedisJournal::open(&RedisOptions {
        allow_volatile: true,
        ..options(&redis, "volatile")
    })
    .await
    .unwrap();
    journal.submit(&entry(1)).unwrap().durable().await.unwrap();
}
