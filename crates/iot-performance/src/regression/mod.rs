//! Regression detection that is cheap and robust enough to run on the device.
//!
//! A metric regresses when, for `K` consecutive windows, its window mean is above its
//! baseline by more than the relative threshold of its kind ([`RegressionConfig`]) **and**
//! by more than an absolute floor ([`DetectorOptions`]) — so ±5 % noise, a 2-byte change
//! of a 40-byte figure, or one slow window never raise an alarm. A hard limit
//! ([`RegressionDetector::set_hard_limit`]) fires at once, with no debounce.
//!
//! ```
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::{PerformanceMonitor, RegressionConfig, RegressionDetector};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mock = MockMetrics::new_with_defaults();
//! let monitor = PerformanceMonitor::with_provider(&mock).await?;
//! let config = RegressionConfig {
//!     memory_threshold_percent: 10.0, // Alert if memory usage increases by 10%
//!     timing_threshold_percent: 20.0, // Alert if timing increases by 20%
//!     cpu_threshold_percent: 15.0,    // Alert if CPU usage increases by 15%
//! };
//! let mut detector = RegressionDetector::with_monitor(monitor, config)?;
//! detector.start_monitoring().await?; // learns the baseline
//! assert!(detector.check_for_regression().await?.is_none());
//!
//! mock.set_memory_usage(20_000, 45_536); // heap up 22 %
//! let mut found = None;
//! while found.is_none() {
//!     found = detector.check_for_regression().await?;
//! }
//! let regression = found.unwrap();
//! println!("Regression detected: {}", regression.description());
//! assert_eq!(regression.metric.name(), "heap_used");
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```

mod detector;
mod monitor_ext;
mod state;
mod task_validation;
mod tracker;

use core::fmt;

pub use detector::RegressionDetector;
pub(crate) use task_validation::TaskCheck;
pub use task_validation::{TASK_CHECK_CAPACITY, TaskValidation, TaskVerdict};
pub use tracker::RegressionTracker;

use crate::analysis::{Metric, MetricKind};
use crate::{Error, Result};

/// Relative thresholds, in percent of the baseline mean, per kind of metric.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RegressionConfig {
    /// Heap and stack.
    pub memory_threshold_percent: f32,
    /// Scope and task durations.
    pub timing_threshold_percent: f32,
    /// CPU utilization.
    pub cpu_threshold_percent: f32,
}

impl RegressionConfig {
    /// Memory 10 %, timing 20 %, CPU 15 % (the values of the crate's documentation).
    pub const DEFAULT: Self = Self {
        memory_threshold_percent: 10.0,
        timing_threshold_percent: 20.0,
        cpu_threshold_percent: 15.0,
    };

    /// The threshold for `metric`; `None` for metrics that are never judged.
    pub fn threshold_percent(&self, metric: Metric) -> Option<f64> {
        match metric.kind() {
            MetricKind::Memory => Some(f64::from(self.memory_threshold_percent)),
            MetricKind::Timing => Some(f64::from(self.timing_threshold_percent)),
            MetricKind::Cpu => Some(f64::from(self.cpu_threshold_percent)),
            MetricKind::Informational => None,
        }
    }

    /// Checks that every threshold is a positive, finite percentage.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        for (field, v) in [
            ("memory_threshold_percent", self.memory_threshold_percent),
            ("timing_threshold_percent", self.timing_threshold_percent),
            ("cpu_threshold_percent", self.cpu_threshold_percent),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= 10_000.0) {
                return Err(Error::InvalidConfig {
                    field,
                    reason: "must be a percentage above 0 and at most 10000",
                });
            }
        }
        Ok(())
    }
}

impl Default for RegressionConfig {
    /// [`RegressionConfig::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How windows are formed and how much a change must exceed before it counts.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DetectorOptions {
    /// Samples per window (1 ..= 10 000).
    pub window_samples: u32,
    /// Windows learned as the baseline before judging (1 ..= 1 000).
    pub baseline_windows: u32,
    /// Consecutive windows over threshold before a regression is reported (1 ..= 100).
    pub consecutive_windows: u8,
    /// Smallest heap or stack increase that counts, bytes.
    pub memory_floor_bytes: f64,
    /// Smallest scope-duration increase that counts, µs.
    pub timing_floor_us: f64,
    /// Smallest CPU increase that counts, percentage points.
    pub cpu_floor_percent: f64,
}

impl DetectorOptions {
    /// Windows of 10 samples, 5 baseline windows, 3 consecutive windows, floors of 256 B,
    /// 5 µs and 2 CPU points.
    pub const DEFAULT: Self = Self {
        window_samples: 10,
        baseline_windows: 5,
        consecutive_windows: 3,
        memory_floor_bytes: 256.0,
        timing_floor_us: 5.0,
        cpu_floor_percent: 2.0,
    };

    /// The absolute floor for `metric`.
    pub fn floor(&self, metric: Metric) -> f64 {
        match metric.kind() {
            MetricKind::Memory => self.memory_floor_bytes,
            MetricKind::Timing => self.timing_floor_us,
            MetricKind::Cpu => self.cpu_floor_percent,
            MetricKind::Informational => 0.0,
        }
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first bad field.
    pub fn validate(&self) -> Result<()> {
        let bad = |field| {
            Err(Error::InvalidConfig {
                field,
                reason: "is out of range (see DetectorOptions)",
            })
        };
        if !(1..=10_000).contains(&self.window_samples) {
            return bad("window_samples");
        }
        if !(1..=1_000).contains(&self.baseline_windows) {
            return bad("baseline_windows");
        }
        if !(1..=100).contains(&self.consecutive_windows) {
            return bad("consecutive_windows");
        }
        for (field, v) in [
            ("memory_floor_bytes", self.memory_floor_bytes),
            ("timing_floor_us", self.timing_floor_us),
            ("cpu_floor_percent", self.cpu_floor_percent),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return bad(field);
            }
        }
        Ok(())
    }
}

impl Default for DetectorOptions {
    /// [`DetectorOptions::DEFAULT`].
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// How bad a regression is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Severity {
    /// Over the threshold, less than twice it.
    Minor,
    /// At least twice the threshold.
    Major,
    /// A hard limit was crossed.
    Critical,
}

/// Why a regression was reported.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum RegressionKind {
    /// Above the baseline by more than the threshold and floor for enough windows.
    Relative {
        /// The relative threshold that was exceeded, percent.
        threshold_percent: f64,
        /// Consecutive windows it was exceeded for.
        windows: u8,
    },
    /// A value crossed its hard limit.
    HardLimit {
        /// The limit.
        limit: f64,
    },
}

/// A detected regression: which metric, from what to what, and how bad.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Regression {
    /// The metric.
    pub metric: Metric,
    /// Baseline mean.
    pub baseline_value: f64,
    /// Mean of the latest window (its maximum for a hard limit).
    pub current_value: f64,
    /// Severity.
    pub severity: Severity,
    /// What fired.
    pub kind: RegressionKind,
}

impl Regression {
    /// `current − baseline`, in the metric's unit.
    pub fn change(&self) -> f64 {
        self.current_value - self.baseline_value
    }

    /// The change in percent of the baseline; `None` for a zero baseline.
    pub fn change_percent(&self) -> Option<f64> {
        crate::analysis::percent_change(self.baseline_value, self.current_value)
    }

    /// A sentence saying what happened (`Display`, also without `alloc`).
    pub fn description(&self) -> &Self {
        self
    }
}

impl fmt::Display for Regression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = self.metric.unit();
        let (base, cur) = (
            unit.quantity(self.baseline_value),
            unit.quantity(self.current_value),
        );
        let sev = match self.severity {
            Severity::Minor => "minor",
            Severity::Major => "major",
            Severity::Critical => "critical",
        };
        match self.kind {
            RegressionKind::Relative {
                threshold_percent,
                windows,
            } => {
                write!(f, "{} rose ", self.metric)?;
                if let Some(p) = self.change_percent() {
                    write!(f, "{p:.1} % ")?;
                }
                write!(
                    f,
                    "({base} -> {cur}) for {windows} windows, threshold {threshold_percent:.0} %: {sev}"
                )
            }
            RegressionKind::HardLimit { limit } => write!(
                f,
                "{} reached {cur}, above its hard limit {} (baseline {base}): {sev}",
                self.metric,
                unit.quantity(limit)
            ),
        }
    }
}
