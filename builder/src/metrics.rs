//! The builder's Prometheus metrics, declared in one place with units and help text, and
//! rendered in the text exposition format for `GET /metrics`.

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use baton_metrics::Histogram;

use crate::{relay_client::RelayCallError, verify::Untrusted};

/// Build-time histogram bucket upper bounds, in seconds (ethereumjs takes ~0.7 s).
static BUILD_BUCKETS: [f64; 12] = [
    0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0,
];

/// Why a relay refused a submission: the label values of
/// `baton_builder_submissions_rejected_total`, from the relay's error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// 1xxx: the body, encoding or a field did not parse.
    BadRequest,
    /// 3xxx: wrong slot, proposer, registration or parent, or past the cut-off.
    Slot,
    /// 4006, 4007: missing or wrong constraint proofs.
    Proof,
    /// Other 4xxx: signature, trace, block hash, payload fields, blobs, blocked.
    Block,
    /// 9xxx or a 5xx status: the relay's fault.
    Relay,
    /// No answer.
    Unreachable,
    /// Anything else.
    Other,
}

impl Rejection {
    const ALL: [Self; 7] = [
        Self::BadRequest,
        Self::Slot,
        Self::Proof,
        Self::Block,
        Self::Relay,
        Self::Unreachable,
        Self::Other,
    ];

    /// The label value.
    pub const fn label(self) -> &'static str {
        match self {
            Self::BadRequest => "bad_request",
            Self::Slot => "slot",
            Self::Proof => "proof",
            Self::Block => "block",
            Self::Relay => "relay",
            Self::Unreachable => "unreachable",
            Self::Other => "other",
        }
    }

    /// Classifies a failed submission.
    pub fn of(error: &RelayCallError) -> Self {
        match error {
            RelayCallError::Transport { .. } => Self::Unreachable,
            RelayCallError::Shape { .. } => Self::Other,
            RelayCallError::Refused { status, code, .. } => match code {
                1000..=1999 => Self::BadRequest,
                3000..=3999 => Self::Slot,
                4006 | 4007 => Self::Proof,
                4000..=4999 => Self::Block,
                9000..=9999 => Self::Relay,
                _ if *status >= 500 => Self::Relay,
                _ => Self::Other,
            },
        }
    }
}

/// Labels of `baton_builder_constraints_refused_total`.
const REFUSALS: [&str; 4] = ["wrong_proposer", "not_delegated", "signature", "malformed"];

/// The builder's counters and histogram.
#[derive(Debug)]
pub struct Metrics {
    built: AtomicU64,
    build_failures: AtomicU64,
    submitted: AtomicU64,
    withheld: AtomicU64,
    constraints: AtomicU64,
    rejected: [AtomicU64; Rejection::ALL.len()],
    refused: [AtomicU64; REFUSALS.len()],
    build_seconds: Histogram,
}

impl Default for Metrics {
    fn default() -> Self {
        Self {
            built: AtomicU64::new(0),
            build_failures: AtomicU64::new(0),
            submitted: AtomicU64::new(0),
            withheld: AtomicU64::new(0),
            constraints: AtomicU64::new(0),
            rejected: [const { AtomicU64::new(0) }; Rejection::ALL.len()],
            refused: [const { AtomicU64::new(0) }; REFUSALS.len()],
            build_seconds: Histogram::new(&BUILD_BUCKETS),
        }
    }
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

impl Metrics {
    /// A payload was built, taking `took`.
    pub fn built(&self, took: Duration) {
        bump(&self.built);
        self.build_seconds.observe(took);
    }

    /// The execution client failed to build.
    pub fn build_failed(&self) {
        bump(&self.build_failures);
    }

    /// A relay accepted a submission.
    pub fn submitted(&self) {
        bump(&self.submitted);
    }

    /// A relay refused a submission.
    pub fn rejected(&self, why: Rejection) {
        if let Some(i) = Rejection::ALL.iter().position(|r| *r == why) {
            bump(&self.rejected[i]);
        }
    }

    /// A block was not sent to a relay because it lacks that relay's constraints.
    pub fn withheld(&self) {
        bump(&self.withheld);
    }

    /// New verified constrained transactions.
    pub fn constraints_seen(&self, count: usize) {
        self.constraints.fetch_add(count as u64, Ordering::Relaxed);
    }

    /// A constraints message or delegation was not trusted.
    pub fn refused(&self, why: &Untrusted) {
        if let Some(i) = REFUSALS.iter().position(|l| *l == why.label()) {
            bump(&self.refused[i]);
        }
    }

    /// Submissions relays accepted so far.
    pub fn submitted_count(&self) -> u64 {
        self.submitted.load(Ordering::Relaxed)
    }

    /// Prometheus text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        counter(
            &mut out,
            "baton_builder_blocks_built_total",
            "Payloads the execution client built.",
            &self.built,
        );
        counter(
            &mut out,
            "baton_builder_build_failures_total",
            "Builds the execution client failed.",
            &self.build_failures,
        );
        counter(
            &mut out,
            "baton_builder_blocks_submitted_total",
            "Block submissions a relay accepted.",
            &self.submitted,
        );
        counter(
            &mut out,
            "baton_builder_blocks_withheld_total",
            "Blocks not sent to a relay because they lack one of its constrained transactions.",
            &self.withheld,
        );
        counter(
            &mut out,
            "baton_builder_constraints_total",
            "Constrained transactions received and verified (each once per relay and slot).",
            &self.constraints,
        );
        let name = "baton_builder_submissions_rejected_total";
        let _ = writeln!(
            out,
            "# HELP {name} Block submissions a relay refused, by reason.\n# TYPE {name} counter"
        );
        for (why, value) in Rejection::ALL.iter().zip(&self.rejected) {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{}\"}} {}",
                why.label(),
                value.load(Ordering::Relaxed)
            );
        }
        let name = "baton_builder_constraints_refused_total";
        let _ = writeln!(
            out,
            "# HELP {name} Constraints messages and delegations not trusted, by reason.\n# TYPE {name} counter"
        );
        for (label, value) in REFUSALS.iter().zip(&self.refused) {
            let _ = writeln!(
                out,
                "{name}{{reason=\"{label}\"}} {}",
                value.load(Ordering::Relaxed)
            );
        }
        self.build_seconds.render(
            &mut out,
            "baton_builder_build_duration_seconds",
            "Time from asking the execution client to build until the payload is back.",
            "",
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16, code: u64) -> RelayCallError {
        RelayCallError::Refused {
            relay: "r".into(),
            path: "/p".into(),
            status,
            code,
            message: String::new(),
        }
    }

    #[test]
    fn relay_codes_map_to_closed_labels_and_render() {
        assert_eq!(Rejection::of(&refused(400, 4007)), Rejection::Proof);
        assert_eq!(Rejection::of(&refused(400, 4006)), Rejection::Proof);
        assert_eq!(Rejection::of(&refused(400, 4003)), Rejection::Block);
        assert_eq!(Rejection::of(&refused(400, 3001)), Rejection::Slot);
        assert_eq!(Rejection::of(&refused(413, 1001)), Rejection::BadRequest);
        assert_eq!(Rejection::of(&refused(502, 0)), Rejection::Relay);
        assert_eq!(Rejection::of(&refused(404, 0)), Rejection::Other);
        let metrics = Metrics::default();
        metrics.rejected(Rejection::Proof);
        metrics.built(Duration::from_millis(700));
        metrics.constraints_seen(3);
        metrics.refused(&Untrusted::Signature {
            what: "constraints",
        });
        let text = metrics.render();
        assert!(text.contains("baton_builder_submissions_rejected_total{reason=\"proof\"} 1"));
        assert!(text.contains("baton_builder_blocks_built_total 1"));
        assert!(text.contains("baton_builder_constraints_total 3"));
        assert!(text.contains("baton_builder_constraints_refused_total{reason=\"signature\"} 1"));
        assert!(text.contains("baton_builder_build_duration_seconds_bucket{le=\"0.75\"} 1"));
        assert!(text.contains("baton_builder_build_duration_seconds_count 1"));
    }
}
