//! Without `detailed-profiling`: zero-sized stand-ins whose methods do nothing, with the
//! signatures of `on.rs`.

use crate::timing::counters::SlotCounters;

/// No histogram and no self time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DetailTotals;

impl DetailTotals {
    pub(crate) const ZERO: DetailTotals = DetailTotals;

    /// Self time is only measured with `detailed-profiling`.
    #[inline(always)]
    pub(crate) fn self_ticks(&self) -> Option<u64> {
        None
    }
}

/// The update of the masked counters.
#[cfg(any(not(target_has_atomic = "64"), test))]
impl DetailTotals {
    #[inline(always)]
    pub(crate) fn record_call(&mut self, _ticks: u64) {}
}

/// No atomics to update.
#[cfg(target_has_atomic = "64")]
pub(crate) struct DetailCounters;

#[cfg(target_has_atomic = "64")]
impl DetailCounters {
    pub(crate) const fn new() -> Self {
        DetailCounters
    }

    #[inline(always)]
    pub(crate) fn record_call(&self, _ticks: u64) {}

    #[inline(always)]
    pub(crate) fn load(&self) -> DetailTotals {
        DetailTotals
    }

    #[inline(always)]
    pub(crate) fn reset(&self) {}
}

/// No nesting stack.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DetailFrame;

impl DetailFrame {
    pub(crate) const UNTRACKED: DetailFrame = DetailFrame;

    #[inline(always)]
    pub(crate) fn enter(_index: usize) -> Self {
        DetailFrame
    }

    #[inline(always)]
    pub(crate) fn exit(self, _slot: &SlotCounters, _ticks: u64) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn everything_is_zero_sized() {
        assert_eq!(core::mem::size_of::<DetailTotals>(), 0);
        assert_eq!(core::mem::size_of::<DetailCounters>(), 0);
        assert_eq!(core::mem::size_of::<DetailFrame>(), 0);
        assert_eq!(DetailTotals::ZERO.self_ticks(), None);
    }
}
