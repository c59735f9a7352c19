//! The heap-floor leak detector behind [`super::MemoryAnalyzer`].
//!
//! Fixed-size state (no allocation): the current window's minimum, a ring of the last
//! [`LeakDetectionSettings::MAX_FIT_WINDOWS`] floors, and running moments of the
//! floor-to-floor steps that estimate how strongly consecutive floors are correlated. See
//! [`LeakDetectionSettings`] for the decision rule.
//!
//! Why the correlation matters: allocations that live longer than a window (buffers held
//! for tens to hundreds of samples) lift several consecutive floors together, so the floors
//! wander, and 16 of them can rise in order on a stable heap. Two answers, one per time
//! scale: the slope's confidence is computed for autocorrelated floors (effective sample
//! size, [`least_squares::LineFit::confidence_positive_autocorrelated`]), and the
//! continuous monitor lengthens its window (pairs of floors merged) while the floors stay
//! strongly correlated, until the window outlasts the heap's transient allocations.

use super::config::LeakDetectionSettings;
use crate::analysis::least_squares;

/// Floors kept for the fit (and returned by [`LeakEvidence::floors_of_recording`]).
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
    /// Lag-1 autocorrelation of the floors (0–0.95) estimated from the steps between
    /// consecutive floors, which a leak does not bias (its constant step is removed with
    /// the mean); the slope's confidence is corrected for it.
    pub floor_autocorrelation: f32,
    /// Samples per window of the floors in the fit: the configured
    /// [`LeakDetectionSettings::window_samples`], or up to
    /// [`LeakDetectionSettings::MAX_WINDOW_GROWTH`] times more where the continuous
    /// monitor lengthened its window for correlated floors.
    pub window_samples: u16,
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
        recording_trend(samples).evidence()
    }

    /// The heap floors [`LeakEvidence::of_recording`] fits, as `(time µs, bytes)`, oldest
    /// first: one per window, what a chart draws under the heap to show the evidence.
    pub fn floors_of_recording(samples: &[(u64, usize)]) -> heapless::Vec<(u64, usize), RING> {
        let trend = recording_trend(samples);
        let mut floors = heapless::Vec::new();
        for floor in trend.fitted() {
            // `fitted` yields at most `RING` floors: every push fits.
            let _ = floors.push((floor.t_us, floor.bytes));
        }
        floors
    }
}

/// The floors of a whole recording, windowed as [`LeakEvidence::of_recording`] judges it:
/// about 17 windows over the recording, never lengthened (it is judged once).
fn recording_trend(samples: &[(u64, usize)]) -> FloorTrend {
    let settings = LeakDetectionSettings {
        window_samples: u16::try_from(samples.len() / 17).unwrap_or(u16::MAX).max(2),
        min_windows: 6,
        ..LeakDetectionSettings::default()
    };
    let mut trend = FloorTrend::new(settings);
    trend.grow = false;
    for &(t_us, heap_used) in samples {
        trend.push(t_us, heap_used);
    }
    trend
}

/// Running moments of the steps between consecutive floors, `d = floorₖ − floorₖ₋₁`:
/// equal weights for the first 64 steps, then an exponential average over about 64.
///
/// For floors with lag-1 autocorrelation ρ (an AR(1) process) the steps have lag-1
/// autocorrelation −(1 − ρ)/2, so ρ = 1 + 2·corr(dₖ, dₖ₋₁). A leak adds the same amount to
/// every step, which the mean removes: the estimate is the heap's, with or without a leak.
#[derive(Debug, Clone, Copy, Default)]
struct StepMoments {
    steps: u32,
    mean: f64,
    mean_sq: f64,
    mean_lag: f64,
    last: f64,
}

impl StepMoments {
    const HORIZON: f64 = 64.0;

    fn push(&mut self, step: f64) {
        self.steps = self.steps.saturating_add(1);
        let weight = (1.0 / f64::from(self.steps)).max(1.0 / Self::HORIZON);
        if self.steps >= 2 {
            self.mean_lag += weight * (step * self.last - self.mean_lag);
        }
        self.mean += weight * (step - self.mean);
        self.mean_sq += weight * (step * step - self.mean_sq);
        self.last = step;
    }

    /// The floors' lag-1 autocorrelation, 0–0.95; 0 before two steps or for steps that
    /// never vary (a clean leak).
    fn floor_autocorrelation(&self) -> f64 {
        if self.steps < 2 {
            return 0.0;
        }
        let m2 = self.mean * self.mean;
        let var = self.mean_sq - m2;
        if var <= 1e-9 * self.mean_sq.max(1.0) {
            return 0.0;
        }
        let step_corr = (self.mean_lag - m2) / var;
        (1.0 + 2.0 * step_corr).clamp(0.0, 0.95)
    }
}

/// Windowed minima of `heap_used` and the trend of the last ones.
#[derive(Debug, Clone)]
pub(crate) struct FloorTrend {
    settings: LeakDetectionSettings,
    /// Samples per window now: `settings.window_samples`, doubled while floors stay
    /// correlated (when `grow`).
    window: u16,
    /// Lengthen the window for correlated floors (the continuous monitor; not a
    /// recording judged once).
    grow: bool,
    in_window: u16,
    window_min: Floor,
    windows_seen: u32,
    ring: [Floor; RING],
    len: usize,
    next: usize,
    steps: StepMoments,
}

impl FloorTrend {
    pub(crate) const fn new(settings: LeakDetectionSettings) -> Self {
        Self {
            settings,
            window: settings.window_samples,
            grow: true,
            in_window: 0,
            window_min: Floor {
                t_us: 0,
                bytes: usize::MAX,
            },
            windows_seen: 0,
            ring: [Floor { t_us: 0, bytes: 0 }; RING],
            len: 0,
            next: 0,
            steps: StepMoments {
                steps: 0,
                mean: 0.0,
                mean_sq: 0.0,
                mean_lag: 0.0,
                last: 0.0,
            },
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
        if self.in_window < self.window {
            return false;
        }
        let floor = self.window_min;
        self.in_window = 0;
        self.window_min.bytes = usize::MAX;
        self.windows_seen = self.windows_seen.saturating_add(1);
        if self.windows_seen > u32::from(self.settings.warmup_windows) {
            if self.len > 0 {
                let previous = self.ring[(self.next + RING - 1) % RING];
                self.steps.push(floor.bytes as f64 - previous.bytes as f64);
            }
            self.ring[self.next] = floor;
            self.next = (self.next + 1) % RING;
            self.len = (self.len + 1).min(RING);
            self.lengthen_if_correlated();
        }
        true
    }

    /// Doubles the window when the floors have stayed strongly correlated
    /// (autocorrelation ≥ 0.6 over at least 32 steps) and the window may still grow:
    /// the floors in the ring are merged in pairs (the lower of each pair, the oldest
    /// dropped when their number is odd), and the correlation is measured anew.
    fn lengthen_if_correlated(&mut self) {
        let limit = self
            .settings
            .window_samples
            .saturating_mul(LeakDetectionSettings::MAX_WINDOW_GROWTH);
        if !self.grow
            || self.steps.steps < 32
            || self.steps.floor_autocorrelation() < 0.6
            || self.window.saturating_mul(2) > limit
        {
            return;
        }
        let mut merged = [Floor::default(); RING];
        let n = self.len;
        let mut kept = 0;
        let mut i = n % 2;
        while i + 1 < n {
            let a = self.ring[(self.next + RING - n + i) % RING];
            let b = self.ring[(self.next + RING - n + i + 1) % RING];
            merged[kept] = if b.bytes < a.bytes { b } else { a };
            kept += 1;
            i += 2;
        }
        self.ring = merged;
        self.len = kept;
        self.next = kept % RING;
        self.window *= 2;
        self.steps = StepMoments::default();
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
        let rho = self.steps.floor_autocorrelation();
        let confidence = fit.confidence_positive_autocorrelated(rho);
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
            floor_autocorrelation: rho as f32,
            window_samples: self.window,
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

        // The floors behind the verdict: one per fitted window, each the lowest heap of
        // its window (2 samples a window, the first window a warm-up), oldest first.
        let floors = LeakEvidence::floors_of_recording(&leaky);
        assert_eq!(floors.len(), usize::from(e.windows));
        assert_eq!(floors.first().map(|f| f.1), Some(e.first_floor));
        assert_eq!(floors.last().map(|f| f.1), Some(e.last_floor));
        for &(t_us, bytes) in &floors {
            let i = (t_us / 100_000) as usize;
            let window = &leaky[i - i % 2..i - i % 2 + 2];
            assert_eq!(
                Some(bytes),
                window.iter().map(|s| s.1).min(),
                "at {t_us} µs"
            );
        }
        assert!(floors.windows(2).all(|w| w[0].0 < w[1].0));
    }

    /// Floors that wander slowly (a square wave of 16 windows' period, as buffers held
    /// for many windows make them) lengthen the continuous monitor's window; floors
    /// that are independent from window to window, and a recording, do not.
    #[test]
    fn correlated_floors_lengthen_the_window_and_independent_ones_do_not() {
        let wandering = |i: u64| {
            10_000
                + if (i / 16 / 8).is_multiple_of(2) {
                    0
                } else {
                    1_000
                }
        };
        let mut t = FloorTrend::new(LeakDetectionSettings::default());
        run(&mut t, 16 * 64, wandering);
        let e = t.evidence().unwrap();
        assert!(e.window_samples >= 32, "{e:?}");
        assert!(e.floor_autocorrelation > 0.6, "{e:?}");
        run(&mut t, 16 * 4_000, wandering);
        let limit = 16 * LeakDetectionSettings::MAX_WINDOW_GROWTH;
        assert!(t.evidence().unwrap().window_samples <= limit);
        assert!(!t.evidence().unwrap().leak_suspected);

        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut independent = FloorTrend::new(LeakDetectionSettings::default());
        for i in 0..16 * 300u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            independent.push(i * 1_000_000, 10_000 + (state % 2_000) as usize);
        }
        let e = independent.evidence().unwrap();
        assert_eq!(e.window_samples, 16, "{e:?}");
        assert!(e.floor_autocorrelation < 0.6, "{e:?}");

        let recording: std::vec::Vec<(u64, usize)> = (0..16 * 64u64)
            .map(|i| (i * 1_000_000, wandering(i)))
            .collect();
        let e = LeakEvidence::of_recording(&recording).unwrap();
        assert_eq!(usize::from(e.window_samples), recording.len() / 17);
    }

    /// A leak's constant step does not count as correlation: a clean leak keeps the
    /// plain Student-t confidence.
    #[test]
    fn a_clean_leak_is_not_taken_for_correlated_floors() {
        let mut t = FloorTrend::new(LeakDetectionSettings::default());
        run(&mut t, 16 * 40, |i| {
            10_000 + 8 * i as usize + (i * 37 % 64) as usize
        });
        let e = t.evidence().unwrap();
        assert!(e.floor_autocorrelation < 0.6, "{e:?}");
        assert_eq!(e.window_samples, 16);
        assert!(e.leak_suspected, "{e:?}");
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
