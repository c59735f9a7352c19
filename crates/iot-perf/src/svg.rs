//! Small inline SVG charts, so an HTML report needs no network and no script library.

use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 160.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 40.0;
const COLORS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn axis_label(v: f64) -> String {
    if v.abs() >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v.abs() >= 1e3 {
        format!("{:.1}k", v / 1e3)
    } else {
        format!("{v:.1}")
    }
}

/// The opening `<svg>` tag of a chart `W` wide and `height` high, and its title at `title_x`.
fn chart_start(id: &str, title: &str, height: f64, title_x: f64) -> String {
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

/// A line chart of one or more `(x, y)` series, with a legend; `id` names the `<svg>`.
pub fn line_chart(
    id: &str,
    title: &str,
    x_unit: &str,
    y_unit: &str,
    series: &[(&str, &[(f64, f64)])],
) -> String {
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let (mut x0, mut x1, mut y0, mut y1) =
        (f64::INFINITY, f64::NEG_INFINITY, 0.0f64, f64::NEG_INFINITY);
    for &(x, y) in points.filter(|p| p.0.is_finite() && p.1.is_finite()) {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    if !x0.is_finite() || x1 <= x0 {
        x0 = 0.0;
        x1 = x1.max(1.0);
    }
    if !y1.is_finite() || y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| TOP + ph - (y - y0) / (y1 - y0) * ph;
    let mut s = chart_start(id, title, H, LEFT);
    let _ = write!(
        s,
        r##"<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#999"/>"##
    );
    for i in 0..=4 {
        let v = y0 + (y1 - y0) * f64::from(i) / 4.0;
        let y = sy(v);
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#eee"/><text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text>"##,
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            axis_label(v)
        );
        let xv = x0 + (x1 - x0) * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" class="tick">{}</text>"#,
            sx(xv),
            TOP + ph + 16.0,
            axis_label(xv)
        );
    }
    let _ = write!(
        s,
        r#"<text x="{:.1}" y="{}" text-anchor="middle" class="tick">{}</text><text x="12" y="{:.1}" class="tick" transform="rotate(-90 12 {:.1})" text-anchor="middle">{}</text>"#,
        LEFT + pw / 2.0,
        H - 6.0,
        escape(x_unit),
        TOP + ph / 2.0,
        TOP + ph / 2.0,
        escape(y_unit)
    );
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let coords: Vec<String> = pts
            .iter()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let _ = write!(
            s,
            r#"<polyline class="series" data-series="{}" fill="none" stroke="{color}" stroke-width="1.8" points="{}"/>"#,
            escape(name),
            coords.join(" ")
        );
        let ly = TOP + 14.0 + 16.0 * i as f64;
        let _ = write!(
            s,
            r#"<rect x="{}" y="{:.1}" width="10" height="10" fill="{color}"/><text x="{}" y="{:.1}" class="legend">{}</text>"#,
            W - RIGHT + 10.0,
            ly - 9.0,
            W - RIGHT + 24.0,
            ly,
            escape(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// A horizontal bar chart of labelled values.
pub fn bar_chart(id: &str, title: &str, unit: &str, bars: &[(&str, f64)]) -> String {
    let row = 22.0;
    let height = TOP + row * bars.len().max(1) as f64 + 20.0;
    let label_w = 200.0;
    let pw = W - label_w - 90.0;
    let max = bars
        .iter()
        .map(|b| b.1)
        .fold(0.0f64, f64::max)
        .max(f64::MIN_POSITIVE);
    let mut s = chart_start(id, title, height, 10.0);
    for (i, (label, v)) in bars.iter().enumerate() {
        let y = TOP + row * i as f64;
        let w = (v / max * pw).max(1.0);
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" text-anchor="end" class="tick">{}</text><rect class="series" x="{label_w}" y="{y:.1}" width="{w:.1}" height="{}" fill="{}"/><text x="{:.1}" y="{:.1}" class="tick">{} {}</text>"##,
            label_w - 6.0,
            y + 14.0,
            escape(label),
            row - 6.0,
            COLORS[i % COLORS.len()],
            label_w + w + 6.0,
            y + 14.0,
            axis_label(*v),
            escape(unit)
        );
    }
    s.push_str("</svg>");
    s
}
