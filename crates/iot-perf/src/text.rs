//! The report as plain text: the terminal's view of what was measured and decided.

use std::fmt::Write as _;

use iot_performance::analysis::{MetricComparison, Verdict};
use iot_performance::insights::Insight;

use crate::analysis::ScopeSummary;
use crate::compare::{label, unit};
use crate::report::{ComparisonSection, RunReport, Stat};
use crate::units;

/// How the comparison table names a verdict (a regression stands out).
pub fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Regressed => "REGRESSION",
        Verdict::Improved => "improvement",
        Verdict::Changed => "changed",
        Verdict::NoSignificantChange => "no change",
        Verdict::InsufficientData => "insufficient data",
    }
}

/// The gate's settings, in the notation the command line takes them.
pub fn gate_text(c: &ComparisonSection) -> String {
    let g = &c.gate;
    format!(
        "noise threshold {:.1} %, {:.0} % bootstrap CI, {} resamples, seed {}",
        g.noise_threshold_percent, g.confidence_percent, g.resamples, g.seed
    )
}

/// A change and its interval: `+12.3 %` and `+10.1 % … +14.0 %`.
pub fn change_text(m: &MetricComparison) -> (String, String) {
    let signed = |v: f64| {
        if v.is_finite() {
            format!("{v:+.1} %")
        } else {
            "—".into()
        }
    };
    let change = m.change_percent.map_or_else(|| "—".into(), signed);
    let interval = m.change_interval_percent.map_or_else(
        || "—".into(),
        |(lo, hi)| format!("{} … {}", signed(lo), signed(hi)),
    );
    (change, interval)
}

/// The comparison table: every figure with its unit.
pub fn comparison_text(c: &ComparisonSection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Compared with baseline {:?} (run {}), {}:",
        c.baseline,
        c.baseline_run,
        gate_text(c)
    );
    let _ = writeln!(
        s,
        "  {:<32} {:>15} {:>15} {:>10} {:>23}  verdict",
        "metric", "baseline", "run", "change", "CI"
    );
    for m in &c.metrics {
        let u = unit(&m.metric);
        let (change, interval) = change_text(m);
        let _ = writeln!(
            s,
            "  {:<32} {:>15} {:>15} {:>10} {:>23}  {}",
            label(&m.metric),
            units::value(u, m.mean_a),
            units::value(u, m.mean_b),
            change,
            interval,
            verdict_text(m.verdict)
        );
    }
    s
}

/// One recommendation: `[severity] finding: subject`, the evidence and the action.
pub fn insight_heading(i: &Insight) -> String {
    match i.subject {
        Some(subject) => format!("[{}] {}: `{subject}`", i.severity.label(), i.rule.finding()),
        None => format!("[{}] {}", i.severity.label(), i.rule.finding()),
    }
}

/// A scope's row, every figure with its unit: name, calls, total, mean, min, max, share.
pub fn scope_cells(sc: &ScopeSummary) -> [String; 7] {
    [
        sc.name.clone(),
        sc.calls.to_string(),
        units::duration_us(sc.total_us),
        sc.mean_us.map_or_else(|| "—".into(), units::duration_us),
        units::duration_us(sc.min_us),
        units::duration_us(sc.max_us),
        units::percent(sc.share_percent),
    ]
}

/// The report as plain text.
pub fn text(r: &RunReport) -> String {
    let mut s = String::new();
    let run = &r.run;
    let _ = writeln!(
        s,
        "Run {} (#{}) from {} — device {}, firmware {}",
        run.name,
        run.id,
        run.source,
        run.device.as_deref().unwrap_or("?"),
        run.firmware.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        s,
        "{} snapshots over {}; {} corrupt frames skipped; {} frames dropped on the device",
        r.system.samples,
        units::duration_us(r.system.duration_s * 1e6),
        run.corrupt_frames,
        run.dropped_on_device
    );
    let stat = |name: &str, st: &Option<Stat>| match st {
        Some(st) => format!(
            "  {name:<14} min {:>10}  mean {:>10}  max {:>10}  last {:>10}\n",
            units::value(st.unit, st.min),
            units::value(st.unit, st.mean),
            units::value(st.unit, st.max),
            units::value(st.unit, st.last)
        ),
        None => format!("  {name:<14} not measured\n"),
    };
    s.push_str(&stat("heap used", &r.system.heap_used));
    s.push_str(&stat("stack used", &r.system.stack_used));
    s.push_str(&stat("CPU", &r.system.cpu_utilization));
    s.push_str(&stat("temperature", &r.system.temperature));
    s.push_str(&stat("tasks", &r.system.tasks));
    s.push_str(&stat("interrupts", &r.system.interrupts_per_s));
    s.push_str(&stat("task switches", &r.system.context_switches_per_s));
    if !r.scopes.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<28} {:>10} {:>12} {:>12} {:>12} {:>12} {:>7}",
            "scope", "calls", "total", "mean", "min", "max", "share"
        );
        for sc in &r.scopes {
            let [name, calls, total, mean, min, max, share] = scope_cells(sc);
            let _ = writeln!(
                s,
                "  {name:<28} {calls:>10} {total:>12} {mean:>12} {min:>12} {max:>12} {share:>7}"
            );
        }
    }
    s.push_str(&crate::tasks_render::text(r));
    if let Some(c) = &r.comparison {
        s.push('\n');
        s.push_str(&comparison_text(c));
    }
    if r.recommendations.is_empty() {
        s.push_str("\nRecommendations: none — nothing above the rules' thresholds.\n");
    } else {
        s.push_str("\nRecommendations:\n");
        for i in &r.recommendations {
            let _ = writeln!(
                s,
                "  {}\n      evidence: {}\n      action:   {}",
                insight_heading(i),
                i.evidence,
                i.action
            );
        }
    }
    s
}
