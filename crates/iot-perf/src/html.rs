//! The HTML report: one self-contained file with inline SVG charts, no network needed.
//!
//! With a baseline, the comparison comes first: the verdict, a chart of each metric's
//! change with its confidence interval, and a table. Time charts overlay the baseline run
//! (dashed) on this run (solid); every scope keeps one colour in every chart.
//!
//! A short inline script checks, once the page has loaded, that every chart was laid out
//! with a non-empty plot and that nothing overflows the page horizontally, and records the
//! result on `<body>` (`data-charts-rendered`, `data-charts-total`, `data-overflow-px`,
//! `data-errors`), so a headless browser test can see that the page really rendered.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use crate::html_compare::comparison;
use crate::report::{Points, RunReport, Series};
use crate::svg::{Line, bar_chart, color, escape, line_chart};
use crate::svg_range::{Spread, range_chart};
use crate::text::{insight_heading, scope_cells};
use crate::units;

pub(crate) const STYLE: &str = "body{font-family:system-ui,sans-serif;margin:2em auto;padding:0 16px;max-width:980px;color:#222}
table{border-collapse:collapse;margin:1em 0;width:100%;font-size:13px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}
th:first-child,td:first-child{text-align:left;overflow-wrap:anywhere}
svg.chart{display:block;margin:1em 0;width:100%;max-width:720px;height:auto}
.title{font-weight:600;font-size:14px}.tick,.legend{font-size:11px;fill:#444}
.critical{color:#b00020}.warning{color:#a05a00}.info{color:#005a9e}
.verdict{font-size:1.2em;font-weight:600;padding:.5em .8em;border-radius:4px;background:#f3f3f3}
td.regressed,.verdict.regressed{color:#c62828;font-weight:600}td.improved,.verdict.improved{color:#2e7d32}
td.changed{color:#a05a00}td.insufficient{color:#888}";

pub(crate) const CHECK_SCRIPT: &str = "window.__errors=0;window.addEventListener('error',function(){window.__errors++;});
window.addEventListener('load',function(){var n=0;document.querySelectorAll('svg.chart').forEach(function(svg){
var s=svg.querySelectorAll('.series');var ok=s.length>0;s.forEach(function(e){var b=e.getBBox();if(!(b.width>0||b.height>0))ok=false;});
if(ok)n++;});document.body.setAttribute('data-charts-rendered',String(n));
document.body.setAttribute('data-charts-total',String(document.querySelectorAll('svg.chart').length));
var d=document.documentElement;document.body.setAttribute('data-overflow-px',String(Math.max(0,d.scrollWidth-d.clientWidth)));
document.body.setAttribute('data-viewport-px',String(d.clientWidth));
document.body.setAttribute('data-errors',String(window.__errors));});";

/// Renders the report as HTML.
pub fn render(r: &RunReport) -> String {
    render_with(r, "")
}

/// Renders the report as HTML with `extra` sections (the trace timeline) after the
/// recommendations.
pub fn render_with(r: &RunReport, extra: &str) -> String {
    let mut s = String::new();
    let title = format!("iot-perf report — {}", r.run.name);
    let _ = write!(
        s,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><title>{}</title><style>{STYLE}</style><script>{CHECK_SCRIPT}</script></head><body>",
        escape(&title)
    );
    let _ = write!(
        s,
        "<h1>{}</h1><p>Device <b>{}</b>, firmware <b>{}</b>, source {}, recorded {}; {} snapshots over {}; {} corrupt frames skipped; {} dropped on the device. Report schema v{}, {}.</p>",
        escape(&title),
        escape(r.run.device.as_deref().unwrap_or("?")),
        escape(r.run.firmware.as_deref().unwrap_or("?")),
        escape(&r.run.source),
        units::unix_ms(r.run.recorded_at_unix_ms),
        r.system.samples,
        units::duration_us(r.system.duration_s * 1e6),
        r.run.corrupt_frames,
        r.run.dropped_on_device,
        r.schema_version,
        escape(&r.generator)
    );
    if let Some(c) = &r.comparison {
        comparison(&mut s, c);
    }
    recommendations(&mut s, r);
    s.push_str(extra);
    scopes(&mut s, r);
    memory(&mut s, r);
    cpu(&mut s, r);
    tasks(&mut s, r);
    crate::tasks_render::html(&mut s, r);
    s.push_str("</body></html>\n");
    s
}

fn recommendations(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Recommendations</h2>");
    if r.recommendations.is_empty() {
        s.push_str("<p>None: nothing above the rules' thresholds.</p>");
        return;
    }
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

/// Scope names of this run and the baseline, sorted: the palette every chart shares.
fn scope_names(r: &RunReport) -> Vec<&str> {
    let mut names: BTreeSet<&str> = r.scopes.iter().map(|s| s.name.as_str()).collect();
    names.extend(r.series.scope_means.keys().map(String::as_str));
    if let Some(b) = &r.baseline_series {
        names.extend(b.scope_means.keys().map(String::as_str));
    }
    names.into_iter().collect()
}

/// This run's lines (solid) and the baseline's (dashed) of one series, coloured by `color`.
fn lines<'a>(
    r: &'a RunReport,
    pick: impl Fn(&'a Series) -> Vec<(String, &'a Points)>,
    color: impl Fn(&str) -> &'a str,
) -> Vec<Line<'a>> {
    let mut out = Vec::new();
    if let Some(base) = &r.baseline_series {
        for (name, p) in pick(base) {
            if !p.points.is_empty() {
                out.push(Line {
                    color: color(&name),
                    name: format!("{name} (baseline)"),
                    dashed: true,
                    points: &p.points,
                });
            }
        }
    }
    for (name, p) in pick(&r.series) {
        if !p.points.is_empty() {
            out.push(Line {
                color: color(&name),
                name,
                dashed: false,
                points: &p.points,
            });
        }
    }
    out
}

fn scopes(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Timing per scope</h2>");
    if r.scopes.is_empty() {
        s.push_str("<p>No scopes were reported.</p>");
        return;
    }
    let names = scope_names(r);
    let bars: Vec<(&str, f64, &str)> = r
        .scopes
        .iter()
        .map(|sc| {
            (
                sc.name.as_str(),
                sc.mean_us.unwrap_or(0.0),
                color(&names, &sc.name),
            )
        })
        .collect();
    s.push_str(&bar_chart(
        "chart-scope-mean",
        "Mean time per call",
        &bars,
        units::duration_us,
    ));
    let time_lines = lines(
        r,
        |series| {
            series
                .scope_means
                .iter()
                .map(|(n, p)| (n.clone(), p))
                .collect()
        },
        |name| color(&names, name),
    );
    s.push_str(&line_chart(
        "chart-scope-time",
        "Mean call time per reporting interval",
        "µs per call",
        &time_lines,
    ));
    let spreads: Vec<Spread<'_>> = r
        .scopes
        .iter()
        .map(|sc| Spread {
            name: &sc.name,
            color: color(&names, &sc.name),
            min_us: sc.min_us,
            mean_us: sc.mean_us.unwrap_or(0.0),
            max_us: sc.max_us,
        })
        .collect();
    if let Some(chart) = range_chart("chart-scope-range", &spreads) {
        s.push_str(&chart);
    }
    s.push_str("<table><tr><th>scope</th><th>calls</th><th>total</th><th>mean</th><th>min</th><th>max</th><th>share</th></tr>");
    for sc in &r.scopes {
        s.push_str("<tr>");
        for cell in scope_cells(sc) {
            let _ = write!(s, "<td>{}</td>", escape(&cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}

const NO_SNAPSHOTS: &str = "<p>Not reported: this capture has no snapshots.</p>";

fn memory(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Memory over time</h2>");
    if r.series.heap_used.points.is_empty() {
        s.push_str(NO_SNAPSHOTS);
        return;
    }
    let kib = |p: &Points| -> Vec<(f64, f64)> {
        p.points.iter().map(|&(t, b)| (t, b / 1024.0)).collect()
    };
    let heap = kib(&r.series.heap_used);
    let base = r.baseline_series.as_ref().map(|b| kib(&b.heap_used));
    // The floor of each window the leak rule fitted: the evidence, drawn under the heap.
    let floor = kib(&r.series.heap_floors);
    let mut heap_lines = Vec::new();
    if let Some(base) = base.as_deref().filter(|b| !b.is_empty()) {
        heap_lines.push(Line {
            name: "heap (baseline)".into(),
            color: "#1f77b4",
            dashed: true,
            points: base,
        });
    }
    heap_lines.push(Line {
        name: "heap used".into(),
        color: "#1f77b4",
        dashed: false,
        points: &heap,
    });
    if !floor.is_empty() {
        heap_lines.push(Line {
            name: "heap floor per window (leak rule)".into(),
            color: if r.leak.is_some_and(|l| l.leak_suspected) {
                "#c62828"
            } else {
                "#2ca02c"
            },
            dashed: false,
            points: &floor,
        });
    }
    s.push_str(&line_chart("chart-heap", "Heap in use", "KiB", &heap_lines));
    if let Some(l) = &r.leak {
        let _ = write!(
            s,
            "<p>Leak rule: heap floor {} → {} over {} windows, {}/s ± {}/s, confidence {}; {}.</p>",
            units::bytes(l.first_floor as f64),
            units::bytes(l.last_floor as f64),
            l.windows,
            units::bytes(f64::from(l.growth_rate_bytes_per_sec)),
            units::bytes(f64::from(l.growth_rate_std_error)),
            units::percent(f64::from(l.confidence) * 100.0),
            if l.leak_suspected {
                "leak suspected"
            } else {
                "no leak"
            }
        );
    }
    if let Some(st) = &r.system.stack_used {
        let _ = write!(
            s,
            "<p>Stack in use: min {}, mean {}, max {}.</p>",
            units::bytes(st.min),
            units::bytes(st.mean),
            units::bytes(st.max)
        );
    }
}

fn cpu(s: &mut String, r: &RunReport) {
    s.push_str("<h2>CPU</h2>");
    if r.series.cpu_utilization.points.is_empty() {
        s.push_str(NO_SNAPSHOTS);
        return;
    }
    let cpu_lines = lines(
        r,
        |series| vec![("CPU".to_owned(), &series.cpu_utilization)],
        |_| "#d62728",
    );
    s.push_str(&line_chart("chart-cpu", "CPU utilization", "%", &cpu_lines));
}

/// Tasks, interrupts and task switches from the snapshots (the per-task and per-handler
/// tables follow, from `tasks_render`).
fn tasks(s: &mut String, r: &RunReport) {
    s.push_str("<h2>Tasks and interrupts</h2>");
    let sys = &r.system;
    let rows = [
        ("tasks", &sys.tasks),
        ("interrupts", &sys.interrupts_per_s),
        ("task switches", &sys.context_switches_per_s),
    ];
    if rows.iter().all(|(_, st)| st.is_none()) {
        s.push_str(NO_SNAPSHOTS);
        return;
    }
    s.push_str("<table id=\"tasks\"><tr><th>figure</th><th>min</th><th>mean</th><th>max</th><th>last</th></tr>");
    for (name, st) in rows {
        let Some(st) = st else { continue };
        let _ = write!(s, "<tr><td>{name}</td>");
        for v in [st.min, st.mean, st.max, st.last] {
            let _ = write!(s, "<td>{}</td>", escape(&units::value(st.unit, v)));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}
