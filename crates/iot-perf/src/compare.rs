//! The CI gate's inputs: which samples of a run are compared, under which names.
//!
//! The judgement itself is the library's seeded bootstrap
//! ([`BootstrapComparator`]): per metric, the whole confidence interval of the relative
//! change of the mean must lie beyond the noise threshold. Here a run becomes the samples
//! it compares — the mean call time of each scope per reporting interval, the heap in use
//! and the CPU utilization per snapshot (all lower-is-better) — labelled as the reports
//! show them and ordered by label, which fixes the order the seeded generator is drawn in.

use std::collections::BTreeMap;

use iot_performance::analysis::{BootstrapComparator, Metric, MetricComparison};
use iot_performance::wire::SnapshotRecord;

use crate::analysis::{scope_series, snapshot_series};
use crate::model::LoadedRun;
use crate::names::static_name;

/// A metric's label in reports: `scope:<name>`, `heap_used_bytes`,
/// `cpu_utilization_percent`.
pub fn label(metric: &Metric) -> String {
    match metric {
        Metric::Scope(name) => format!("scope:{name}"),
        Metric::HeapUsed => "heap_used_bytes".into(),
        Metric::CpuUtilization => "cpu_utilization_percent".into(),
        other => other.name().into(),
    }
}

/// The unit of a compared metric's samples.
pub fn unit(metric: &Metric) -> &'static str {
    match metric {
        Metric::Scope(_) => "µs/call",
        Metric::HeapUsed | Metric::StackUsed => "B",
        Metric::CpuUtilization => "%",
        _ => "",
    }
}

/// The comparable samples of a run, by label.
pub fn metric_samples(run: &LoadedRun) -> BTreeMap<String, (Metric, Vec<f64>)> {
    let mut out = BTreeMap::new();
    let mut add = |metric: Metric, samples: Vec<f64>| {
        out.insert(label(&metric), (metric, samples));
    };
    for (name, points) in scope_series(&run.scopes).interval_means {
        add(
            Metric::Scope(static_name(&name)),
            points.into_iter().map(|p| p.1).collect(),
        );
    }
    if !run.snapshots.is_empty() {
        let values = |field: fn(&SnapshotRecord) -> f64| {
            let series = snapshot_series(&run.snapshots, field);
            series.into_iter().map(|p| p.1).collect()
        };
        add(Metric::HeapUsed, values(|s| s.heap_used as f64));
        add(
            Metric::CpuUtilization,
            values(|s| f64::from(s.cpu_utilization)),
        );
    }
    out
}

/// Compares every metric present in either run, in label order (a metric missing on one
/// side is `InsufficientData`).
pub fn compare_runs(
    base: &LoadedRun,
    run: &LoadedRun,
    gate: &BootstrapComparator,
) -> Vec<MetricComparison> {
    let (base, run) = (metric_samples(base), metric_samples(run));
    let mut pairs: BTreeMap<&str, (Metric, &[f64], &[f64])> = BTreeMap::new();
    for (label, (metric, samples)) in &base {
        pairs.insert(label, (*metric, samples.as_slice(), &[]));
    }
    for (label, (metric, samples)) in &run {
        pairs.entry(label).or_insert((*metric, &[], &[])).2 = samples.as_slice();
    }
    gate.compare_all(pairs.into_values())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Run;

    fn loaded(heap: &[u64]) -> LoadedRun {
        LoadedRun {
            run: Run {
                id: 1,
                name: "r".into(),
                source: "test".into(),
                recorded_at_unix_ms: 0,
                device: None,
                firmware: None,
                corrupt_frames: 0,
                dropped_on_device: 0,
            },
            snapshots: heap
                .iter()
                .enumerate()
                .map(|(i, &heap_used)| SnapshotRecord {
                    timestamp_us: i as u64 * 100_000,
                    heap_used,
                    heap_free: 0,
                    heap_total: 65_536,
                    stack_used: 0,
                    stack_free: 0,
                    static_memory: 0,
                    fragmentation: None,
                    cpu_utilization: 30.0,
                    uptime_ms: 0,
                    task_count: 1,
                    interrupt_count: 0,
                    context_switches: 0,
                    temperature: None,
                })
                .collect(),
            scopes: Vec::new(),
            tasks: Default::default(),
        }
    }

    #[test]
    fn runs_compare_in_label_order_and_a_grown_heap_regresses() {
        let base = loaded(&[1000, 1010, 990, 1000, 1005, 995]);
        let grown = loaded(&[1500, 1510, 1490, 1500, 1505, 1495]);
        let gate = BootstrapComparator::default();
        let result = compare_runs(&base, &grown, &gate);
        let labels: Vec<String> = result.iter().map(|c| label(&c.metric)).collect();
        assert_eq!(labels, ["cpu_utilization_percent", "heap_used_bytes"]);
        assert_eq!(
            result[1].verdict,
            iot_performance::analysis::Verdict::Regressed
        );
        assert_eq!(result, compare_runs(&base, &grown, &gate), "seeded");
        // A run without snapshots leaves the baseline's metrics without a partner.
        let empty = compare_runs(&base, &loaded(&[]), &gate);
        assert!(empty.iter().all(|c| c.samples.1 == 0
            && c.verdict == iot_performance::analysis::Verdict::InsufficientData));
    }
}
