//! [`SlotCounters`] and [`AsyncCounters`] as plain numbers updated in a critical section:
//! for MCUs without 64-bit atomics, and compiled for host tests so that this
//! implementation is tested too.

use core::cell::UnsafeCell;

use critical_section::{CriticalSection, Mutex};

use super::{AsyncTotals, Totals};
use crate::timing::detail_fields::DetailTotals;

/// A value read and written only inside critical sections. An `UnsafeCell` rather than a
/// `RefCell`: no borrow flag to check and set on the hot path, and no panic path;
/// exclusivity comes from the critical section alone.
struct Masked<T>(Mutex<UnsafeCell<T>>);

impl<T: Copy> Masked<T> {
    const fn new(value: T) -> Self {
        Self(Mutex::new(UnsafeCell::new(value)))
    }

    #[inline(always)]
    fn update(&self, f: impl FnOnce(&mut T)) {
        critical_section::with(|cs| f(self.stored(cs)));
    }

    fn get(&self) -> T {
        critical_section::with(|cs| *self.stored(cs))
    }

    /// The value, exclusively, for the length of the critical section.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    fn stored<'cs>(&'cs self, cs: CriticalSection<'cs>) -> &'cs mut T {
        // SAFETY: the cell is only reached through this function, which needs a
        // critical section token, and every caller holds the reference only inside
        // its `critical_section::with` closure, which calls nothing that could come
        // back here: no two references to the cell exist at once, on any core or in
        // any interrupt.
        unsafe { &mut *self.0.borrow(cs).get() }
    }
}

/// The counters as [`Totals`], except `min`, which holds `!min` (0 before any call).
/// The minimum and maximum are 32-bit (a scope's calls are measured as 32-bit
/// differences on these cores; a future's wall time beyond 2³² ticks saturates them, its
/// total stays exact).
#[derive(Clone, Copy)]
struct Stored {
    calls: u64,
    total: u64,
    min_inverted: u32,
    max: u32,
    detail: DetailTotals,
}

pub(crate) struct SlotCounters(Masked<Stored>);

const ZERO: Stored = Stored {
    calls: 0,
    total: 0,
    min_inverted: 0,
    max: 0,
    detail: DetailTotals::ZERO,
};

impl SlotCounters {
    pub(crate) const fn new() -> Self {
        Self(Masked::new(ZERO))
    }

    /// One completed call that took `ticks`.
    #[inline(always)]
    pub(crate) fn record_call(&self, ticks: u64) {
        let narrow = u32::try_from(ticks).unwrap_or(u32::MAX);
        self.0.update(|t| {
            t.calls = t.calls.wrapping_add(1);
            t.total = t.total.wrapping_add(ticks);
            // Stores only when an extreme changes (rarely, once warmed up).
            if !narrow > t.min_inverted {
                t.min_inverted = !narrow;
            }
            if narrow > t.max {
                t.max = narrow;
            }
            t.detail.record_call(ticks);
        });
    }

    /// Time of one frame not spent in nested scopes (from the nesting stack).
    #[cfg(feature = "detailed-profiling")]
    #[inline(always)]
    pub(crate) fn record_self(&self, ticks: u64) {
        self.0.update(|t| t.detail.record_self(ticks));
    }

    pub(crate) fn totals(&self) -> Totals {
        let s = self.0.get();
        Totals {
            calls: s.calls,
            total: s.total,
            // Before the first call: u64::MAX, like the lock-free slots.
            min: if s.calls == 0 {
                u64::MAX
            } else {
                u64::from(!s.min_inverted)
            },
            max: u64::from(s.max),
            detail: s.detail,
        }
    }

    pub(crate) fn reset(&self) {
        self.0.update(|t| *t = ZERO);
    }
}

/// An async scope's polls, busy time and cancellations.
pub(crate) struct AsyncCounters(Masked<AsyncTotals>);

impl AsyncCounters {
    pub(crate) const fn new() -> Self {
        Self(Masked::new(AsyncTotals::ZERO))
    }

    /// One poll that kept the CPU `ticks`.
    #[inline(always)]
    pub(crate) fn record_poll(&self, ticks: u64) {
        self.0.update(|t| {
            t.polls = t.polls.wrapping_add(1);
            t.busy = t.busy.wrapping_add(ticks);
        });
    }

    /// A call dropped before it completed.
    pub(crate) fn record_cancel(&self) {
        self.0.update(|t| t.cancelled = t.cancelled.wrapping_add(1));
    }

    pub(crate) fn totals(&self) -> AsyncTotals {
        self.0.get()
    }

    pub(crate) fn reset(&self) {
        self.0.update(|t| *t = AsyncTotals::ZERO);
    }
}
