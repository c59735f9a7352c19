//! Monitor configuration.

use crate::{Error, Result};

/// What a [`crate::PerformanceMonitor`] samples and how often.
///
/// Written as a literal or taken from a preset:
///
/// ```
/// use iot_performance::MonitorConfig;
///
/// let custom = MonitorConfig {
///     sampling_interval_ms: 250,
///     memory_tracking: true,
///     timing_profiling: true,
///     baseline_comparison: false,
/// };
/// assert!(custom.validate().is_ok());
/// let production = MonitorConfig::for_production();
/// assert_eq!(production.sampling_interval_ms, 5_000); // lighter sampling...
/// assert!(production.timing_profiling); // ...but scopes still count (they are cheap)
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MonitorConfig {
    /// Time between two samples taken by [`crate::PerformanceMonitor::run`] and
    /// [`crate::PerformanceMonitor::collect_metrics_for_duration`], in milliseconds
    /// (1 ..= [`MonitorConfig::MAX_SAMPLING_INTERVAL_MS`]).
    pub sampling_interval_ms: u32,
    /// Keep running statistics of heap, stack and fragmentation on every sample.
    pub memory_tracking: bool,
    /// Take the scope profiler's figures into this monitor's checks
    /// ([`crate::PerformanceMonitor::check_regression`]). It does not switch the scopes
    /// themselves: that is program-wide, [`crate::timing::set_enabled`] (on at start-up),
    /// so that no monitor can silently turn off the scopes of another part of the program.
    pub timing_profiling: bool,
    /// Compare samples against a recorded baseline when one is present.
    pub baseline_comparison: bool,
}

impl MonitorConfig {
    /// The longest accepted sampling interval: one hour.
    pub const MAX_SAMPLING_INTERVAL_MS: u32 = 3_600_000;

    /// Low overhead for fielded devices: a sample every 5 s (lighter sampling and
    /// analysis: a fifth of the default's samples, each judged), memory tracking, scope
    /// figures and baseline comparison on. Scopes stay on: a scope costs tens of
    /// nanoseconds (see `docs/performance.md`), and their figures are what regression
    /// checks of a fielded device judge.
    pub const fn for_production() -> Self {
        Self {
            sampling_interval_ms: 5_000,
            memory_tracking: true,
            timing_profiling: true,
            baseline_comparison: true,
        }
    }

    /// Everything on, a sample every 100 ms: for tests and development boards.
    pub const fn for_testing() -> Self {
        Self {
            sampling_interval_ms: 100,
            memory_tracking: true,
            timing_profiling: true,
            baseline_comparison: true,
        }
    }

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range.
    pub const fn validate(&self) -> Result<()> {
        if self.sampling_interval_ms == 0
            || self.sampling_interval_ms > Self::MAX_SAMPLING_INTERVAL_MS
        {
            return Err(Error::InvalidConfig {
                field: "sampling_interval_ms",
                reason: "must be between 1 and 3600000 (one hour)",
            });
        }
        Ok(())
    }
}

impl Default for MonitorConfig {
    /// A sample every second with everything on.
    fn default() -> Self {
        Self {
            sampling_interval_ms: 1_000,
            memory_tracking: true,
            timing_profiling: true,
            baseline_comparison: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        for c in [
            MonitorConfig::default(),
            MonitorConfig::for_production(),
            MonitorConfig::for_testing(),
        ] {
            assert_eq!(c.validate(), Ok(()));
        }
    }

    #[test]
    fn out_of_range_interval_is_refused() {
        for ms in [0, MonitorConfig::MAX_SAMPLING_INTERVAL_MS + 1, u32::MAX] {
            let c = MonitorConfig {
                sampling_interval_ms: ms,
                ..MonitorConfig::default()
            };
            assert!(matches!(
                c.validate(),
                Err(Error::InvalidConfig {
                    field: "sampling_interval_ms",
                    ..
                })
            ));
        }
        let max = MonitorConfig {
            sampling_interval_ms: MonitorConfig::MAX_SAMPLING_INTERVAL_MS,
            ..MonitorConfig::default()
        };
        assert_eq!(max.validate(), Ok(()));
    }
}
