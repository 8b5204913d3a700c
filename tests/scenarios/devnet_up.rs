//! The README's first command: `baton-devnet up` brings up an L1 with the contracts, and
//! stops cleanly on SIGTERM.

use std::time::{Duration, Instant};

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
};
use baton_tests::Process;

#[tokio::test]
async fn devnet_up_serves_an_l1_with_contracts_and_stops_on_sigterm() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-e2e-devnet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let dir_arg = dir.to_string_lossy().into_owned();
    let mut devnet = Process::start(
        "baton-devnet",
        &["up", "--data-dir", &dir_arg, "--l1.port", "0"],
    )?;

    let info_path = dir.join("devnet.json");
    let started = Instant::now();
    while !info_path.exists() {
        if let Some(status) = devnet.exited()? {
            eyre::bail!("baton-devnet exited early: {status}");
        }
        eyre::ensure!(
            started.elapsed() < Duration::from_secs(60),
            "devnet not ready after 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let info: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&info_path)?)?;
    let rpc = info["l1_rpc"].as_str().expect("l1_rpc").to_owned();
    let inbox: Address = info["contracts"]["rollup_inbox"]
        .as_str()
        .expect("rollup_inbox")
        .parse()?;

    let provider = ProviderBuilder::new().connect_http(rpc.parse()?);
    assert_eq!(
        provider.get_chain_id().await?,
        info["l1_chain_id"].as_u64().expect("chain id")
    );
    assert!(
        !provider.get_code_at(inbox).await?.is_empty(),
        "RollupInbox not deployed"
    );
    // The L1 keeps producing blocks (slot-time mining).
    let first = provider.get_block_number().await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    assert!(
        provider.get_block_number().await? > first,
        "L1 is not producing blocks"
    );

    let status = devnet.terminate()?;
    assert!(
        status.success(),
        "baton-devnet exited with {status} on SIGTERM"
    );
    assert!(
        provider.get_chain_id().await.is_err(),
        "the L1 is still up after the devnet stopped"
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
