//! [`LeakDetectionStatus`]: whether a leak verdict can be trusted yet.

use core::fmt;

use super::super::config::LeakDetectionSettings;

/// Whether the leak detector has seen enough samples to give a verdict.
///
/// ```
/// use iot_performance::memory::LeakDetectionStatus;
///
/// let early = LeakDetectionStatus::NotEnoughData { samples: 3, needed: 176 };
/// assert_eq!(early.to_string(), "not enough data: 3 of 176 samples");
/// assert!(!early.is_ready());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum LeakDetectionStatus {
    /// `detect_leaks` is off in the analyzer's config.
    Off,
    /// Fewer samples than the earliest verdict needs:
    /// `(warmup_windows + min_windows) × window_samples` of the [`LeakDetectionSettings`].
    NotEnoughData {
        /// Samples taken so far.
        samples: u32,
        /// Samples the earliest verdict needs.
        needed: u32,
    },
    /// Enough samples: `potential_leak_detected == false` means no leak was seen.
    Ready {
        /// Samples taken so far.
        samples: u32,
    },
}

impl LeakDetectionStatus {
    /// The status after `samples` samples with `settings`.
    pub fn new(detect_leaks: bool, samples: u32, settings: &LeakDetectionSettings) -> Self {
        if !detect_leaks {
            return Self::Off;
        }
        let needed = (u32::from(settings.warmup_windows) + u32::from(settings.min_windows))
            * u32::from(settings.window_samples);
        if samples < needed {
            Self::NotEnoughData { samples, needed }
        } else {
            Self::Ready { samples }
        }
    }

    /// True when a verdict can be given.
    pub fn is_ready(&self) -> bool {
        matches!(self, Self::Ready { .. })
    }
}

impl fmt::Display for LeakDetectionStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Off => f.write_str("leak detection off"),
            Self::NotEnoughData { samples, needed } => {
                write!(f, "not enough data: {samples} of {needed} samples")
            }
            Self::Ready { samples } => write!(f, "judged on {samples} samples"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_settings_need_176_samples() {
        let settings = LeakDetectionSettings::default();
        assert_eq!(
            LeakDetectionStatus::new(true, 3, &settings),
            LeakDetectionStatus::NotEnoughData {
                samples: 3,
                needed: 176
            }
        );
        assert!(LeakDetectionStatus::new(true, 176, &settings).is_ready());
        assert_eq!(
            LeakDetectionStatus::new(false, 500, &settings),
            LeakDetectionStatus::Off
        );
    }
}
