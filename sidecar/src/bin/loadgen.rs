//! `baton-loadgen`: sends signed sequencing requests to a sidecar at a fixed rate for a set
//! time, verifies every returned signature, and prints latency percentiles and throughput.
//!
//! Open loop: requests are pre-signed, each is sent at its scheduled time whatever the
//! sidecar's state, and latency counts from that scheduled time (no coordinated omission).
//!
//! `--spawn` starts the whole target itself: a stub beacon (every slot ours) and the
//! `baton-sidecar` binary next to this one, with a fresh journal in a temporary folder.

// The report on stdout is this tool's output.
#![allow(clippy::print_stdout)]

use std::{
    path::PathBuf,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::Address;
use alloy_signer_local::PrivateKeySigner;
use baton_preconf::{
    BatonDomain, BlsSecretKey, Request, RollupId, RollupTransaction, SequencingRequest,
    SignedCommitment, Slot,
};
use clap::Parser;
use eyre::{WrapErr, bail, eyre};
use serde_json::{Value, json};
use tokio::sync::Mutex;

/// Load generator for `baton-sidecar`.
#[derive(Debug, Parser)]
#[command(name = "baton-loadgen", version)]
struct Args {
    /// Sidecar JSON-RPC URL (ignored with --spawn).
    #[arg(long, default_value = "http://127.0.0.1:18550")]
    url: String,
    /// Start a stub beacon and a fresh `baton-sidecar` to measure.
    #[arg(long)]
    spawn: bool,
    /// Requests per second.
    #[arg(long, default_value_t = 1_000)]
    rate: u64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

struct Spawned {
    child: std::process::Child,
    _dir: PathBuf,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self._dir);
    }
}

async fn spawn_target() -> eyre::Result<(String, Spawned)> {
    let dir = std::env::temp_dir().join(format!("baton-loadgen-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let key = PrivateKeySigner::random();
    let key_file = dir.join("committer.key");
    std::fs::write(&key_file, alloy_primitives::hex::encode(key.to_bytes()))?;
    let validator = BlsSecretKey::from_ikm(&[0x77; 32])?.public_key();
    let genesis = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() - 10;
    let beacon = baton_sidecar::beacon::serve_stub(genesis, 8, validator).await?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let bin = std::env::current_exe()?.with_file_name("baton-sidecar");
    if !bin.is_file() {
        bail!(
            "{} not found; build it with `cargo build --release -p baton-sidecar`",
            bin.display()
        );
    }
    let child = std::process::Command::new(&bin)
        .args(["run", "--data-dir"])
        .arg(dir.join("data"))
        .args([
            "--rpc.addr",
            &format!("127.0.0.1:{port}"),
            "--beacon.url",
            &beacon,
        ])
        .args([
            "--slasher",
            &Address::repeat_byte(0x5a).to_string(),
            "--committer.key-file",
        ])
        .arg(&key_file)
        .args([
            "--validator.pubkeys",
            &validator.to_string(),
            "--window-slots",
            "64",
        ])
        .args([
            "--limits.batch-txs",
            "1000000",
            "--limits.batch-bytes",
            "1000000000",
        ])
        // One wallet on one address is the whole load: no rate limits.
        .args(["--rate-limit.per-ip", "0", "--rate-limit.per-wallet", "0"])
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .spawn()
        .wrap_err_with(|| format!("starting {}", bin.display()))?;
    Ok((
        format!("http://127.0.0.1:{port}"),
        Spawned { child, _dir: dir },
    ))
}

async fn rpc(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> eyre::Result<Value> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params });
    Ok(client.post(url).json(&body).send().await?.json().await?)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    let (url, _target) = if args.spawn {
        let (url, spawned) = spawn_target().await?;
        (url, Some(spawned))
    } else {
        (args.url.clone(), None)
    };
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;

    // Wait for the sidecar, learn its domain and its upcoming slots.
    let started = Instant::now();
    let (version, slots) = loop {
        if let (Ok(v), Ok(s)) = (
            rpc(&client, &url, "baton_version", json!([])).await,
            rpc(&client, &url, "baton_slots", json!([])).await,
        ) && s["result"].as_array().is_some_and(|a| a.len() >= 4)
        {
            break (
                v["result"].clone(),
                s["result"].as_array().cloned().unwrap_or_default(),
            );
        }
        if started.elapsed() > Duration::from_secs(30) {
            bail!("no sidecar serving slots at {url}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let domain = BatonDomain {
        chain_id: version["chainId"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| eyre!("bad baton_version: {version}"))?,
        verifying_contract: serde_json::from_value(version["slasher"].clone())?,
    };
    let committer: Address = serde_json::from_value(version["committer"].clone())?;
    // The furthest slots stay open for the whole run.
    let slot: u64 = slots
        .last()
        .and_then(|s| s["slot"].as_str())
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| eyre!("no slots"))?;

    let total = (args.rate * args.seconds) as usize;
    eprintln!("signing {total} requests for slot {slot}…");
    let wallet = PrivateKeySigner::random();
    let l2_sender = PrivateKeySigner::random();
    let requests: Vec<Value> = (0..total)
        .map(|i| {
            // The devnet's rollups: 1 is chain 167001, 2 is chain 167002.
            let rollup = 1 + (i % 2) as u64;
            let request = Request::Sequencing(SequencingRequest {
                slot: Slot(slot),
                txs: vec![RollupTransaction {
                    rollup_id: RollupId(rollup),
                    tx: baton_sidecar::sample::call(
                        &l2_sender,
                        167_000 + rollup,
                        0,
                        format!("loadgen tx {i} {}", "x".repeat(40)).as_bytes(),
                        Default::default(),
                    ),
                }],
            });
            let signed = request.sign(&wallet, &domain).map_err(|e| eyre!("{e}"))?;
            Ok(json!({ "jsonrpc": "2.0", "id": i, "method": "baton_requestSequencing", "params": [signed] }))
        })
        .collect::<eyre::Result<_>>()?;

    eprintln!(
        "sending {} requests/s for {} s to {url}…",
        args.rate, args.seconds
    );
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let service_times = Arc::new(Mutex::new(Vec::with_capacity(total)));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let interval = Duration::from_secs_f64(1.0 / args.rate as f64);
    let begin = Instant::now();
    let mut tasks = Vec::with_capacity(total);
    for (i, body) in requests.into_iter().enumerate() {
        let scheduled = begin + interval * i as u32;
        tokio::time::sleep_until(scheduled.into()).await;
        let (client, url, latencies, failures) = (
            client.clone(),
            url.clone(),
            latencies.clone(),
            failures.clone(),
        );
        let service_times = service_times.clone();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            let answer: Result<Value, _> = async {
                client
                    .post(&url)
                    .json(&body)
                    .send()
                    .await?
                    .json::<Value>()
                    .await
            }
            .await;
            let elapsed = scheduled.elapsed();
            service_times.lock().await.push(sent.elapsed());
            match answer.map(|a| {
                serde_json::from_value::<SignedCommitment>(a["result"].clone())
                    .map_err(|e| format!("{e}: {a}"))
            }) {
                Ok(Ok(signed))
                    if signed.verify(&domain).is_ok()
                        && signed.commitment.committer == committer =>
                {
                    latencies.lock().await.push(elapsed);
                }
                Ok(Ok(_)) => failures
                    .lock()
                    .await
                    .push("a returned signature does not verify".into()),
                Ok(Err(e)) => failures.lock().await.push(e),
                Err(e) => failures.lock().await.push(e.to_string()),
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let wall = begin.elapsed();
    let mut latencies = latencies.lock().await.clone();
    latencies.sort();
    let mut service_times = service_times.lock().await.clone();
    service_times.sort();
    let failures = failures.lock().await.clone();
    println!(
        "requests: {total} sent, {} promised and verified, {} failed",
        latencies.len(),
        failures.len()
    );
    println!(
        "throughput: {:.0} promises/s over {:.2} s",
        latencies.len() as f64 / wall.as_secs_f64(),
        wall.as_secs_f64()
    );
    let line = |name: &str, sorted: &[Duration]| {
        println!(
            "{name}: p50 {:.3} ms, p90 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            percentile(sorted, 50.0).as_secs_f64() * 1e3,
            percentile(sorted, 90.0).as_secs_f64() * 1e3,
            percentile(sorted, 99.0).as_secs_f64() * 1e3,
            sorted.last().copied().unwrap_or_default().as_secs_f64() * 1e3,
        );
    };
    line("latency from send", &service_times);
    line(
        "latency from schedule (includes the generator's timer lag)",
        &latencies,
    );
    if let Ok(metrics) = client
        .get(format!("{url}/metrics"))
        .send()
        .await
        .and_then(|r| r.error_for_status())
    {
        let text = metrics.text().await.unwrap_or_default();
        println!("sidecar's own histograms (cumulative counts per upper bound in seconds):");
        for l in text.lines().filter(|l| {
            l.contains("_bucket") && (l.contains("request_duration") || l.contains("fsync"))
        }) {
            println!("  {l}");
        }
    }
    if let Some(first) = failures.first() {
        eprintln!("first failure: {first}");
        bail!("{} requests failed", failures.len());
    }
    Ok(())
}
