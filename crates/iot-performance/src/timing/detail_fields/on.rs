//! With `detailed-profiling`: a log2 histogram of call durations and the self time per
//! slot, and the nesting-stack frame of each open scope (see `timing::detail::nesting`).

#[cfg(target_has_atomic = "64")]
use portable_atomic::{AtomicU32, AtomicU64, Ordering::Relaxed};

use crate::timing::counters::SlotCounters;
use crate::timing::detail::nesting::{self, Frame};

/// A log2 histogram: bucket `i` counts durations `d` with `ilog2(d) == i - 1`, bucket 0
/// counts `d == 0`; the last bucket also takes everything longer.
pub(crate) const HISTOGRAM_BUCKETS: usize = 40;

/// The bucket of a duration.
#[inline(always)]
pub(crate) fn bucket_of(ticks: u64) -> usize {
    // Resolution 0 of the fleet histograms' bins (`timing::histogram`), capped.
    let b = crate::timing::histogram::bin_of(ticks, 0) as usize;
    if b >= HISTOGRAM_BUCKETS {
        HISTOGRAM_BUCKETS - 1
    } else {
        b
    }
}

/// A slot's histogram and self time as plain numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DetailTotals {
    pub(crate) self_ticks: u64,
    pub(crate) histogram: [u32; HISTOGRAM_BUCKETS],
}

impl DetailTotals {
    pub(crate) const ZERO: DetailTotals = DetailTotals {
        self_ticks: 0,
        histogram: [0; HISTOGRAM_BUCKETS],
    };

    /// The self time, always measured under this feature.
    #[inline(always)]
    pub(crate) fn self_ticks(&self) -> Option<u64> {
        Some(self.self_ticks)
    }
}

/// The updates of the masked counters, which keep these numbers in a critical section.
#[cfg(any(not(target_has_atomic = "64"), test))]
impl DetailTotals {
    /// One completed call that took `ticks` (its bucket saturates rather than wraps).
    #[inline(always)]
    pub(crate) fn record_call(&mut self, ticks: u64) {
        let b = &mut self.histogram[bucket_of(ticks)];
        *b = b.saturating_add(1);
    }

    /// Time of one frame not spent in nested scopes.
    #[inline(always)]
    pub(crate) fn record_self(&mut self, ticks: u64) {
        self.self_ticks = self.self_ticks.wrapping_add(ticks);
    }
}

/// [`DetailTotals`] as relaxed atomics, for the lock-free counters.
#[cfg(target_has_atomic = "64")]
pub(crate) struct DetailCounters {
    self_ticks: AtomicU64,
    histogram: [AtomicU32; HISTOGRAM_BUCKETS],
}

#[cfg(target_has_atomic = "64")]
impl DetailCounters {
    pub(crate) const fn new() -> Self {
        Self {
            self_ticks: AtomicU64::new(0),
            histogram: [const { AtomicU32::new(0) }; HISTOGRAM_BUCKETS],
        }
    }

    /// One completed call that took `ticks`.
    #[inline(always)]
    pub(crate) fn record_call(&self, ticks: u64) {
        self.histogram[bucket_of(ticks)].fetch_add(1, Relaxed);
    }

    /// Time of one frame not spent in nested scopes.
    #[inline(always)]
    pub(crate) fn record_self(&self, ticks: u64) {
        self.self_ticks.fetch_add(ticks, Relaxed);
    }

    pub(crate) fn load(&self) -> DetailTotals {
        DetailTotals {
            self_ticks: self.self_ticks.load(Relaxed),
            histogram: core::array::from_fn(|i| self.histogram[i].load(Relaxed)),
        }
    }

    /// Zeroes the histogram and the self time.
    pub(crate) fn reset(&self) {
        self.self_ticks.store(0, Relaxed);
        for b in &self.histogram {
            b.store(0, Relaxed);
        }
    }
}

/// An open scope's place on its context's nesting stack, and its slot index (for the
/// caller → callee edge recorded when it closes).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DetailFrame {
    frame: Frame,
    index: usize,
}

impl DetailFrame {
    pub(crate) const UNTRACKED: DetailFrame = DetailFrame {
        frame: Frame::UNTRACKED,
        index: 0,
    };

    /// Pushes a frame for slot `index` on this context's stack.
    #[inline(always)]
    pub(crate) fn enter(index: usize) -> Self {
        Self {
            frame: nesting::enter(index),
            index,
        }
    }

    /// Pops the frame after `ticks`: records the self time in `slot` and the edge from the
    /// parent scope.
    #[inline(always)]
    pub(crate) fn exit(self, slot: &SlotCounters, ticks: u64) {
        nesting::exit(self.frame, self.index, slot, ticks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_buckets() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 1);
        assert_eq!((bucket_of(2), bucket_of(3)), (2, 2));
        assert_eq!((bucket_of(1023), bucket_of(1024)), (10, 11));
        assert_eq!(bucket_of(u64::MAX), HISTOGRAM_BUCKETS - 1);
    }

    #[test]
    fn plain_buckets_saturate() {
        let mut d = DetailTotals::ZERO;
        d.histogram[bucket_of(5)] = u32::MAX;
        d.record_call(5);
        d.record_self(3);
        assert_eq!(d.histogram[bucket_of(5)], u32::MAX);
        assert_eq!(d.self_ticks(), Some(3));
    }
}
