//! [`TimingProfiler`] and its [`TimingReport`]: the registry in microseconds, sortable,
//! printable.

use core::fmt;

use super::registry::{self, Dropped, SCOPE_CAPACITY};
use super::{ScopeStats, scopes};
use crate::clock;
use crate::{Error, Result, TimingMetrics, ticks_to_us};

/// Reads the scope registry into reports. It holds no state of its own (the registry is
/// global, like the scopes that feed it), so create one wherever you need a report.
///
/// ```
/// use iot_performance::{TimingProfiler, profile_block};
///
/// # futures_executor::block_on(async {
/// let profiler = TimingProfiler::new();
/// {
///     let _timer = profile_block!("doc_report_block");
/// }
/// let report = profiler.generate_report().await?;
/// let row = report.get("doc_report_block").unwrap();
/// assert_eq!(row.metrics.call_count, 1);
/// println!("{report}");
/// # Ok::<(), iot_performance::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct TimingProfiler {
    _private: (),
}

impl TimingProfiler {
    /// A profiler reading the global scope registry.
    pub const fn new() -> Self {
        Self { _private: () }
    }

    /// Every scope's timings, in microseconds of the profiler clock, in registration
    /// order (see [`TimingReport::sort_by`]).
    ///
    /// # Errors
    /// [`Error::Unsupported`] when no clock is set (firmware before
    /// [`super::set_clock`]): durations would be meaningless.
    pub async fn generate_report(&self) -> Result<TimingReport> {
        TimingReport::now()
    }

    /// Zeroes every scope's counters (names stay registered).
    pub fn reset(&self) {
        registry::reset_counters();
    }

    /// See [`super::set_enabled`].
    pub fn set_enabled(&self, enabled: bool) {
        super::set_enabled(enabled);
    }
}

/// One scope of a [`TimingReport`].
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScopeTiming {
    /// Name, calls, total, mean, min and max in microseconds (wall time for async).
    pub metrics: TimingMetrics,
    /// Async scopes: time the polls kept the CPU, in microseconds.
    pub busy_time_us: Option<u64>,
    /// Async scopes: first poll to completion summed over calls, in microseconds.
    pub wall_time_us: Option<u64>,
    /// Async scopes: number of polls.
    pub polls: Option<u64>,
    /// Async scopes: calls dropped before completing.
    pub cancelled: Option<u64>,
    /// Time not spent in nested scopes (`detailed-profiling`), in microseconds.
    pub self_time_us: Option<u64>,
    /// Median call duration (`detailed-profiling`, log2-bucket resolution), in µs.
    pub p50_us: Option<u64>,
    /// 90th percentile (`detailed-profiling`), in µs.
    pub p90_us: Option<u64>,
    /// 99th percentile (`detailed-profiling`), in µs.
    pub p99_us: Option<u64>,
    /// The same scope in raw ticks.
    pub stats: ScopeStats,
}

impl ScopeTiming {
    fn new(stats: ScopeStats, hz: u64) -> Self {
        let us = |t: u64| ticks_to_us(t, hz);
        let metrics = TimingMetrics {
            function_name: stats.name,
            execution_time_us: us(stats.total_ticks),
            call_count: u32::try_from(stats.calls).unwrap_or(u32::MAX),
            average_time_us: stats.mean_ticks().map_or(0, us),
            max_time_us: us(stats.max_ticks),
            min_time_us: stats.min_ticks.map_or(0, us),
        };
        #[cfg(feature = "detailed-profiling")]
        let pct = |p: f32| stats.percentile_ticks(p).map(us);
        #[cfg(not(feature = "detailed-profiling"))]
        let pct = |_: f32| None;
        Self {
            metrics,
            busy_time_us: stats.busy_ticks.map(us),
            wall_time_us: stats.wall_ticks.map(us),
            polls: stats.polls,
            cancelled: stats.cancelled,
            self_time_us: stats.self_ticks.map(us),
            p50_us: pct(50.0),
            p90_us: pct(90.0),
            p99_us: pct(99.0),
            stats,
        }
    }
}

/// What [`TimingReport::sort_by`] orders by (largest first, names A to Z).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum SortKey {
    /// Total time in the scope.
    TotalTime,
    /// Time not spent in nested scopes (falls back to total time without it).
    SelfTime,
    /// CPU time of async scopes (total time for synchronous ones).
    BusyTime,
    /// Mean call duration.
    MeanTime,
    /// Longest call.
    MaxTime,
    /// Number of calls.
    Calls,
    /// Name, alphabetically.
    Name,
}

/// Timings of every registered scope at one moment.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TimingReport {
    /// Frequency of the clock the ticks were counted in.
    pub ticks_per_second: u64,
    /// One row per scope.
    pub scopes: heapless::Vec<ScopeTiming, SCOPE_CAPACITY>,
    /// What the full registry could not take.
    pub dropped: Dropped,
}

impl TimingReport {
    fn now() -> Result<Self> {
        let hz = clock::ticks_per_second();
        if hz == 0 {
            return Err(Error::Unsupported {
                metric: "scope timing without a clock (call iot_performance::timing::set_clock)",
            });
        }
        let mut rows = heapless::Vec::new();
        for stats in scopes() {
            // The registry holds at most SCOPE_CAPACITY scopes: this never fails.
            let _ = rows.push(ScopeTiming::new(stats, hz));
        }
        Ok(Self {
            ticks_per_second: hz,
            scopes: rows,
            dropped: registry::dropped(),
        })
    }

    /// The row of scope `name`.
    pub fn get(&self, name: &str) -> Option<&ScopeTiming> {
        self.scopes.iter().find(|s| s.metrics.function_name == name)
    }

    /// Orders the rows by `key`, largest first (names alphabetically).
    pub fn sort_by(&mut self, key: SortKey) {
        let value = |s: &ScopeTiming| -> u64 {
            let st = &s.stats;
            match key {
                SortKey::TotalTime | SortKey::Name => st.total_ticks,
                SortKey::SelfTime => st.self_ticks.unwrap_or(st.total_ticks),
                SortKey::BusyTime => st.busy_ticks.unwrap_or(st.total_ticks),
                SortKey::MeanTime => st.mean_ticks().unwrap_or(0),
                SortKey::MaxTime => st.max_ticks,
                SortKey::Calls => st.calls,
            }
        };
        if key == SortKey::Name {
            self.scopes
                .sort_unstable_by(|a, b| a.metrics.function_name.cmp(b.metrics.function_name));
        } else {
            self.scopes.sort_unstable_by(|a, b| {
                value(b)
                    .cmp(&value(a))
                    .then_with(|| a.metrics.function_name.cmp(b.metrics.function_name))
            });
        }
    }

    /// The report sorted by `key` (see [`TimingReport::sort_by`]).
    pub fn sorted_by(mut self, key: SortKey) -> Self {
        self.sort_by(key);
        self
    }
}

/// Microseconds from ticks, with decimals where a whole number would hide the value:
/// 3 below 10 µs, 1 below 1000 µs; `-` for a column that does not apply.
struct Micros {
    ticks: Option<u64>,
    hz: u64,
}

impl fmt::Display for Micros {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use core::fmt::Write;
        let Some(ticks) = self.ticks else {
            return f.pad("-");
        };
        let us = ticks as f64 * 1e6 / self.hz.max(1) as f64;
        let mut text = heapless::String::<32>::new();
        let written = if us < 10.0 {
            write!(text, "{us:.3}")
        } else if us < 1_000.0 {
            write!(text, "{us:.1}")
        } else {
            write!(text, "{us:.0}")
        };
        match written {
            Ok(()) => f.pad(&text),
            // More than 32 characters: only for absurd values; print them unpadded.
            Err(_) => write!(f, "{us:.0}"),
        }
    }
}

/// A fixed-width table, one scope per line, times in microseconds; `-` where a column
/// does not apply (self time and p99 need `detailed-profiling`, busy time and polls are
/// for async scopes).
impl fmt::Display for TimingReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const ROW: usize = 28;
        writeln!(
            f,
            "{:<ROW$} {:>9} {:>12} {:>10} {:>10} {:>10} {:>12} {:>12} {:>7} {:>6} {:>10}",
            "scope (times in us)",
            "calls",
            "total",
            "mean",
            "min",
            "max",
            "self",
            "busy",
            "polls",
            "cancel",
            "p99"
        )?;
        let hz = self.ticks_per_second;
        for s in &self.scopes {
            let st = &s.stats;
            let us = |ticks: Option<u64>| Micros { ticks, hz };
            #[cfg(feature = "detailed-profiling")]
            let p99 = st.percentile_ticks(99.0);
            #[cfg(not(feature = "detailed-profiling"))]
            let p99 = None;
            let polls = PlainOpt(st.polls);
            writeln!(
                f,
                "{:<ROW$} {:>9} {:>12} {:>10} {:>10} {:>10} {:>12} {:>12} {:>7} {:>6} {:>10}",
                st.name,
                st.calls,
                us(Some(st.total_ticks)),
                us(st.mean_ticks()),
                us(st.min_ticks),
                us((st.calls > 0).then_some(st.max_ticks)),
                us(st.self_ticks),
                us(st.busy_ticks),
                polls,
                PlainOpt(st.cancelled),
                us(p99),
            )?;
        }
        if self.dropped != Dropped::default() {
            writeln!(
                f,
                "registry full ({SCOPE_CAPACITY} scopes): {} scopes and {} calls not measured",
                self.dropped.scopes, self.dropped.calls
            )?;
        }
        Ok(())
    }
}

struct PlainOpt(Option<u64>);

impl fmt::Display for PlainOpt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(v) => fmt::Display::fmt(&v, f),
            None => f.pad("-"),
        }
    }
}

#[cfg(all(test, host_std))]
mod tests {
    use super::*;

    fn shown(ticks: Option<u64>, hz: u64) -> String {
        format!("{:>8}", Micros { ticks, hz })
    }

    #[test]
    fn micros_keep_small_values_visible() {
        assert_eq!(shown(Some(11), 1_000_000_000), "   0.011");
        assert_eq!(shown(Some(12_340), 1_000_000_000), "    12.3");
        assert_eq!(shown(Some(5_000), 1_000_000), "    5000");
        assert_eq!(shown(None, 1_000_000), "       -");
        assert_eq!(
            shown(Some(u64::MAX), 1),
            format!("{:.0}", u64::MAX as f64 * 1e6)
        );
    }
}
