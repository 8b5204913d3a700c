//! The watchtower's Prometheus counters (`GET /metrics` of `baton-watch run`).

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

/// What the watcher saw and did.
#[derive(Debug, Default)]
pub struct WatchMetrics {
    /// Promises judged kept.
    pub kept: AtomicU64,
    /// Promises judged broken (any path).
    pub broken: AtomicU64,
    /// Disputes opened.
    pub disputes_opened: AtomicU64,
    /// Disputes resolved by slashing.
    pub disputes_slashed: AtomicU64,
    /// Disputes the operator defended.
    pub disputes_defended: AtomicU64,
    /// Equivocations slashed.
    pub equivocations_slashed: AtomicU64,
    /// Sequencing promises slashed (wrong transaction, missing batch).
    pub sequencing_slashed: AtomicU64,
    /// Missed slots slashed (liveness).
    pub liveness_slashed: AtomicU64,
    /// Slasher calls that failed or were refused.
    pub action_errors: AtomicU64,
    /// The highest slot judged.
    pub judged_through: AtomicU64,
}

impl WatchMetrics {
    /// Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                value.load(Ordering::Relaxed)
            );
        };
        counter(
            "baton_watch_promises_kept_total",
            "Promises judged kept.",
            &self.kept,
        );
        counter(
            "baton_watch_promises_broken_total",
            "Promises judged broken.",
            &self.broken,
        );
        counter(
            "baton_watch_disputes_opened_total",
            "Inclusion disputes opened.",
            &self.disputes_opened,
        );
        counter(
            "baton_watch_disputes_slashed_total",
            "Undefended disputes resolved by slashing.",
            &self.disputes_slashed,
        );
        counter(
            "baton_watch_disputes_defended_total",
            "Disputes the operator defended.",
            &self.disputes_defended,
        );
        counter(
            "baton_watch_equivocations_slashed_total",
            "Equivocations slashed.",
            &self.equivocations_slashed,
        );
        counter(
            "baton_watch_sequencing_slashed_total",
            "Broken sequencing promises slashed.",
            &self.sequencing_slashed,
        );
        counter(
            "baton_watch_liveness_slashed_total",
            "Missed slots slashed.",
            &self.liveness_slashed,
        );
        counter(
            "baton_watch_action_errors_total",
            "Slasher calls that failed or were refused.",
            &self.action_errors,
        );
        let _ = writeln!(
            out,
            "# HELP baton_watch_judged_through_slot Highest slot judged.\n# TYPE baton_watch_judged_through_slot gauge\nbaton_watch_judged_through_slot {}",
            self.judged_through.load(Ordering::Relaxed)
        );
        out
    }
}
