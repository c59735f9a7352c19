//! The HTML report's first section when it compares: the verdict in words, the change of
//! every metric as a chart, and the same figures as a table with their units.

use std::fmt::Write as _;

use crate::compare::{label, unit};
use crate::report::ComparisonSection;
use crate::svg::escape;
use crate::svg_compare::{comparison_chart, verdict_class};
use crate::text::{change_text, gate_text, verdict_text};
use crate::units;

/// Appends the comparison section to `s`.
pub fn comparison(s: &mut String, c: &ComparisonSection) {
    let _ = write!(s, "<h2>Against baseline {}</h2>", escape(&c.baseline));
    let regressions: Vec<String> = c.regressions().map(|m| label(&m.metric)).collect();
    if regressions.is_empty() {
        s.push_str("<p class=\"verdict improved\" id=\"verdict\">No regression beyond the noise threshold.</p>");
    } else {
        let _ = write!(
            s,
            "<p class=\"verdict regressed\" id=\"verdict\">Regression in {} metric{}: {}</p>",
            regressions.len(),
            if regressions.len() == 1 { "" } else { "s" },
            escape(&regressions.join(", "))
        );
    }
    let _ = write!(
        s,
        "<p>Baseline run <b>{}</b>; {}.</p>",
        escape(&c.baseline_run),
        escape(&gate_text(c))
    );
    if let Some(chart) = comparison_chart("chart-comparison", c) {
        s.push_str(&chart);
    }
    let _ = write!(
        s,
        "<table id=\"comparison\"><tr><th>metric</th><th>baseline</th><th>run</th><th>change</th><th>{:.0} % CI</th><th>verdict</th></tr>",
        c.gate.confidence_percent
    );
    for m in &c.metrics {
        let u = unit(&m.metric);
        let (change, interval) = change_text(m);
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
            escape(&label(&m.metric)),
            escape(&units::value(u, m.mean_a)),
            escape(&units::value(u, m.mean_b)),
            escape(&change),
            escape(&interval),
            verdict_class(m.verdict).1,
            verdict_text(m.verdict)
        );
    }
    s.push_str("</table>");
}
