//! Counting and timing interrupt handlers.
//!
//! Call [`record_entry`] (or hold an [`IsrGuard`]) at the top of an interrupt handler; every
//! backend reports the total as [`crate::SystemMetrics::interrupt_count`]. The counter is a
//! single 32-bit atomic add, safe in any interrupt priority; the monitor extends it to 64
//! bits on each sample, so it must sample at least once per 2³² interrupts. To also time a
//! handler, use [`profile_isr!`](crate::profile_isr) or an [`IsrStats`] static.
//!
//! ```
//! use iot_performance::interrupts;
//!
//! fn uart_rx_handler() {
//!     let _isr = interrupts::IsrGuard::enter();
//!     // ... drain the FIFO ...
//! }
//! let before = interrupts::raw_count();
//! uart_rx_handler();
//! assert_eq!(interrupts::raw_count().wrapping_sub(before), 1);
//! ```

use portable_atomic::{AtomicU32, Ordering};

use super::counters::SlotCounters;
use crate::clock;

static ENTRIES: AtomicU32 = AtomicU32::new(0);

/// Counts one interrupt handler entry.
#[inline]
pub fn record_entry() {
    ENTRIES.fetch_add(1, Ordering::Relaxed);
}

/// The raw 32-bit entry count, wrapping. Use a [`crate::WrapExtender`] (the monitor does)
/// to turn successive readings into a 64-bit total.
#[inline]
pub fn raw_count() -> u32 {
    ENTRIES.load(Ordering::Relaxed)
}

/// Counts an interrupt entry when created; hold it for the handler's duration.
#[derive(Debug)]
#[must_use = "the guard marks the handler's extent; bind it to a variable"]
pub struct IsrGuard {
    _private: (),
}

impl IsrGuard {
    /// Records the entry.
    #[inline]
    pub fn enter() -> Self {
        record_entry();
        #[cfg(feature = "trace")]
        crate::trace::isr_enter(0);
        Self { _private: () }
    }
}

/// With the `trace` feature, the guard's drop records the handler's exit.
#[cfg(feature = "trace")]
impl Drop for IsrGuard {
    #[inline]
    fn drop(&mut self) {
        crate::trace::isr_exit(0);
    }
}

static TOTAL: clock::SharedWrapExtender = clock::SharedWrapExtender::from_zero();

/// The 64-bit number of interrupt entries recorded since boot.
///
/// Call it at least once per 2³² interrupts (every backend does on each sample) so that no
/// wrap of the 32-bit counter is missed. Takes a short critical section.
pub fn total() -> u64 {
    TOTAL.extend_with(raw_count)
}

/// Count and duration of one interrupt handler, kept in a `static` next to it.
///
/// Entering through [`IsrStats::enter`] also counts towards [`total`]. Durations are in
/// ticks of the firmware backend's clock (none are recorded before a backend registered
/// it). The timed figures are kept the way a profiled scope keeps its own (the same
/// counters: exact 64-bit count and total, minimum and maximum), read the way a scope
/// reads the clock (on an MCU with a counter register, one inline load at entry and one
/// at the end), and recorded by the one out-of-line counter update that every handler and
/// scope shares; each exit is one short critical section, safe at any priority.
///
/// ```
/// use iot_performance::interrupts::IsrStats;
///
/// static TIMER0: IsrStats = IsrStats::new("TIMER0");
///
/// fn timer0_handler() {
///     let _timing = TIMER0.enter();
///     // ... handle the interrupt ...
/// }
/// timer0_handler();
/// timer0_handler();
/// assert_eq!(TIMER0.snapshot().count, 2);
/// ```
#[derive(Debug)]
pub struct IsrStats {
    name: &'static str,
    /// Entries without a clock to time them (before a backend registered one).
    untimed: AtomicU32,
    /// The timed entries: count, total, minimum and maximum, in ticks.
    timed: SlotCounters,
}

/// What an [`IsrStats`] has measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct IsrSnapshot {
    /// The handler's name.
    pub name: &'static str,
    /// Entries.
    pub count: u32,
    /// Entries whose duration was measured (a clock was registered).
    pub timed: u32,
    /// Sum of measured durations, in ticks.
    pub total_ticks: u64,
    /// Longest measured duration, in ticks.
    pub max_ticks: u32,
}

impl IsrSnapshot {
    /// Mean measured duration in ticks, `None` before the first timed entry.
    pub fn mean_ticks(&self) -> Option<u64> {
        (self.timed > 0).then(|| self.total_ticks / u64::from(self.timed))
    }
}

impl IsrStats {
    /// Statistics of the handler `name`, empty (usable in a `static`).
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            untimed: AtomicU32::new(0),
            timed: SlotCounters::new(),
        }
    }

    /// Counts an entry and starts timing it; the returned guard records the duration when
    /// dropped at the end of the handler.
    #[inline]
    pub fn enter(&self) -> IsrTimer<'_> {
        record_entry();
        let start = clock::try_stamp();
        #[cfg(feature = "trace")]
        crate::trace::isr_at(crate::trace::EventKind::IsrEnter, start.map(wide));
        IsrTimer { stats: self, start }
    }

    /// Records the run that started at `start` and ended at `end` (either `None`:
    /// untimed; the end is `None` too when the clock went away meanwhile). The end is
    /// read by the caller, inline, so that the measured time does not hold a call; the
    /// counter update is the one every scope and handler shares
    /// ([`SlotCounters::record_span`]).
    #[inline(always)]
    fn exit(&self, start: Option<clock::Stamp>, end: Option<clock::Stamp>) {
        match start.zip(end) {
            Some((start, end)) => self.timed.record_span(start, end),
            None => self.count_untimed(),
        }
    }

    /// Counts a run without a duration (out of line: it is rare).
    #[cold]
    #[inline(never)]
    fn count_untimed(&self) {
        self.untimed.fetch_add(1, Ordering::Relaxed);
    }

    /// The figures so far.
    pub fn snapshot(&self) -> IsrSnapshot {
        let timed = self.timed.totals();
        // Truncation intended: the counts are wrapping 32-bit figures.
        let timed_count = timed.calls as u32;
        IsrSnapshot {
            name: self.name,
            count: self
                .untimed
                .load(Ordering::Relaxed)
                .wrapping_add(timed_count),
            timed: timed_count,
            total_ticks: timed.total,
            max_ticks: if timed.calls == 0 {
                0
            } else {
                u32::try_from(timed.max).unwrap_or(u32::MAX)
            },
        }
    }

    /// The handler's name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// A clock stamp as the 64-bit time trace events take (they keep its low 32 bits).
#[cfg(feature = "trace")]
#[allow(clippy::useless_conversion)] // u64 → u64 on hosts, u32 → u64 on MCUs
fn wide(stamp: clock::Stamp) -> u64 {
    u64::from(stamp)
}

/// Times one handler run; records it into its [`IsrStats`] when dropped.
#[derive(Debug)]
#[must_use = "the timer measures until it is dropped; bind it to a variable"]
pub struct IsrTimer<'a> {
    stats: &'a IsrStats,
    start: Option<clock::Stamp>,
}

impl Drop for IsrTimer<'_> {
    #[inline]
    fn drop(&mut self) {
        // Read only when the start was (the handler's shortest path to the clock).
        let end = self.start.and_then(|_| clock::try_stamp());
        self.stats.exit(self.start, end);
        #[cfg(feature = "trace")]
        crate::trace::isr_at(crate::trace::EventKind::IsrExit, end.map(wide));
    }
}

/// Counts and times the rest of the enclosing interrupt handler under `name`: declares a
/// `static` [`IsrStats`] and holds its timer until the handler returns.
///
/// ```
/// fn uart0_handler() {
///     iot_performance::profile_isr!("UART0");
///     // ... drain the FIFO ...
/// }
/// uart0_handler();
/// ```
#[macro_export]
macro_rules! profile_isr {
    ($name:expr) => {
        static __IOT_PERF_ISR: $crate::interrupts::IsrStats =
            $crate::interrupts::IsrStats::new($name);
        let _iot_perf_isr_timer = __IOT_PERF_ISR.enter();
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timed_entries_accumulate() {
        static CLOCK: portable_atomic::AtomicU64 = portable_atomic::AtomicU64::new(1_000);
        fn now() -> u64 {
            CLOCK.fetch_add(7, Ordering::Relaxed)
        }
        crate::clock::set_clock(now, 1_000_000);
        static STATS: IsrStats = IsrStats::new("TEST");
        let before = raw_count();
        for _ in 0..3 {
            let _t = STATS.enter();
        }
        let snap = STATS.snapshot();
        assert_eq!((snap.name, snap.count, snap.timed), ("TEST", 3, 3));
        assert!(raw_count().wrapping_sub(before) >= 3);
        assert_eq!(snap.total_ticks % 7, 0);
        assert!(snap.max_ticks >= 7);
        assert_eq!(snap.mean_ticks(), Some(snap.total_ticks / 3));
    }

    #[test]
    fn untimed_entries_count_but_add_no_duration() {
        static STATS: IsrStats = IsrStats::new("UNTIMED");
        // A run without a clock at its start, and one whose clock went away meanwhile.
        STATS.exit(None, None);
        STATS.exit(Some(5), None);
        STATS.exit(Some(5), Some(12));
        let snap = STATS.snapshot();
        assert_eq!((snap.count, snap.timed), (3, 1));
        assert_eq!((snap.total_ticks, snap.max_ticks), (7, 7));
        assert_eq!(snap.mean_ticks(), Some(7));
    }
}
