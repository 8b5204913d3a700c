//! The slot router with real parts: the contracts deployed on anvil with the proposer's
//! key registered under an operator, two real sidecars (the `baton-sidecar` library's
//! `run`) claiming the proposer's slots, and the relay binary reading the `Registry`:
//! only the sidecar signing as the registered committer is listed.

use std::time::{Duration, Instant};

use alloy::{
    network::EthereumWallet,
    primitives::{Address, U256, utils::parse_ether},
    providers::{Provider, ProviderBuilder, ext::AnvilApi},
    signers::local::PrivateKeySigner,
};
use baton_contracts::{DeployParams, Registry, deploy_all};
use baton_preconf::RollupId;
use baton_sidecar::{
    config::{CommitterKey, Config, JournalBackend, RollupSource},
    ledger::Limits,
};
use baton_toolchain::{Anvil, AnvilOptions};
use serde_json::Value;

use crate::harness::{SECONDS, World};

fn provider_for(key: &PrivateKeySigner, anvil: &Anvil) -> impl Provider + Clone + use<> {
    ProviderBuilder::default()
        .with_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(anvil.endpoint().parse().unwrap())
}

/// Starts a real sidecar (in this process) selling `world`'s proposer's slots.
async fn start_sidecar(
    world: &World,
    anvil: &Anvil,
    slasher: Address,
    committer: PrivateKeySigner,
    name: &str,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let port = baton_toolchain::free_port().unwrap();
    let dir = std::env::temp_dir().join(format!(
        "baton-relay-it-market-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let config = Config {
        data_dir: dir,
        journal: JournalBackend::File,
        rpc_addr: format!("127.0.0.1:{port}").parse().unwrap(),
        beacon_url: world.beacon.url().to_owned(),
        chain_id: anvil.chain_id(),
        seconds_per_slot: SECONDS,
        slots_per_epoch: 8,
        slasher,
        committer: CommitterKey(committer),
        delegate: None,
        validators: vec![world.proposer.pubkey()],
        l1_rpc: anvil.endpoint(),
        head_poll_ms: 500,
        rollups: RollupSource::Fixed(vec![(RollupId(1), 1_001)]),
        l2_rpcs: vec![],
        deadline_ms: 500,
        window_slots: 32,
        limits: Limits {
            gas_per_slot: 15_000_000,
            batch_max_txs: 16,
            batch_max_bytes: 100_000,
            blobs_per_slot: 6,
        },
        fee_per_rollup_tx: U256::from(7u64),
        base_tip_wei: 1_000_000_000,
        rate_per_ip: (0, 0),
        rate_per_wallet: (0, 0),
        builder: None,
        defender: None,
        market: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(baton_sidecar::run::run(config, async {
        let _ = stopped.await;
    }));
    (format!("http://127.0.0.1:{port}"), stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lookahead_lists_only_the_registered_operators_sidecar() {
    let world = World::new().await;
    let anvil = Anvil::spawn(&AnvilOptions::default()).expect("anvil (npm install)");
    let key = |i: usize| -> PrivateKeySigner { Anvil::DEV_KEYS[i].parse().unwrap() };
    let (deployer, operator, committer, impostor) = (key(0), key(1), key(2), key(3));
    let provider = provider_for(&deployer, &anvil);
    let genesis = provider
        .get_block_by_number(Default::default())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp;
    let params = DeployParams::devnet(genesis, 12);
    let deployed = deploy_all(&provider, deployer.address(), &params)
        .await
        .unwrap();

    // The proposer's key, registered under `operator` with `committer`.
    let registry = Registry::new(deployed.registry, provider_for(&operator, &anvil));
    let receipt = registry
        .registerOperator(committer.address())
        .value(parse_ether("10").unwrap())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "registerOperator reverted");
    let pop_message = registry
        .popMessage(committer.address())
        .call()
        .await
        .unwrap();
    let pop = world.proposer.key.sign_message(&pop_message);
    let record: Vec<u8> = [world.proposer.pubkey().0.as_slice(), pop.0.as_slice()].concat();
    let receipt = registry
        .registerValidators(record.into())
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "registerValidators reverted");
    provider
        .anvil_increase_time(params.fraud_window + 1)
        .await
        .unwrap();
    provider.anvil_mine(Some(1), None).await.unwrap();

    // Two sidecars claim the proposer's slots; only one signs as its committer.
    let (honest, _stop_honest) = start_sidecar(
        &world,
        &anvil,
        deployed.slasher,
        committer.clone(),
        "honest",
    )
    .await;
    let (pretender, _stop_pretender) =
        start_sidecar(&world, &anvil, deployed.slasher, impostor, "pretender").await;
    let relay = world
        .start_relay_with(
            None,
            &[
                "--market.sidecars",
                &format!("{honest},{pretender}"),
                "--market.registry",
                &deployed.registry.to_string(),
                "--l1.rpc",
                &anvil.endpoint(),
                "--market.refresh-ms",
                "200",
            ],
        )
        .await;

    let started = Instant::now();
    let slot = loop {
        let lookahead = world.get(&relay, "/market/v1/lookahead").await.json();
        let listed = lookahead.as_array().and_then(|slots| {
            slots
                .iter()
                .find(|s| s["slot"] == world.slot.to_string())
                .filter(|s| !s["sidecars"].as_array().unwrap().is_empty())
                .cloned()
        });
        if let Some(slot) = listed {
            break slot;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "slot {} never listed a sidecar: {lookahead}",
            world.slot
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(slot["proposerPubkey"], world.proposer.pubkey().to_string());
    assert_eq!(
        slot["operator"],
        Value::String(operator.address().to_string().to_lowercase())
    );
    assert_eq!(
        slot["committer"],
        Value::String(committer.address().to_string().to_lowercase())
    );
    let sidecars = slot["sidecars"].as_array().unwrap();
    assert_eq!(
        sidecars.len(),
        1,
        "only the registered committer's sidecar: {slot}"
    );
    assert_eq!(sidecars[0]["url"], honest);
    assert_eq!(sidecars[0]["rollupTxFee"], "7");
    // The sidecar's capacity passes through; it runs no auction, so no products.
    assert_eq!(sidecars[0]["capacity"]["rollups"][0]["feePerTx"], "7");
    assert_eq!(sidecars[0]["products"], serde_json::json!([]));
    assert!(sidecars[0]["l1GasLeft"].as_str().is_some());
}
