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
use baton_preconf::client::{ClientError, SidecarClient};
use baton_preconf::{
    BatonDomain, BlsSecretKey, Request, RollupId, RollupTransaction, SequencingRequest,
    SignedCommitment, Slot,
};
use baton_sidecar::sample::{self, Fees};
use baton_tests::Process;
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

async fn wait_ready(client: &SidecarClient) -> eyre::Result<()> {
    let started = Instant::now();
    loop {
        if client.slots().await.is_ok_and(|s| !s.is_empty()) {
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
    let client = SidecarClient::new(&url)?;
    let domain = BatonDomain {
        chain_id: CHAIN_ID,
        verifying_contract: slasher,
    };

    let sidecar = Process::start("baton-sidecar", &arg_refs)?;
    wait_ready(&client).await?;
    // A slot comfortably ahead (about 20 s), inside the window.
    let slot = (now() - genesis) / SECONDS_PER_SLOT + 10;

    // Four wallets hammer the sidecar; every answer they get is kept.
    let received: Arc<Mutex<Vec<SignedCommitment>>> = Arc::default();
    let mut load = Vec::new();
    for w in 0..4u8 {
        let (client, received) = (client.clone(), received.clone());
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
                let signed = request.sign(&wallet, &domain).unwrap();
                match client.request_sequencing(&signed).await {
                    Ok(commitment) => received.lock().await.push(commitment),
                    // A refusal (the slot's batch is full, say) is an answer; keep going.
                    Err(ClientError::Refused { .. }) => {}
                    Err(_) => break, // the sidecar is gone
                }
            }
        }));
    }
    // The kill comes once the wallets hold a few dozen promises (a loaded machine's
    // journal may take seconds to sync the first), while they keep asking.
    let loading = Instant::now();
    while received.lock().await.len() < 40 {
        eyre::ensure!(
            loading.elapsed() < Duration::from_secs(60),
            "the sidecar made only {} promises in 60 s",
            received.lock().await.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
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
    wait_ready(&client).await?;
    for promise in &received {
        let restored = client
            .commitment(promise.commitment.request_id)
            .await?
            .ok_or_else(|| {
                eyre::eyre!(
                    "promise {} lost across SIGKILL",
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
    let next = client
        .request_sequencing(&request.sign(&wallet, &domain)?)
        .await?;
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
