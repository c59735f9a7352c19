//! `fleet compare` as text (the JSON is the serialized [`FleetReport`]).

use std::fmt::Write as _;

use crate::fleet::compare::FleetReport;
use crate::text::verdict_text;
use crate::units;

fn signed(v: f64) -> String {
    if v.is_finite() {
        format!("{v:+.1} %")
    } else {
        "—".into()
    }
}

/// The comparison as a table: one line per scope and percentile.
pub fn text(r: &FleetReport) -> String {
    let mut s = String::new();
    let [a, b] = &r.cohorts;
    let g = &r.settings.gate;
    let _ = writeln!(
        s,
        "Fleet: cohort A {:?} ({} devices) vs cohort B {:?} ({} devices)",
        a.spec, a.devices, b.spec, b.devices
    );
    let _ = writeln!(
        s,
        "noise threshold {:.1} %, {:.0} % bootstrap CI over devices, {} resamples, seed {}",
        g.noise_threshold_percent,
        g.confidence * 100.0,
        g.resamples,
        g.seed
    );
    let _ = writeln!(
        s,
        "  {:<28} {:>5} {:>12} {:>12} {:>10} {:>23}  verdict",
        "scope", "pct", "A", "B", "change", "CI"
    );
    for sc in &r.scopes {
        for p in &sc.percentiles {
            let fig =
                |t: Option<f64>| t.map_or_else(|| "—".into(), |t| units::duration_us(sc.us(t)));
            let interval = p.change_interval_percent.map_or_else(
                || "—".into(),
                |(lo, hi)| format!("{} … {}", signed(lo), signed(hi)),
            );
            let _ = writeln!(
                s,
                "  {:<28} {:>5} {:>12} {:>12} {:>10} {:>23}  {}",
                sc.scope,
                format!("p{}", p.percentile),
                fig(p.a_ticks),
                fig(p.b_ticks),
                p.change_percent.map_or_else(|| "—".into(), signed),
                interval,
                verdict_text(p.verdict)
            );
        }
    }
    for m in &r.device_metrics {
        let fig = |v: f64| match m.unit {
            "bytes" => units::bytes(v),
            _ => units::percent(v),
        };
        let interval = m.change_interval_percent.map_or_else(
            || "—".into(),
            |(lo, hi)| format!("{} … {}", signed(lo), signed(hi)),
        );
        let _ = writeln!(
            s,
            "  {:<28} {:>5} {:>12} {:>12} {:>10} {:>23}  {}",
            m.metric,
            "mean",
            fig(m.mean_a),
            fig(m.mean_b),
            m.change_percent.map_or_else(|| "—".into(), signed),
            interval,
            verdict_text(m.verdict)
        );
    }
    if !r.unmatched_scopes.is_empty() {
        let _ = writeln!(
            s,
            "not compared (in one cohort only): {}",
            r.unmatched_scopes.join(", ")
        );
    }
    s
}
