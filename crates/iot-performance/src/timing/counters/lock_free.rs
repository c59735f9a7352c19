//! [`SlotCounters`] over relaxed 64-bit atomics: for targets that have them natively.

use portable_atomic::{AtomicU64, Ordering::Relaxed};

use super::Totals;
use crate::timing::detail_fields::DetailCounters;

pub(crate) struct SlotCounters {
    calls: AtomicU64,
    total: AtomicU64,
    /// `!min`: 0 until the first call.
    min: AtomicU64,
    max: AtomicU64,
    busy: AtomicU64,
    polls: AtomicU64,
    cancelled: AtomicU64,
    detail: DetailCounters,
}

impl SlotCounters {
    pub(crate) const fn new() -> Self {
        Self {
            calls: AtomicU64::new(0),
            total: AtomicU64::new(0),
            min: AtomicU64::new(0),
            max: AtomicU64::new(0),
            busy: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
            detail: DetailCounters::new(),
        }
    }

    /// One completed call that took `ticks`.
    #[inline(always)]
    pub(crate) fn record_call(&self, ticks: u64) {
        self.calls.fetch_add(1, Relaxed);
        self.total.fetch_add(ticks, Relaxed);
        if !ticks > self.min.load(Relaxed) {
            self.min.fetch_max(!ticks, Relaxed);
        }
        if ticks > self.max.load(Relaxed) {
            self.max.fetch_max(ticks, Relaxed);
        }
        self.detail.record_call(ticks);
    }

    /// One poll of an async scope that kept the CPU `ticks`.
    #[inline(always)]
    pub(crate) fn record_poll(&self, ticks: u64) {
        self.polls.fetch_add(1, Relaxed);
        self.busy.fetch_add(ticks, Relaxed);
    }

    /// An async call dropped before it completed.
    pub(crate) fn record_cancel(&self) {
        self.cancelled.fetch_add(1, Relaxed);
    }

    /// Time of one frame not spent in nested scopes (from the nesting stack).
    #[cfg(feature = "detailed-profiling")]
    #[inline(always)]
    pub(crate) fn record_self(&self, ticks: u64) {
        self.detail.record_self(ticks);
    }

    pub(crate) fn totals(&self) -> Totals {
        Totals {
            calls: self.calls.load(Relaxed),
            total: self.total.load(Relaxed),
            min: !self.min.load(Relaxed),
            max: self.max.load(Relaxed),
            busy: self.busy.load(Relaxed),
            polls: self.polls.load(Relaxed),
            cancelled: self.cancelled.load(Relaxed),
            detail: self.detail.load(),
        }
    }

    /// Zeroes every counter. Updates racing with the reset may survive it.
    pub(crate) fn reset(&self) {
        let e = Totals::EMPTY;
        self.calls.store(e.calls, Relaxed);
        self.total.store(e.total, Relaxed);
        self.min.store(!e.min, Relaxed);
        self.max.store(e.max, Relaxed);
        self.busy.store(e.busy, Relaxed);
        self.polls.store(e.polls, Relaxed);
        self.cancelled.store(e.cancelled, Relaxed);
        self.detail.reset();
    }
}
