//! The README's first command: `baton-devnet up` brings up the whole world, shows a first
//! promise landing, `demo` lands L1 and rollup promises (a cross-rollup bundle among
//! them), `status` reads it, and Ctrl-C stops every process it started.

use std::time::{Duration, Instant};

use alloy::{
    primitives::Address,
    providers::{Provider, ProviderBuilder},
};
use baton_tests::{Process, alive, run};

/// How long `up` may take to show its first promise landed (the target is 60 s
/// on a fresh machine; the CI machine runs other tests beside it).
const FIRST_PROMISE_WITHIN: Duration = Duration::from_secs(150);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devnet_up_lands_promises_and_stops_every_process_on_ctrl_c() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-e2e-devnet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let data = dir.join("data");
    let data_arg = data.to_string_lossy().into_owned();
    let log = dir.join("up.log");
    let devnet = Process::start_logged("baton-devnet", &["up", "--data-dir", &data_arg], &log)?;

    // `up` prints "first promise included" once a promise it asked for is on L1.
    let started = Instant::now();
    let mut devnet = devnet;
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains("first promise included:") {
            break;
        }
        if let Some(status) = devnet.exited()? {
            eyre::bail!("baton-devnet exited early ({status}):\n{text}");
        }
        eyre::ensure!(
            started.elapsed() < FIRST_PROMISE_WITHIN,
            "no promise included after {FIRST_PROMISE_WITHIN:?}:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let first_promise = started.elapsed();
    println!("first promise included {first_promise:?} after `up` started");

    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(data.join("devnet.json"))?)?;
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

    // `demo`: every promise lands (the command fails otherwise) and is listed.
    let (status, table) = run("baton-devnet", &["demo", "--data-dir", &data_arg])?;
    println!("{table}");
    assert!(status.success(), "demo failed: {status}\n{table}");
    for expected in [
        "L1 inclusion via sidecar a",
        "L1 inclusion via sidecar b",
        "rollup 1 (alpha)",
        "rollup 2 (beta)",
        "bundle",
    ] {
        assert!(
            table.contains(expected),
            "demo output lacks {expected:?}:\n{table}"
        );
    }
    let rows = table
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    assert_eq!(
        rows, 6,
        "two inclusions, two rollup promises, a two-rollup bundle:\n{table}"
    );

    // `status` reads the running devnet.
    let (status, report) = run("baton-devnet", &["status", "--data-dir", &data_arg])?;
    assert!(status.success(), "status failed: {status}\n{report}");
    assert!(
        report.contains("sidecar a:") && report.contains("promises made"),
        "{report}"
    );

    // Ctrl-C: every recorded process is gone, nothing is left listening.
    let pids: Vec<u32> = std::fs::read_to_string(data.join("pids"))?
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect();
    assert!(
        pids.len() >= 5,
        "ethereumjs, relay, builder and two sidecars: {pids:?}"
    );
    assert!(
        pids.iter().all(|p| alive(*p)),
        "a devnet process died early: {pids:?}"
    );
    let status = devnet.interrupt()?;
    assert!(
        status.success(),
        "baton-devnet exited with {status} on Ctrl-C"
    );
    let orphans: Vec<u32> = pids.into_iter().filter(|p| alive(*p)).collect();
    assert!(
        orphans.is_empty(),
        "processes left after Ctrl-C: {orphans:?}"
    );
    assert!(
        provider.get_chain_id().await.is_err(),
        "the L1 still answers after Ctrl-C"
    );
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
