//! `fleet compare --html`: the report's comparison section (verdict, chart of every change
//! with its interval, table) over the cohorts' figures, in one self-contained page.

use std::fmt::Write as _;

use iot_performance::analysis::{Metric, MetricComparison};

use crate::fleet::compare::FleetReport;
use crate::html::{CHECK_SCRIPT, STYLE};
use crate::html_compare::comparison;
use crate::names::static_name;
use crate::report::ComparisonSection;
use crate::svg::escape;

/// The fleet comparison in the shape the report's comparison section draws: each scope
/// percentile as a `scope:NAME pXX` metric in µs, then the per-device figures.
fn section(r: &FleetReport) -> ComparisonSection {
    let mut metrics = Vec::new();
    for sc in &r.scopes {
        for p in &sc.percentiles {
            let name = static_name(&format!("{} p{}", sc.scope, p.percentile));
            metrics.push(MetricComparison {
                metric: Metric::Scope(name),
                samples: (p.devices.0 as u64, p.devices.1 as u64),
                mean_a: p.a_ticks.map_or(f64::NAN, |t| sc.us(t)),
                mean_b: p.b_ticks.map_or(f64::NAN, |t| sc.us(t)),
                change_percent: p.change_percent,
                change_interval_percent: p.change_interval_percent,
                difference_ci95: None,
                p_value: None,
                verdict: p.verdict,
            });
        }
    }
    for m in &r.device_metrics {
        let metric = match m.metric {
            "heap_peak" => Metric::HeapUsed,
            "stack_peak" => Metric::StackUsed,
            _ => Metric::CpuUtilization,
        };
        metrics.push(MetricComparison {
            metric,
            samples: m.devices,
            mean_a: m.mean_a,
            mean_b: m.mean_b,
            change_percent: m.change_percent,
            change_interval_percent: m.change_interval_percent,
            difference_ci95: None,
            p_value: None,
            verdict: m.verdict,
        });
    }
    let [a, _] = &r.cohorts;
    ComparisonSection {
        baseline: format!("cohort {}", a.spec),
        baseline_run: format!("{} devices", a.devices),
        gate: (&r.settings.gate).into(),
        metrics,
        regressed: r.regressed,
    }
}

/// The page.
pub fn render(r: &FleetReport) -> String {
    let [a, b] = &r.cohorts;
    let title = format!("iot-perf fleet — {} vs {}", a.spec, b.spec);
    let mut s = String::new();
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{t}</title><style>{STYLE}</style><script>{CHECK_SCRIPT}</script></head><body><h1>{t}</h1>",
        t = escape(&title)
    );
    let _ = write!(
        s,
        "<p>Cohort A <b>{}</b>: {} devices; cohort B <b>{}</b>: {} devices. Scope rows are percentiles of each cohort's merged latency histograms (µs), with a bootstrap interval over devices; heap, stack and CPU are per-device figures. Fleet report schema v{}.</p>",
        escape(&a.spec),
        a.devices,
        escape(&b.spec),
        b.devices,
        r.schema_version
    );
    comparison(&mut s, &section(r));
    if !r.unmatched_scopes.is_empty() {
        let _ = write!(
            s,
            "<p>Not compared (in one cohort only): {}</p>",
            escape(&r.unmatched_scopes.join(", "))
        );
    }
    s.push_str("</body></html>\n");
    s
}
