//! Trends over time: a least-squares line through a metric's history, with a 95 %
//! confidence interval on its slope, phrased as a person would ("rising 1.2 KiB/h ± 0.1").

use core::cell::RefCell;
use core::fmt;

use critical_section::Mutex;
use heapless::HistoryBuf;

use super::least_squares;
use super::{Metric, Unit};
use crate::monitor::HandleBound;
use crate::{Error, PerformanceMonitor, PerformanceSnapshot, PlatformMetrics, Result};

/// Points a trend needs before it has a slope and an interval.
pub const MIN_POINTS: u32 = 3;

/// Microseconds per hour: trends are reported per hour.
const US_PER_HOUR: f64 = 3_600_000_000.0;

/// Which way a metric is heading, judged by the 95 % interval of its slope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum TrendDirection {
    /// The whole interval is above zero.
    Rising,
    /// The whole interval is below zero.
    Falling,
    /// The interval contains zero.
    Steady,
    /// Fewer than three points, or all at the same instant.
    Unknown,
}

/// A fitted trend of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Trend {
    /// Unit of the metric.
    pub unit: Unit,
    /// Points the line was fitted to.
    pub points: u32,
    /// Change per hour, in the metric's unit; `None` when it cannot be fitted.
    pub slope_per_hour: Option<f64>,
    /// Half-width of the 95 % confidence interval of the slope, per hour.
    pub confidence_95_per_hour: Option<f64>,
    /// Fitted value at the last point.
    pub latest_fit: Option<f64>,
}

impl Trend {
    /// Where the metric is heading.
    pub fn direction(&self) -> TrendDirection {
        match (self.slope_per_hour, self.confidence_95_per_hour) {
            (Some(s), Some(ci)) if s - ci > 0.0 => TrendDirection::Rising,
            (Some(s), Some(ci)) if s + ci < 0.0 => TrendDirection::Falling,
            (Some(_), Some(_)) => TrendDirection::Steady,
            _ => TrendDirection::Unknown,
        }
    }
}

impl fmt::Display for Trend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (Some(slope), Some(ci)) = (self.slope_per_hour, self.confidence_95_per_hour) else {
            return write!(f, "not enough data: {} of {MIN_POINTS} points", self.points);
        };
        let (factor, suffix) = self.unit.scale_for(slope.abs().max(ci));
        let (s, c) = (slope / factor, ci / factor);
        match self.direction() {
            TrendDirection::Rising => write!(f, "rising {s:.1}{suffix}/h ± {c:.1}"),
            TrendDirection::Falling => write!(f, "falling {:.1}{suffix}/h ± {c:.1}", -s),
            _ => write!(f, "steady ({s:+.1}{suffix}/h ± {c:.1})"),
        }
    }
}

/// Least-squares fit of `(time µs, value)` points; the slope is reported per hour.
pub fn fit_trend(points: impl Iterator<Item = (u64, f64)> + Clone, unit: Unit) -> Trend {
    let mut none = Trend {
        unit,
        points: 0,
        slope_per_hour: None,
        confidence_95_per_hour: None,
        latest_fit: None,
    };
    let Some((t0, _)) = points.clone().next() else {
        return none;
    };
    let xy = points
        .filter(|(_, y)| y.is_finite())
        .map(move |(t, y)| (t.saturating_sub(t0) as f64 / US_PER_HOUR, y));
    let Some(fit) = least_squares::fit(xy.clone()) else {
        none.points = xy.count() as u32;
        return none;
    };
    Trend {
        points: fit.n as u32,
        slope_per_hour: Some(fit.slope),
        confidence_95_per_hour: Some(fit.slope_half_width(0.95)),
        latest_fit: Some(fit.value_at(fit.last_x)),
        ..none
    }
}

/// One point of history: the figures trends are computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TrendPoint {
    /// Provider time, µs.
    pub timestamp_us: u64,
    /// Heap in use, bytes.
    pub heap_used: f64,
    /// Stack in use, bytes.
    pub stack_used: f64,
    /// CPU utilization, %.
    pub cpu_utilization: f64,
    /// Fragmentation ratio (`NaN` when unmeasured; such points are skipped).
    pub fragmentation: f64,
}

impl From<&PerformanceSnapshot> for TrendPoint {
    fn from(s: &PerformanceSnapshot) -> Self {
        let v = |m: Metric| m.value_in(s).unwrap_or(f64::NAN);
        Self {
            timestamp_us: s.timestamp_us,
            heap_used: v(Metric::HeapUsed),
            stack_used: v(Metric::StackUsed),
            cpu_utilization: v(Metric::CpuUtilization),
            fragmentation: v(Metric::Fragmentation),
        }
    }
}

/// Trends of every tracked metric.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TrendAnalysis {
    /// Heap in use.
    pub memory_trend: Trend,
    /// Stack in use.
    pub stack_trend: Trend,
    /// CPU utilization.
    pub cpu_trend: Trend,
    /// Heap fragmentation.
    pub fragmentation_trend: Trend,
}

#[derive(Debug)]
struct History<const N: usize> {
    enabled: bool,
    points: HistoryBuf<TrendPoint, N>,
}

/// Keeps the last `N` snapshots (a ring: the oldest is overwritten) and fits trends to
/// them. Every method takes `&self`, so one analyzer can be shared by tasks.
///
/// Where the points come from: [`PerformanceAnalyzer::sample`] / [`PerformanceAnalyzer::record`]
/// (the application's monitor, any platform); or, on a host, an analyzer made by
/// [`PerformanceAnalyzer::new`] samples the host process in the background from
/// [`PerformanceAnalyzer::enable_historical_tracking`] on (the monitor's sampler, every
/// second), until the application feeds it itself. A trend needs [`MIN_POINTS`] points;
/// before that it says "not enough data: 2 of 3 points".
#[derive(Debug)]
pub struct PerformanceAnalyzer<const N: usize = 128> {
    history: Mutex<RefCell<History<N>>>,
    #[cfg(host_std)]
    source: super::trend_source::HostSource,
}

impl PerformanceAnalyzer {
    /// An analyzer keeping the last 128 points, with historical tracking off; on a host
    /// it samples the host process once tracking is enabled.
    pub const fn new() -> Self {
        Self {
            history: Self::empty_history(),
            #[cfg(host_std)]
            source: super::trend_source::HostSource::armed(),
        }
    }
}

impl<const N: usize> PerformanceAnalyzer<N> {
    /// An analyzer keeping the last `N` points, with historical tracking off.
    pub const fn with_history_capacity() -> Self {
        Self {
            history: Self::empty_history(),
            #[cfg(host_std)]
            source: super::trend_source::HostSource::off(),
        }
    }

    const fn empty_history() -> Mutex<RefCell<History<N>>> {
        Mutex::new(RefCell::new(History {
            enabled: false,
            points: HistoryBuf::new(),
        }))
    }

    fn with_history<R>(&self, f: impl FnOnce(&mut History<N>) -> R) -> R {
        critical_section::with(|cs| f(&mut self.history.borrow_ref_mut(cs)))
    }

    /// Starts keeping history; on a host analyzer made by [`PerformanceAnalyzer::new`],
    /// also starts sampling the host process in the background. Returns at once.
    ///
    /// # Errors
    /// On a host, the host monitor's error (opening it, its first sample, its thread).
    pub async fn enable_historical_tracking(&self) -> Result<()> {
        self.with_history(|h| h.enabled = true);
        #[cfg(host_std)]
        self.source.start().await?;
        Ok(())
    }

    /// Adds a snapshot to the history (ignored while tracking is off).
    pub fn record(&self, snapshot: &PerformanceSnapshot) {
        self.record_point(TrendPoint::from(snapshot));
    }

    /// Adds a prepared point (ignored while tracking is off); the host background
    /// source, if any, stops: the application feeds the history now.
    pub fn record_point(&self, point: TrendPoint) {
        #[cfg(host_std)]
        self.source.detach();
        self.push(point);
    }

    fn push(&self, point: TrendPoint) {
        self.with_history(|h| {
            if h.enabled {
                h.points.write(point);
            }
        });
    }

    /// Takes a snapshot from `monitor` and records it.
    ///
    /// # Errors
    /// The provider's error when the snapshot fails.
    pub async fn sample<P: PlatformMetrics + HandleBound>(
        &self,
        monitor: &PerformanceMonitor<P>,
    ) -> Result<()> {
        let snapshot = monitor.snapshot().await?;
        self.record(&snapshot);
        Ok(())
    }

    /// Points held now.
    pub fn len(&self) -> usize {
        self.with_history(|h| h.points.len())
    }

    /// True when no point is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fits a trend to every metric of the history.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when historical tracking was never enabled.
    pub async fn analyze_trends(&self) -> Result<TrendAnalysis> {
        #[cfg(host_std)]
        self.source.drain(|s| self.push(TrendPoint::from(s)));
        self.with_history(|h| {
            if !h.enabled {
                return Err(Error::InvalidConfig {
                    field: "historical_tracking",
                    reason: "is off: call enable_historical_tracking() first",
                });
            }
            let series = |f: fn(&TrendPoint) -> f64, unit| {
                fit_trend(
                    h.points
                        .oldest_ordered()
                        .map(move |p| (p.timestamp_us, f(p))),
                    unit,
                )
            };
            Ok(TrendAnalysis {
                memory_trend: series(|p| p.heap_used, Unit::Bytes),
                stack_trend: series(|p| p.stack_used, Unit::Bytes),
                cpu_trend: series(|p| p.cpu_utilization, Unit::Percent),
                fragmentation_trend: series(|p| p.fragmentation, Unit::Ratio),
            })
        })
    }
}

impl<const N: usize> Default for PerformanceAnalyzer<N> {
    fn default() -> Self {
        Self::with_history_capacity()
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    fn line(slope_per_hour: f64, noise: f64, seed: u64, n: u64) -> Vec<(u64, f64)> {
        // Spread the seeds: neighbouring fastrand seeds give correlated streams.
        let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        (0..n)
            .map(|i| {
                let t = i * 60_000_000; // a point a minute
                let y = 20_000.0 + slope_per_hour * (t as f64 / US_PER_HOUR);
                (t, y + (rng.f64() * 2.0 - 1.0) * noise)
            })
            .collect()
    }

    #[test]
    fn exact_line_is_recovered() {
        let pts = line(1228.8, 0.0, 1, 60);
        let t = fit_trend(pts.iter().copied(), Unit::Bytes);
        assert!((t.slope_per_hour.unwrap() - 1228.8).abs() < 1e-6);
        assert_eq!(t.direction(), TrendDirection::Rising);
        assert_eq!(t.to_string(), "rising 1.2 KiB/h ± 0.0");
    }

    #[test]
    fn known_slope_lies_within_the_stated_confidence() {
        // 95 % intervals: over 400 noisy series the true slope must be inside about 95 %
        // of them (binomial: below 91 % happens with probability < 1e-4).
        let inside = (0..400)
            .filter(|&seed| {
                let t = fit_trend(line(1200.0, 500.0, seed, 60).into_iter(), Unit::Bytes);
                (t.slope_per_hour.unwrap() - 1200.0).abs() <= t.confidence_95_per_hour.unwrap()
            })
            .count();
        assert!(
            inside >= 364,
            "{inside} of 400 intervals hold the true slope"
        );
        assert!(
            inside < 400,
            "intervals that always hold the slope are too wide"
        );
    }

    #[test]
    fn flat_noise_is_steady_and_falling_is_falling() {
        let flat = fit_trend(line(0.0, 500.0, 7, 60).into_iter(), Unit::Bytes);
        assert_eq!(flat.direction(), TrendDirection::Steady);
        assert!(flat.to_string().starts_with("steady ("));
        let down = fit_trend(line(-4096.0, 10.0, 7, 60).into_iter(), Unit::Bytes);
        assert_eq!(down.direction(), TrendDirection::Falling);
        assert!(down.to_string().starts_with("falling 4.0 KiB/h ± "));
    }

    #[test]
    fn too_few_points_say_so() {
        let t = fit_trend(line(5.0, 0.0, 1, 2).into_iter(), Unit::Bytes);
        assert_eq!(t.direction(), TrendDirection::Unknown);
        assert_eq!(t.to_string(), "not enough data: 2 of 3 points");
    }

    #[test]
    fn analyzer_refuses_without_tracking_and_keeps_a_ring() {
        let a = PerformanceAnalyzer::<4>::with_history_capacity();
        let r = futures_executor::block_on(a.analyze_trends());
        assert!(matches!(r, Err(Error::InvalidConfig { .. })));
        futures_executor::block_on(a.enable_historical_tracking()).unwrap();
        for i in 0..10u64 {
            a.record_point(TrendPoint {
                timestamp_us: i * 1_000_000,
                heap_used: i as f64,
                stack_used: 0.0,
                cpu_utilization: 0.0,
                fragmentation: f64::NAN,
            });
        }
        assert_eq!(a.len(), 4);
        let t = futures_executor::block_on(a.analyze_trends()).unwrap();
        assert_eq!(t.memory_trend.points, 4);
        assert_eq!(t.fragmentation_trend.direction(), TrendDirection::Unknown);
    }
}
