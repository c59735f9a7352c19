//! The heap-floor leak detector behind [`super::MemoryAnalyzer`].
//!
//! Fixed-size state (no allocation): the current window's minimum and a ring of the last
//! [`LeakDetectionSettings::MAX_FIT_WINDOWS`] floors. See [`LeakDetectionSettings`] for
//! the decision rule.

use super::config::LeakDetectionSettings;
use crate::analysis::least_squares;

const RING: usize = LeakDetectionSettings::MAX_FIT_WINDOWS as usize;

/// The evidence for (or against) a leak: the fitted trend of the heap floor.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct LeakEvidence {
    /// Slope of the heap floor, in bytes per second of the provider's clock.
    pub growth_rate_bytes_per_sec: f32,
    /// Standard error of that slope, bytes per second.
    pub growth_rate_std_error: f32,
    /// Probability, 0–1, that the floor is really rising (one-sided Student t).
    pub confidence: f32,
    /// Scatter of the floors around the fitted line, in bytes.
    pub floor_noise_bytes: f32,
    /// Floors (windows) in the fit.
    pub windows: u8,
    /// Pairs of windows in the fit whose later floor is lower than the earlier one: 0 for
    /// a floor that only rises, about half of [`LeakEvidence::pairs`] for noise.
    pub out_of_order_pairs: u16,
    /// Pairs of windows in the fit, `windows · (windows − 1) / 2`.
    pub pairs: u16,
    /// Oldest floor in the fit, bytes.
    pub first_floor: usize,
    /// Newest floor in the fit, bytes.
    pub last_floor: usize,
    /// Whether this evidence meets every condition of [`LeakDetectionSettings`].
    pub leak_suspected: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Floor {
    t_us: u64,
    bytes: usize,
}

impl LeakEvidence {
    /// The leak detector's verdict over a whole recording of `(time µs, heap_used)`
    /// samples, oldest first: a run the host tool stored, a log read back.
    ///
    /// The same rule as [`super::MemoryAnalyzer`]'s, with windows sized to the recording:
    /// `max(2, samples / 17)` samples per window, so that after the warm-up window the
    /// last 16 floors fill the fit, and a verdict from 6 floors on (the least the rule
    /// allows; a recording is judged once, not at every sample for months, so the
    /// continuous monitor's 10 are not needed against false alarms). `None` before three
    /// floors exist (fewer than 8 samples).
    pub fn of_recording(samples: &[(u64, usize)]) -> Option<Self> {
        let settings = LeakDetectionSettings {
            window_samples: u16::try_from(samples.len() / 17).unwrap_or(u16::MAX).max(2),
            min_windows: 6,
            ..LeakDetectionSettings::default()
        };
        let mut trend = FloorTrend::new(settings);
        for &(t_us, heap_used) in samples {
            trend.push(t_us, heap_used);
        }
        trend.evidence()
    }
}

/// Windowed minima of `heap_used` and the trend of the last ones.
#[derive(Debug, Clone)]
pub(crate) struct FloorTrend {
    settings: LeakDetectionSettings,
    in_window: u16,
    window_min: Floor,
    windows_seen: u32,
    ring: [Floor; RING],
    len: usize,
    next: usize,
}

impl FloorTrend {
    pub(crate) const fn new(settings: LeakDetectionSettings) -> Self {
        Self {
            settings,
            in_window: 0,
            window_min: Floor {
                t_us: 0,
                bytes: usize::MAX,
            },
            windows_seen: 0,
            ring: [Floor { t_us: 0, bytes: 0 }; RING],
            len: 0,
            next: 0,
        }
    }

    /// Adds one sample; returns `true` when it closed a window.
    pub(crate) fn push(&mut self, t_us: u64, heap_used: usize) -> bool {
        if heap_used < self.window_min.bytes {
            self.window_min = Floor {
                t_us,
                bytes: heap_used,
            };
        }
        self.in_window += 1;
        if self.in_window < self.settings.window_samples {
            return false;
        }
        let floor = self.window_min;
        self.in_window = 0;
        self.window_min.bytes = usize::MAX;
        self.windows_seen = self.windows_seen.saturating_add(1);
        if self.windows_seen > u32::from(self.settings.warmup_windows) {
            self.ring[self.next] = floor;
            self.next = (self.next + 1) % RING;
            self.len = (self.len + 1).min(RING);
        }
        true
    }

    /// The most recent `fit_windows` floors, oldest first.
    fn fitted(&self) -> impl Iterator<Item = Floor> + Clone + '_ {
        let n = self.len.min(usize::from(self.settings.fit_windows));
        (0..n).map(move |i| self.ring[(self.next + RING - n + i) % RING])
    }

    /// The trend of the floors so far; `None` before three floors exist.
    pub(crate) fn evidence(&self) -> Option<LeakEvidence> {
        let first = self.fitted().next()?;
        let last = self.fitted().last()?;
        let points = self.fitted().map(|f| {
            (
                f.t_us.saturating_sub(first.t_us) as f64 / 1e6,
                f.bytes as f64,
            )
        });
        let fit = least_squares::fit(points)?;
        let confidence = fit.confidence_positive();
        let pairs = fit.n * (fit.n - 1) / 2;
        let out_of_order: usize = self
            .fitted()
            .enumerate()
            .map(|(i, a)| {
                self.fitted()
                    .skip(i + 1)
                    .filter(|b| b.bytes < a.bytes)
                    .count()
            })
            .sum();
        // Each half of the fit must rise on its own: one step up is not a leak.
        let half = fit.n / 2;
        let half_rises = |skip: usize, take: usize| {
            let pts = self.fitted().skip(skip).take(take).map(|f| {
                (
                    f.t_us.saturating_sub(first.t_us) as f64 / 1e6,
                    f.bytes as f64,
                )
            });
            least_squares::fit(pts).is_some_and(|h| h.slope > 0.0)
        };
        let both_halves_rise = half_rises(0, half) && half_rises(half, fit.n - half);
        let span_s = last.t_us.saturating_sub(first.t_us) as f64 / 1e6;
        let rise = fit.slope * span_s;
        let s = &self.settings;
        let leak_suspected = fit.n >= usize::from(s.min_windows)
            && fit.slope > 0.0
            && confidence >= f64::from(s.min_confidence)
            && rise >= f64::from(s.min_growth_bytes)
            && rise >= 4.0 * fit.residual_std
            && out_of_order * 20 <= pairs
            && both_halves_rise
            && last.bytes > first.bytes;
        Some(LeakEvidence {
            growth_rate_bytes_per_sec: fit.slope as f32,
            growth_rate_std_error: fit.standard_error as f32,
            confidence: confidence as f32,
            floor_noise_bytes: fit.residual_std as f32,
            windows: fit.n as u8,
            out_of_order_pairs: out_of_order as u16,
            pairs: pairs as u16,
            first_floor: first.bytes,
            last_floor: last.bytes,
            leak_suspected,
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    fn run(trend: &mut FloorTrend, samples: u64, heap: impl Fn(u64) -> usize) {
        for i in 0..samples {
            trend.push(i * 1_000_000, heap(i));
        }
    }

    #[test]
    fn steady_leak_is_suspected_after_the_documented_windows() {
        let s = LeakDetectionSettings::default();
        let mut t = FloorTrend::new(s);
        let earliest =
            (u64::from(s.warmup_windows) + u64::from(s.min_windows)) * u64::from(s.window_samples);
        run(&mut t, earliest - 1, |i| 10_000 + 64 * i as usize);
        assert!(!t.evidence().is_some_and(|e| e.leak_suspected));
        t.push(earliest * 1_000_000, 10_000 + 64 * earliest as usize);
        let e = t.evidence().unwrap();
        assert!(e.leak_suspected, "{e:?}");
        assert!((e.growth_rate_bytes_per_sec - 64.0).abs() < 0.5, "{e:?}");
    }

    #[test]
    fn a_single_step_up_is_not_a_leak() {
        let mut t = FloorTrend::new(LeakDetectionSettings::default());
        for i in 0..16 * 60u64 {
            t.push(i * 1_000_000, if i < 16 * 8 { 10_000 } else { 20_000 });
            assert!(!t.evidence().is_some_and(|e| e.leak_suspected), "at {i}");
        }
    }

    #[test]
    fn a_recording_is_judged_with_windows_sized_to_it() {
        // 40 snapshots 100 ms apart, 200 B leaked each, 0..64 B of noise: a leak.
        let noise = |i: u64| (i * 37 % 64) as usize;
        let leaky: std::vec::Vec<(u64, usize)> = (0..40u64)
            .map(|i| (i * 100_000, 8_192 + 200 * i as usize + noise(i)))
            .collect();
        let e = LeakEvidence::of_recording(&leaky).unwrap();
        assert!(e.leak_suspected, "{e:?}");
        assert_eq!(e.windows, 16);
        assert!(
            (e.growth_rate_bytes_per_sec - 2_000.0).abs() < 100.0,
            "{e:?}"
        );
        // The same noise on a flat heap, and a single step up, are not leaks.
        let flat: std::vec::Vec<(u64, usize)> = (0..40u64)
            .map(|i| (i * 100_000, 8_192 + noise(i)))
            .collect();
        assert!(!LeakEvidence::of_recording(&flat).unwrap().leak_suspected);
        let step: std::vec::Vec<(u64, usize)> = (0..40u64)
            .map(|i| (i * 100_000, if i < 20 { 8_192 } else { 16_384 }))
            .collect();
        assert!(!LeakEvidence::of_recording(&step).unwrap().leak_suspected);
        assert_eq!(LeakEvidence::of_recording(&leaky[..7]), None);
    }

    #[test]
    fn warmup_windows_are_skipped() {
        let mut t = FloorTrend::new(LeakDetectionSettings::default());
        run(&mut t, 16, |i| i as usize);
        assert_eq!(t.len, 0);
        run(&mut t, 16 * 3, |_| 5);
        assert_eq!(t.len, 3);
        assert_eq!(t.evidence().unwrap().first_floor, 5);
    }
}
