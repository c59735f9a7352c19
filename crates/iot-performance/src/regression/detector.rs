//! [`RegressionDetector`]: a [`RegressionTracker`] fed by a monitor, window by window.

use super::{DetectorOptions, Regression, RegressionConfig, RegressionTracker};
use crate::analysis::{Metric, ScopeSampler};
use crate::monitor::{HandleBound, LazyMonitor};
use crate::platform::DefaultPlatform;
use crate::{Error, PerformanceMonitor, PlatformMetrics, Result};

/// Judges a monitor's samples in windows of `window_samples` against a learned or given
/// baseline (see the [module documentation](super) for the rules); the first
/// `baseline_windows` windows are learned (set both with
/// [`RegressionDetector::with_options`]).
///
/// Where the samples come from:
/// - **the monitor samples in the background** (a started host monitor, such as the one
///   [`RegressionDetector::new`] opens, or one whose [`PerformanceMonitor::run`] is being
///   driven): [`RegressionDetector::start_monitoring`] returns at once and the baseline is
///   learned in the background; each [`RegressionDetector::check_for_regression`] judges
///   the windows completed since the previous check and returns at once (`None` while
///   learning: see [`RegressionTracker::is_baseline_learned`]).
/// - **otherwise** (e.g. the mock): `start_monitoring` samples the learning windows and
///   each check samples one window, `sampling_interval_ms` of the provider's clock apart:
///   instant and deterministic on the mock.
///
/// The timing profiler's scopes are sampled with the snapshots (mean call duration per
/// interval, see [`ScopeSampler`]), and [`RegressionDetector::record_timing`] adds
/// durations measured by other means.
pub struct RegressionDetector<P: PlatformMetrics + HandleBound = DefaultPlatform> {
    monitor: LazyMonitor<P>,
    tracker: RegressionTracker,
    sampler: ScopeSampler,
    invalid: Option<Error>,
    /// Samples read from a monitor that samples in the background: where the next read
    /// starts, and how many are in the open window.
    #[cfg(feature = "alloc")]
    accumulated: Option<(crate::SampleCursor, u32)>,
}

impl<P: PlatformMetrics + HandleBound> core::fmt::Debug for RegressionDetector<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RegressionDetector")
            .field("tracker", &self.tracker)
            .field("invalid", &self.invalid)
            .finish_non_exhaustive()
    }
}

#[cfg(any(
    host_std,
    all(
        feature = "alloc",
        any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
    )
))]
impl RegressionDetector<DefaultPlatform> {
    /// A detector of a monitor of this platform's default backend (the host process; on
    /// firmware the platform feature's backend with its default config), opened and
    /// started by [`RegressionDetector::start_monitoring`]. A config out of range is
    /// reported by that call.
    pub fn new(config: RegressionConfig) -> Self {
        let (tracker, invalid) = match RegressionTracker::new(config, DetectorOptions::DEFAULT) {
            Ok(t) => (t, None),
            Err(e) => (RegressionTracker::const_default(), Some(e)),
        };
        Self {
            monitor: LazyMonitor::opened_on_first_use(crate::monitor::open_default_monitor),
            tracker,
            sampler: ScopeSampler::new(),
            invalid,
            #[cfg(feature = "alloc")]
            accumulated: None,
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
            #[cfg(feature = "alloc")]
            accumulated: None,
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

    fn monitor(&mut self) -> Result<&PerformanceMonitor<P>> {
        if let Some(e) = self.invalid {
            return Err(e);
        }
        self.monitor.get("monitor of the regression detector")
    }

    /// Starts the monitor and learns the baseline. When the monitor samples in the
    /// background (see the type's documentation) it returns at once and the baseline is
    /// learned from the samples as they come; otherwise it samples the `baseline_windows`
    /// learning windows now, `baseline_windows × window_samples × sampling_interval_ms`
    /// of the provider's clock (no real time on the mock).
    ///
    /// # Errors
    /// An invalid config; the provider's error when the monitor cannot start.
    pub async fn start_monitoring(&mut self) -> Result<()> {
        let monitor = self.monitor()?.clone();
        // Taken before starting, so that the first sample counts.
        #[cfg(feature = "alloc")]
        let cursor = monitor.sample_cursor();
        monitor.start_monitoring().await?;
        #[cfg(feature = "alloc")]
        if monitor.is_sampled_in_background() {
            self.sampler.prime();
            self.accumulated = Some((cursor, 0));
            return Ok(());
        }
        for _ in 0..self.tracker.options().baseline_windows {
            self.collect_window().await?;
            // Learning windows never report.
            let _ = self.tracker.end_window();
        }
        Ok(())
    }

    /// Judges the samples the background sampler took since the previous check, plus one
    /// taken now (returns at once), or, when the monitor is not sampled in the background, samples
    /// one window now and judges it. Returns the latest regression found, `None` while
    /// the baseline is being learned or when nothing regressed.
    ///
    /// # Errors
    /// An invalid config. Failed samples are skipped (the monitor counts them).
    pub async fn check_for_regression(&mut self) -> Result<Option<Regression>> {
        #[cfg(feature = "alloc")]
        if let Some(found) = self.judge_accumulated()? {
            return Ok(found);
        }
        self.collect_window().await?;
        Ok(self.tracker.end_window())
    }

    /// `Some(verdict)` when the detector reads a monitor that samples in the background.
    #[cfg(feature = "alloc")]
    fn judge_accumulated(&mut self) -> Result<Option<Option<Regression>>> {
        let monitor = self.monitor()?.clone();
        let Some((cursor, in_window)) = self.accumulated.as_mut() else {
            return Ok(None);
        };
        if !monitor.is_sampled_in_background() {
            return Ok(None);
        }
        // The check includes a reading taken now (microseconds), so that a check made
        // sooner than the sampling interval still judges the present.
        let _ = monitor.record_now();
        let window = self.tracker.options().window_samples;
        let mut found = None;
        let tracker = &mut self.tracker;
        self.sampler
            .sample(|name, us| tracker.observe(Metric::Scope(name), us));
        for snapshot in &monitor.samples_since(cursor).samples {
            tracker.observe_snapshot(snapshot);
            *in_window += 1;
            if *in_window >= window {
                *in_window = 0;
                if let Some(r) = tracker.end_window() {
                    found = Some(r);
                }
            }
        }
        Ok(Some(found))
    }

    async fn collect_window(&mut self) -> Result<()> {
        let samples = self.tracker.options().window_samples;
        let monitor = self.monitor()?.clone();
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
