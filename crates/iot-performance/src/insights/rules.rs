//! The rules. Each looks at one part of an [`InsightInput`] and says nothing when that
//! part is missing.

use super::{Evidence, Insight, InsightInput, InsightSeverity, InsightThresholds, Insights, Rule};
use crate::analysis::{MetricComparison, MetricKind, TrendDirection, Unit, Verdict};
use crate::regression::Severity;

/// Runs every rule over `input`.
pub fn analyze(input: &InsightInput<'_>, t: &InsightThresholds) -> Insights {
    let mut out = Insights {
        items: heapless::Vec::new(),
        dropped: 0,
    };
    let mut add = |i: Insight| {
        if let Err(i) = out.items.push(i) {
            // Full: replace the least urgent one when the new one is more urgent.
            let least = out
                .items
                .iter_mut()
                .min_by_key(|x| x.severity)
                .filter(|x| x.severity < i.severity);
            if let Some(slot) = least {
                *slot = i;
            }
            out.dropped += 1;
        }
    };
    fragmentation(input, t).map(&mut add);
    leak(input, t).map(&mut add);
    for s in input.main_stack.iter().chain(input.task_stacks) {
        stack(s, t).map(&mut add);
    }
    dominant_scope(input, t).map(&mut add);
    for isr in input.isrs {
        long_isr(isr, t).map(&mut add);
    }
    cpu(input, t).map(&mut add);
    for s in input.scopes {
        jitter(s, t).map(&mut add);
    }
    for r in input.regressions {
        add(regression(r));
    }
    for c in input.comparisons {
        compared_regression(c).map(&mut add);
    }
    static_data(input, t).map(&mut add);
    dropped_frames(input).map(&mut add);
    corrupt_frames(input).map(&mut add);
    super::network::slow_network(input, t).map(&mut add);
    super::network::small_packets(input, t).map(&mut add);
    out.items
        .sort_unstable_by_key(|i| (core::cmp::Reverse(i.severity), i.rule as u8));
    out
}

pub(super) fn insight(
    rule: Rule,
    severity: InsightSeverity,
    subject: Option<&'static str>,
    (metric, value, threshold, unit): (&'static str, f64, f64, Unit),
    action: &'static str,
) -> Insight {
    Insight {
        rule,
        severity,
        subject,
        evidence: Evidence {
            metric,
            value,
            threshold,
            unit,
        },
        action,
    }
}

pub(super) fn level(value: f64, warn: f64, critical: f64) -> Option<InsightSeverity> {
    if value >= critical {
        Some(InsightSeverity::Critical)
    } else if value >= warn {
        Some(InsightSeverity::Warning)
    } else {
        None
    }
}

fn fragmentation(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let f = f64::from(input.heap?.fragmentation?);
    let warn = f64::from(t.fragmentation);
    let severity = level(f, warn, (warn + 1.0) / 2.0)?;
    Some(insight(
        Rule::HeapFragmentation,
        severity,
        None,
        ("fragmentation_ratio", f, warn, Unit::Ratio),
        "Free heap is split into small pieces: allocate fixed-size objects from a pool \
         (heapless::pool) or an arena, and allocate long-lived buffers once at start-up.",
    ))
}

/// Growth of the heap, bytes per hour, when a leak is established: by the memory
/// analyzer's floor detector, or by a trend whose whole 95 % interval is above the
/// threshold.
fn leak_rate(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<f64> {
    if let Some(e) = input.leak
        && e.leak_suspected
    {
        let per_hour = f64::from(e.growth_rate_bytes_per_sec) * 3600.0;
        if per_hour >= t.leak_bytes_per_hour {
            return Some(per_hour);
        }
    }
    let trend = input.heap_trend?;
    let (slope, ci) = (trend.slope_per_hour?, trend.confidence_95_per_hour?);
    (trend.direction() == TrendDirection::Rising && slope - ci >= t.leak_bytes_per_hour)
        .then_some(slope)
}

fn leak(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let slope = leak_rate(input, t)?;
    // Critical when the heap would be full within a day at this rate.
    let severity = match input.heap {
        Some(h) if (h.total.saturating_sub(h.used) as f64) < slope * 24.0 => {
            InsightSeverity::Critical
        }
        _ => InsightSeverity::Warning,
    };
    Some(insight(
        Rule::SuspectedLeak,
        severity,
        None,
        (
            "heap_used per hour",
            slope,
            t.leak_bytes_per_hour,
            Unit::Bytes,
        ),
        "Heap use keeps rising: wrap the allocator in TrackingAllocator and look for \
         buffers allocated per message or event that are never freed.",
    ))
}

fn stack(s: &super::StackInput, t: &InsightThresholds) -> Option<Insight> {
    if s.size == 0 {
        return None;
    }
    let share = s.high_water as f64 / s.size as f64;
    let severity = level(share, t.stack_fraction, 0.95)?;
    Some(insight(
        Rule::StackNearLimit,
        severity,
        Some(s.name),
        (
            "stack high-water share",
            share * 100.0,
            t.stack_fraction * 100.0,
            Unit::Percent,
        ),
        "The stack is nearly exhausted: raise this stack's size, or move large local \
         buffers into static memory (static_cell) so they no longer live on the stack.",
    ))
}

fn dominant_scope(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    if input.scopes.len() < 2 {
        return None;
    }
    let total: u64 = input.scopes.iter().map(|s| s.busy_us).sum();
    let top = input.scopes.iter().max_by_key(|s| s.busy_us)?;
    if total == 0 {
        return None;
    }
    let share = top.busy_us as f64 / total as f64;
    if share < t.dominant_share {
        return None;
    }
    Some(insight(
        Rule::DominantScope,
        InsightSeverity::Info,
        Some(top.name),
        (
            "share of busy time",
            share * 100.0,
            t.dominant_share * 100.0,
            Unit::Percent,
        ),
        "This scope owns most of the busy time: optimize it first, since speeding up \
         anything else barely changes the total.",
    ))
}

fn long_isr(isr: &super::IsrInput, t: &InsightThresholds) -> Option<Insight> {
    let action = "The interrupt handler does too much: keep it to acknowledging the \
                  interrupt and moving data, and signal a task (Embassy Signal or Channel) \
                  to do the processing.";
    if isr.max_us >= t.isr_max_us {
        return Some(insight(
            Rule::LongIsr,
            InsightSeverity::Warning,
            Some(isr.name),
            (
                "longest ISR run",
                isr.max_us as f64,
                t.isr_max_us as f64,
                Unit::Micros,
            ),
            action,
        ));
    }
    if isr.window_us == 0 {
        return None;
    }
    let share = isr.total_us as f64 / isr.window_us as f64;
    (share >= t.isr_share).then(|| {
        insight(
            Rule::LongIsr,
            InsightSeverity::Warning,
            Some(isr.name),
            (
                "time in ISR",
                share * 100.0,
                t.isr_share * 100.0,
                Unit::Percent,
            ),
            action,
        )
    })
}

fn cpu(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let cpu = f64::from(input.cpu_utilization?);
    let severity = level(cpu, f64::from(t.cpu_percent), 98.0)?;
    Some(insight(
        Rule::CpuSaturation,
        severity,
        None,
        (
            "cpu_utilization",
            cpu,
            f64::from(t.cpu_percent),
            Unit::Percent,
        ),
        "The CPU has no headroom left: lower processing or sampling rates, move work to \
         lower-priority tasks, batch radio traffic, or raise the clock.",
    ))
}

fn jitter(s: &super::ScopeInput, t: &InsightThresholds) -> Option<Insight> {
    let (p50, p99) = (s.p50_us?, s.p99_us?);
    if p50 <= 0.0 {
        return None;
    }
    let ratio = p99 / p50;
    (ratio >= t.jitter_ratio).then(|| {
        insight(
            Rule::TimingJitter,
            InsightSeverity::Warning,
            Some(s.name),
            ("p99 / p50", ratio, t.jitter_ratio, Unit::Ratio),
            "The slow calls are far slower than the typical one: look for flash waits, \
             lock contention, retries or preemption by interrupts, and bound the worst case.",
        )
    })
}

fn regression(r: &crate::regression::Regression) -> Insight {
    let severity = match r.severity {
        Severity::Minor => InsightSeverity::Warning,
        Severity::Major | Severity::Critical => InsightSeverity::Critical,
    };
    let threshold = match r.kind {
        crate::regression::RegressionKind::Relative {
            threshold_percent, ..
        } => r.baseline_value * (1.0 + threshold_percent / 100.0),
        crate::regression::RegressionKind::HardLimit { limit } => limit,
    };
    let subject = match r.metric {
        crate::analysis::Metric::Scope(name) => Some(name),
        _ => None,
    };
    insight(
        Rule::RegressionAgainstBaseline,
        severity,
        subject,
        (r.metric.name(), r.current_value, threshold, r.metric.unit()),
        "Worse than the recorded baseline: bisect the changes made since it was recorded \
         and compare builds with the CI gate (`iot-perf compare`).",
    )
}

fn static_data(input: &InsightInput<'_>, t: &InsightThresholds) -> Option<Insight> {
    let (bytes, ram) = (input.static_bytes?, input.ram_bytes?);
    if ram == 0 {
        return None;
    }
    let share = bytes as f64 / ram as f64;
    (share >= t.static_fraction).then(|| {
        insight(
            Rule::OversizedStaticData,
            InsightSeverity::Warning,
            None,
            (
                "static share of RAM",
                share * 100.0,
                t.static_fraction * 100.0,
                Unit::Percent,
            ),
            "Static data (.data + .bss) takes much of the RAM: size queues, pools and \
             buffers to measured peaks, and keep constant tables in flash (`const`/`static` \
             without interior mutability).",
        )
    })
}

/// A metric that a comparison against a baseline called [`Verdict::Regressed`]; what to do
/// depends on what the metric measures.
fn compared_regression(c: &MetricComparison) -> Option<Insight> {
    if c.verdict != Verdict::Regressed {
        return None;
    }
    let (subject, action) = match (c.metric, c.metric.kind()) {
        (crate::analysis::Metric::Scope(name), _) => (
            Some(name),
            "This scope got slower than in the baseline: diff its code path against the \
             baseline's firmware and profile its nested scopes to find the slow branch.",
        ),
        (_, MetricKind::Memory) => (
            None,
            "Memory use grew against the baseline: look for buffers that are allocated per \
             message and kept; a TrackingAllocator shows who allocates.",
        ),
        _ => (
            None,
            "This figure rose against the baseline: find what new work runs per cycle, \
             then defer it or make it cheaper.",
        ),
    };
    Some(insight(
        Rule::RegressionAgainstBaseline,
        InsightSeverity::Critical,
        subject,
        (c.metric.name(), c.mean_b, c.mean_a, c.metric.unit()),
        action,
    ))
}

fn dropped_frames(input: &InsightInput<'_>) -> Option<Insight> {
    let dropped = input.dropped_frames.filter(|&n| n > 0)?;
    Some(insight(
        Rule::DroppedFrames,
        InsightSeverity::Warning,
        None,
        (
            "frames dropped on the device",
            dropped as f64,
            0.0,
            Unit::Count,
        ),
        "The reporter's sink was full: report less often, or give the reporter a larger \
         buffer or a faster link.",
    ))
}

fn corrupt_frames(input: &InsightInput<'_>) -> Option<Insight> {
    let corrupt = input.corrupt_frames.filter(|&n| n > 0)?;
    Some(insight(
        Rule::CorruptFrames,
        InsightSeverity::Warning,
        None,
        ("corrupt frames skipped", corrupt as f64, 0.0, Unit::Count),
        "Frames were damaged on the way: check the baud rate, wiring and flow control of \
         the capture link.",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Metric;

    fn compared(metric: Metric, verdict: Verdict) -> MetricComparison {
        MetricComparison {
            metric,
            samples: (40, 40),
            mean_a: 100.0,
            mean_b: 125.0,
            change_percent: Some(25.0),
            change_interval_percent: Some((22.0, 28.0)),
            difference_ci95: None,
            p_value: None,
            verdict,
        }
    }

    fn rules_of(input: &InsightInput<'_>) -> heapless::Vec<(Rule, Option<&'static str>), 32> {
        analyze(input, &InsightThresholds::default())
            .items
            .iter()
            .map(|i| (i.rule, i.subject))
            .collect()
    }

    #[test]
    fn only_regressed_comparisons_become_insights_naming_the_scope() {
        let comparisons = [
            compared(Metric::Scope("filter"), Verdict::Regressed),
            compared(Metric::HeapUsed, Verdict::NoSignificantChange),
            compared(Metric::CpuUtilization, Verdict::Improved),
        ];
        let input = InsightInput {
            comparisons: &comparisons,
            ..InsightInput::default()
        };
        let found = analyze(&input, &InsightThresholds::default());
        assert_eq!(found.items.len(), 1);
        let i = found.items[0];
        assert_eq!(
            (i.rule, i.severity, i.subject),
            (
                Rule::RegressionAgainstBaseline,
                InsightSeverity::Critical,
                Some("filter")
            )
        );
        assert_eq!((i.evidence.value, i.evidence.threshold), (125.0, 100.0));
        assert!(i.action.contains("slower"));
        let heap = [compared(Metric::HeapUsed, Verdict::Regressed)];
        let input = InsightInput {
            comparisons: &heap,
            ..InsightInput::default()
        };
        let found = analyze(&input, &InsightThresholds::default());
        assert!(found.items[0].action.contains("TrackingAllocator"));
    }

    #[test]
    fn lost_frames_are_reported_only_when_there_are_some() {
        let none = InsightInput {
            dropped_frames: Some(0),
            corrupt_frames: Some(0),
            ..InsightInput::default()
        };
        assert!(rules_of(&none).is_empty());
        let lost = InsightInput {
            dropped_frames: Some(3),
            corrupt_frames: Some(1),
            ..InsightInput::default()
        };
        assert_eq!(
            rules_of(&lost).as_slice(),
            &[(Rule::DroppedFrames, None), (Rule::CorruptFrames, None)]
        );
        assert_eq!(
            Rule::CorruptFrames.finding(),
            "corrupt frames arrived from the link"
        );
    }
}
