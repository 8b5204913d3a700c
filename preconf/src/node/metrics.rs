//! The rollup node's Prometheus metrics, declared in one place with help text; plain
//! atomics, rendered in the text exposition format by [`Metrics::render`].

use std::{
    fmt::Write as _,
    sync::atomic::{AtomicU64, Ordering},
};

use crate::derive::Divergence;

/// The divergence labels, in a fixed order (closed set).
const DIVERGENCE_LABELS: [&str; 4] = [
    "slot_missed",
    "no_batch",
    "position_empty",
    "other_transaction",
];

/// Counters and gauges of one node.
#[derive(Debug, Default)]
pub struct Metrics {
    l1_blocks: AtomicU64,
    l1_head: AtomicU64,
    reorgs: AtomicU64,
    reorged_blocks: AtomicU64,
    batches_canonical: AtomicU64,
    batches_skipped: AtomicU64,
    l2_blocks: AtomicU64,
    txs_included: AtomicU64,
    txs_skipped: AtomicU64,
    promises_kept: AtomicU64,
    divergences: [AtomicU64; 4],
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
}

impl Metrics {
    pub(crate) fn l1_block(&self, number: u64, canonical: usize, skipped: usize) {
        add(&self.l1_blocks, 1);
        self.l1_head.store(number, Ordering::Relaxed);
        add(&self.batches_canonical, canonical as u64);
        add(&self.batches_skipped, skipped as u64);
    }

    pub(crate) fn l2_block(&self, included: usize, skipped: usize) {
        add(&self.l2_blocks, 1);
        add(&self.txs_included, included as u64);
        add(&self.txs_skipped, skipped as u64);
    }

    pub(crate) fn reorg(&self, depth: u64, fork: u64) {
        add(&self.reorgs, 1);
        add(&self.reorged_blocks, depth);
        self.l1_head.store(fork, Ordering::Relaxed);
    }

    pub(crate) fn verdict(&self, divergence: Option<&Divergence>) {
        match divergence {
            None => add(&self.promises_kept, 1),
            Some(d) => {
                let i = DIVERGENCE_LABELS
                    .iter()
                    .position(|l| *l == d.label())
                    .unwrap_or(0);
                add(&self.divergences[i], 1);
            }
        }
    }

    /// Divergences counted so far, all reasons.
    pub fn divergences_total(&self) -> u64 {
        self.divergences
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut one = |name: &str, kind: &str, help: &str, value: &AtomicU64| {
            let value = value.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
            );
        };
        one(
            "baton_node_l1_blocks_total",
            "counter",
            "L1 blocks derived (re-derivations after a reorg count again).",
            &self.l1_blocks,
        );
        one(
            "baton_node_l1_derived_head",
            "gauge",
            "Number of the newest L1 block derived (the safe head's L1 block).",
            &self.l1_head,
        );
        one(
            "baton_node_reorgs_total",
            "counter",
            "L1 reorgs followed.",
            &self.reorgs,
        );
        one(
            "baton_node_reorged_blocks_total",
            "counter",
            "L1 blocks un-derived by reorgs.",
            &self.reorged_blocks,
        );
        one(
            "baton_node_l2_blocks_total",
            "counter",
            "L2 blocks built from canonical batches.",
            &self.l2_blocks,
        );
        one(
            "baton_node_promises_kept_total",
            "counter",
            "Sequencing promises the derived chain honoured.",
            &self.promises_kept,
        );
        let _ = writeln!(
            out,
            "# HELP baton_node_batches_total Batch logs read, by outcome.\n# TYPE baton_node_batches_total counter\nbaton_node_batches_total{{outcome=\"canonical\"}} {}\nbaton_node_batches_total{{outcome=\"skipped\"}} {}",
            self.batches_canonical.load(Ordering::Relaxed),
            self.batches_skipped.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP baton_node_l2_transactions_total Batch transactions, by outcome.\n# TYPE baton_node_l2_transactions_total counter\nbaton_node_l2_transactions_total{{outcome=\"included\"}} {}\nbaton_node_l2_transactions_total{{outcome=\"skipped\"}} {}",
            self.txs_included.load(Ordering::Relaxed),
            self.txs_skipped.load(Ordering::Relaxed),
        );
        let _ = writeln!(
            out,
            "# HELP baton_node_divergences_total Promises the L1 did not honour, by reason.\n# TYPE baton_node_divergences_total counter"
        );
        for (label, counter) in DIVERGENCE_LABELS.iter().zip(&self.divergences) {
            let _ = writeln!(
                out,
                "baton_node_divergences_total{{reason=\"{label}\"}} {}",
                counter.load(Ordering::Relaxed)
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divergences_render_by_reason() {
        let m = Metrics::default();
        m.verdict(Some(&Divergence::SlotMissed));
        m.verdict(Some(&Divergence::PositionEmpty { count: 1 }));
        m.verdict(None);
        assert_eq!(m.divergences_total(), 2);
        let text = m.render();
        assert!(
            text.contains("baton_node_divergences_total{reason=\"slot_missed\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("baton_node_divergences_total{reason=\"no_batch\"} 0"),
            "{text}"
        );
        assert!(text.contains("baton_node_promises_kept_total 1"), "{text}");
        for label in DIVERGENCE_LABELS {
            let d = [
                Divergence::SlotMissed,
                Divergence::NoBatch,
                Divergence::PositionEmpty { count: 0 },
                Divergence::OtherTransaction {
                    actual: Default::default(),
                },
            ];
            assert!(
                d.iter().any(|d| d.label() == label),
                "{label} has no divergence"
            );
        }
    }
}
