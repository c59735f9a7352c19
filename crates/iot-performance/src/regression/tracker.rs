//! The detector's state machine, free of any provider: feed it values, close windows.

use super::{DetectorOptions, Regression, RegressionConfig, RegressionKind, Severity};
use crate::analysis::Metric;
use crate::{Error, PerformanceSnapshot, Result, RunningStats};

/// Metrics every snapshot feeds into the tracker.
const SNAPSHOT_METRICS: [Metric; 3] = [Metric::HeapUsed, Metric::StackUsed, Metric::CpuUtilization];

#[derive(Debug, Clone, Copy)]
struct Slot {
    metric: Metric,
    baseline: RunningStats,
    learned_windows: u32,
    window: RunningStats,
    over_windows: u8,
    reported: bool,
    hard_limit: Option<f64>,
}

impl Slot {
    const fn new(metric: Metric) -> Self {
        Self {
            metric,
            baseline: RunningStats::new(),
            learned_windows: 0,
            window: RunningStats::new(),
            over_windows: 0,
            reported: false,
            hard_limit: None,
        }
    }
}

/// Baselines and debounce state of up to `M` metrics (snapshot metrics and scopes).
///
/// Values go into the open window with [`RegressionTracker::observe`];
/// [`RegressionTracker::end_window`] closes it and judges every metric. A metric's first
/// `baseline_windows` windows become its baseline unless one was given with
/// [`RegressionTracker::set_baseline`]. A regression is reported once per episode: the
/// metric must come back under its threshold before it can be reported again.
#[derive(Debug, Clone)]
pub struct RegressionTracker<const M: usize = 8> {
    config: RegressionConfig,
    options: DetectorOptions,
    slots: heapless::Vec<Slot, M>,
    dropped_metrics: u32,
}

impl RegressionTracker {
    /// A tracker of up to 8 metrics with no history (`with_capacity` for more).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for thresholds or options out of range.
    pub fn new(config: RegressionConfig, options: DetectorOptions) -> Result<Self> {
        Self::with_capacity(config, options)
    }
}

impl<const M: usize> RegressionTracker<M> {
    /// A tracker of up to `M` metrics with no history.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for thresholds or options out of range.
    pub fn with_capacity(config: RegressionConfig, options: DetectorOptions) -> Result<Self> {
        config.validate()?;
        options.validate()?;
        Ok(Self {
            config,
            options,
            slots: heapless::Vec::new(),
            dropped_metrics: 0,
        })
    }

    /// A tracker with [`RegressionConfig::DEFAULT`] and [`DetectorOptions::DEFAULT`]
    /// (usable in a `static`).
    pub const fn const_default() -> Self {
        Self {
            config: RegressionConfig::DEFAULT,
            options: DetectorOptions::DEFAULT,
            slots: heapless::Vec::new(),
            dropped_metrics: 0,
        }
    }

    /// The thresholds.
    pub fn config(&self) -> RegressionConfig {
        self.config
    }

    /// The window and debounce options.
    pub fn options(&self) -> DetectorOptions {
        self.options
    }

    /// Observations of metrics that found the table full (they are not judged).
    pub fn dropped_metrics(&self) -> u32 {
        self.dropped_metrics
    }

    fn slot(&mut self, metric: Metric) -> Option<&mut Slot> {
        match self.slots.iter().position(|s| s.metric == metric) {
            Some(i) => self.slots.get_mut(i),
            None => {
                if self.slots.push(Slot::new(metric)).is_err() {
                    self.dropped_metrics = self.dropped_metrics.saturating_add(1);
                    return None;
                }
                self.slots.last_mut()
            }
        }
    }

    /// Adds one value of `metric` to the open window. Metrics that are never judged
    /// (see [`RegressionConfig::threshold_percent`]) and `NaN` are ignored.
    pub fn observe(&mut self, metric: Metric, value: f64) {
        if self.config.threshold_percent(metric).is_none() || value.is_nan() {
            return;
        }
        if let Some(slot) = self.slot(metric) {
            slot.window.push(value);
        }
    }

    /// Adds the heap, stack and CPU figures of a snapshot to the open window.
    pub fn observe_snapshot(&mut self, snapshot: &PerformanceSnapshot) {
        for metric in SNAPSHOT_METRICS {
            if let Some(v) = metric.value_in(snapshot) {
                self.observe(metric, v);
            }
        }
    }

    /// Uses `stats` as `metric`'s baseline from now on (e.g. from a recorded
    /// [`crate::baseline::PerformanceBaseline`]).
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] when the table is full; [`Error::InvalidConfig`] for
    /// empty statistics.
    pub fn set_baseline(&mut self, metric: Metric, stats: RunningStats) -> Result<()> {
        if stats.count() == 0 {
            return Err(Error::InvalidConfig {
                field: "baseline",
                reason: "has no values",
            });
        }
        let learned = self.options.baseline_windows;
        let slot = self.slot(metric).ok_or(Error::CapacityExceeded {
            what: "regression metric table",
            capacity: M,
        })?;
        slot.baseline = stats;
        slot.learned_windows = learned;
        slot.over_windows = 0;
        slot.reported = false;
        Ok(())
    }

    /// The baseline `metric` is judged against (possibly still being learned).
    pub fn baseline(&self, metric: Metric) -> Option<RunningStats> {
        self.slots
            .iter()
            .find(|s| s.metric == metric && s.baseline.count() > 0)
            .map(|s| s.baseline)
    }

    /// True when every tracked metric has finished learning its baseline.
    pub fn is_baseline_learned(&self) -> bool {
        !self.slots.is_empty()
            && self
                .slots
                .iter()
                .all(|s| s.learned_windows >= self.options.baseline_windows)
    }

    /// A value of `metric` at or above `limit` is reported at once as
    /// [`Severity::Critical`]; `None` removes the limit.
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] when the table is full.
    pub fn set_hard_limit(&mut self, metric: Metric, limit: Option<f64>) -> Result<()> {
        let slot = self.slot(metric).ok_or(Error::CapacityExceeded {
            what: "regression metric table",
            capacity: M,
        })?;
        slot.hard_limit = limit;
        Ok(())
    }

    /// Forgets every baseline and window (hard limits stay).
    pub fn reset(&mut self) {
        for s in &mut self.slots {
            *s = Slot {
                hard_limit: s.hard_limit,
                ..Slot::new(s.metric)
            };
        }
    }

    /// Closes the open window and judges every metric; returns the worst regression that
    /// became reportable in this window.
    pub fn end_window(&mut self) -> Option<Regression> {
        let (config, options) = (self.config, self.options);
        let mut worst: Option<(usize, Regression)> = None;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let window = core::mem::take(&mut slot.window);
            let found = judge(slot, &window, &config, &options);
            if let Some(r) = found
                && worst.is_none_or(|(_, w)| rank(&r) > rank(&w))
            {
                worst = Some((i, r));
            }
        }
        let (i, r) = worst?;
        if let Some(slot) = self.slots.get_mut(i) {
            slot.reported = true;
        }
        Some(r)
    }
}

/// Orders regressions: severity first, then the size of the relative change.
fn rank(r: &Regression) -> (Severity, u64) {
    let pct = r.change_percent().unwrap_or(f64::MAX).max(0.0);
    (r.severity, pct as u64)
}

/// Updates one slot with its closed window; a regression when one is due.
fn judge(
    slot: &mut Slot,
    window: &RunningStats,
    config: &RegressionConfig,
    options: &DetectorOptions,
) -> Option<Regression> {
    let current = window.mean()?;
    if slot.learned_windows < options.baseline_windows {
        slot.baseline.merge(window);
        slot.learned_windows += 1;
        return None;
    }
    let baseline = slot.baseline.mean()?;
    if let (Some(limit), Some(max)) = (slot.hard_limit, window.max())
        && max >= limit
    {
        if slot.reported {
            return None;
        }
        return Some(Regression {
            metric: slot.metric,
            baseline_value: baseline,
            current_value: max,
            severity: Severity::Critical,
            kind: RegressionKind::HardLimit { limit },
        });
    }
    let threshold = config.threshold_percent(slot.metric)?;
    let increase = if slot.metric.higher_is_worse() {
        current - baseline
    } else {
        (current - baseline).abs()
    };
    let percent = if baseline.abs() > 0.0 {
        increase / baseline.abs() * 100.0
    } else if increase > 0.0 {
        f64::INFINITY
    } else {
        0.0
    };
    let over = percent > threshold && increase > options.floor(slot.metric);
    if !over {
        slot.over_windows = 0;
        slot.reported = false;
        return None;
    }
    slot.over_windows = slot.over_windows.saturating_add(1);
    if slot.over_windows < options.consecutive_windows || slot.reported {
        return None;
    }
    Some(Regression {
        metric: slot.metric,
        baseline_value: baseline,
        current_value: current,
        severity: if percent >= 2.0 * threshold {
            Severity::Major
        } else {
            Severity::Minor
        },
        kind: RegressionKind::Relative {
            threshold_percent: threshold,
            windows: slot.over_windows,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> RegressionTracker<4> {
        RegressionTracker::with_capacity(RegressionConfig::default(), DetectorOptions::default())
            .unwrap()
    }

    /// Feeds `windows` windows of a constant value; the regressions reported.
    fn feed(t: &mut RegressionTracker<4>, metric: Metric, value: f64, windows: u32) -> u32 {
        (0..windows)
            .filter(|_| {
                t.observe(metric, value);
                t.end_window().is_some()
            })
            .count() as u32
    }

    #[test]
    fn debounce_needs_k_windows_and_reports_once() {
        let mut t = tracker();
        assert_eq!(feed(&mut t, Metric::HeapUsed, 10_000.0, 5), 0);
        assert!(t.is_baseline_learned());
        assert_eq!(feed(&mut t, Metric::HeapUsed, 11_500.0, 2), 0);
        t.observe(Metric::HeapUsed, 11_500.0);
        let r = t.end_window().unwrap();
        assert_eq!(r.severity, Severity::Minor);
        assert_eq!(r.change_percent(), Some(15.0));
        // Still regressed: not reported again until it recovers.
        assert_eq!(feed(&mut t, Metric::HeapUsed, 12_000.0, 10), 0);
        assert_eq!(feed(&mut t, Metric::HeapUsed, 10_000.0, 1), 0);
        assert_eq!(feed(&mut t, Metric::HeapUsed, 12_000.0, 3), 1);
    }

    #[test]
    fn interrupted_streak_starts_over() {
        let mut t = tracker();
        feed(&mut t, Metric::HeapUsed, 10_000.0, 5);
        for _ in 0..10 {
            assert_eq!(feed(&mut t, Metric::HeapUsed, 12_000.0, 2), 0);
            assert_eq!(feed(&mut t, Metric::HeapUsed, 10_000.0, 1), 0);
        }
    }

    #[test]
    fn absolute_floor_blocks_small_figures() {
        // 100 -> 150 bytes is +50 % but below the 256-byte floor.
        let mut t = tracker();
        feed(&mut t, Metric::StackUsed, 100.0, 5);
        assert_eq!(feed(&mut t, Metric::StackUsed, 150.0, 10), 0);
        assert_eq!(feed(&mut t, Metric::StackUsed, 500.0, 3), 1);
    }

    #[test]
    fn hard_limit_fires_at_once_and_is_critical() {
        let mut t = tracker();
        t.set_hard_limit(Metric::HeapUsed, Some(60_000.0)).unwrap();
        feed(&mut t, Metric::HeapUsed, 10_000.0, 5);
        t.observe(Metric::HeapUsed, 10_000.0);
        t.observe(Metric::HeapUsed, 61_000.0);
        let r = t.end_window().unwrap();
        assert_eq!(r.severity, Severity::Critical);
        assert_eq!(r.kind, RegressionKind::HardLimit { limit: 60_000.0 });
        assert_eq!(r.current_value, 61_000.0);
    }

    #[test]
    fn given_baseline_skips_learning_and_full_table_is_counted() {
        let mut t = tracker();
        let mut base = RunningStats::new();
        base.push(1_000.0);
        t.set_baseline(Metric::Scope("rx"), base).unwrap();
        assert_eq!(feed(&mut t, Metric::Scope("rx"), 1_500.0, 3), 1);
        for name in ["a", "b", "c", "d"] {
            t.observe(Metric::Scope(name), 1.0);
        }
        assert_eq!(t.dropped_metrics(), 1);
        assert!(t.set_baseline(Metric::Scope("e"), base).is_err());
    }

    #[test]
    fn informational_metrics_and_bad_config_are_refused() {
        let mut t = tracker();
        feed(&mut t, Metric::TaskCount, 4.0, 20);
        assert!(t.baseline(Metric::TaskCount).is_none());
        let bad = RegressionConfig {
            cpu_threshold_percent: 0.0,
            ..RegressionConfig::default()
        };
        assert!(RegressionTracker::<4>::with_capacity(bad, DetectorOptions::default()).is_err());
        let k0 = DetectorOptions {
            consecutive_windows: 0,
            ..DetectorOptions::default()
        };
        assert!(RegressionTracker::<4>::with_capacity(RegressionConfig::default(), k0).is_err());
    }
}
