//! `baton-sidecar run` SIGKILLed while promising, then restarted: every promise any
//! wallet received is still held (identically signed), and no position is given twice.

use std::{
    collections::HashSet,
    net::TcpListener,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsSecretKey, Request, RollupId, RollupTransaction, SequencingRequest,
    SignedCommitment, Slot,
};
use baton_sidecar::sample::{self, Fees};
use baton_tests::Process;
use serde_json::{Value, json};
use tokio::sync::Mutex;

const CHAIN_ID: u64 = 3_151_908;
const SECONDS_PER_SLOT: u64 = 2;
const SLOTS_PER_EPOCH: u64 = 8;

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

async fn rpc(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> eyre::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    Ok(client
        .post(url)
        .json(&body)
        .timeout(Duration::from_secs(5))
        .send()
        .await?
        .json()
        .await?)
}

async fn wait_ready(client: &reqwest::Client, url: &str) -> eyre::Result<()> {
    let started = Instant::now();
    loop {
        if let Ok(answer) = rpc(client, url, "baton_slots", json!([])).await
            && answer["result"].as_array().is_some_and(|s| !s.is_empty())
        {
            return Ok(());
        }
        eyre::ensure!(
            started.elapsed() < Duration::from_secs(30),
            "sidecar not serving slots after 30 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn sigkill_under_load_loses_no_promise_and_reuses_no_position() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-e2e-sidecar-crash-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let committer = PrivateKeySigner::random();
    let key_file = dir.join("committer.key");
    std::fs::write(
        &key_file,
        format!("{}\n", alloy_primitives::hex::encode(committer.to_bytes())),
    )?;
    let validator = BlsSecretKey::from_ikm(&[0x31; 32])?.public_key();
    let slasher = Address::repeat_byte(0x5a);
    let genesis = now() - 20;
    let beacon_url = baton_sidecar::beacon::serve_stub(genesis, SLOTS_PER_EPOCH, validator).await?;
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let data_dir = dir.join("data");
    let args: Vec<String> = vec![
        "run".into(),
        "--data-dir".into(),
        data_dir.to_string_lossy().into_owned(),
        "--rpc.addr".into(),
        format!("127.0.0.1:{port}"),
        "--beacon.url".into(),
        beacon_url,
        "--chain.id".into(),
        CHAIN_ID.to_string(),
        "--slasher".into(),
        slasher.to_string(),
        "--committer.key-file".into(),
        key_file.to_string_lossy().into_owned(),
        "--validator.pubkeys".into(),
        validator.to_string(),
        // The load below comes from one address as fast as it can: no rate limits.
        "--rate-limit.per-ip".into(),
        "0".into(),
        "--rate-limit.per-wallet".into(),
        "0".into(),
        // Room for everything the load can send into one slot.
        "--limits.batch-txs".into(),
        "1000000".into(),
        "--limits.batch-bytes".into(),
        "1000000000".into(),
    ];
    let arg_refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let client = reqwest::Client::new();
    let domain = BatonDomain {
        chain_id: CHAIN_ID,
        verifying_contract: slasher,
    };

    let sidecar = Process::start("baton-sidecar", &arg_refs)?;
    wait_ready(&client, &url).await?;
    // A slot comfortably ahead (about 20 s), inside the window.
    let slot = (now() - genesis) / SECONDS_PER_SLOT + 10;

    // Four wallets hammer the sidecar; every answer they get is kept.
    let received: Arc<Mutex<Vec<SignedCommitment>>> = Arc::default();
    let mut load = Vec::new();
    for w in 0..4u8 {
        let (client, url, received) = (client.clone(), url.clone(), received.clone());
        let wallet = PrivateKeySigner::random();
        let l2 = PrivateKeySigner::random();
        load.push(tokio::spawn(async move {
            for i in 0u32.. {
                let txs = vec![
                    RollupTransaction {
                        rollup_id: RollupId(1),
                        tx: sample::call(
                            &l2,
                            167_001,
                            0,
                            format!("w{w} tx{i} a").as_bytes(),
                            Fees::default(),
                        ),
                    },
                    RollupTransaction {
                        rollup_id: RollupId(2),
                        tx: sample::call(
                            &l2,
                            167_002,
                            0,
                            format!("w{w} tx{i} b").as_bytes(),
                            Fees::default(),
                        ),
                    },
                ];
                let request = Request::Sequencing(SequencingRequest {
                    slot: Slot(slot),
                    txs,
                });
                let signed = serde_json::to_value(request.sign(&wallet, &domain).unwrap()).unwrap();
                let Ok(answer) =
                    rpc(&client, &url, "baton_requestSequencing", json!([signed])).await
                else {
                    break; // the sidecar is gone
                };
                if let Ok(commitment) =
                    serde_json::from_value::<SignedCommitment>(answer["result"].clone())
                {
                    received.lock().await.push(commitment);
                }
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    let status = sidecar.kill()?;
    assert!(
        !status.success(),
        "the sidecar must die from SIGKILL, not exit cleanly"
    );
    for task in load {
        task.await?;
    }
    let received = received.lock().await.clone();
    assert!(
        received.len() >= 20,
        "too little load before the kill: {} promises",
        received.len()
    );
    eprintln!(
        "promises received by wallets before SIGKILL: {}",
        received.len()
    );

    // Every received promise is genuine, and no (rollup, position) was given twice.
    let mut taken = HashSet::new();
    for promise in &received {
        promise.verify(&domain)?;
        assert_eq!(promise.commitment.committer, committer.address());
        for p in &promise.commitment.placements {
            assert!(
                taken.insert((p.rollup_id, p.position)),
                "position {:?} of rollup {:?} promised twice",
                p.position,
                p.rollup_id
            );
        }
    }

    // Restart over the same journal: every promise is back, identical.
    let sidecar = Process::start("baton-sidecar", &arg_refs)?;
    wait_ready(&client, &url).await?;
    for promise in &received {
        let answer = rpc(
            &client,
            &url,
            "baton_getCommitment",
            json!([promise.commitment.request_id]),
        )
        .await?;
        let restored: SignedCommitment =
            serde_json::from_value(answer["result"]["commitment"].clone()).map_err(|e| {
                eyre::eyre!(
                    "promise {} lost across SIGKILL: {e}: {answer}",
                    promise.commitment.request_id
                )
            })?;
        assert_eq!(&restored, promise);
    }
    // New promises continue after every journaled position, never on one a wallet holds.
    let wallet = PrivateKeySigner::random();
    let request = Request::Sequencing(SequencingRequest {
        slot: Slot(slot),
        txs: vec![RollupTransaction {
            rollup_id: RollupId(1),
            tx: sample::call(&wallet, 167_001, 0, b"after the crash", Fees::default()),
        }],
    });
    let answer = rpc(
        &client,
        &url,
        "baton_requestSequencing",
        json!([serde_json::to_value(request.sign(&wallet, &domain)?)?]),
    )
    .await?;
    let next: SignedCommitment = serde_json::from_value(answer["result"].clone())
        .map_err(|e| eyre::eyre!("{e}: {answer}"))?;
    let p = next.commitment.placements[0];
    assert!(
        !taken.contains(&(p.rollup_id, p.position)),
        "position {:?} reused after restart",
        p.position
    );
    assert_eq!(
        sidecar.terminate()?.code(),
        Some(0),
        "graceful shutdown on SIGTERM"
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
