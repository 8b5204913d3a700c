//! `baton-devnet status`: the current slot, the last blocks (who proposed, opted in or
//! not, which path built them) and each sidecar's promise count, read from a running
//! devnet's own APIs.

use std::{fmt::Write as _, path::Path, time::Duration};

use eyre::WrapErr;
use serde_json::Value;

/// Most recent slots shown.
const SLOTS_SHOWN: u64 = 8;

/// The `devnet.json` a running devnet wrote in `data_dir`.
pub fn read_info(data_dir: &Path) -> eyre::Result<crate::DevnetInfo> {
    let path = data_dir.join("devnet.json");
    let text = std::fs::read_to_string(&path).wrap_err_with(|| {
        format!(
            "reading {}: is a devnet running (`baton-devnet up`)?",
            path.display()
        )
    })?;
    serde_json::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))
}

async fn get(http: &reqwest::Client, url: &str) -> eyre::Result<String> {
    http.get(url)
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .wrap_err_with(|| format!("GET {url}"))?
        .text()
        .await
        .wrap_err_with(|| format!("reading {url}"))
}

/// The sum of every series of the Prometheus counter `name` in `text` (`None`: absent).
pub fn counter(text: &str, name: &str) -> Option<f64> {
    let values: Vec<f64> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (metric, value) = l.rsplit_once(' ')?;
            let base = metric.split('{').next()?;
            (base == name).then(|| value.trim().parse().ok()).flatten()
        })
        .collect();
    (!values.is_empty()).then(|| values.iter().sum())
}

/// The status report.
pub async fn status(info: &crate::DevnetInfo) -> eyre::Result<String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let current = now.saturating_sub(info.genesis_time) / info.seconds_per_slot.max(1);
    let mut out = String::new();
    let _ = writeln!(out, "slot {current} (L1 chain id {})", info.l1_chain_id);
    let from = current.saturating_sub(SLOTS_SHOWN);
    let slots: Value = serde_json::from_str(
        &get(
            &http,
            &format!(
                "{}/baton/v1/slots?from={from}&to={current}",
                info.beacon_url
            ),
        )
        .await?,
    )?;
    let _ = writeln!(out, "slot    proposer  opted in  block     txs  built by");
    for record in slots["data"].as_array().into_iter().flatten().rev() {
        let text = |v: &Value| v.as_str().map_or_else(|| v.to_string(), str::to_owned);
        let index: u64 = text(&record["proposer_index"]).parse().unwrap_or_default();
        let opted_in = !info.plain_validators.contains(&index);
        let (block, txs, source) = if record["outcome"] == "proposed" {
            (
                text(&record["block_number"]),
                text(&record["tx_count"]),
                describe_source(&record["source"], info),
            )
        } else {
            (
                "-".into(),
                "-".into(),
                format!("missed ({})", text(&record["reason"])),
            )
        };
        let _ = writeln!(
            out,
            "{:<7} {:<9} {:<9} {:<9} {:<4} {}",
            text(&record["slot"]),
            index,
            if opted_in { "yes" } else { "no" },
            block,
            txs,
            source
        );
    }
    for sidecar in &info.sidecars {
        let line = match get(&http, &format!("{}/metrics", sidecar.rpc_url)).await {
            Ok(m) => {
                let n = |name: &str| counter(&m, name).unwrap_or_default();
                format!(
                    "{} promises made, {} slots sealed, {} relay bids, {} fallback blocks served, {} promise alarms (since it started)",
                    n("baton_sidecar_commitments_total"),
                    n("baton_sidecar_slots_sealed_total"),
                    n("baton_sidecar_bids_received_total"),
                    n("baton_sidecar_fallbacks_used_total"),
                    n("baton_sidecar_promise_alarms_total"),
                )
            }
            Err(_) => "not answering".to_owned(),
        };
        let _ = writeln!(out, "sidecar {}: {line}", sidecar.name);
    }
    if !info.watch_metrics.is_empty() {
        let line = match get(&http, &info.watch_metrics).await {
            Ok(m) => {
                let n = |name: &str| counter(&m, name).unwrap_or_default();
                format!(
                    "{} promises kept, {} broken; {} disputes opened, {} defended, {} slashed; {} equivocations, {} sequencing and {} liveness slashes",
                    n("baton_watch_promises_kept_total"),
                    n("baton_watch_promises_broken_total"),
                    n("baton_watch_disputes_opened_total"),
                    n("baton_watch_disputes_defended_total"),
                    n("baton_watch_disputes_slashed_total"),
                    n("baton_watch_equivocations_slashed_total"),
                    n("baton_watch_sequencing_slashed_total"),
                    n("baton_watch_liveness_slashed_total"),
                )
            }
            Err(_) => "not answering".to_owned(),
        };
        let _ = writeln!(out, "watchtower: {line}");
    }
    Ok(out)
}

fn describe_source(source: &Value, info: &crate::DevnetInfo) -> String {
    match source["kind"].as_str() {
        Some("builder") => {
            let url = source["url"].as_str().unwrap_or_default();
            match info
                .sidecars
                .iter()
                .find(|s| url.starts_with(&s.builder_url))
            {
                Some(sidecar) => format!("sidecar {} (a relay bid or its fallback)", sidecar.name),
                None => "relay".into(),
            }
        }
        Some("published") => "published by the relay".into(),
        Some("local") => "beacon service, local block".into(),
        _ => source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_where_blocks_came_from() {
        let info: crate::DevnetInfo = serde_json::from_value(serde_json::json!({
            "l1_rpc": "", "l1_engine": "", "jwt_secret_file": "", "l1_chain_id": 1,
            "genesis_time": 0, "seconds_per_slot": 2, "slots_per_epoch": 8,
            "beacon_url": "", "relay_url": "http://r", "relay_pubkey": "", "redis_url": null,
            "builder_metrics": "", "rollup_node_url": "", "plain_validators": [6, 7],
            "sidecars": [{"name": "a", "rpc_url": "", "builder_url": "http://127.0.0.1:9",
                          "committer": "0x0000000000000000000000000000000000000001",
                          "validators": [0]}],
            "rollups": [], "dev_keys": [], "logs": "", "explorer_url": "",
            "contracts": {"deployer": "0x0000000000000000000000000000000000000001",
                "registry": "0x0000000000000000000000000000000000000001",
                "rollup_inbox": "0x0000000000000000000000000000000000000001",
                "slasher": "0x0000000000000000000000000000000000000001",
                "rollups": [], "transactions": []}
        }))
        .unwrap();
        let builder = serde_json::json!({"kind": "builder", "url": "http://127.0.0.1:9"});
        assert!(describe_source(&builder, &info).starts_with("sidecar a"));
        let relay = serde_json::json!({"kind": "builder", "url": "http://r"});
        assert_eq!(describe_source(&relay, &info), "relay");
        assert_eq!(
            describe_source(&serde_json::json!({"kind": "local"}), &info),
            "beacon service, local block"
        );
    }

    #[test]
    fn sums_every_series_of_a_counter() {
        let text = "# HELP x\nbaton_sidecar_slots_sealed_total 12\nbaton_sidecar_commitments_total{kind=\"a\"} 3\nbaton_sidecar_commitments_total{kind=\"b\"} 4\n";
        assert_eq!(
            counter(text, "baton_sidecar_slots_sealed_total"),
            Some(12.0)
        );
        assert_eq!(counter(text, "baton_sidecar_commitments_total"), Some(7.0));
        assert_eq!(counter(text, "baton_sidecar_commitments"), None);
    }
}
