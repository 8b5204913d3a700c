//! Rollups come from the `RollupInbox` on a real anvil: `run` serves registered rollups
//! and refuses others.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, B256, U256},
    providers::ProviderBuilder,
    signers::local::PrivateKeySigner,
};
use baton_contracts::RollupInbox;
use baton_preconf::{BatonDomain, BlsSecretKey, RollupId};
use baton_sidecar::{
    config::{CommitterKey, Config, RollupSource},
    ledger::Limits,
    rollups::registered_rollups,
};
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::json;

use crate::rollup_fixture::{call, error_code, request};

#[tokio::test]
async fn run_sequences_exactly_the_rollups_registered_in_the_inbox() {
    let anvil = Anvil::spawn(&AnvilOptions::default()).unwrap();
    let deployer: PrivateKeySigner = Anvil::DEV_KEYS[0].parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer))
        .connect_http(anvil.endpoint().parse().unwrap());
    let inbox = RollupInbox::deploy(&provider, U256::from(1u64), U256::from(2u64))
        .await
        .unwrap();
    for (chain_id, name) in [(167_001u64, "alpha"), (167_002, "beta")] {
        inbox
            .registerRollup(chain_id, name.into())
            .send()
            .await
            .unwrap()
            .get_receipt()
            .await
            .unwrap();
    }

    let registered = registered_rollups(&anvil.endpoint(), *inbox.address())
        .await
        .unwrap();
    assert_eq!(registered.len(), 2);
    assert_eq!(
        (
            registered[1].id,
            registered[1].l2_chain_id,
            registered[1].name.as_str()
        ),
        (RollupId(2), 167_002, "beta")
    );
    // An address without the contract is a clear error, not an empty list.
    assert!(
        registered_rollups(&anvil.endpoint(), Address::repeat_byte(0x01))
            .await
            .is_err()
    );

    // The real `run`, against a stub beacon, reading rollups from the inbox.
    let validator = BlsSecretKey::from_ikm(&[0x41; 32]).unwrap().public_key();
    let genesis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 10;
    let beacon_url = baton_sidecar::beacon::serve_stub(genesis, 8, validator)
        .await
        .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = std::env::temp_dir().join(format!("baton-sidecar-it-inbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let slasher = Address::repeat_byte(0x5a);
    let config = Config {
        data_dir: dir.clone(),
        journal: baton_sidecar::config::JournalBackend::File,
        rpc_addr: format!("127.0.0.1:{port}").parse().unwrap(),
        beacon_url,
        chain_id: 3_151_908,
        seconds_per_slot: 2,
        slots_per_epoch: 8,
        slasher,
        committer: CommitterKey(PrivateKeySigner::from_bytes(&B256::repeat_byte(0x44)).unwrap()),
        delegate: None,
        validators: vec![validator],
        l1_rpc: anvil.endpoint(),
        head_poll_ms: 100,
        rollups: RollupSource::Inbox(*inbox.address()),
        l2_rpcs: vec![],
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
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(baton_sidecar::run::run(config, async {
        let _ = stopped.await;
    }));
    let url = format!("http://127.0.0.1:{port}");
    let domain = BatonDomain {
        chain_id: 3_151_908,
        verifying_contract: slasher,
    };
    let wallet = PrivateKeySigner::random();
    let slot = (SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - genesis)
        / 2
        + 8;
    // Wait until `run` listens (it reads the beacon and the inbox first).
    let client = reqwest::Client::new();
    let mut up = false;
    for _ in 0..100 {
        if client.get(format!("{url}/health")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "run never listened on {url}");
    let mut served = None;
    for _ in 0..100 {
        let answer = call(
            &url,
            "baton_requestSequencing",
            json!([request(slot, &[(2, "beta tx")], &wallet, &domain)]),
        )
        .await;
        if answer["result"].is_object() {
            served = Some(answer);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(served.is_some(), "registered rollup 2 was never served");
    let refused = call(
        &url,
        "baton_requestSequencing",
        json!([request(slot, &[(3, "gamma tx")], &wallet, &domain)]),
    )
    .await;
    assert_eq!(error_code(&refused), 1201, "rollup 3 is not registered");
    stop.send(()).unwrap();
    running.await.unwrap().unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}
