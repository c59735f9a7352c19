//! What a [`super::MemoryAnalyzer`] does, and how its leak detector decides.

#[cfg(doc)]
use super::LeakEvidence;
use crate::{Error, Result};

/// What the analyzer looks at. All three are on in [`Default`].
///
/// ```
/// use iot_performance::MemoryAnalysisConfig;
///
/// let config = MemoryAnalysisConfig {
///     track_allocations: true,
///     detect_leaks: true,
///     fragmentation_analysis: true,
/// };
/// assert_eq!(config, MemoryAnalysisConfig::default());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MemoryAnalysisConfig {
    /// Report the tracking allocator's exact counts (and, under `detailed-profiling`, the
    /// size classes that only grow) when a [`super::TrackingAllocator`] is installed.
    pub track_allocations: bool,
    /// Watch the heap floor for a leak (see [`LeakDetectionSettings`]).
    pub detect_leaks: bool,
    /// Report the heap's fragmentation where the platform can measure it.
    pub fragmentation_analysis: bool,
}

impl Default for MemoryAnalysisConfig {
    fn default() -> Self {
        Self {
            track_allocations: true,
            detect_leaks: true,
            fragmentation_analysis: true,
        }
    }
}

/// How the leak detector samples and when it speaks up.
///
/// The heap's *floor* — the lowest `heap_used` within a window of `window_samples`
/// samples — is what a leak raises: buffers that come and go lift the peaks, not the
/// floor. After `warmup_windows` windows (start-up allocations), a least-squares line
/// is fitted to the last `fit_windows` floors. A leak is reported when all of these hold:
///
/// - at least `min_windows` floors are in the fit;
/// - the slope is positive with probability ≥ `min_confidence` (one-sided Student t,
///   corrected for the floors' lag-1 autocorrelation ρ: standard error × √((1+ρ)/(1−ρ)),
///   degrees of freedom of the effective sample size `n·(1−ρ)/(1+ρ)`; ρ is estimated
///   from the steps between consecutive floors, which a leak does not bias);
/// - the fitted rise over the fit is ≥ `min_growth_bytes` and ≥ 4 × the floors' scatter
///   around the line;
/// - the floors are nearly in order: at most 5 % of the pairs of windows have the later
///   floor lower (a rank test in the spirit of Mann–Kendall; for floors that are pure
///   noise the chance of passing it is about 1.5·10⁻⁵ with 10 windows and below 10⁻⁸
///   with 16, which is what keeps a device sampled for months from crying wolf);
/// - the floor rises within each half of the fit on its own (least-squares slope of each
///   half above zero), so that a single step up, such as a cache filled once, is not
///   taken for a leak.
///
/// Allocations that outlive a window (buffers held for tens or hundreds of samples) make
/// consecutive floors correlated: they wander, and a run of them can rise in order on a
/// stable heap. The continuous monitor therefore doubles its window (merging the floors it
/// holds in pairs) whenever the floors' autocorrelation has stayed ≥ 0.6 over 32 windows,
/// up to [`LeakDetectionSettings::MAX_WINDOW_GROWTH`] × `window_samples`, so that a window
/// outlasts the heap's transient allocations; [`LeakEvidence::window_samples`] says where
/// it stands. On such a heap a leak takes longer to report (docs/performance.md, "Leak
/// detection: speed and false alarms").
///
/// Two consequences to size the settings by:
/// - a window must span at least one period of the application's allocation cycle, or
///   the floor follows the cycle instead of the trend;
/// - a leak is seen once it raises the floor by more than the floor's noise from one
///   window to the next; for a slow leak, lengthen the window (more samples per window).
///
/// With the defaults, such a leak is reported after
/// `(warmup_windows + min_windows) × window_samples` = 176 samples at the earliest; the
/// test suite checks that leaking 64 bytes per sample on top of a noisy sawtooth is
/// reported within [`LeakDetectionSettings::DOCUMENTED_DETECTION_SAMPLES`] = 192 samples,
/// and that the sawtooth alone is never reported over 10,000 samples.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeakDetectionSettings {
    /// Milliseconds between samples of the continuous monitor (default 1000).
    pub sampling_interval_ms: u32,
    /// Samples per window (default 16, at least 2).
    pub window_samples: u16,
    /// Windows ignored at the start (default 1).
    pub warmup_windows: u8,
    /// Floors needed before a leak can be reported (default 10, at least 6: each half of
    /// the fit needs three).
    pub min_windows: u8,
    /// Floors in the fit, the most recent ones (default 16, `min_windows..=16`).
    pub fit_windows: u8,
    /// Required probability that the floor's slope is positive (default 0.999).
    pub min_confidence: f32,
    /// Required rise of the fitted floor over the fit, in bytes (default 256).
    pub min_growth_bytes: u32,
}

impl LeakDetectionSettings {
    /// Most floors a fit can hold.
    pub const MAX_FIT_WINDOWS: u8 = 16;

    /// How many times longer than `window_samples` the continuous monitor may make its
    /// window when consecutive floors stay correlated (default window 16 → up to 256
    /// samples, a fit over up to 4,096 samples).
    pub const MAX_WINDOW_GROWTH: u16 = 16;

    /// Samples within which the defaults report 64 bytes leaked per sample on top of a
    /// noisy, stable sawtooth (checked by `tests/leak_detection.rs`).
    pub const DOCUMENTED_DETECTION_SAMPLES: u32 = 192;

    /// Checks every field's range.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        let bad = |field, reason| Err(Error::InvalidConfig { field, reason });
        if self.sampling_interval_ms == 0 {
            return bad("sampling_interval_ms", "must be at least 1");
        }
        if self.window_samples < 2 {
            return bad("window_samples", "must be at least 2");
        }
        if self.min_windows < 6 {
            return bad("min_windows", "must be at least 6");
        }
        if self.fit_windows < self.min_windows || self.fit_windows > Self::MAX_FIT_WINDOWS {
            return bad("fit_windows", "must be between min_windows and 16");
        }
        if !(0.5..1.0).contains(&self.min_confidence) {
            return bad("min_confidence", "must be at least 0.5 and below 1.0");
        }
        Ok(())
    }
}

impl Default for LeakDetectionSettings {
    fn default() -> Self {
        Self {
            sampling_interval_ms: 1000,
            window_samples: 16,
            warmup_windows: 1,
            min_windows: 10,
            fit_windows: 16,
            min_confidence: 0.999,
            min_growth_bytes: 256,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_checked() {
        assert!(LeakDetectionSettings::default().validate().is_ok());
        let bad = LeakDetectionSettings {
            fit_windows: 17,
            ..Default::default()
        };
        assert!(matches!(
            bad.validate(),
            Err(Error::InvalidConfig {
                field: "fit_windows",
                ..
            })
        ));
        let bad = LeakDetectionSettings {
            min_confidence: 1.0,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
        let bad = LeakDetectionSettings {
            window_samples: 1,
            ..Default::default()
        };
        assert!(bad.validate().is_err());
    }
}
