//! The comparison with a baseline as a chart: per metric, the relative change of its mean
//! as a dot with the bootstrap's confidence interval as whiskers, coloured by the library's
//! verdict, over the shaded noise band.

use std::fmt::Write as _;

use iot_performance::analysis::Verdict;

use crate::compare::label;
use crate::report::ComparisonSection;
use crate::svg::{W, chart_start, escape};
use crate::text::verdict_text;

/// The colour (and CSS class) of a verdict.
pub fn verdict_class(v: Verdict) -> (&'static str, &'static str) {
    match v {
        Verdict::Regressed => ("#c62828", "regressed"),
        Verdict::Improved => ("#2e7d32", "improved"),
        Verdict::Changed => ("#a05a00", "changed"),
        Verdict::NoSignificantChange => ("#555555", "unchanged"),
        Verdict::InsufficientData => ("#999999", "insufficient"),
    }
}

/// The chart, or `None` when no metric has a change to draw.
pub fn comparison_chart(id: &str, c: &ComparisonSection) -> Option<String> {
    let drawn: Vec<_> = c
        .metrics
        .iter()
        .filter(|m| m.change_percent.is_some_and(f64::is_finite))
        .collect();
    if drawn.is_empty() {
        return None;
    }
    let threshold = c.gate.noise_threshold_percent;
    let reach = drawn
        .iter()
        .flat_map(|m| {
            let (lo, hi) = m.change_interval_percent.unwrap_or((0.0, 0.0));
            [m.change_percent.unwrap_or(0.0), lo, hi]
        })
        .filter(|v| v.is_finite())
        .fold(threshold * 2.0, |a, v| a.max(v.abs()))
        .max(1.0)
        * 1.1;
    let (label_w, right) = (200.0, 175.0);
    let (top, row) = (40.0, 24.0);
    let pw = W - label_w - right;
    let height = top + row * drawn.len() as f64 + 34.0;
    // Symmetric-log axis: linear within the noise band, logarithmic beyond, so a 2000 %
    // change does not flatten the 5 % ones.
    let g = |v: f64| v.signum() * (v.abs() / threshold.max(0.1)).ln_1p();
    let g_reach = g(reach);
    let sx = |v: f64| label_w + (g(v.clamp(-reach, reach)) + g_reach) / (2.0 * g_reach) * pw;
    let plot_bottom = top + row * drawn.len() as f64;
    let mut s = chart_start(
        id,
        "Change of each metric's mean against the baseline (dot) and its confidence interval",
        height,
        10.0,
    );
    let _ = write!(
        s,
        r##"<rect x="{:.1}" y="{}" width="{:.1}" height="{:.1}" fill="#eeeeee"/><text x="{:.1}" y="{}" text-anchor="middle" class="tick">noise ±{threshold:.1} %</text>"##,
        sx(-threshold),
        top - 6.0,
        sx(threshold) - sx(-threshold),
        plot_bottom - top + 6.0,
        sx(0.0),
        top - 10.0,
    );
    // Ticks at least 48 units apart, outward from 0, mirrored.
    let mut positive = Vec::new();
    let mut last = sx(0.0);
    for v in axis_ticks(threshold, reach) {
        if sx(v) - last >= 48.0 {
            positive.push(v);
            last = sx(v);
        }
    }
    let ticks = positive
        .iter()
        .rev()
        .map(|v| -v)
        .chain([0.0])
        .chain(positive.iter().copied());
    for v in ticks {
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{}" y2="{plot_bottom}" stroke="{}"/><text x="{x:.1}" y="{}" text-anchor="middle" class="tick">{v:+} %</text>"##,
            top - 6.0,
            if v == 0.0 { "#888" } else { "#e4e4e4" },
            plot_bottom + 14.0,
            x = sx(v),
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">change of the mean, log scale beyond the noise band (worse →)</text>"#,
        label_w + pw / 2.0,
        height - 4.0
    );
    for (i, m) in drawn.iter().enumerate() {
        let y = top + row * i as f64 + row / 2.0;
        let (color, class) = verdict_class(m.verdict);
        let change = m.change_percent.unwrap_or(0.0);
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"#,
            label_w - 8.0,
            y + 4.0,
            escape(&label(&m.metric))
        );
        if let Some((lo, hi)) = m.change_interval_percent {
            let _ = write!(
                s,
                r#"<path d="M{a:.1} {top:.1}v8M{a:.1} {y:.1}H{b:.1}M{b:.1} {top:.1}v8" stroke="{color}" stroke-width="1.6" fill="none"/>"#,
                a = sx(lo),
                b = sx(hi),
                top = y - 4.0,
            );
        }
        let _ = write!(
            s,
            r#"<circle class="series verdict-{class}" data-metric="{}" cx="{:.1}" cy="{y:.1}" r="5" fill="{color}"/><text x="{}" y="{:.1}" class="tick verdict-{class}" fill="{color}">{change:+.1} % {}</text>"#,
            escape(&label(&m.metric)),
            sx(change),
            W - right + 8.0,
            y + 4.0,
            verdict_text(m.verdict)
        );
    }
    s.push_str("</svg>");
    Some(s)
}

/// Positive tick candidates of the symmetric-log axis: the threshold, then 1, 2, 5 × 10ⁿ
/// up to `reach`, each at least twice the last.
fn axis_ticks(threshold: f64, reach: f64) -> Vec<f64> {
    let mut positive: Vec<f64> = Some(threshold).filter(|t| *t > 0.0).into_iter().collect();
    for decade in [10.0, 100.0, 1000.0, 10_000.0, 100_000.0] {
        for m in [1.0, 2.0, 5.0] {
            let v = m * decade;
            if v <= reach && v >= positive.last().copied().unwrap_or(0.0) * 2.0 {
                positive.push(v);
            }
        }
    }
    positive.retain(|v| *v <= reach);
    positive
}

#[cfg(test)]
mod tests {
    use super::axis_ticks;

    #[test]
    fn the_axis_marks_the_noise_band_and_round_steps_beyond_it() {
        assert_eq!(axis_ticks(5.0, 60.0), [5.0, 10.0, 20.0, 50.0]);
        let wide = axis_ticks(5.0, 2700.0);
        assert_eq!(wide.last(), Some(&2000.0));
        assert!(wide.windows(2).all(|w| w[0] < w[1]));
    }
}
