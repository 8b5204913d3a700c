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
    let _ = writeln!(
        out,
        "# HELP baton_sidecar_rejections_total Refused requests, by reason.\n# TYPE baton_sidecar_rejections_total counter"
    );
    for (i, reason) in Rejection::ALL.iter().enumerate() {
        let _ = writeln!(
            out,
            "baton_sidecar_rejections_total{{reason=\"{}\"}} {}",
            reason.label(),
            REJECTIONS[i].load(Ordering::Relaxed)
        );
    }
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
}
