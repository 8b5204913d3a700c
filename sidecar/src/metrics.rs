//! The sidecar's Prometheus metrics, declared in one place with units and help text.
//!
//! Counters and histograms are plain atomics (no registry crate on the hot path);
//! [`render`] writes the Prometheus text exposition format for `/metrics`.

use baton_metrics::Histogram;
use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Histogram bucket upper bounds, in seconds.
static BUCKETS: [f64; 12] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
];

/// Why a request was refused; the label values of `baton_sidecar_rejections_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rejection {
    /// Malformed JSON-RPC or parameters.
    BadRequest,
    /// A validation rule failed.
    Invalid,
    /// No capacity left (batch, gas).
    Capacity,
    /// Not our slot, or past the deadline.
    Slot,
    /// Over a rate limit.
    RateLimited,
    /// An internal fault (journal).
    Internal,
}

impl Rejection {
    const ALL: [Self; 6] = [
        Self::BadRequest,
        Self::Invalid,
        Self::Capacity,
        Self::Slot,
        Self::RateLimited,
        Self::Internal,
    ];

    const fn label(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Invalid => "invalid",
            Self::Capacity => "capacity",
            Self::Slot => "slot",
            Self::RateLimited => "rate_limited",
            Self::Internal => "internal",
        }
    }
}

static REQUESTS: AtomicU64 = AtomicU64::new(0);
static COMMITMENTS_INCLUSION: AtomicU64 = AtomicU64::new(0);
static COMMITMENTS_SEQUENCING: AtomicU64 = AtomicU64::new(0);
static REJECTIONS: [AtomicU64; 6] = [const { AtomicU64::new(0) }; 6];
static REQUEST_SECONDS: Histogram = Histogram::new(&BUCKETS);
static JOURNAL_SYNC_SECONDS: Histogram = Histogram::new(&BUCKETS);
static JOURNAL_BATCH_RECORDS: AtomicU64 = AtomicU64::new(0);

pub(crate) fn record_request(elapsed: Duration) {
    REQUESTS.fetch_add(1, Ordering::Relaxed);
    REQUEST_SECONDS.observe(elapsed);
}

pub(crate) fn record_commitment(kind: baton_preconf::CommitmentKind) {
    match kind {
        baton_preconf::CommitmentKind::Inclusion => {
            COMMITMENTS_INCLUSION.fetch_add(1, Ordering::Relaxed)
        }
        baton_preconf::CommitmentKind::Sequencing => {
            COMMITMENTS_SEQUENCING.fetch_add(1, Ordering::Relaxed)
        }
    };
}

/// Refusals by error code: the codes are a closed set (`docs/api.md`), so the map is
/// bounded.
static REJECTIONS_BY_CODE: std::sync::Mutex<std::collections::BTreeMap<i64, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Counts a refusal under its reason and its error code.
pub(crate) fn record_error(error: &crate::rpc::RpcError) {
    let reason = error.rejection();
    if let Some(i) = Rejection::ALL.iter().position(|r| *r == reason) {
        REJECTIONS[i].fetch_add(1, Ordering::Relaxed);
    }
    if let Ok(mut codes) = REJECTIONS_BY_CODE.lock() {
        *codes.entry(error.code()).or_default() += 1;
    }
}

pub(crate) fn record_journal_sync(records: usize, elapsed: Duration) {
    JOURNAL_BATCH_RECORDS.fetch_add(records as u64, Ordering::Relaxed);
    JOURNAL_SYNC_SECONDS.observe(elapsed);
}

/// Longest histogram bound of the block-production timings (getHeader, fallback builds).
static PBS_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.95, 2.0,
];

static SLOTS_SEALED: AtomicU64 = AtomicU64::new(0);
static CONSTRAINTS_ACCEPTED: AtomicU64 = AtomicU64::new(0);
static CONSTRAINTS_FAILED: AtomicU64 = AtomicU64::new(0);
static BIDS_REJECTED: [AtomicU64; 3] = [const { AtomicU64::new(0) }; 3];
static FALLBACKS_USED: AtomicU64 = AtomicU64::new(0);
static PROMISE_ALARMS: AtomicU64 = AtomicU64::new(0);
static GET_HEADER_SECONDS: Histogram = Histogram::new(&PBS_BUCKETS);
static GET_HEADER_DECISION_SECONDS: Histogram = Histogram::new(&PBS_BUCKETS);
static FALLBACK_BUILD_SECONDS: Histogram = Histogram::new(&PBS_BUCKETS);
/// Bids received per relay label (`scheme://host:port` of a configured relay: a closed set).
static BIDS_BY_RELAY: std::sync::Mutex<std::collections::BTreeMap<String, u64>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// Outcomes of answering a dispute, in label order.
const DISPUTE_OUTCOMES: [&str; 4] = ["defended", "undefendable", "unknown", "error"];
static DISPUTES_ANSWERED: [AtomicU64; 4] = [const { AtomicU64::new(0) }; 4];

/// A dispute against our operator was answered with `outcome` (one of
/// [`DISPUTE_OUTCOMES`]).
pub(crate) fn dispute_answered(outcome: &str) {
    if let Some(i) = DISPUTE_OUTCOMES.iter().position(|o| *o == outcome) {
        DISPUTES_ANSWERED[i].fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) fn record_slot_sealed() {
    SLOTS_SEALED.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn record_constraints_sent(accepted: bool) {
    if accepted {
        CONSTRAINTS_ACCEPTED.fetch_add(1, Ordering::Relaxed);
    } else {
        CONSTRAINTS_FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) fn record_bid_received(relay: &str) {
    if let Ok(mut bids) = BIDS_BY_RELAY.lock() {
        *bids.entry(relay.to_owned()).or_default() += 1;
    }
}

pub(crate) fn record_bid_rejected(reason: crate::pbs::BidRejection) {
    if let Some(i) = crate::pbs::BidRejection::ALL
        .iter()
        .position(|r| *r == reason)
    {
        BIDS_REJECTED[i].fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) fn record_fallback_used() {
    FALLBACKS_USED.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn record_promise_alarm() {
    PROMISE_ALARMS.fetch_add(1, Ordering::Relaxed);
}

/// A `getHeader` answered after `total`; the choice (after the relays answered, or timed
/// out) took `decision`.
pub(crate) fn record_get_header(total: Duration, decision: Duration) {
    GET_HEADER_SECONDS.observe(total);
    GET_HEADER_DECISION_SECONDS.observe(decision);
}

pub(crate) fn record_fallback_build(elapsed: Duration) {
    FALLBACK_BUILD_SECONDS.observe(elapsed);
}

/// A counter family over a fixed label set: `# HELP`/`# TYPE`, then one series per
/// `(label value, count)`.
fn labelled_counter<'a>(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    series: impl Iterator<Item = (&'a str, &'a AtomicU64)>,
) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
    for (value, count) in series {
        let _ = writeln!(
            out,
            "{name}{{{label}=\"{value}\"}} {}",
            count.load(Ordering::Relaxed)
        );
    }
}

fn render_pbs(out: &mut String) {
    let counter = |out: &mut String, name: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
        );
    };
    counter(
        out,
        "baton_sidecar_slots_sealed_total",
        "Slots sealed at their deadline (batches and constraints journaled).",
        SLOTS_SEALED.load(Ordering::Relaxed),
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_constraints_sent_total Constraints deliveries to relays, by outcome.\n# TYPE baton_sidecar_constraints_sent_total counter\nbaton_sidecar_constraints_sent_total{{outcome=\"accepted\"}} {}\nbaton_sidecar_constraints_sent_total{{outcome=\"failed\"}} {}",
        CONSTRAINTS_ACCEPTED.load(Ordering::Relaxed),
        CONSTRAINTS_FAILED.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_bids_received_total Bids relays answered to header_with_proofs, by relay.\n# TYPE baton_sidecar_bids_received_total counter"
    );
    if let Ok(bids) = BIDS_BY_RELAY.lock() {
        for (relay, count) in bids.iter() {
            let _ = writeln!(
                out,
                "baton_sidecar_bids_received_total{{relay=\"{relay}\"}} {count}"
            );
        }
    }
    labelled_counter(
        out,
        "baton_sidecar_bids_rejected_total",
        "Relay bids refused, by reason.",
        "reason",
        crate::pbs::BidRejection::ALL
            .iter()
            .map(|r| r.label())
            .zip(&BIDS_REJECTED),
    );
    labelled_counter(
        out,
        "baton_sidecar_disputes_answered_total",
        "Disputes against this operator, by how they were answered.",
        "outcome",
        DISPUTE_OUTCOMES.iter().copied().zip(&DISPUTES_ANSWERED),
    );
    counter(
        out,
        "baton_sidecar_fallbacks_used_total",
        "getHeader answers served from the local fallback block.",
        FALLBACKS_USED.load(Ordering::Relaxed),
    );
    counter(
        out,
        "baton_sidecar_promise_alarms_total",
        "Promised transactions or batches that could not be sealed, constrained or included (see the log for why).",
        PROMISE_ALARMS.load(Ordering::Relaxed),
    );
    GET_HEADER_SECONDS.render(
        out,
        "baton_sidecar_get_header_duration_seconds",
        "Time to answer the beacon node's getHeader, in seconds.",
        "",
    );
    GET_HEADER_DECISION_SECONDS.render(
        out,
        "baton_sidecar_get_header_decision_seconds",
        "Time from the relays' answers (or timeout) to the getHeader answer, in seconds.",
        "",
    );
    FALLBACK_BUILD_SECONDS.render(
        out,
        "baton_sidecar_fallback_build_duration_seconds",
        "Time to build and check a fallback block through the Engine API, in seconds.",
        "",
    );
}

/// Bids by outcome: receipted, or the refusal's reason label.
static MARKET_BIDS: [AtomicU64; 7] = [const { AtomicU64::new(0) }; 7];
static MARKET_CLEARINGS: AtomicU64 = AtomicU64::new(0);
static MARKET_AWARDS_PROMISED: AtomicU64 = AtomicU64::new(0);
static MARKET_AWARDS_FAILED: AtomicU64 = AtomicU64::new(0);
/// Wei promised by winners (sum of promised award amounts), and the last clearing price
/// of each product awarded (products come from the configured offer: a bounded set).
static MARKET_WEI: std::sync::Mutex<(
    alloy_primitives::U256,
    std::collections::BTreeMap<alloy_primitives::B256, alloy_primitives::U256>,
)> = std::sync::Mutex::new((
    alloy_primitives::U256::ZERO,
    std::collections::BTreeMap::new(),
));

/// A bid was receipted (`None`) or refused with `error`.
pub(crate) fn record_market_bid(error: Option<&crate::rpc::RpcError>) {
    let index = match error {
        None => 0,
        Some(e) => {
            let reason = e.rejection();
            1 + Rejection::ALL
                .iter()
                .position(|r| *r == reason)
                .unwrap_or(0)
        }
    };
    MARKET_BIDS[index].fetch_add(1, Ordering::Relaxed);
}

/// An auction was cleared (and the clearing signed).
pub(crate) fn record_clearing(clearing: &baton_preconf::market::Clearing) {
    MARKET_CLEARINGS.fetch_add(1, Ordering::Relaxed);
    if let Ok(mut wei) = MARKET_WEI.lock() {
        for award in &clearing.awards {
            wei.1.insert(award.product.0, award.amount);
        }
    }
}

/// An award's promises were made (`promised`) or could not be.
pub(crate) fn record_award(promised: bool, amount: alloy_primitives::U256) {
    if promised {
        MARKET_AWARDS_PROMISED.fetch_add(1, Ordering::Relaxed);
        if let Ok(mut wei) = MARKET_WEI.lock() {
            wei.0 = wei.0.saturating_add(amount);
        }
    } else {
        MARKET_AWARDS_FAILED.fetch_add(1, Ordering::Relaxed);
    }
}

fn render_market(out: &mut String) {
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_market_bids_total Auction bids, by result (receipted, or the refusal's reason).\n# TYPE baton_sidecar_market_bids_total counter"
    );
    let labels = std::iter::once("receipted").chain(Rejection::ALL.iter().map(|r| r.label()));
    for (i, label) in labels.enumerate() {
        let _ = writeln!(
            out,
            "baton_sidecar_market_bids_total{{result=\"{label}\"}} {}",
            MARKET_BIDS[i].load(Ordering::Relaxed)
        );
    }
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_market_receipts_total Bid receipts signed (each journaled first).\n# TYPE baton_sidecar_market_receipts_total counter\nbaton_sidecar_market_receipts_total {}",
        MARKET_BIDS[0].load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_market_clearings_total Auctions cleared and signed.\n# TYPE baton_sidecar_market_clearings_total counter\nbaton_sidecar_market_clearings_total {}",
        MARKET_CLEARINGS.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_market_awards_total Awards, by whether their promises (sequencing and payment) were made.\n# TYPE baton_sidecar_market_awards_total counter\nbaton_sidecar_market_awards_total{{fate=\"promised\"}} {}\nbaton_sidecar_market_awards_total{{fate=\"failed\"}} {}",
        MARKET_AWARDS_PROMISED.load(Ordering::Relaxed),
        MARKET_AWARDS_FAILED.load(Ordering::Relaxed)
    );
    if let Ok(wei) = MARKET_WEI.lock() {
        let _ = writeln!(
            out,
            "# HELP baton_sidecar_market_fees_promised_wei_total Wei the promised winners pay (their payments' amounts).\n# TYPE baton_sidecar_market_fees_promised_wei_total counter\nbaton_sidecar_market_fees_promised_wei_total {}",
            wei.0
        );
        let _ = writeln!(
            out,
            "# HELP baton_sidecar_market_clearing_price_wei The last winning amount of each product, in wei.\n# TYPE baton_sidecar_market_clearing_price_wei gauge"
        );
        for (product, price) in &wei.1 {
            let _ = writeln!(
                out,
                "baton_sidecar_market_clearing_price_wei{{product=\"{product}\"}} {price}"
            );
        }
    }
}

/// The Prometheus text exposition of every sidecar metric.
pub fn render() -> String {
    let mut out = String::with_capacity(4096);
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_requests_total JSON-RPC calls handled.\n# TYPE baton_sidecar_requests_total counter\nbaton_sidecar_requests_total {}",
        REQUESTS.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_commitments_total Promises signed, by kind.\n# TYPE baton_sidecar_commitments_total counter\nbaton_sidecar_commitments_total{{kind=\"inclusion\"}} {}\nbaton_sidecar_commitments_total{{kind=\"sequencing\"}} {}",
        COMMITMENTS_INCLUSION.load(Ordering::Relaxed),
        COMMITMENTS_SEQUENCING.load(Ordering::Relaxed)
    );
    labelled_counter(
        &mut out,
        "baton_sidecar_rejections_total",
        "Refused requests, by reason.",
        "reason",
        Rejection::ALL.iter().map(|r| r.label()).zip(&REJECTIONS),
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_rejections_by_code_total Refused requests, by error code (docs/api.md).\n# TYPE baton_sidecar_rejections_by_code_total counter"
    );
    if let Ok(codes) = REJECTIONS_BY_CODE.lock() {
        for (code, count) in codes.iter() {
            let _ = writeln!(
                out,
                "baton_sidecar_rejections_by_code_total{{code=\"{code}\"}} {count}"
            );
        }
    }
    REQUEST_SECONDS.render(
        &mut out,
        "baton_sidecar_request_duration_seconds",
        "Time to answer a JSON-RPC call, in seconds.",
        "",
    );
    JOURNAL_SYNC_SECONDS.render(
        &mut out,
        "baton_sidecar_journal_fsync_seconds",
        "Time to write and fdatasync one group commit, in seconds.",
        "",
    );
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_journal_records_total Records made durable by the journal.\n# TYPE baton_sidecar_journal_records_total counter\nbaton_sidecar_journal_records_total {}",
        JOURNAL_BATCH_RECORDS.load(Ordering::Relaxed)
    );
    render_pbs(&mut out);
    render_market(&mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rejection_reason_is_rendered() {
        record_error(&crate::rpc::RpcError::BatchFull(String::new()));
        let text = render();
        for reason in Rejection::ALL {
            assert!(
                text.contains(&format!("reason=\"{}\"", reason.label())),
                "{text}"
            );
        }
        assert!(
            text.contains("baton_sidecar_rejections_by_code_total{code=\"1202\"}"),
            "{text}"
        );
    }

    #[test]
    fn market_metrics_are_rendered() {
        record_market_bid(None);
        record_market_bid(Some(&crate::rpc::RpcError::BelowReserve {
            amount: String::new(),
            reserve: String::new(),
        }));
        record_award(true, alloy_primitives::U256::from(7u64));
        let text = render();
        for name in [
            "baton_sidecar_market_bids_total{result=\"receipted\"}",
            "baton_sidecar_market_bids_total{result=\"invalid\"}",
            "baton_sidecar_market_receipts_total",
            "baton_sidecar_market_clearings_total",
            "baton_sidecar_market_awards_total{fate=\"promised\"}",
            "baton_sidecar_market_fees_promised_wei_total",
            "baton_sidecar_market_clearing_price_wei",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }

    #[test]
    fn block_production_metrics_are_rendered() {
        record_bid_received("http://127.0.0.1:1");
        record_bid_rejected(crate::pbs::BidRejection::MissingConstraint);
        record_get_header(Duration::from_millis(3), Duration::from_micros(40));
        let text = render();
        assert!(
            text.contains("baton_sidecar_bids_received_total{relay=\"http://127.0.0.1:1\"}"),
            "{text}"
        );
        for reason in crate::pbs::BidRejection::ALL {
            assert!(
                text.contains(&format!("reason=\"{}\"", reason.label())),
                "{text}"
            );
        }
        for name in [
            "baton_sidecar_fallbacks_used_total",
            "baton_sidecar_promise_alarms_total",
            "baton_sidecar_slots_sealed_total",
            "baton_sidecar_get_header_duration_seconds_bucket",
            "baton_sidecar_get_header_decision_seconds_count",
            "baton_sidecar_fallback_build_duration_seconds_sum",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }
}
