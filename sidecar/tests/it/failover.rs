//! Two real `run` sidecars for the same validator over one durable `redis-server`: only
//! the lease holder serves; when it shuts down, the standby takes over with every promise
//! and continues the positions after them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy_primitives::{Address, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsPublicKey, BlsSecretKey, Position, RollupId, SignedCommitment,
};
use baton_sidecar::{
    config::{CommitterKey, Config, JournalBackend, RollupSource},
    journal::RedisOptions,
    ledger::Limits,
};
use baton_toolchain::Redis;
use serde_json::json;
use tokio::sync::oneshot;

use crate::rollup_fixture::{call, request};

struct Running {
    url: String,
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Result<(), baton_sidecar::run::RunError>>,
}

fn config(
    redis: &Redis,
    beacon_url: &str,
    validator: BlsPublicKey,
    dir: &std::path::Path,
) -> Config {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    Config {
        data_dir: dir.to_owned(),
        journal: JournalBackend::Redis(RedisOptions {
            url: redis.url(),
            namespace: "failover".into(),
            lease: Duration::from_millis(3_000),
            allow_volatile: false,
        }),
        rpc_addr: format!("127.0.0.1:{port}").parse().unwrap(),
        beacon_url: beacon_url.to_owned(),
        // Sequencing needs no L1 state; nothing listens here.
        l1_rpc: "http://127.0.0.1:9".into(),
        head_poll_ms: 1_000,
        chain_id: 3_151_908,
        seconds_per_slot: 2,
        slots_per_epoch: 8,
        slasher: Address::repeat_byte(0x5a),
        committer: CommitterKey(PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()),
        validators: vec![validator],
        rollups: RollupSource::Fixed(vec![(RollupId(1), 167_001)]),
        l2_rpcs: vec![],
        delegate: None,
        deadline_ms: 500,
        window_slots: 32,
        limits: Limits {
            gas_per_slot: 15_000_000,
            batch_max_txs: 16,
            batch_max_bytes: 100_000,
            blobs_per_slot: 6,
        },
        fee_per_rollup_tx: U256::ZERO,
        base_tip_wei: 1,
        rate_per_ip: (0, 0),
        rate_per_wallet: (0, 0),
        builder: None,
        defender: None,
        market: None,
    }
}

fn start(config: Config) -> Running {
    let url = format!("http://{}", config.rpc_addr);
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(baton_sidecar::run::run(config, async {
        let _ = stopped.await;
    }));
    Running { url, stop, task }
}

async fn serving(url: &str, within: Duration) -> bool {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + within;
    while tokio::time::Instant::now() < deadline {
        if client.get(format!("{url}/ready")).send().await.is_ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

#[tokio::test]
async fn the_standby_takes_over_every_promise_when_the_leader_stops() {
    let dir =
        std::env::temp_dir().join(format!("baton-sidecar-it-failover-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let redis = Redis::spawn_durable(&dir).unwrap();
    let validator = BlsSecretKey::from_ikm(&[0x42; 32]).unwrap().public_key();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let genesis = now - 10;
    let beacon = baton_sidecar::beacon::serve_stub(genesis, 8, validator)
        .await
        .unwrap();
    let slot = (now - genesis) / 2 + 10;
    let domain = BatonDomain {
        chain_id: 3_151_908,
        verifying_contract: Address::repeat_byte(0x5a),
    };
    let wallet = PrivateKeySigner::random();

    let leader = start(config(&redis, &beacon, validator, &dir.join("a")));
    assert!(
        serving(&leader.url, Duration::from_secs(10)).await,
        "the leader serves"
    );
    let standby = start(config(&redis, &beacon, validator, &dir.join("b")));

    // The leader's duties come from the beacon within a poll; retry until the slot is ours.
    let mut first = None;
    for _ in 0..50 {
        let answer = call(
            &leader.url,
            "baton_requestSequencing",
            json!([request(slot, &[(1, "first")], &wallet, &domain)]),
        )
        .await;
        if answer["result"].is_object() {
            first =
                Some(serde_json::from_value::<SignedCommitment>(answer["result"].clone()).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let first = first.expect("the leader promised");
    assert_eq!(first.commitment.placements[0].position, Position(0));
    assert!(
        !serving(&standby.url, Duration::from_millis(1_500)).await,
        "the standby does not serve while the leader holds the lease"
    );

    leader.stop.send(()).unwrap();
    leader.task.await.unwrap().unwrap();
    assert!(
        serving(&standby.url, Duration::from_secs(5)).await,
        "the standby took over"
    );
    let fetched = call(
        &standby.url,
        "baton_getCommitment",
        json!([first.commitment.request_id]),
    )
    .await;
    let restored: SignedCommitment =
        serde_json::from_value(fetched["result"]["commitment"].clone()).unwrap();
    assert_eq!(
        restored, first,
        "the successor holds the identical signed promise"
    );
    let mut next = None;
    for _ in 0..50 {
        let answer = call(
            &standby.url,
            "baton_requestSequencing",
            json!([request(slot, &[(1, "second")], &wallet, &domain)]),
        )
        .await;
        if answer["result"].is_object() {
            next =
                Some(serde_json::from_value::<SignedCommitment>(answer["result"].clone()).unwrap());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        next.expect("the successor promises").commitment.placements[0].position,
        Position(1),
        "positions continue after the leader's"
    );
    standby.stop.send(()).unwrap();
    standby.task.await.unwrap().unwrap();
    drop(redis);
    std::fs::remove_dir_all(dir).unwrap();
}
