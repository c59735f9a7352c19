//! One colour per name in every chart of a report: the same scope is drawn in the same
//! colour in the bar chart, the time chart and the distribution chart.

const COLORS: [&str; 10] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
    "#7f7f7f", "#bcbd22",
];

/// The colour of `name` among `names` (sorted and deduplicated by the caller, so every chart
/// agrees); names not in the list share the last colour.
pub fn color(names: &[&str], name: &str) -> &'static str {
    let i = names
        .iter()
        .position(|n| *n == name)
        .unwrap_or(COLORS.len() - 1);
    COLORS[i % COLORS.len()]
}

/// The `i`-th colour of the palette (for series numbered rather than named).
pub fn nth(i: usize) -> &'static str {
    COLORS[i % COLORS.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_keeps_its_colour_and_different_names_differ() {
        let names = ["filter", "publish", "read"];
        assert_eq!(color(&names, "publish"), color(&names, "publish"));
        assert_ne!(color(&names, "filter"), color(&names, "read"));
    }
}
