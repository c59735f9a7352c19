//! What a baseline holds, and how a window of samples is judged against it.

use core::fmt;

use crate::analysis::Metric;
use crate::analysis::{percent_change, welch};
use crate::regression::{DetectorOptions, RegressionConfig};
use crate::{Error, MetricStats, Result, RunningStats};

/// Longest baseline or scope name, in bytes.
pub const MAX_NAME_LEN: usize = 24;

/// Scopes whose timing a baseline can hold.
pub const MAX_SCOPES: usize = 8;

/// A baseline or scope name (at most [`MAX_NAME_LEN`] bytes, no allocation).
pub type Name = heapless::String<MAX_NAME_LEN>;

/// Makes a [`Name`].
///
/// # Errors
/// [`Error::InvalidConfig`] for an empty name or one longer than [`MAX_NAME_LEN`] bytes.
pub fn name(s: &str) -> Result<Name> {
    if s.is_empty() {
        return Err(Error::InvalidConfig {
            field: "name",
            reason: "must not be empty",
        });
    }
    Name::try_from(s).map_err(|_| Error::InvalidConfig {
        field: "name",
        reason: "must be at most 24 bytes",
    })
}

/// Timing of one scope or task in a baseline: statistics of its per-call duration.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScopeBaseline {
    /// The scope's name.
    pub name: Name,
    /// Per-call duration, µs.
    pub duration_us: RunningStats,
    /// Median call duration over the window, µs: from the profiler's log2 histogram
    /// (bucket upper bound, at most 2× high) under `detailed-profiling`, else `None`.
    pub p50_us: Option<f64>,
    /// 99th-percentile call duration over the window, µs; as `p50_us`.
    pub p99_us: Option<f64>,
}

/// A named record of how the system performed over one window: per metric count, mean,
/// variance (Welford), min and max; per scope the same for call durations.
///
/// Percentiles are not stored: the snapshot metrics have no histograms, and scope
/// histograms belong to the timing profiler's `detailed-profiling` data.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PerformanceBaseline {
    /// Its name, e.g. `"steady_state"`.
    pub name: Name,
    /// Provider time when recording started, µs.
    pub recorded_at_us: u64,
    /// Length of the window, ms.
    pub duration_ms: u64,
    /// Samples taken.
    pub sample_count: u32,
    /// Statistics per snapshot metric.
    pub stats: MetricStats,
    /// Statistics per scope: one value per sampling interval, the mean duration of the
    /// scope's calls in it (busy time for `async fn`s), µs.
    pub scopes: heapless::Vec<ScopeBaseline, MAX_SCOPES>,
    /// Scopes seen in the window that did not fit in [`MAX_SCOPES`].
    pub scopes_dropped: u32,
}

impl PerformanceBaseline {
    /// The statistics of `metric` (snapshot metric or scope).
    pub fn metric(&self, metric: Metric) -> Option<&RunningStats> {
        match metric {
            Metric::Scope(n) => self.scope(n),
            m => m.stats_in(&self.stats),
        }
    }

    /// The statistics of scope `name`.
    pub fn scope(&self, name: &str) -> Option<&RunningStats> {
        self.scopes
            .iter()
            .find(|s| s.name.as_str() == name)
            .map(|s| &s.duration_us)
    }

    /// Sets (or replaces) the timing of scope `name`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad name; [`Error::CapacityExceeded`] when
    /// [`MAX_SCOPES`] scopes are already held.
    pub fn set_scope(&mut self, scope: &str, duration_us: RunningStats) -> Result<()> {
        if let Some(s) = self.scopes.iter_mut().find(|s| s.name.as_str() == scope) {
            s.duration_us = duration_us;
            return Ok(());
        }
        self.scopes
            .push(ScopeBaseline {
                name: name(scope)?,
                duration_us,
                p50_us: None,
                p99_us: None,
            })
            .map_err(|_| Error::CapacityExceeded {
                what: "scopes of a baseline",
                capacity: MAX_SCOPES,
            })
    }
}

/// One metric of a [`BaselineComparison`].
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MetricDelta {
    /// The metric.
    pub metric: Metric,
    /// Baseline mean.
    pub baseline_mean: f64,
    /// Current mean.
    pub current_mean: f64,
    /// Change in percent of the baseline (`None` for a zero baseline).
    pub change_percent: Option<f64>,
    /// The threshold that applies (`None`: the metric is informational).
    pub threshold_percent: Option<f64>,
    /// Welch's two-sided p-value, when both sides have two samples or more.
    pub p_value: Option<f64>,
    /// Worse than the baseline by more than threshold and floor, and not noise.
    pub regression: bool,
}

/// The result of comparing a window with a named baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineComparison {
    /// The baseline's name.
    pub baseline: Name,
    /// One entry per metric present on both sides.
    pub deltas: heapless::Vec<MetricDelta, { 6 + MAX_SCOPES }>,
}

/// Significance required before a change over the threshold counts as a regression.
const P_VALUE_LIMIT: f64 = 0.01;

impl BaselineComparison {
    /// Compares `current` with `baseline` under `config`'s thresholds and `options`'
    /// floors; `current_scopes` gives the current timing of scopes by name.
    pub fn new(
        baseline: &PerformanceBaseline,
        current: &MetricStats,
        current_scopes: impl IntoIterator<Item = (&'static str, RunningStats)>,
        config: &RegressionConfig,
        options: &DetectorOptions,
    ) -> Self {
        let mut deltas = heapless::Vec::new();
        for metric in Metric::SNAPSHOT {
            if let (Some(b), Some(c)) = (metric.stats_in(&baseline.stats), metric.stats_in(current))
                && let Some(d) = delta(metric, b, c, config, options)
            {
                let _ = deltas.push(d);
            }
        }
        for (scope, c) in current_scopes {
            if let Some(b) = baseline.scopes.iter().find(|s| s.name.as_str() == scope) {
                let metric = Metric::Scope(scope);
                if let Some(d) = delta(metric, &b.duration_us, &c, config, options) {
                    let _ = deltas.push(d);
                }
            }
        }
        Self {
            baseline: baseline.name.clone(),
            deltas,
        }
    }

    /// True when any metric regressed.
    pub fn is_regression_detected(&self) -> bool {
        self.regressions().next().is_some()
    }

    /// The metrics that regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &MetricDelta> {
        self.deltas.iter().filter(|d| d.regression)
    }

    /// The delta of `metric`.
    pub fn delta(&self, metric: Metric) -> Option<&MetricDelta> {
        self.deltas.iter().find(|d| d.metric == metric)
    }

    /// One line saying what changed (`Display`, also without `alloc`).
    pub fn summary(&self) -> &Self {
        self
    }
}

impl fmt::Display for BaselineComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.regressions().count();
        let list: &mut dyn Iterator<Item = &MetricDelta> = if n == 0 {
            write!(f, "no regression against `{}`", self.baseline)?;
            &mut self.deltas.iter().filter(|d| d.threshold_percent.is_some())
        } else {
            write!(f, "{n} regression(s) against `{}`", self.baseline)?;
            &mut self.regressions()
        };
        for (i, d) in list.enumerate() {
            f.write_str(if i == 0 { ": " } else { "; " })?;
            let unit = d.metric.unit();
            write!(f, "{}", d.metric)?;
            if let Some(c) = d.change_percent {
                write!(f, " {c:+.1} %")?;
            }
            write!(
                f,
                " ({} -> {}",
                unit.quantity(d.baseline_mean),
                unit.quantity(d.current_mean)
            )?;
            if d.regression
                && let Some(t) = d.threshold_percent
            {
                write!(f, ", threshold {t:.0} %")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

fn delta(
    metric: Metric,
    baseline: &RunningStats,
    current: &RunningStats,
    config: &RegressionConfig,
    options: &DetectorOptions,
) -> Option<MetricDelta> {
    let (b, c) = (baseline.mean()?, current.mean()?);
    let change_percent = percent_change(b, c);
    let threshold_percent = config.threshold_percent(metric);
    let p_value = welch(baseline, current).map(|w| w.p);
    let regression = match threshold_percent {
        Some(t) => {
            let over = change_percent.is_none_or(|p| p > t);
            over && c - b > options.floor(metric) && p_value.is_none_or(|p| p < P_VALUE_LIMIT)
        }
        None => false,
    };
    Some(MetricDelta {
        metric,
        baseline_mean: b,
        current_mean: c,
        change_percent,
        threshold_percent,
        p_value,
        regression,
    })
}
