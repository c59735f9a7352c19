//! Recommendations: what a firmware engineer should do about what the numbers show.
//!
//! Each recommendation carries its evidence (metric, value, threshold) so that it can be
//! checked rather than trusted.

use crate::analysis::{LeakSuspicion, ScopeSummary};
use crate::compare::{MetricComparison, Verdict};
use crate::db::Run;
use iot_performance::wire::SnapshotRecord;

/// One recommendation.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Recommendation {
    /// `critical`, `warning` or `info`.
    pub severity: &'static str,
    /// What was seen.
    pub finding: String,
    /// The numbers behind it.
    pub evidence: String,
    /// What to do.
    pub action: String,
}

/// Everything the rules look at.
pub struct Facts<'a> {
    /// The run.
    pub run: &'a Run,
    /// Its snapshots.
    pub snapshots: &'a [SnapshotRecord],
    /// Its scopes, most time first.
    pub scopes: &'a [ScopeSummary],
    /// A suspected leak.
    pub leak: Option<&'a LeakSuspicion>,
    /// A comparison against a baseline, if one was made.
    pub comparison: Option<&'a [MetricComparison]>,
}

/// Applies every rule.
pub fn recommend(facts: &Facts<'_>) -> Vec<Recommendation> {
    let mut out = Vec::new();
    for c in facts.comparison.unwrap_or_default() {
        if c.verdict != Verdict::Regression {
            continue;
        }
        let evidence = format!(
            "{}: {:.3} → {:.3} {} ({:+.1} %, {:.0} % CI {:+.1} %..{:+.1} %)",
            c.metric,
            c.baseline_mean,
            c.run_mean,
            c.unit,
            c.change * 100.0,
            c.confidence * 100.0,
            c.interval.0 * 100.0,
            c.interval.1 * 100.0
        );
        let (finding, action) = if let Some(scope) = c.metric.strip_prefix("scope:") {
            (
                format!("`{scope}` got slower than the baseline"),
                format!(
                    "Diff the code path of `{scope}` against the baseline's firmware; profile its nested scopes to find the slow branch."
                ),
            )
        } else if c.metric == "heap_used_bytes" {
            (
                "heap use grew against the baseline".to_owned(),
                "Look for buffers that are allocated per message and kept; a TrackingAllocator shows who allocates.".to_owned(),
            )
        } else {
            (
                format!("{} rose against the baseline", c.metric),
                "Find what new work runs per cycle; defer it or make it cheaper.".to_owned(),
            )
        };
        out.push(Recommendation {
            severity: "critical",
            finding,
            evidence,
            action,
        });
    }
    if let Some(leak) = facts.leak {
        out.push(Recommendation {
            severity: "critical",
            finding: "suspected memory leak: the heap floor rises through the whole run".into(),
            evidence: format!(
                "heap grows {:.0} B/s; floor per quarter {:.0} → {:.0} → {:.0} → {:.0} B",
                leak.bytes_per_second, leak.floors[0], leak.floors[1], leak.floors[2], leak.floors[3]
            ),
            action: "Find allocations that are never freed (a growing Vec or map, a leaked Box); use a fixed-capacity heapless collection for queues that must not grow.".into(),
        });
    }
    if let Some(top) = facts.scopes.first().filter(|s| s.share_percent >= 50.0) {
        out.push(Recommendation {
            severity: "info",
            finding: format!("`{}` takes most of the profiled time", top.name),
            evidence: format!(
                "{:.1} % of scope time, {} calls, mean {:.1} µs",
                top.share_percent,
                top.calls,
                top.mean_us.unwrap_or(0.0)
            ),
            action: format!(
                "Optimize `{}` first: it is where a speed-up pays the most.",
                top.name
            ),
        });
    }
    let n = facts.snapshots.len() as f64;
    if n > 0.0 {
        let cpu = facts
            .snapshots
            .iter()
            .map(|s| f64::from(s.cpu_utilization))
            .sum::<f64>()
            / n;
        if cpu >= 80.0 {
            out.push(Recommendation {
                severity: "warning",
                finding: "the CPU is close to saturation".into(),
                evidence: format!("mean CPU utilization {cpu:.1} % (threshold 80 %)"),
                action: "Move work out of the main loop, lower sampling rates, or sleep (WFI) when idle so latency stays bounded.".into(),
            });
        }
        if let Some(frag) = facts
            .snapshots
            .iter()
            .filter_map(|s| s.fragmentation)
            .reduce(f32::max)
            .filter(|f| *f >= 0.5)
        {
            out.push(Recommendation {
                severity: "warning",
                finding: "the heap is fragmented".into(),
                evidence: format!("fragmentation up to {frag:.2} (threshold 0.50)"),
                action: "Allocate fixed-size objects from a pool or an arena, or allocate long-lived buffers at start-up.".into(),
            });
        }
        if let Some(s) = facts
            .snapshots
            .iter()
            .filter(|s| s.stack_used + s.stack_free > 0)
            .min_by_key(|s| s.stack_free)
        {
            let total = (s.stack_used + s.stack_free) as f64;
            if (s.stack_free as f64) < total * 0.1 {
                out.push(Recommendation {
                    severity: "critical",
                    finding: "the stack is nearly exhausted".into(),
                    evidence: format!("{} B free of {} B (threshold 10 %)", s.stack_free, total),
                    action: "Raise the stack size, or move large local buffers to statics.".into(),
                });
            }
        }
    }
    if facts.run.dropped_on_device > 0 {
        out.push(Recommendation {
            severity: "warning",
            finding: "the device dropped frames because its sink was full".into(),
            evidence: format!(
                "{} frames dropped on the device",
                facts.run.dropped_on_device
            ),
            action: "Report less often, or give the reporter a larger buffer / faster link.".into(),
        });
    }
    if facts.run.corrupt_frames > 0 {
        out.push(Recommendation {
            severity: "warning",
            finding: "corrupt frames arrived from the link".into(),
            evidence: format!(
                "{} frames skipped during recording",
                facts.run.corrupt_frames
            ),
            action: "Check the baud rate, wiring and flow control of the capture link.".into(),
        });
    }
    out
}
