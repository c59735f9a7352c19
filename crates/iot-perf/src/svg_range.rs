//! The distribution of each scope's call time: shortest to longest call as a bar on a
//! logarithmic axis, the mean as a dot, each scope in its report colour.

use std::fmt::Write as _;

use crate::svg::{W, chart_start, escape};
use crate::units;

/// One scope's spread: name, colour, and min / mean / max in µs.
pub struct Spread<'a> {
    /// Scope name.
    pub name: &'a str,
    /// Its colour.
    pub color: &'a str,
    /// Shortest call, µs.
    pub min_us: f64,
    /// Mean call, µs.
    pub mean_us: f64,
    /// Longest call, µs.
    pub max_us: f64,
}

/// The chart, or `None` when no scope has a positive call time.
pub fn range_chart(id: &str, spreads: &[Spread<'_>]) -> Option<String> {
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let rows: Vec<&Spread<'_>> = spreads.iter().filter(|s| positive(s.max_us)).collect();
    if rows.is_empty() {
        return None;
    }
    let lo = rows
        .iter()
        .map(|s| {
            if positive(s.min_us) {
                s.min_us
            } else {
                s.mean_us
            }
        })
        .filter(|v| positive(*v))
        .fold(f64::INFINITY, f64::min);
    let hi = rows.iter().map(|s| s.max_us).fold(0.0, f64::max);
    let (d0, d1) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let (label_w, right, top, row) = (200.0, 40.0, 34.0, 22.0);
    let pw = W - label_w - right;
    let sx = |v: f64| label_w + (v.max(lo).log10() - d0) / (d1 - d0) * pw;
    let bottom = top + row * rows.len() as f64;
    let mut s = chart_start(
        id,
        "Call time per scope: shortest to longest call, mean as a dot",
        bottom + 34.0,
        10.0,
    );
    for decade in d0 as i32..=d1 as i32 {
        let v = 10f64.powi(decade);
        let x = sx(v);
        let _ = write!(
            s,
            r##"<line x1="{x:.1}" x2="{x:.1}" y1="{}" y2="{bottom}" stroke="#e4e4e4"/><text x="{x:.1}" y="{}" text-anchor="middle" class="tick">{}</text>"##,
            top - 4.0,
            bottom + 14.0,
            escape(&units::duration_us(v))
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" class="tick">time per call (log scale)</text>"#,
        label_w + pw / 2.0,
        bottom + 30.0
    );
    for (i, sp) in rows.iter().enumerate() {
        let y = top + row * i as f64 + row / 2.0;
        let (a, b) = (sx(sp.min_us), sx(sp.max_us));
        let _ = write!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text><rect class="series" x="{a:.1}" y="{:.1}" width="{:.1}" height="6" fill="{c}" opacity="0.45"/><circle cx="{:.1}" cy="{y:.1}" r="4.5" fill="{c}"/>"#,
            label_w - 8.0,
            y + 4.0,
            escape(sp.name),
            y - 3.0,
            (b - a).max(2.0),
            sx(sp.mean_us),
            c = sp.color,
        );
    }
    s.push_str("</svg>");
    Some(s)
}
