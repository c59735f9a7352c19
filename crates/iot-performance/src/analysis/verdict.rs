//! The one answer every comparison gives: [`Verdict`].
//!
//! Both comparison methods of this module end in it: Welch's t-test over running
//! statistics ([`super::PerformanceComparator`], no heap) and the seeded bootstrap over
//! kept samples ([`super::BootstrapComparator`], under `alloc`), which the `iot-perf` CI
//! gate uses. A library user and a CLI user therefore read the same words.

/// What a comparison says about one metric going from A (baseline) to B (run).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Verdict {
    /// B is significantly worse than A, by more than the minimum change.
    Regressed,
    /// B is significantly better than A, by more than the minimum change.
    Improved,
    /// B differs significantly from A for a metric with no better direction (task count).
    Changed,
    /// The difference is within noise or below the minimum change.
    NoSignificantChange,
    /// Too few samples on a side (fewer than two), or a zero baseline where the method
    /// needs a relative change.
    InsufficientData,
}

impl Verdict {
    /// The verdict of a significant change of a metric: [`Verdict::Changed`] when the
    /// metric has no better direction, otherwise regressed or improved by the sign.
    pub const fn of_significant_change(higher_is_worse: bool, increased: bool) -> Self {
        match (higher_is_worse, increased) {
            (false, _) => Verdict::Changed,
            (true, true) => Verdict::Regressed,
            (true, false) => Verdict::Improved,
        }
    }

    /// A short lower-case label, e.g. `"no significant change"`.
    pub const fn label(&self) -> &'static str {
        match self {
            Verdict::Regressed => "regressed",
            Verdict::Improved => "improved",
            Verdict::Changed => "changed",
            Verdict::NoSignificantChange => "no significant change",
            Verdict::InsufficientData => "insufficient data",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn direction_decides_between_regressed_improved_and_changed() {
        assert_eq!(
            Verdict::of_significant_change(true, true),
            Verdict::Regressed
        );
        assert_eq!(
            Verdict::of_significant_change(true, false),
            Verdict::Improved
        );
        assert_eq!(
            Verdict::of_significant_change(false, true),
            Verdict::Changed
        );
        assert_eq!(
            Verdict::NoSignificantChange.label(),
            "no significant change"
        );
    }
}
