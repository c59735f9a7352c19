//! [`PerformanceMonitor::check_regression`]: regression checks on the monitor itself.

use super::state::with_checks;
use super::{DetectorOptions, Regression, RegressionConfig, RegressionTracker};
use crate::analysis::Metric;
use crate::monitor::HandleBound;
use crate::{PerformanceMonitor, PlatformMetrics, Result, RunningStats};

impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// Takes one sample and, when it completes a window, judges the window against the
    /// baseline (learned from the first windows, or set with
    /// [`PerformanceMonitor::set_regression_baseline`]). Call it from the application's
    /// loop; it returns `Ok(None)` when `baseline_comparison` is off. Scopes are judged
    /// when the config's `timing_profiling` is on.
    ///
    /// # Errors
    /// The provider's error when the sample fails.
    pub async fn check_regression(&self) -> Result<Option<Regression>> {
        if !self.config().baseline_comparison {
            return Ok(None);
        }
        let snapshot = self.snapshot().await?;
        // Read the scope registry outside the monitor's critical section.
        let mut sampler = with_checks(self, |a| a.scope_sampler.clone())?;
        let mut scope_means = heapless::Vec::<(&'static str, f64), 16>::new();
        if self.config().timing_profiling {
            sampler.sample(|name, us| {
                // Beyond 16 scopes per sample the tracker's table (8 metrics by default)
                // is full anyway.
                let _ = scope_means.push((name, us));
            });
        }
        with_checks(self, |a| {
            a.scope_sampler = sampler;
            for (name, us) in &scope_means {
                a.regression.observe(Metric::Scope(name), *us);
            }
            a.regression.observe_snapshot(&snapshot);
            a.regression_samples += 1;
            if a.regression_samples < a.regression.options().window_samples {
                return None;
            }
            a.regression_samples = 0;
            a.regression.end_window()
        })
    }

    /// Replaces the thresholds and window options of
    /// [`PerformanceMonitor::check_regression`], forgetting what was learned.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`]; the old settings stay in force.
    pub fn set_regression_config(
        &self,
        config: RegressionConfig,
        options: DetectorOptions,
    ) -> Result<()> {
        let tracker = RegressionTracker::new(config, options)?;
        with_checks(self, |a| {
            a.regression = tracker;
            a.regression_samples = 0;
        })
    }

    /// Uses `stats` as the baseline of `metric` for regression checks.
    ///
    /// # Errors
    /// As [`RegressionTracker::set_baseline`].
    pub fn set_regression_baseline(&self, metric: Metric, stats: RunningStats) -> Result<()> {
        with_checks(self, |a| a.regression.set_baseline(metric, stats))?
    }

    /// Reports any value of `metric` at or above `limit` at once.
    ///
    /// # Errors
    /// As [`RegressionTracker::set_hard_limit`].
    pub fn set_hard_limit(&self, metric: Metric, limit: Option<f64>) -> Result<()> {
        with_checks(self, |a| a.regression.set_hard_limit(metric, limit))?
    }

    /// Uses a recorded baseline for [`PerformanceMonitor::check_regression`] and
    /// [`PerformanceMonitor::validate_task_performance`]: heap, stack and CPU, and every
    /// scope of the baseline that has registered with the profiler. Returns how many
    /// metrics were set; scopes that have not run yet are skipped (call again later).
    ///
    /// # Errors
    /// [`crate::Error::CapacityExceeded`] when the tracker's table is full.
    pub fn use_baseline(&self, baseline: &crate::baseline::PerformanceBaseline) -> Result<usize> {
        let mut set = 0;
        for metric in [Metric::HeapUsed, Metric::StackUsed, Metric::CpuUtilization] {
            if let Some(stats) = baseline.metric(metric).filter(|s| s.count() > 0) {
                self.set_regression_baseline(metric, *stats)?;
                set += 1;
            }
        }
        for scope in &baseline.scopes {
            let registered = crate::timing::scope(&scope.name).map(|s| s.name);
            if let Some(name) = registered
                && scope.duration_us.count() > 0
            {
                self.set_regression_baseline(Metric::Scope(name), scope.duration_us)?;
                set += 1;
            }
        }
        Ok(set)
    }

    /// Adds one measured duration of a task or scope to the open regression window
    /// (dropped if the heap cannot hold the regression state on its first use).
    pub fn record_task_timing(&self, name: &'static str, duration_us: f64) {
        // Dropped if the heap cannot hold the checks on their first use (documented).
        let _ = with_checks(self, |a| {
            a.regression.observe(Metric::Scope(name), duration_us)
        });
    }
}
