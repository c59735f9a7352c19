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

/// The counters as [`Totals`], except the extremes, kept as the minimum and the spread
/// `max - min` (both 0 before any call, told apart from a first call of 0 ticks by the
/// call count): a call inside the known range is one subtraction and one comparison
/// (`ticks - min <= spread`, unsigned), and only a call outside it stores anything.
/// The minimum and maximum are 32-bit (a scope's calls are measured as 32-bit
/// differences on these cores; a future's wall time beyond 2³² ticks saturates them, its
/// total stays exact). The call count and the total are exact 64-bit numbers kept as two
/// 32-bit halves: a call adds to the low halves, next to each other (one `ldrd`/`strd`
/// on Arm), and touches a high half only when the low one carries — no 64-bit
/// arithmetic on the hot path (see `SlotCounters::record_call`).
#[derive(Clone, Copy)]
#[repr(C)]
struct Stored {
    calls_low: u32,
    total_low: u32,
    calls_high: u32,
    total_high: u32,
    min: u32,
    spread: u32,
    detail: DetailTotals,
}

impl Stored {
    fn calls(&self) -> u64 {
        u64::from(self.calls_high) << 32 | u64::from(self.calls_low)
    }

    fn total(&self) -> u64 {
        u64::from(self.total_high) << 32 | u64::from(self.total_low)
    }

    /// Widens the range `[min, min + spread]` to hold `ticks`, which is outside it, or
    /// starts it at the first call (already counted). Inline: a call here would make
    /// the scope's exit save its return address on every call.
    #[inline(always)]
    fn widen(&mut self, ticks: u32) {
        if self.calls() == 1 {
            self.min = ticks;
            self.spread = 0;
        } else if ticks < self.min {
            // The maximum stays: `min + spread` does not overflow (it is a past call).
            self.spread += self.min - ticks;
            self.min = ticks;
        } else {
            self.spread = ticks - self.min;
        }
    }
}

/// Marks the branch it is in as rarely taken, and keeps it a branch. On Arm the compiler
/// would otherwise turn a short rare block into an `it` block, whose instructions run
/// (as no-ops) on every call; an assembly block cannot be predicated, so the rare stores
/// stay behind a branch that the common case does not take.
#[inline(always)]
fn rarely() {
    core::hint::cold_path();
    #[cfg(target_arch = "arm")]
    // SAFETY: an empty assembly block: it reads, writes and clobbers nothing.
    unsafe {
        core::arch::asm!("", options(nomem, nostack, preserves_flags));
    }
}

pub(crate) struct SlotCounters(Masked<Stored>);

const ZERO: Stored = Stored {
    calls_low: 0,
    total_low: 0,
    calls_high: 0,
    total_high: 0,
    min: 0,
    spread: 0,
    detail: DetailTotals::ZERO,
};

impl SlotCounters {
    pub(crate) const fn new() -> Self {
        Self(Masked::new(ZERO))
    }

    /// One completed call that took `ticks`.
    ///
    /// The common case adds to the two low halves and tests the call against the range
    /// of the past ones, with every store of a high half or an extreme in a branch taken
    /// rarely (a carry out of a low half; a new minimum or maximum, once warmed up): on a
    /// Cortex-M3 that is one `ldrd`/`strd` pair and two not-taken branches for the
    /// counts, and one `ldrd`, a subtraction and a compare-and-branch for the extremes,
    /// in few enough registers for the exit to save none.
    #[inline(always)]
    pub(crate) fn record_call(&self, ticks: u64) {
        let narrow = u32::try_from(ticks).unwrap_or(u32::MAX);
        // Truncations intended: the halves of `ticks`.
        let (low, high) = (ticks as u32, (ticks >> 32) as u32);
        self.0.update(|t| {
            let (total_low, carry) = t.total_low.overflowing_add(low);
            t.total_low = total_low;
            t.calls_low = t.calls_low.wrapping_add(1);
            if carry || high != 0 {
                rarely();
                t.total_high = t
                    .total_high
                    .wrapping_add(high)
                    .wrapping_add(u32::from(carry));
            }
            if t.calls_low == 0 {
                rarely();
                t.calls_high = t.calls_high.wrapping_add(1);
            }
            // Both read at once (one `ldrd` on Arm); one unsigned comparison tests both
            // ends of the range.
            let (min, spread) = (t.min, t.spread);
            if narrow.wrapping_sub(min) > spread {
                rarely();
                t.widen(narrow);
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
                u64::from(s.min)
            },
            max: u64::from(s.min) + u64::from(s.spread),
            detail: s.detail,
        }
    }

    pub(crate) fn reset(&self) {
        self.0.update(|t| *t = ZERO);
    }
}

#[cfg(test)]
impl SlotCounters {
    /// A slot that has counted `calls` calls and no ticks (the count's carry, which
    /// 2³² real calls would take too long to reach).
    pub(super) fn after_calls(calls: u64) -> Self {
        let slot = Self::new();
        // Truncations intended: the halves of `calls`.
        slot.0.update(|t| {
            t.calls_low = calls as u32;
            t.calls_high = (calls >> 32) as u32;
        });
        slot
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
