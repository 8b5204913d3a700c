//! Step ⑥ when relays lie or vanish (issue 7's "must show"), on the whole devnet: the
//! relay hides the constraints from the builder and serves its unproven bids; the sidecars
//! refuse them and serve their fallback block, and every promise lands. Then the relay goes
//! down entirely: the fallback is served within the beacon node's getHeader budget and the
//! promises still land.

use std::time::Duration;

use baton_devnet::{Devnet, DevnetConfig, StartFaults, demo, status};

/// The sum of every series of `name` in a sidecar's `/metrics` (0 when absent).
async fn metric(rpc_url: &str, name: &str) -> f64 {
    let text = reqwest::get(format!("{rpc_url}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    status::counter(&text, name).unwrap_or_default()
}

/// Where each of `slots` got its block, as the explorer tells it.
async fn outcomes(explorer: &str, slots: &[u64]) -> Vec<String> {
    let (from, to) = (slots.iter().min().unwrap(), slots.iter().max().unwrap());
    let answer: serde_json::Value =
        reqwest::get(format!("{explorer}/api/slots?from={from}&to={to}"))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let rows = answer["slots"]
        .as_array()
        .or_else(|| answer["data"].as_array())
        .cloned()
        .unwrap_or_default();
    slots
        .iter()
        .map(|slot| {
            rows.iter()
                .find(|r| {
                    r["slot"].as_str() == Some(&slot.to_string())
                        || r["slot"].as_u64() == Some(*slot)
                })
                .map(|r| r["outcome"].to_string())
                .unwrap_or_else(|| format!("slot {slot} not shown: {answer}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lying_and_vanishing_relays_cannot_break_a_promise() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-e2e-pbs-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let mut devnet = Devnet::start(&DevnetConfig {
        data_dir: dir.clone(),
        explorer_port: 0,
        faults: StartFaults {
            relay_withholds_constraints: true,
            ..StartFaults::default()
        },
        ..DevnetConfig::default()
    })
    .await?;
    let info = devnet.info.clone();
    let sidecar_a = info.sidecars[0].rpc_url.clone();

    // A lying relay: its bids for our slots lack the constraints' proofs.
    let included = demo::inclusion(&info, 0, 0).await?;
    let sequenced = demo::sequencing(&info, 0, 1, &[0, 1]).await?;
    assert_eq!(sequenced.len(), 2, "both halves of the bundle landed");
    assert!(
        sequenced.iter().all(|l| l.l2_block.is_some()),
        "{sequenced:?}"
    );
    let rejected = metric(&sidecar_a, "baton_sidecar_bids_rejected_total").await;
    let fallbacks = metric(&sidecar_a, "baton_sidecar_fallbacks_used_total").await;
    assert!(
        rejected >= 2.0,
        "the lying relay's bids were rejected: {rejected}"
    );
    assert!(
        fallbacks >= 2.0,
        "the fallback served both promised slots: {fallbacks}"
    );
    assert_eq!(
        metric(&sidecar_a, "baton_sidecar_promise_alarms_total").await,
        0.0
    );
    let shown = outcomes(&info.explorer_url, &[included.slot, sequenced[0].slot]).await;
    assert!(
        shown.iter().all(|o| o.to_lowercase().contains("fallback")),
        "the explorer credits the sidecars' fallback: {shown:?}"
    );

    // No relay at all: the fallback answers within the beacon node's budget.
    devnet.relay_down();
    let included = demo::inclusion(&info, 0, 2).await?;
    let after = metric(&sidecar_a, "baton_sidecar_fallbacks_used_total").await;
    assert!(
        after > fallbacks,
        "the relay-less slot used the fallback: {after}"
    );
    let record = devnet
        .beacon()
        .record(baton_preconf::Slot(included.slot))
        .expect("the slot is recorded");
    assert!(
        matches!(
            record.block().map(|b| &b.source),
            Some(baton_devnet::beacon::BlockSource::Builder { .. })
        ),
        "the proposer took the sidecar's header within its 950 ms budget: {record:?}"
    );

    drop(devnet);
    tokio::time::sleep(Duration::from_millis(200)).await;
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_that_drops_a_promised_transaction_breaks_the_promise() -> eyre::Result<()> {
    let dir = std::env::temp_dir().join(format!("baton-e2e-drop-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let devnet = Devnet::start(&DevnetConfig {
        data_dir: dir.clone(),
        explorer_port: 0,
        faults: StartFaults {
            sidecar_drops_promised_tx: true,
            ..StartFaults::default()
        },
        ..DevnetConfig::default()
    })
    .await?;
    let info = devnet.info.clone();
    // Sidecar a signs the promise, then leaves the transaction out of its slot.
    let error = demo::inclusion(&info, 0, 0)
        .await
        .expect_err("the dropped promise cannot be kept");
    assert!(format!("{error:#}").contains("broken"), "{error:#}");
    // Sidecar b, without the fault, keeps its promise.
    let kept = demo::inclusion(&info, 1, 1).await?;
    // The explorer names the broken promise.
    let answer: serde_json::Value = reqwest::get(format!(
        "{}/api/promises?from={}&to={}",
        info.explorer_url,
        kept.slot.saturating_sub(15),
        kept.slot
    ))
    .await?
    .json()
    .await?;
    let statuses: Vec<String> = answer["promises"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| format!("{}:{}", p["sidecar"], p["status"]))
        .collect();
    // Broken, and the devnet's watchtower may already have disputed it (scenario 7 in
    // `disputes.rs` follows the dispute to the slash).
    assert!(
        statuses.iter().any(|s| [
            "\"a\":\"broken\"",
            "\"a\":\"disputed\"",
            "\"a\":\"slashed\""
        ]
        .contains(&s.as_str())),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().any(|s| s == "\"b\":\"included\""),
        "{statuses:?}"
    );
    drop(devnet);
    std::fs::remove_dir_all(dir)?;
    Ok(())
}
