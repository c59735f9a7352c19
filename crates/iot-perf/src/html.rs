//! The HTML report: one self-contained file with inline SVG charts, no network needed.
//!
//! A short inline script checks, once the page has loaded, that every chart was laid out
//! with a non-empty plot and records the result on `<body>` (`data-charts-rendered`,
//! `data-errors`), so a headless browser test can see that the charts really rendered.

use std::fmt::Write as _;

use crate::report::RunReport;
use crate::svg::{bar_chart, escape, line_chart};
use crate::text::{comparison_text, insight_heading};

const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em;max-width:980px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.chart{display:block;margin:1em 0}
.title{font-weight:600;font-size:14px}.tick,.legend{font-size:11px;fill:#444}
.critical{color:#b00020}.warning{color:#a05a00}.info{color:#005a9e}pre{background:#f6f6f6;padding:1em;overflow:auto}";

const CHECK_SCRIPT: &str = "window.__errors=0;window.addEventListener('error',function(){window.__errors++;});
window.addEventListener('load',function(){var n=0;document.querySelectorAll('svg.chart').forEach(function(svg){
var s=svg.querySelectorAll('.series');var ok=s.length>0;s.forEach(function(e){var b=e.getBBox();if(!(b.width>0||b.height>0))ok=false;});
if(ok)n++;});document.body.setAttribute('data-charts-rendered',String(n));
document.body.setAttribute('data-charts-total',String(document.querySelectorAll('svg.chart').length));
document.body.setAttribute('data-errors',String(window.__errors));});";

/// Renders the report as HTML.
pub fn render(r: &RunReport) -> String {
    let mut s = String::new();
    let title = format!("iot-perf report — {}", r.run.name);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style><script>{CHECK_SCRIPT}</script></head><body>",
        escape(&title)
    );
    let _ = write!(
        s,
        "<h1>{}</h1><p>Device <b>{}</b>, firmware <b>{}</b>, source {}; {} snapshots over {:.1} s; {} corrupt frames skipped; {} dropped on the device. Report schema v{}, {}.</p>",
        escape(&title),
        escape(r.run.device.as_deref().unwrap_or("?")),
        escape(r.run.firmware.as_deref().unwrap_or("?")),
        escape(&r.run.source),
        r.system.samples,
        r.system.duration_s,
        r.run.corrupt_frames,
        r.run.dropped_on_device,
        r.schema_version,
        escape(&r.generator)
    );
    s.push_str("<h2>Recommendations</h2>");
    if r.recommendations.is_empty() {
        s.push_str("<p>None: nothing above the rules' thresholds.</p>");
    } else {
        s.push_str("<ul>");
        for i in &r.recommendations {
            let _ = write!(
                s,
                "<li class=\"{}\"><b>{}</b><br>evidence: {}<br>action: {}</li>",
                i.severity.label(),
                escape(&insight_heading(i)),
                escape(&i.evidence.to_string()),
                escape(i.action)
            );
        }
        s.push_str("</ul>");
    }
    if let Some(c) = &r.comparison {
        let _ = write!(
            s,
            "<h2>Against baseline {}</h2><pre>{}</pre>",
            escape(&c.baseline),
            escape(&comparison_text(c))
        );
    }
    s.push_str("<h2>Timing per scope</h2>");
    if r.scopes.is_empty() {
        s.push_str("<p>No scopes were reported.</p>");
    } else {
        let bars: Vec<(&str, f64)> = r
            .scopes
            .iter()
            .map(|sc| (sc.name.as_str(), sc.mean_us.unwrap_or(0.0)))
            .collect();
        s.push_str(&bar_chart(
            "chart-scope-mean",
            "Mean time per call",
            "µs",
            &bars,
        ));
        let lines: Vec<(&str, &[(f64, f64)])> = r
            .series
            .scope_means
            .iter()
            .map(|(n, p)| (n.as_str(), p.as_slice()))
            .collect();
        s.push_str(&line_chart(
            "chart-scope-time",
            "Mean call time per reporting interval",
            "s",
            "µs",
            &lines,
        ));
        s.push_str("<table><tr><th>scope</th><th>calls</th><th>total ms</th><th>mean µs</th><th>min µs</th><th>max µs</th><th>share</th></tr>");
        for sc in &r.scopes {
            let _ = write!(
                s,
                "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.1} %</td></tr>",
                escape(&sc.name),
                sc.calls,
                sc.total_us / 1000.0,
                sc.mean_us.unwrap_or(0.0),
                sc.min_us,
                sc.max_us,
                sc.share_percent
            );
        }
        s.push_str("</table>");
    }
    s.push_str("<h2>Memory over time</h2>");
    if r.series.heap_used.is_empty() {
        s.push_str("<p>Not reported: this capture has no snapshots.</p>");
    } else {
        let heap_kib: Vec<(f64, f64)> = r
            .series
            .heap_used
            .iter()
            .map(|&(t, b)| (t, b / 1024.0))
            .collect();
        s.push_str(&line_chart(
            "chart-heap",
            "Heap in use",
            "s",
            "KiB",
            &[("heap used", &heap_kib)],
        ));
    }
    s.push_str("<h2>CPU</h2>");
    if r.series.cpu_utilization.is_empty() {
        s.push_str("<p>Not reported: this capture has no snapshots.</p>");
    } else {
        s.push_str(&line_chart(
            "chart-cpu",
            "CPU utilization",
            "s",
            "%",
            &[("CPU", &r.series.cpu_utilization)],
        ));
    }
    s.push_str("</body></html>\n");
    s
}
