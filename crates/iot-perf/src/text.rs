//! The report as plain text: the terminal's view of what was measured and decided.

use std::fmt::Write as _;

use iot_performance::analysis::Verdict;
use iot_performance::insights::Insight;

use crate::compare::label;
use crate::report::{ComparisonSection, RunReport, Stat};

/// How the comparison table names a verdict (a regression stands out).
fn verdict_text(v: Verdict) -> &'static str {
    match v {
        Verdict::Regressed => "REGRESSION",
        Verdict::Improved => "improvement",
        Verdict::Changed => "changed",
        Verdict::NoSignificantChange => "no change",
        Verdict::InsufficientData => "insufficient data",
    }
}

/// The comparison table.
pub fn comparison_text(c: &ComparisonSection) -> String {
    let mut s = String::new();
    let g = &c.gate;
    let _ = writeln!(
        s,
        "Compared with baseline {:?} (run {}), noise threshold {:.1} %, {:.0} % bootstrap CI, seed {:#x}:",
        c.baseline,
        c.baseline_run,
        g.noise_threshold_percent,
        g.confidence * 100.0,
        g.seed
    );
    let _ = writeln!(
        s,
        "  {:<32} {:>12} {:>12} {:>9} {:>21}  verdict",
        "metric", "baseline", "run", "change", "CI"
    );
    for m in &c.metrics {
        let (low, high) = m.change_interval_percent.unwrap_or((f64::NAN, f64::NAN));
        let _ = writeln!(
            s,
            "  {:<32} {:>12.3} {:>12.3} {:>8.1}% {:>9.1}%..{:>9.1}%  {}",
            label(&m.metric),
            m.mean_a,
            m.mean_b,
            m.change_percent.unwrap_or(f64::NAN),
            low,
            high,
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
        "{} snapshots over {:.1} s; {} corrupt frames skipped; {} frames dropped on the device",
        r.system.samples, r.system.duration_s, run.corrupt_frames, run.dropped_on_device
    );
    let stat = |name: &str, st: &Option<Stat>, scale: f64, unit: &str| match st {
        Some(st) => format!(
            "  {name:<14} min {:>10.1}  mean {:>10.1}  max {:>10.1}  last {:>10.1} {unit}\n",
            st.min / scale,
            st.mean / scale,
            st.max / scale,
            st.last / scale
        ),
        None => format!("  {name:<14} not measured\n"),
    };
    s.push_str(&stat("heap used", &r.system.heap_used, 1024.0, "KiB"));
    s.push_str(&stat("stack used", &r.system.stack_used, 1.0, "B"));
    s.push_str(&stat("CPU", &r.system.cpu_utilization, 1.0, "%"));
    s.push_str(&stat("temperature", &r.system.temperature, 1.0, "°C"));
    if !r.scopes.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<28} {:>10} {:>12} {:>10} {:>10} {:>10} {:>7}",
            "scope", "calls", "total ms", "mean µs", "min µs", "max µs", "share"
        );
        for sc in &r.scopes {
            let _ = writeln!(
                s,
                "  {:<28} {:>10} {:>12.2} {:>10.2} {:>10.2} {:>10.2} {:>6.1}%",
                sc.name,
                sc.calls,
                sc.total_us / 1000.0,
                sc.mean_us.unwrap_or(0.0),
                sc.min_us,
                sc.max_us,
                sc.share_percent
            );
        }
    }
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
