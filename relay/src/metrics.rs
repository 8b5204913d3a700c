//! The relay's Prometheus metrics, declared in one place with units and help text.
//!
//! Plain atomics (no registry crate on the hot path); [`render`] writes the Prometheus
//! text exposition format for `GET /metrics`.

use baton_metrics::Histogram;
use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

/// Histogram bucket upper bounds, in seconds.
static BUCKETS: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// Why a request was refused; the label values of `baton_relay_rejections_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Malformed body, parameter or query.
    BadRequest,
    /// A validator registration failed its checks.
    Registration,
    /// Wrong slot, proposer or parent, or past a cut-off.
    Slot,
    /// A block submission failed its checks.
    Block,
    /// A signed blinded block was refused or could not be published.
    Payload,
    /// A delegation or constraints message was refused.
    Constraints,
    /// An internal fault.
    Internal,
}

impl Rejection {
    const ALL: [Self; 7] = [
        Self::BadRequest,
        Self::Registration,
        Self::Slot,
        Self::Block,
        Self::Payload,
        Self::Constraints,
        Self::Internal,
    ];

    const fn label(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Registration => "registration",
            Self::Slot => "slot",
            Self::Block => "block",
            Self::Payload => "payload",
            Self::Constraints => "constraints",
            Self::Internal => "internal",
        }
    }
}

macro_rules! counters {
    ($($name:ident),+ $(,)?) => { $( static $name: AtomicU64 = AtomicU64::new(0); )+ };
}

counters!(
    BIDS_ACCEPTED,
    REGISTRATIONS,
    PAYLOADS_DELIVERED,
    CONSTRAINTS,
    REDIS_WRITES,
    REDIS_ERRORS,
    REDIS_APPLIED,
    REDIS_UP,
    HEAD_SLOT,
);
static REJECTIONS: [AtomicU64; Rejection::ALL.len()] =
    [const { AtomicU64::new(0) }; Rejection::ALL.len()];
static SUBMISSION_SECONDS: Histogram = Histogram::new(&BUCKETS);
static GET_HEADER_SECONDS: Histogram = Histogram::new(&BUCKETS);
static GET_PAYLOAD_SECONDS: Histogram = Histogram::new(&BUCKETS);

pub(crate) fn record_rejection(reason: Rejection) {
    if let Some(i) = Rejection::ALL.iter().position(|r| *r == reason) {
        REJECTIONS[i].fetch_add(1, Ordering::Relaxed);
    }
}

pub(crate) fn record_bid(elapsed: Duration) {
    BIDS_ACCEPTED.fetch_add(1, Ordering::Relaxed);
    SUBMISSION_SECONDS.observe(elapsed);
}

pub(crate) fn record_get_header(elapsed: Duration) {
    GET_HEADER_SECONDS.observe(elapsed);
}

pub(crate) fn record_delivery(elapsed: Duration) {
    PAYLOADS_DELIVERED.fetch_add(1, Ordering::Relaxed);
    GET_PAYLOAD_SECONDS.observe(elapsed);
}

pub(crate) fn record_registrations(count: usize) {
    REGISTRATIONS.fetch_add(count as u64, Ordering::Relaxed);
}

pub(crate) fn record_constraints(count: usize) {
    CONSTRAINTS.fetch_add(count as u64, Ordering::Relaxed);
}

pub(crate) fn record_redis_write(events: usize) {
    REDIS_WRITES.fetch_add(events as u64, Ordering::Relaxed);
}

pub(crate) fn record_redis_error() {
    REDIS_ERRORS.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn record_redis_applied() {
    REDIS_APPLIED.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn set_redis_up(up: bool) {
    REDIS_UP.store(u64::from(up), Ordering::Relaxed);
}

pub(crate) fn set_head_slot(slot: u64) {
    HEAD_SLOT.fetch_max(slot, Ordering::Relaxed);
}

fn counter(out: &mut String, name: &str, kind: &str, help: &str, value: &AtomicU64) {
    let _ = writeln!(
        out,
        "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {}",
        value.load(Ordering::Relaxed)
    );
}

/// The Prometheus text exposition of every relay metric.
pub fn render() -> String {
    let mut out = String::with_capacity(4096);
    counter(
        &mut out,
        "baton_relay_bids_accepted_total",
        "counter",
        "Block submissions that passed every check and entered the auction.",
        &BIDS_ACCEPTED,
    );
    let _ = writeln!(
        out,
        "# HELP baton_relay_rejections_total Refused requests, by reason.\n# TYPE baton_relay_rejections_total counter"
    );
    for (i, reason) in Rejection::ALL.iter().enumerate() {
        let _ = writeln!(
            out,
            "baton_relay_rejections_total{{reason=\"{}\"}} {}",
            reason.label(),
            REJECTIONS[i].load(Ordering::Relaxed)
        );
    }
    counter(
        &mut out,
        "baton_relay_registrations_total",
        "counter",
        "Validator registrations accepted (new or updated).",
        &REGISTRATIONS,
    );
    counter(
        &mut out,
        "baton_relay_constraints_total",
        "counter",
        "Constraints accepted.",
        &CONSTRAINTS,
    );
    counter(
        &mut out,
        "baton_relay_payloads_delivered_total",
        "counter",
        "Payloads revealed for a signed blinded block.",
        &PAYLOADS_DELIVERED,
    );
    counter(
        &mut out,
        "baton_relay_redis_events_written_total",
        "counter",
        "Events written behind to Redis.",
        &REDIS_WRITES,
    );
    counter(
        &mut out,
        "baton_relay_redis_errors_total",
        "counter",
        "Redis commands that failed (the relay keeps serving from memory).",
        &REDIS_ERRORS,
    );
    counter(
        &mut out,
        "baton_relay_redis_events_applied_total",
        "counter",
        "Events from other relay instances applied to this one's memory.",
        &REDIS_APPLIED,
    );
    counter(
        &mut out,
        "baton_relay_redis_up",
        "gauge",
        "1 while Redis answers, 0 while the relay runs from memory alone.",
        &REDIS_UP,
    );
    counter(
        &mut out,
        "baton_relay_head_slot",
        "gauge",
        "Latest slot the relay has payload attributes for.",
        &HEAD_SLOT,
    );
    SUBMISSION_SECONDS.render(
        &mut out,
        "baton_relay_submission_duration_seconds",
        "From a block submission's arrival (before its body is read) to its bid being available, in seconds.", "",
    );
    GET_HEADER_SECONDS.render(
        &mut out,
        "baton_relay_get_header_duration_seconds",
        "Time to answer getHeader, in seconds.",
        "",
    );
    GET_PAYLOAD_SECONDS.render(
        &mut out,
        "baton_relay_get_payload_duration_seconds",
        "Time to verify, publish and answer a signed blinded block, in seconds.",
        "",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn render_names_every_family() {
        let text = render();
        for name in [
            "baton_relay_bids_accepted_total",
            "baton_relay_rejections_total{reason=\"block\"}",
            "baton_relay_redis_up",
            "baton_relay_submission_duration_seconds_count",
        ] {
            assert!(text.contains(name), "{name} missing");
        }
    }
}
