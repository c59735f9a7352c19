//! [`RegressionDetector`]: a [`RegressionTracker`] fed by a monitor, window by window.

use super::{DetectorOptions, Regression, RegressionConfig, RegressionTracker};
use crate::analysis::{Metric, ScopeSampler};
use crate::monitor::{HandleBound, LazyMonitor};
use crate::platform::DefaultPlatform;
use crate::{Error, PerformanceMonitor, PlatformMetrics, Result};

/// Samples a monitor in windows and reports regressions against a learned or given
/// baseline (see the [module documentation](super) for the rules).
///
/// Each [`RegressionDetector::check_for_regression`] takes one window of
/// `window_samples` samples, `sampling_interval_ms` of the provider's clock apart; the
/// timing profiler's scopes are sampled with them (mean call duration per interval, see
/// [`ScopeSampler`]), and [`RegressionDetector::record_timing`] adds durations measured
/// by other means.
pub struct RegressionDetector<P: PlatformMetrics + HandleBound = DefaultPlatform> {
    monitor: LazyMonitor<P>,
    tracker: RegressionTracker,
    sampler: ScopeSampler,
    invalid: Option<Error>,
}

impl<P: PlatformMetrics + HandleBound> core::fmt::Debug for RegressionDetector<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegressionDetector")
            .field("tracker", &self.tracker)
            .field("invalid", &self.invalid)
            .finish_non_exhaustive()
    }
}

#[cfg(host_std)]
impl RegressionDetector<DefaultPlatform> {
    /// A detector of this platform's default backend (the host process under `std`),
    /// opened on [`RegressionDetector::start_monitoring`]. A config out of range is
    /// reported by that call.
    pub fn new(config: RegressionConfig) -> Self {
        let (tracker, invalid) = match RegressionTracker::new(config, DetectorOptions::DEFAULT) {
            Ok(t) => (t, None),
            Err(e) => (RegressionTracker::const_default(), Some(e)),
        };
        Self {
            monitor: LazyMonitor::opened_on_first_use(crate::host::HostMetrics::new),
            tracker,
            sampler: ScopeSampler::new(),
            invalid,
        }
    }
}

impl<P: PlatformMetrics + HandleBound> RegressionDetector<P> {
    /// A detector sampling `monitor`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for thresholds out of range.
    pub fn with_monitor(monitor: PerformanceMonitor<P>, config: RegressionConfig) -> Result<Self> {
        Ok(Self {
            monitor: LazyMonitor::given(monitor),
            tracker: RegressionTracker::new(config, DetectorOptions::DEFAULT)?,
            sampler: ScopeSampler::new(),
            invalid: None,
        })
    }

    /// Replaces the window and debounce options (and forgets what was learned).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for options out of range.
    pub fn with_options(mut self, options: DetectorOptions) -> Result<Self> {
        self.tracker = RegressionTracker::new(self.tracker.config(), options)?;
        Ok(self)
    }

    /// The state machine (baselines, limits, counters).
    pub fn tracker(&self) -> &RegressionTracker {
        &self.tracker
    }

    /// The state machine, to set baselines or hard limits.
    pub fn tracker_mut(&mut self) -> &mut RegressionTracker {
        &mut self.tracker
    }

    /// Reports any value of `metric` at or above `limit` at once (see
    /// [`RegressionTracker::set_hard_limit`]).
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] when the metric table is full.
    pub fn set_hard_limit(&mut self, metric: Metric, limit: Option<f64>) -> Result<()> {
        self.tracker.set_hard_limit(metric, limit)
    }

    /// Adds one measured duration of a scope or task to the open window.
    pub fn record_timing(&mut self, name: &'static str, duration_us: f64) {
        self.tracker.observe(Metric::Scope(name), duration_us);
    }

    async fn monitor(&mut self) -> Result<&PerformanceMonitor<P>> {
        if let Some(e) = self.invalid {
            return Err(e);
        }
        self.monitor.get("monitor of the regression detector").await
    }

    /// Starts the monitor and learns the baseline: `baseline_windows` windows, which
    /// takes `baseline_windows × window_samples × sampling_interval_ms` of the provider's
    /// clock (50 s with the defaults and a 1 s interval; no real time on the mock).
    ///
    /// # Errors
    /// An invalid config; the provider's error when the monitor cannot start.
    pub async fn start_monitoring(&mut self) -> Result<()> {
        self.monitor().await?.start_monitoring().await?;
        for _ in 0..self.tracker.options().baseline_windows {
            self.collect_window().await?;
            // Learning windows never report.
            let _ = self.tracker.end_window();
        }
        Ok(())
    }

    /// Takes one window of samples and judges it.
    ///
    /// # Errors
    /// An invalid config. Failed samples are skipped (the monitor counts them).
    pub async fn check_for_regression(&mut self) -> Result<Option<Regression>> {
        self.collect_window().await?;
        Ok(self.tracker.end_window())
    }

    async fn collect_window(&mut self) -> Result<()> {
        let samples = self.tracker.options().window_samples;
        let monitor = self.monitor().await?.clone();
        let interval = monitor.config().sampling_interval_ms;
        for i in 0..samples {
            if i > 0 {
                monitor.provider().delay_ms(interval).await;
            }
            if let Ok(snapshot) = monitor.snapshot().await {
                self.tracker.observe_snapshot(&snapshot);
            }
            let tracker = &mut self.tracker;
            self.sampler
                .sample(|name, us| tracker.observe(Metric::Scope(name), us));
        }
        Ok(())
    }
}
