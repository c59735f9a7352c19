//! Recommendations: a run's figures put through the library's insight rules
//! ([`iot_performance::insights::analyze`]), so the CLI says exactly what a program using
//! the library would. This module only gathers the rules' input from a loaded run; the
//! report renders what they decided.

use iot_performance::analysis::MetricComparison;
use iot_performance::insights::{
    HeapInput, Insight, InsightInput, InsightThresholds, ScopeInput, StackInput, analyze,
};
use iot_performance::memory::LeakEvidence;

use crate::analysis::ScopeSummary;
use crate::model::LoadedRun;
use crate::names::static_name;

/// The insights of `run`, most urgent first. The rules see: the heap at its largest
/// fragmentation and fullest, the deepest stack, the mean CPU utilization, each scope's
/// time, the leak evidence, the comparison against a baseline and the frames lost.
pub fn recommend(
    run: &LoadedRun,
    scopes: &[ScopeSummary],
    leak: Option<LeakEvidence>,
    comparisons: &[MetricComparison],
) -> Vec<Insight> {
    let snapshots = &run.snapshots;
    let size = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    let heap = snapshots
        .iter()
        .max_by_key(|s| s.heap_used)
        .map(|s| HeapInput {
            used: size(s.heap_used),
            total: size(s.heap_total),
            fragmentation: snapshots
                .iter()
                .filter_map(|s| s.fragmentation)
                .reduce(f32::max),
        });
    let main_stack = snapshots
        .iter()
        .filter(|s| s.stack_used + s.stack_free > 0)
        .max_by_key(|s| s.stack_used)
        .map(|s| StackInput {
            name: "main",
            high_water: size(s.stack_used),
            size: size(s.stack_used + s.stack_free),
        });
    let cpu_utilization = (!snapshots.is_empty()).then(|| {
        let sum: f64 = snapshots.iter().map(|s| f64::from(s.cpu_utilization)).sum();
        (sum / snapshots.len() as f64) as f32
    });
    let scope_inputs: Vec<ScopeInput> = scopes
        .iter()
        .map(|s| ScopeInput {
            name: static_name(&s.name),
            busy_us: s.busy_us.unwrap_or(s.total_us) as u64,
            calls: u32::try_from(s.calls).unwrap_or(u32::MAX),
            p50_us: None,
            p99_us: None,
        })
        .collect();
    let input = InsightInput {
        heap,
        leak,
        main_stack,
        scopes: &scope_inputs,
        cpu_utilization,
        static_bytes: snapshots.last().map(|s| size(s.static_memory)),
        comparisons,
        dropped_frames: u64::try_from(run.run.dropped_on_device).ok(),
        corrupt_frames: u64::try_from(run.run.corrupt_frames).ok(),
        ..InsightInput::default()
    };
    analyze(&input, &InsightThresholds::default())
        .items
        .into_iter()
        .collect()
}
