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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::{leak_evidence, scope_series};
    use crate::model::{Run, ScopeRow};
    use iot_performance::insights::{InsightSeverity, Rule};
    use iot_performance::wire::SnapshotRecord;

    /// 40 snapshots of a device leaking 200 B per report, its stack at 95 %, with two
    /// scopes of which one takes 90 % of the time, and frames lost on both sides.
    fn troubled_run() -> LoadedRun {
        let snapshots = (0..40u64)
            .map(|i| SnapshotRecord {
                timestamp_us: i * 100_000,
                heap_used: 8_192 + 200 * i + (i * 37 % 64),
                heap_free: 16_384,
                heap_total: 65_536,
                stack_used: 3_900,
                stack_free: 196,
                static_memory: 1_024,
                fragmentation: Some(0.1),
                cpu_utilization: 40.0,
                uptime_ms: i * 100,
                task_count: 2,
                interrupt_count: 0,
                context_switches: 0,
                temperature: None,
            })
            .collect();
        let scope = |name: &str, total_ticks: u64| ScopeRow {
            timestamp_us: 3_900_000,
            name: name.into(),
            calls: 100,
            total_ticks,
            min_ticks: 1,
            max_ticks: 10,
            self_ticks: None,
            busy_ticks: None,
            wall_ticks: None,
            polls: None,
            ticks_per_second: 1_000_000,
        };
        LoadedRun {
            run: Run {
                id: 1,
                name: "troubled".into(),
                source: "test".into(),
                recorded_at_unix_ms: 0,
                device: None,
                firmware: None,
                corrupt_frames: 1,
                dropped_on_device: 4,
            },
            snapshots,
            scopes: vec![scope("fusion", 9_000), scope("radio", 1_000)],
            tasks: Default::default(),
        }
    }

    #[test]
    fn a_troubled_run_gets_the_library_rules_insights() {
        let run = troubled_run();
        let scopes = scope_series(&run.scopes).summaries;
        let found = recommend(&run, &scopes, leak_evidence(&run), &[]);
        let rules: Vec<(Rule, InsightSeverity, Option<&str>)> = found
            .iter()
            .map(|i| (i.rule, i.severity, i.subject))
            .collect();
        assert_eq!(
            rules,
            [
                // 2 kB/s fills the free heap within a day: critical.
                (Rule::SuspectedLeak, InsightSeverity::Critical, None),
                (
                    Rule::StackNearLimit,
                    InsightSeverity::Critical,
                    Some("main")
                ),
                (Rule::DroppedFrames, InsightSeverity::Warning, None),
                (Rule::CorruptFrames, InsightSeverity::Warning, None),
                (Rule::DominantScope, InsightSeverity::Info, Some("fusion")),
            ]
        );
    }
}
