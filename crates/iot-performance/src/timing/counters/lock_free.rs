//! [`SlotCounters`] over relaxed 64-bit atomics: for targets that have them natively.
//!
//! The counters are generic over their atomic type only so that the model checker can
//! run this very code: `portable_atomic::AtomicU64` everywhere (the default, and the only
//! one outside `--cfg iot_perf_loom` tests), loom's `AtomicU64` in `loom_model.rs`. Every method
//! of [`Atomic64`] is `#[inline(always)]` over the same operation, so the hot path
//! compiles to the same instructions.

use core::sync::atomic::Ordering::{self, Relaxed};

use portable_atomic::AtomicU64;

use super::{AsyncTotals, Totals};
use crate::timing::detail_fields::DetailCounters;

/// The operations the counters use on one 64-bit atomic.
pub(crate) trait Atomic64 {
    fn load(&self, order: Ordering) -> u64;
    fn store(&self, value: u64, order: Ordering);
    fn fetch_add(&self, value: u64, order: Ordering) -> u64;
    fn fetch_max(&self, value: u64, order: Ordering) -> u64;
}

impl Atomic64 for AtomicU64 {
    #[inline(always)]
    fn load(&self, order: Ordering) -> u64 {
        AtomicU64::load(self, order)
    }
    #[inline(always)]
    fn store(&self, value: u64, order: Ordering) {
        AtomicU64::store(self, value, order);
    }
    #[inline(always)]
    fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        AtomicU64::fetch_add(self, value, order)
    }
    #[inline(always)]
    fn fetch_max(&self, value: u64, order: Ordering) -> u64 {
        AtomicU64::fetch_max(self, value, order)
    }
}

pub(crate) struct SlotCounters<A = AtomicU64> {
    calls: A,
    total: A,
    /// `!min`: 0 until the first call.
    min: A,
    max: A,
    detail: DetailCounters,
}

/// An async scope's polls, busy time and cancellations.
pub(crate) struct AsyncCounters<A = AtomicU64> {
    busy: A,
    polls: A,
    cancelled: A,
}

impl AsyncCounters {
    pub(crate) const fn new() -> Self {
        Self {
            busy: AtomicU64::new(0),
            polls: AtomicU64::new(0),
            cancelled: AtomicU64::new(0),
        }
    }
}

/// Counters over another atomic type, all zero (the model checker's).
#[cfg(all(test, iot_perf_loom))]
impl<A> AsyncCounters<A> {
    pub(crate) fn with_atomics(zero: impl Fn() -> A) -> Self {
        Self {
            busy: zero(),
            polls: zero(),
            cancelled: zero(),
        }
    }
}

impl<A: Atomic64> AsyncCounters<A> {
    /// One poll that kept the CPU `ticks`.
    #[inline(always)]
    pub(crate) fn record_poll(&self, ticks: u64) {
        self.polls.fetch_add(1, Relaxed);
        self.busy.fetch_add(ticks, Relaxed);
    }

    /// A call dropped before it completed.
    pub(crate) fn record_cancel(&self) {
        self.cancelled.fetch_add(1, Relaxed);
    }

    pub(crate) fn totals(&self) -> AsyncTotals {
        AsyncTotals {
            busy: self.busy.load(Relaxed),
            polls: self.polls.load(Relaxed),
            cancelled: self.cancelled.load(Relaxed),
        }
    }

    /// Zeroes every counter. Updates racing with the reset may survive it.
    pub(crate) fn reset(&self) {
        self.busy.store(0, Relaxed);
        self.polls.store(0, Relaxed);
        self.cancelled.store(0, Relaxed);
    }
}

impl SlotCounters {
    pub(crate) const fn new() -> Self {
        Self {
            calls: AtomicU64::new(0),
            total: AtomicU64::new(0),
            min: AtomicU64::new(0),
            max: AtomicU64::new(0),
            detail: DetailCounters::new(),
        }
    }
}

/// Counters over another atomic type, all zero (the model checker's, whose atomics are
/// not `const`).
#[cfg(all(test, iot_perf_loom))]
impl<A> SlotCounters<A> {
    pub(crate) fn with_atomics(zero: impl Fn() -> A) -> Self {
        Self {
            calls: zero(),
            total: zero(),
            min: zero(),
            max: zero(),
            detail: DetailCounters::new(),
        }
    }
}

impl<A: Atomic64> SlotCounters<A> {
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
        self.detail.reset();
    }
}
