//! A/B comparison of two collections with a statistical verdict per metric (Welch's
//! t-test over running statistics: no samples kept, no heap), and the [`MetricComparison`]
//! that every comparison method of this module returns.

use core::borrow::Borrow;
use core::fmt;

use super::student_t::{two_sided_p, two_sided_quantile};
use super::{Metric, Verdict};
use crate::{MetricStats, MetricsCollection, Result, RunningStats};

/// One metric compared between A (before, the baseline) and B (after, the run), by
/// Welch's t-test ([`PerformanceComparator`]) or the seeded bootstrap
/// ([`super::BootstrapComparator`]).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MetricComparison {
    /// The metric.
    pub metric: Metric,
    /// Samples in A and in B.
    pub samples: (u64, u64),
    /// Mean in A.
    pub mean_a: f64,
    /// Mean in B.
    pub mean_b: f64,
    /// `(B − A) / A` in percent; `None` when A's mean is zero.
    pub change_percent: Option<f64>,
    /// Confidence interval of `change_percent` (95 % for Welch, the bootstrap's
    /// configured level for the bootstrap); `None` when it could not be computed.
    pub change_interval_percent: Option<(f64, f64)>,
    /// Half-width of the 95 % confidence interval of `B − A` (Welch only).
    pub difference_ci95: Option<f64>,
    /// Two-sided p-value of Welch's t-test (Welch only).
    pub p_value: Option<f64>,
    /// The verdict.
    pub verdict: Verdict,
}

/// Per-metric comparison of two collections.
#[derive(Debug, Clone, PartialEq)]
pub struct ComparisonReport {
    /// One entry per metric measured on both sides.
    pub metrics: heapless::Vec<MetricComparison, 6>,
}

impl ComparisonReport {
    /// The entry of `metric`, if it was measured on both sides.
    pub fn get(&self, metric: Metric) -> Option<&MetricComparison> {
        self.metrics.iter().find(|m| m.metric == metric)
    }

    /// Entries whose verdict is [`Verdict::Regressed`].
    pub fn regressions(&self) -> impl Iterator<Item = &MetricComparison> {
        self.metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Regressed)
    }

    /// True when any metric regressed.
    pub fn has_regression(&self) -> bool {
        self.regressions().next().is_some()
    }
}

impl fmt::Display for ComparisonReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for m in &self.metrics {
            let unit = m.metric.unit();
            write!(
                f,
                "{}: {} -> {}",
                m.metric,
                unit.quantity(m.mean_a),
                unit.quantity(m.mean_b)
            )?;
            if let Some(c) = m.change_percent {
                write!(f, " ({c:+.1} %")?;
                if let Some(p) = m.p_value {
                    write!(f, ", p = {p:.3}")?;
                }
                f.write_str(")")?;
            }
            writeln!(f, " {:?}", m.verdict)?;
        }
        Ok(())
    }
}

/// Compares two [`MetricsCollection`]s metric by metric.
///
/// A difference counts when Welch's t-test rejects "no difference" at `alpha` (0.05 by
/// default) *and* the change is at least `min_change_percent` (1 % by default): with
/// thousands of samples, a 0.1 % shift is significant but nobody would act on it.
///
/// ```
/// use iot_performance::analysis::{Metric, PerformanceComparator, Verdict};
/// use iot_performance::mock::MockMetrics;
/// use iot_performance::{MonitorConfig, PerformanceMonitor};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockMetrics::new_with_defaults();
/// mock.set_noise(7, 5.0); // ±5 % noise on every reading
/// let monitor = PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
/// let comparator = PerformanceComparator::new();
///
/// let config_a_metrics = monitor.collect_metrics_for_duration(60).await?;
/// mock.set_cpu_utilization(40.0); // configuration B is busier
/// let config_b_metrics = monitor.collect_metrics_for_duration(60).await?;
///
/// let comparison = comparator.compare(config_a_metrics, config_b_metrics).await?;
/// assert_eq!(comparison.get(Metric::CpuUtilization).unwrap().verdict, Verdict::Regressed);
/// assert_eq!(comparison.get(Metric::HeapUsed).unwrap().verdict, Verdict::NoSignificantChange);
/// # Ok::<(), iot_performance::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerformanceComparator {
    /// Significance level of the test.
    pub alpha: f64,
    /// Smallest change, in percent of A's mean, that is reported as a change.
    pub min_change_percent: f64,
}

impl PerformanceComparator {
    /// `alpha` 0.05, minimum change 1 %.
    pub const fn new() -> Self {
        Self {
            alpha: 0.05,
            min_change_percent: 1.0,
        }
    }

    /// Compares collection `a` (before) with `b` (after).
    ///
    /// # Errors
    /// None today; async and fallible to match the monitor's API.
    pub async fn compare(
        &self,
        a: impl Borrow<MetricsCollection>,
        b: impl Borrow<MetricsCollection>,
    ) -> Result<ComparisonReport> {
        Ok(self.compare_stats(&a.borrow().stats, &b.borrow().stats))
    }

    /// Compares two sets of statistics.
    pub fn compare_stats(&self, a: &MetricStats, b: &MetricStats) -> ComparisonReport {
        let mut metrics = heapless::Vec::new();
        for metric in Metric::SNAPSHOT {
            let (Some(sa), Some(sb)) = (metric.stats_in(a), metric.stats_in(b)) else {
                continue;
            };
            if sa.count() == 0 || sb.count() == 0 {
                continue;
            }
            // Six snapshot metrics, capacity six: the push cannot fail.
            let _ = metrics.push(self.compare_metric(metric, sa, sb));
        }
        ComparisonReport { metrics }
    }

    /// Compares one metric's statistics.
    pub fn compare_metric(
        &self,
        metric: Metric,
        a: &RunningStats,
        b: &RunningStats,
    ) -> MetricComparison {
        let mean_a = a.mean().unwrap_or(f64::NAN);
        let mean_b = b.mean().unwrap_or(f64::NAN);
        let change_percent = percent_change(mean_a, mean_b);
        let mut out = MetricComparison {
            metric,
            samples: (a.count(), b.count()),
            mean_a,
            mean_b,
            change_percent,
            change_interval_percent: None,
            difference_ci95: None,
            p_value: None,
            verdict: Verdict::InsufficientData,
        };
        let Some(test) = welch(a, b) else {
            return out;
        };
        out.difference_ci95 = Some(test.ci95);
        out.change_interval_percent = change_percent.map(|c| {
            let half = test.ci95 / mean_a.abs() * 100.0;
            (c - half, c + half)
        });
        out.p_value = Some(test.p);
        let big_enough = change_percent.is_none_or(|c| c.abs() >= self.min_change_percent);
        out.verdict = if test.p >= self.alpha || !big_enough {
            Verdict::NoSignificantChange
        } else {
            Verdict::of_significant_change(metric.higher_is_worse(), mean_b > mean_a)
        };
        out
    }
}

impl Default for PerformanceComparator {
    fn default() -> Self {
        Self::new()
    }
}

/// Result of Welch's unequal-variance t-test of `mean(b) − mean(a)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Welch {
    pub(crate) p: f64,
    pub(crate) ci95: f64,
}

/// `to` relative to `from`, in percent of `|from|`; `None` when `from` is zero.
pub(crate) fn percent_change(from: f64, to: f64) -> Option<f64> {
    (from != 0.0).then(|| (to - from) / from.abs() * 100.0)
}

/// Welch's t-test; `None` with fewer than two values on a side.
pub(crate) fn welch(a: &RunningStats, b: &RunningStats) -> Option<Welch> {
    let (va, vb) = (a.variance()?, b.variance()?);
    let (na, nb) = (a.count() as f64, b.count() as f64);
    let diff = b.mean()? - a.mean()?;
    let (qa, qb) = (va / na, vb / nb);
    let se2 = qa + qb;
    if se2 <= 0.0 {
        // Both sides constant: the difference is exact.
        let p = if diff == 0.0 { 1.0 } else { 0.0 };
        return Some(Welch { p, ci95: 0.0 });
    }
    let df = se2 * se2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
    let se = libm::sqrt(se2);
    Some(Welch {
        p: two_sided_p(diff / se, df),
        ci95: two_sided_quantile(0.95, df) * se,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(seed: u64, n: usize, mean: f64, spread: f64) -> RunningStats {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut s = RunningStats::new();
        (0..n).for_each(|_| s.push(mean + (rng.f64() * 2.0 - 1.0) * spread));
        s
    }

    #[test]
    fn welch_matches_a_hand_computed_case() {
        // a = 1..=5, b = 3..=7 : diff 2, var 2.5 each, se = 1, df = 8, t = 2.
        let (mut a, mut b) = (RunningStats::new(), RunningStats::new());
        (1..=5).for_each(|v| a.push(f64::from(v)));
        (3..=7).for_each(|v| b.push(f64::from(v)));
        let w = welch(&a, &b).unwrap();
        assert!((w.p - 0.0805).abs() < 1e-3, "{}", w.p);
        assert!((w.ci95 - 2.306).abs() < 1e-3);
    }

    #[test]
    fn verdicts() {
        let c = PerformanceComparator::new();
        let a = stats(1, 200, 1000.0, 50.0);
        let same = stats(2, 200, 1000.0, 50.0);
        let worse = stats(3, 200, 1100.0, 50.0);
        let better = stats(4, 200, 900.0, 50.0);
        assert_eq!(
            c.compare_metric(Metric::HeapUsed, &a, &same).verdict,
            Verdict::NoSignificantChange
        );
        let regressed = c.compare_metric(Metric::HeapUsed, &a, &worse);
        assert_eq!(regressed.verdict, Verdict::Regressed);
        assert_eq!(regressed.samples, (200, 200));
        // The interval of the change holds the change and excludes zero.
        let (lo, hi) = regressed.change_interval_percent.unwrap();
        let change = regressed.change_percent.unwrap();
        assert!(0.0 < lo && lo < change && change < hi, "{lo} {change} {hi}");
        assert_eq!(
            c.compare_metric(Metric::HeapUsed, &a, &better).verdict,
            Verdict::Improved
        );
        assert_eq!(
            c.compare_metric(Metric::TaskCount, &a, &worse).verdict,
            Verdict::Changed
        );
        let one = stats(5, 1, 1000.0, 0.0);
        assert_eq!(
            c.compare_metric(Metric::HeapUsed, &a, &one).verdict,
            Verdict::InsufficientData
        );
    }

    #[test]
    fn tiny_but_significant_shift_is_not_reported() {
        let c = PerformanceComparator::new();
        let a = stats(1, 100_000, 1000.0, 10.0);
        let b = stats(2, 100_000, 1005.0, 10.0); // 0.5 %: significant, but below 1 %
        let m = c.compare_metric(Metric::HeapUsed, &a, &b);
        assert!(m.p_value.unwrap() < 1e-6);
        assert_eq!(m.verdict, Verdict::NoSignificantChange);
    }

    #[test]
    fn false_alarm_rate_is_about_alpha() {
        let c = PerformanceComparator::new();
        let mut seeds = fastrand::Rng::with_seed(99);
        let alarms = (0..4000)
            .filter(|_| {
                let a = stats(seeds.u64(..), 30, 500.0, 100.0);
                let b = stats(seeds.u64(..), 30, 500.0, 100.0);
                c.compare_metric(Metric::HeapUsed, &a, &b).p_value.unwrap() < 0.05
            })
            .count();
        // Binomial(4000, 0.05): mean 200, sd 14.
        assert!(
            (150..=250).contains(&alarms),
            "{alarms} false alarms in 4000"
        );
    }
}
