//! `baton-relay-loadgen`: measures a fresh `baton-relay` under builder load.
//!
//! It starts a stub beacon node (in this process) and the `baton-relay` binary next to
//! this one, registers a proposer, delegates the slot to a gateway that posts the
//! constraints, then sends pre-built, signed block submissions with proofs
//! (`blocks_with_proofs`: realistic blocks of hundreds of transactions, the constrained
//! ones interleaved and proven with one multiproof) at a fixed rate, open loop, plus
//! `getHeader` calls at their own rate.
//!
//! Every submission carries a higher value than the one before, so each must become the
//! best bid at once. After each submission's `200`, a `getHeader` checks that the bid
//! served is this one or a later one: "submission → bid available" is the submission's
//! round trip, and the check proves the bid really was available when it ended.

// The report on stdout is this tool's output.
#![allow(clippy::print_stdout)]

use std::{
    collections::HashMap,
    path::PathBuf,
    process::Stdio,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_primitives::{Address, B256, Bytes, U256};
use axum::body::Bytes as Body;
use baton_preconf::{Slot, ssz::BeaconJson};
use baton_relay::{
    beacon::stub::StubBeacon,
    sim::{self, BlockSpec, Proposer},
};
use clap::Parser;
use eyre::{WrapErr, bail, eyre};
use serde_json::{Value, json};

/// Load generator for `baton-relay`.
#[derive(Debug, Parser)]
#[command(name = "baton-relay-loadgen", version)]
struct Args {
    /// Block submissions per second.
    #[arg(long, default_value_t = 200)]
    rate: u64,
    /// Seconds to send for.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Transactions per block (the constrained ones included).
    #[arg(long, default_value_t = 300)]
    txs: usize,
    /// Constrained transactions per slot, each proven in every block (at most 256).
    #[arg(long, default_value_t = 128)]
    constraints: usize,
    /// Distinct builders the submissions rotate through.
    #[arg(long, default_value_t = 8)]
    builders: u64,
    /// Extra getHeader calls per second (besides one check after every submission).
    #[arg(long, default_value_t = 100)]
    header_rate: u64,
    /// Share through this Redis (the relay writes every bid behind to it).
    #[arg(long)]
    redis_url: Option<String>,
}

struct Spawned {
    child: std::process::Child,
    dir: PathBuf,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// CPU time a process has used (Linux `/proc`, user + system; `None` elsewhere).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn row(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "{name:<34} n={:<6} p50 {:>9}  p90 {:>9}  p99 {:>9}  max {:>9}",
        samples.len(),
        ms(percentile(&samples, 50.0)),
        ms(percentile(&samples, 90.0)),
        ms(percentile(&samples, 99.0)),
        ms(samples.last().copied().unwrap_or_default()),
    );
}

/// The relay's own histogram: the fraction of observations at or under each bound.
fn histogram(metrics: &str, name: &str) -> String {
    let mut count = 0.0_f64;
    let mut buckets = Vec::new();
    for line in metrics.lines() {
        if let Some(rest) = line.strip_prefix(&format!("{name}_bucket{{le=\"")) {
            let (bound, value) = rest.split_once("\"} ").unwrap_or_default();
            buckets.push((bound.to_owned(), value.parse::<f64>().unwrap_or_default()));
        }
        if let Some(value) = line.strip_prefix(&format!("{name}_count ")) {
            count = value.parse().unwrap_or_default();
        }
    }
    buckets
        .iter()
        .filter(|(b, _)| ["0.001", "0.002", "0.003", "0.005", "0.01"].contains(&b.as_str()))
        .map(|(b, v)| {
            format!(
                "≤{} ms {:.1}%",
                b.parse::<f64>().unwrap_or_default() * 1000.0,
                100.0 * v / count.max(1.0)
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn get(http: &reqwest::Client, url: &str) -> eyre::Result<(u16, Vec<u8>)> {
    let response = http.get(url).send().await?;
    Ok((response.status().as_u16(), response.bytes().await?.to_vec()))
}

async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> eyre::Result<()> {
    let response = http
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await?;
    if !response.status().is_success() {
        bail!(
            "{url}: {} {}",
            response.status(),
            response.text().await.unwrap_or_default()
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() -> eyre::Result<()> {
    let args = Args::parse();
    if args.constraints > 256 || args.constraints >= args.txs {
        bail!("--constraints must be at most 256 and below --txs");
    }
    let seconds_per_slot = (args.seconds + 20).max(24);
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    // Slot 50 started a second ago; the bids are for slot 51.
    let genesis = now - 1 - 50 * seconds_per_slot;
    let info = sim::chain_info(genesis);
    let slot = Slot(51);
    let proposer = Proposer {
        key: sim::bls_key(1),
        index: 0,
        fee_recipient: Address::repeat_byte(0xfe),
    };
    let beacon = StubBeacon::start(info.clone(), 8, vec![proposer.pubkey()]).await?;
    let attributes = sim::attributes(&info, seconds_per_slot, slot, 0);
    beacon.announce(&attributes);

    let dir = std::env::temp_dir().join(format!("baton-relay-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    std::fs::write(
        dir.join("relay.key"),
        hex::encode(sim::bls_key(1000).to_bytes()),
    )?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let bin = std::env::current_exe()?.with_file_name("baton-relay");
    if !bin.is_file() {
        bail!(
            "{} not found; build it with `cargo build --release -p baton-relay --bins`",
            bin.display()
        );
    }
    let mut command = std::process::Command::new(&bin);
    command
        .args(["--http.addr", &format!("127.0.0.1:{port}")])
        .args(["--beacon.url", beacon.url()])
        .args(["--chain.seconds-per-slot", &seconds_per_slot.to_string()])
        .args(["--chain.slots-per-epoch", "8"])
        .arg("--relay.key-file")
        .arg(dir.join("relay.key"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    if let Some(url) = &args.redis_url {
        // A prefix of its own: a previous run's bids for the same slot stay out.
        command.args(["--redis.url", url]).args([
            "--redis.prefix",
            &format!("baton:loadgen:{}", std::process::id()),
        ]);
    }
    let relay = Spawned {
        child: command.spawn().wrap_err("starting baton-relay")?,
        dir,
    };
    let url = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(512)
        .build()?;

    // Ready, with the slot's attributes.
    let started = Instant::now();
    loop {
        let ready = get(&http, &format!("{url}/ready"))
            .await
            .is_ok_and(|r| r.0 == 200);
        let metrics = get(&http, &format!("{url}/metrics"))
            .await
            .map(|r| r.1)
            .unwrap_or_default();
        if ready
            && String::from_utf8_lossy(&metrics)
                .contains(&format!("baton_relay_head_slot {}", slot.0))
        {
            break;
        }
        if started.elapsed() > Duration::from_secs(20) {
            bail!("the relay did not become ready");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Registration, delegation, constraints.
    post_json(
        &http,
        &format!("{url}/eth/v1/builder/validators"),
        &json!([proposer.registration(&info, now).to_json()]),
    )
    .await?;
    let gateway = sim::bls_key(500);
    post_json(
        &http,
        &format!("{url}/constraints/v0/builder/delegate"),
        &json!(proposer.delegation(&info, slot, gateway.public_key())),
    )
    .await?;
    let constrained = sim::transactions(40, 0, args.constraints);
    let signed = sim::constraints(&info, &gateway, proposer.pubkey(), slot, &constrained);
    post_json(
        &http,
        &format!("{url}/constraints/v0/builder/constraints"),
        &json!([signed]),
    )
    .await?;

    // One block body, the constrained transactions spread through it.
    let filler = sim::transactions(9, 0, args.txs - args.constraints);
    let prove: Vec<usize> = (0..args.constraints)
        .map(|k| k * args.txs / args.constraints)
        .collect();
    let (mut filler, mut constrained) = (filler.into_iter(), constrained.into_iter());
    let txs: Vec<Bytes> = (0..args.txs)
        .filter_map(|position| {
            if prove.binary_search(&position).is_ok() {
                constrained.next()
            } else {
                filler.next()
            }
        })
        .collect();
    let total = (args.rate * args.seconds) as usize;
    println!(
        "pre-building {total} signed submissions of {} transactions ({} proven)…",
        txs.len(),
        prove.len()
    );
    let builders: Vec<_> = (0..args.builders).map(|i| sim::bls_key(100 + i)).collect();
    let build_one = |i: usize| {
        let built = sim::build(
            &builders[i % builders.len()],
            &info,
            &BlockSpec {
                attributes: attributes.clone(),
                proposer: proposer.pubkey(),
                fee_recipient: proposer.fee_recipient,
                value: U256::from(1_000_000_000_000_000u64 + i as u64),
                txs: txs.clone(),
                prove: prove.clone(),
                nonce: i as u64,
            },
        );
        (
            built.block_hash(),
            Body::from(built.json_with_proofs().to_string()),
        )
    };
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let mut prebuilt: Vec<(B256, Body)> = Vec::with_capacity(total);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let build_one = &build_one;
                scope.spawn(move || {
                    (t..total)
                        .step_by(threads)
                        .map(|i| (i, build_one(i)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut all: Vec<_> = handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        prebuilt = all.into_iter().map(|(_, b)| b).collect();
    });
    if prebuilt.len() != total {
        bail!("pre-building failed");
    }
    let body_bytes = prebuilt.iter().map(|(_, b)| b.len()).sum::<usize>() / total.max(1);
    println!(
        "average submission body {:.0} KiB (JSON with proofs)",
        body_bytes as f64 / 1024.0
    );
    let index_of: Arc<HashMap<B256, usize>> = Arc::new(
        prebuilt
            .iter()
            .enumerate()
            .map(|(i, (h, _))| (*h, i))
            .collect(),
    );

    let header_url = Arc::new(format!(
        "{url}/eth/v1/builder/header/{slot}/{}/{}",
        attributes.parent_block_hash,
        proposer.pubkey()
    ));
    let submit_url = Arc::new(format!("{url}/constraints/v0/relay/blocks_with_proofs"));
    let served_index = {
        let index_of = index_of.clone();
        move |body: &[u8]| -> Option<usize> {
            let value: Value = serde_json::from_slice(body).ok()?;
            let hash: B256 = value["data"]["message"]["header"]["block_hash"]
                .as_str()?
                .parse()
                .ok()?;
            index_of.get(&hash).copied()
        }
    };

    let relay_pid = relay.child.id();
    let cpu_before = cpu_time(relay_pid);
    let start = tokio::time::Instant::now() + Duration::from_millis(200);
    let mut submissions = Vec::with_capacity(total);
    for (i, (_, body)) in prebuilt.into_iter().enumerate() {
        let at = start + Duration::from_nanos(i as u64 * 1_000_000_000 / args.rate);
        let (http, submit_url, header_url, served_index) = (
            http.clone(),
            submit_url.clone(),
            header_url.clone(),
            served_index.clone(),
        );
        submissions.push(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            let sent = Instant::now();
            let response = http
                .post(submit_url.as_str())
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await;
            let status = match response {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let _ = r.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            let round_trip = sent.elapsed();
            let from_schedule = at.elapsed();
            // Available: the served bid is this one or a later one.
            let probe = Instant::now();
            let probed = get(&http, &header_url).await;
            let probe_time = probe.elapsed();
            // `None`: the probe itself failed (transport or status), not a verdict.
            let available = match probed {
                Ok((200, served)) => Some(served_index(&served).is_some_and(|s| s >= i)),
                Ok((204, _)) => Some(false),
                _ => None,
            };
            (status, round_trip, from_schedule, probe_time, available)
        }));
    }
    let header_total = (args.header_rate * args.seconds) as usize;
    let mut headers = Vec::with_capacity(header_total);
    for i in 0..header_total {
        let at = start + Duration::from_nanos(i as u64 * 1_000_000_000 / args.header_rate.max(1));
        let (http, header_url) = (http.clone(), header_url.clone());
        headers.push(tokio::spawn(async move {
            tokio::time::sleep_until(at).await;
            let sent = Instant::now();
            let status = get(&http, &header_url)
                .await
                .map(|r| r.0)
                .unwrap_or_default();
            (status, sent.elapsed())
        }));
    }

    let (mut round_trips, mut from_schedule, mut probes) = (Vec::new(), Vec::new(), Vec::new());
    let (mut accepted, mut refused, mut unavailable, mut probe_errors) = (0, 0, 0, 0);
    for task in submissions {
        let (status, rt, fs, probe, available) = task.await?;
        if status == 200 {
            accepted += 1;
            round_trips.push(rt);
            from_schedule.push(fs);
            match available {
                Some(true) => probes.push(probe),
                Some(false) => {
                    probes.push(probe);
                    unavailable += 1;
                }
                None => probe_errors += 1,
            }
        } else {
            refused += 1;
        }
    }
    let mut header_times = Vec::new();
    let (mut no_bid_yet, mut header_errors) = (0, 0);
    for task in headers {
        let (status, elapsed) = task.await?;
        match status {
            200 => header_times.push(elapsed),
            // Before the first submission lands there is no bid: a correct, fast answer.
            204 => {
                no_bid_yet += 1;
                header_times.push(elapsed);
            }
            _ => header_errors += 1,
        }
    }
    let elapsed = start.elapsed();
    let relay_cpu = cpu_before
        .zip(cpu_time(relay_pid))
        .map(|(a, b)| b.saturating_sub(a));
    let (_, last) = get(&http, &header_url).await?;
    let final_best = served_index(&last);
    let metrics = String::from_utf8(get(&http, &format!("{url}/metrics")).await?.1)?;

    println!();
    println!(
        "offered {} submissions/s for {} s ({} builders, {} txs, {} constraints proven each); {} getHeader/s",
        args.rate,
        args.seconds,
        args.builders,
        txs.len(),
        prove.len(),
        args.header_rate
    );
    println!(
        "accepted {accepted}/{total}, refused {refused}, achieved {:.0}/s; an older bid served after a 200: {unavailable}; probe errors: {probe_errors}",
        accepted as f64 / elapsed.as_secs_f64()
    );
    row("submission → bid available (send)", round_trips);
    row("  same, from schedule", from_schedule);
    row("getHeader (after each submission)", probes.clone());
    let mut all_headers = header_times;
    all_headers.extend(probes);
    row("getHeader (all)", all_headers);
    println!("getHeader: {no_bid_yet} answered 204 (before the first bid), {header_errors} errors");
    println!(
        "relay's own submission histogram (arrival → bid available): {}",
        histogram(&metrics, "baton_relay_submission_duration_seconds")
    );
    println!(
        "relay's own getHeader histogram: {}",
        histogram(&metrics, "baton_relay_get_header_duration_seconds")
    );
    if let Some(cpu) = relay_cpu {
        println!(
            "relay CPU while sending: {:.2} s ({:.2} ms per submission, {:.0}% of one core)",
            cpu.as_secs_f64(),
            cpu.as_secs_f64() * 1000.0 / total.max(1) as f64,
            100.0 * cpu.as_secs_f64() / elapsed.as_secs_f64()
        );
    }
    if final_best != Some(total - 1) {
        return Err(eyre!(
            "the final best bid is {final_best:?}, expected the last submission {}",
            total - 1
        ));
    }
    if unavailable > 0 || refused > 0 || header_errors > 0 || probe_errors > 0 {
        return Err(eyre!(
            "{refused} submissions refused, {unavailable} not available after their 200, {header_errors} getHeader errors, {probe_errors} probe errors"
        ));
    }
    println!("final best bid is the last (highest) submission: ok");
    Ok(())
}
