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
/// total stays exact). The call count and the total are exact 64-bit numbers kept as two
/// 32-bit halves (see `add_wide`): on RISC-V a call adds to the low halves and touches a
/// high half only when the low one carries — no 64-bit arithmetic on its hot path, whose
/// 64-bit add is three instructions more and two more loads and stores.
#[derive(Clone, Copy)]
struct Stored {
    calls_low: u32,
    total_low: u32,
    calls_high: u32,
    total_high: u32,
    min_inverted: u32,
    max: u32,
    detail: DetailTotals,
}

impl Stored {
    fn calls(&self) -> u64 {
        u64::from(self.calls_high) << 32 | u64::from(self.calls_low)
    }

    fn total(&self) -> u64 {
        u64::from(self.total_high) << 32 | u64::from(self.total_low)
    }
}

/// Adds `add` to the 64-bit number whose halves are `low` and `high`.
///
/// On RISC-V (no carry flag) the low half is added alone and the high half is touched in
/// a branch taken only on a carry or for an `add` of 2³² or more. Elsewhere (Arm: add with
/// carry, and the four halves are loaded and stored as one block) as one 64-bit addition,
/// which is cheaper there than a conditional block.
#[inline(always)]
fn add_wide(low: &mut u32, high: &mut u32, add: u64) {
    // Truncations intended: the halves of `add` and of the sum.
    #[cfg(target_arch = "riscv32")]
    {
        let (sum, carry) = low.overflowing_add(add as u32);
        *low = sum;
        let add_high = (add >> 32) as u32;
        if carry || add_high != 0 {
            *high = high.wrapping_add(add_high).wrapping_add(u32::from(carry));
        }
    }
    #[cfg(not(target_arch = "riscv32"))]
    {
        let sum = (u64::from(*high) << 32 | u64::from(*low)).wrapping_add(add);
        *low = sum as u32;
        *high = (sum >> 32) as u32;
    }
}

pub(crate) struct SlotCounters(Masked<Stored>);

const ZERO: Stored = Stored {
    calls_low: 0,
    total_low: 0,
    calls_high: 0,
    total_high: 0,
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
            add_wide(&mut t.calls_low, &mut t.calls_high, 1);
            add_wide(&mut t.total_low, &mut t.total_high, ticks);
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
            calls: s.calls(),
            total: s.total(),
            // Before the first call: u64::MAX, like the lock-free slots.
            min: if s.calls() == 0 {
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
