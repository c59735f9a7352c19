//! Small inline SVG charts, so an HTML report needs no network and no script library.
//!
//! Charts are laid out in a 720-unit-wide view box and scale down with the page (the
//! report's style sheet caps them at the page width), so they fit 760 px and 1280 px.
//! Axes get "nice" ticks (1, 2 or 5 times a power of ten), and time axes pick µs, ms or s
//! from the run's length so a 0.6 ms QEMU run is labelled in µs, not "0.0 0.0 0.0".

use std::fmt::Write as _;

pub use crate::palette::color;

/// Width of every chart's view box.
pub const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Ticks covering `lo..=hi`: a step of 1, 2 or 5 × 10ⁿ giving about `target` ticks, and
/// the decimals its labels need.
pub fn nice_ticks(lo: f64, hi: f64, target: f64) -> (Vec<f64>, usize) {
    let range = (hi - lo).abs().max(f64::MIN_POSITIVE);
    let raw = range / target;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let decimals = (-step.log10().floor()).max(0.0) as usize;
    let first = (lo / step).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    let ticks = (first..=last).map(|i| i as f64 * step).collect();
    (ticks, decimals)
}

/// How a time axis given in seconds is labelled: the scale to apply and its unit.
pub fn time_unit(max_s: f64) -> (f64, &'static str) {
    if max_s < 0.002 {
        (1e6, "µs")
    } else if max_s < 2.0 {
        (1e3, "ms")
    } else {
        (1.0, "s")
    }
}

/// One line of a line chart: `(seconds, value)` points.
pub struct Line<'a> {
    /// Legend text.
    pub name: String,
    /// Stroke colour.
    pub color: &'a str,
    /// Dashed (a baseline run) or solid (this run).
    pub dashed: bool,
    /// The points, x in seconds.
    pub points: &'a [(f64, f64)],
}

/// The opening `<svg>` tag of a chart `W` wide and `height` high, and its title at `title_x`.
pub fn chart_start(id: &str, title: &str, height: f64, title_x: f64) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg id="{}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" role="img" aria-label="{}">"#,
        escape(id),
        escape(title)
    );
    let _ = write!(
        s,
        r#"<text x="{title_x}" y="18" class="title">{}</text>"#,
        escape(title)
    );
    s
}

/// Legend text no wider than the legend column.
fn short(name: &str) -> String {
    if name.chars().count() > 24 {
        name.chars().take(23).chain(['…']).collect()
    } else {
        name.to_owned()
    }
}

/// A line chart over time of one or more series, with a legend; `id` names the `<svg>`.
pub fn line_chart(id: &str, title: &str, y_unit: &str, lines: &[Line<'_>]) -> String {
    let finite = || {
        lines
            .iter()
            .flat_map(|l| l.points.iter())
            .filter(|p| p.0.is_finite() && p.1.is_finite())
    };
    let x_max = finite().map(|p| p.0).fold(0.0, f64::max);
    let y_min = finite().map(|p| p.1).fold(0.0, f64::min);
    let y_max = finite().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (x_scale, x_unit) = time_unit(x_max);
    let x1 = if x_max > 0.0 { x_max * x_scale } else { 1.0 };
    // A flat (or empty) series still gets a unit-high axis, not ticks a 1e-9 apart.
    let y_max = if y_max > y_min { y_max } else { y_min + 1.0 };
    let (y_ticks, y_dec) = nice_ticks(y_min, y_max, 4.0);
    let y0 = y_min;
    let y1 = y_ticks
        .last()
        .copied()
        .filter(|t| *t >= y_max)
        .unwrap_or(y_max);
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + x * x_scale / x1 * pw;
    let sy = |y: f64| TOP + ph - (y - y0) / (y1 - y0) * ph;
    let mut s = chart_start(id, title, H, LEFT);
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>"##
    );
    let (y_ticks, _) = nice_ticks(y0, y1, 4.0);
    for v in y_ticks {
        let y = sy(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{v:.y_dec$}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
        );
    }
    let (x_ticks, x_dec) = nice_ticks(0.0, x1, 5.0);
    for v in x_ticks {
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="tick x-tick">{v:.x_dec$}</text>"#,
            LEFT + v / x1 * pw,
            TOP + ph + 16.0,
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" class="tick">time since start ({x_unit})</text><text x="12" y="{:.1}" class="tick" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        H - 6.0,
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        escape(y_unit)
    );
    for (i, line) in lines.iter().enumerate() {
        let coords: Vec<(f64, f64)> = line
            .points
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| (sx(x), sy(y)))
            .collect();
        let (class, dash) = if line.dashed {
            (
                "series baseline",
                r#" stroke-dasharray="6 3" opacity="0.75""#,
            )
        } else {
            ("series", "")
        };
        let name = escape(&line.name);
        let color = line.color;
        if let [(x, y)] = coords.as_slice() {
            let _ = write!(
                s,
                r#"<circle class="{class}" data-series="{name}" cx="{x:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#
            );
        } else {
            let pts: Vec<String> = coords
                .iter()
                .map(|(x, y)| format!("{x:.1},{y:.1}"))
                .collect();
            let _ = write!(
                s,
                r#"<polyline class="{class}" data-series="{name}" fill="none" stroke="{color}" stroke-width="1.8"{dash} points="{}"/>"#,
                pts.join(" ")
            );
        }
        let ly = TOP + 12.0 + 16.0 * i as f64;
        let _ = write!(
            s,
            r#"<line x1="{}" x2="{}" y1="{:.1}" y2="{:.1}" stroke="{color}" stroke-width="3"{dash}/><text x="{}" y="{ly:.1}" class="legend">{}</text>"#,
            W - RIGHT + 8.0,
            W - RIGHT + 24.0,
            ly - 4.0,
            ly - 4.0,
            W - RIGHT + 28.0,
            escape(&short(&line.name))
        );
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of labelled values, each bar in its own colour and labelled by
/// `fmt`.
pub fn bar_chart(
    id: &str,
    title: &str,
    bars: &[(&str, f64, &str)],
    fmt: impl Fn(f64) -> String,
) -> String {
    let row = 22.0;
    let height = TOP + row * bars.len().max(1) as f64 + 20.0;
    let label_w = 200.0;
    let pw = W - label_w - 110.0;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = chart_start(id, title, height, 10.0);
    for (i, (label, v, color)) in bars.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (v / max * pw).max(1.0);
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text><rect class="series" x="{label_w}" y="{y:.1}" width="{w:.1}" height="{}" fill="{color}"/><text x="{:.1}" y="{:.1}" class="tick">{}</text>"##,
            label_w - 6.0,
            y + 14.0,
            escape(&short(label)),
            row - 6.0,
            label_w + w + 6.0,
            y + 14.0,
            escape(&fmt(*v)),
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_with_the_decimals_they_need() {
        let (ticks, dec) = nice_ticks(0.0, 0.6, 5.0);
        assert_eq!(ticks.len(), 4);
        assert!((ticks[3] - 0.6).abs() < 1e-9);
        assert_eq!(dec, 1);
        let (ticks, dec) = nice_ticks(0.0, 4176.0, 4.0);
        assert_eq!(ticks, [0.0, 2000.0, 4000.0]);
        assert_eq!(dec, 0);
    }

    #[test]
    fn a_flat_series_gets_a_readable_axis() {
        let zeros = [(0.0, 0.0), (0.1, 0.0)];
        let svg = line_chart(
            "c",
            "t",
            "KiB",
            &[Line {
                name: "heap".into(),
                color: "#000",
                dashed: false,
                points: &zeros,
            }],
        );
        assert!(
            svg.contains(">0.0</text>") && svg.contains(">1.0</text>"),
            "{svg}"
        );
        assert!(!svg.contains("0.00000"), "{svg}");
    }

    #[test]
    fn a_short_run_is_labelled_in_microseconds_and_distinct_ticks() {
        assert_eq!(time_unit(0.0006), (1e6, "µs"));
        assert_eq!(time_unit(0.6), (1e3, "ms"));
        assert_eq!(time_unit(8.0), (1.0, "s"));
        let points = [(0.0, 1.0), (0.0003, 2.0), (0.0006, 3.0)];
        let svg = line_chart(
            "c",
            "t",
            "µs",
            &[Line {
                name: "x".into(),
                color: "#000",
                dashed: false,
                points: &points,
            }],
        );
        assert!(svg.contains("time since start (µs)"), "{svg}");
        let labels: Vec<&str> = svg
            .split("x-tick\">")
            .skip(1)
            .map(|t| &t[..t.find('<').unwrap_or(0)])
            .collect();
        assert_eq!(labels, ["0", "200", "400", "600"]);
    }
}
