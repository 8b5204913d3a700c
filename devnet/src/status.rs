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

/// The value of the un-labelled Prometheus counter `name` in `text`.
fn counter(text: &str, name: &str) -> Option<f64> {
    text.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (metric, value) = l.split_once(' ')?;
        (metric == name)
            .then(|| value.trim().parse().ok())
            .flatten()
    })
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
        let index = record["proposer_index"].as_u64().unwrap_or_default();
        let opted_in = !info.plain_validators.contains(&index);
        let outcome = &record["outcome"];
        let (block, txs, source) = match outcome.get("Proposed") {
            Some(block) => (
                block["block_number"].to_string(),
                block["tx_count"].to_string(),
                describe_source(&block["source"], info),
            ),
            None => (
                "-".into(),
                "-".into(),
                format!(
                    "missed ({})",
                    outcome["Missed"]["reason"].as_str().unwrap_or("?")
                ),
            ),
        };
        let _ = writeln!(
            out,
            "{:<7} {:<9} {:<9} {:<9} {:<4} {}",
            record["slot"]
                .as_str()
                .map_or_else(|| record["slot"].to_string(), str::to_owned),
            index,
            if opted_in { "yes" } else { "no" },
            block,
            txs,
            source
        );
    }
    for sidecar in &info.sidecars {
        let metrics = get(&http, &format!("{}/metrics", sidecar.rpc_url)).await;
        let promised = metrics
            .as_deref()
            .ok()
            .and_then(|m| counter(m, "baton_sidecar_commitments_total"));
        let _ = writeln!(
            out,
            "sidecar {}: {}",
            sidecar.name,
            promised.map_or_else(
                || "not answering".to_owned(),
                |n| format!("{n} promises made since it started")
            )
        );
    }
    Ok(out)
}

fn describe_source(source: &Value, info: &crate::DevnetInfo) -> String {
    if let Some(url) = source.get("Builder").and_then(|b| b["url"].as_str()) {
        if let Some(sidecar) = info
            .sidecars
            .iter()
            .find(|s| url.starts_with(&s.builder_url))
        {
            return format!("sidecar {} (relay bid or its fallback)", sidecar.name);
        }
        return "relay".into();
    }
    match source.as_str() {
        Some("Local") => "beacon service, local block".into(),
        Some("Published") => "published by the relay".into(),
        _ => source.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_unlabelled_counters() {
        let text = "# HELP x\nbaton_sidecar_commitments_total 12\nbaton_sidecar_rejections_total{code=\"1\"} 3\n";
        assert_eq!(counter(text, "baton_sidecar_commitments_total"), Some(12.0));
        assert_eq!(counter(text, "baton_sidecar_rejections_total"), None);
    }
}
