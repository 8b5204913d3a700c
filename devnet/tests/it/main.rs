//! The devnet library started in-process.

// Test code: a panic is a test failure with its location, which is what we want.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod beacon_fixture;
mod beacon_local;
mod beacon_relay;

use alloy::providers::{Provider, ProviderBuilder};
use baton_devnet::{Devnet, DevnetConfig};

#[tokio::test]
async fn start_deploys_contracts_and_writes_devnet_json() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-devnet-it-{}", std::process::id()));
    let config = DevnetConfig {
        data_dir: dir.clone(),
        l1_port: None,
        ..DevnetConfig::default()
    };
    let devnet = Devnet::start(&config).await?;

    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&devnet.info_path)?)?;
    assert_eq!(written["l1_rpc"], devnet.info.l1_rpc);
    assert_eq!(
        written["contracts"]["rollups"].as_array().map(Vec::len),
        Some(2)
    );

    let provider = ProviderBuilder::new().connect_http(devnet.info.l1_rpc.parse()?);
    assert_eq!(provider.get_chain_id().await?, config.l1_chain_id);
    let code = provider
        .get_code_at(devnet.info.contracts.rollup_inbox)
        .await?;
    assert!(!code.is_empty(), "RollupInbox has no code");
    let inbox = baton_contracts::RollupInbox::new(devnet.info.contracts.rollup_inbox, &provider);
    assert_eq!(inbox.rollupCount().call().await?, 2);
    assert_eq!(inbox.rollup(2).call().await?.name, "beta");

    drop(devnet);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
