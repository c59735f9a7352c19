//! One scope's live counters, updated from the hot path.
//!
//! Two implementations with one API, chosen once, here, by what the target's atomics can do:
//! - `lock_free.rs`, with native 64-bit atomics (hosts, 64-bit chips): lock-free
//!   `fetch_add`s, and min/max that only touch the cache line when they change;
//! - `masked.rs`, without them (Cortex-M, 32-bit RISC-V): one short critical section per
//!   update, which on a single-core MCU is a few cycles of masked interrupts and cheaper
//!   than several emulated 64-bit atomics. It is also what makes the update safe from
//!   interrupts.
//!
//! The masked implementation is compiled for host tests too, and `tests.rs` drives both
//! through the same sequence. `loom_model.rs` model-checks the lock-free one under
//! concurrent calls (built only with `--cfg iot_perf_loom`).
//!
//! Both start every counter at zero, so that the slot table is zero-initialised, lands in
//! `.bss` and costs no flash for an initial image: the lock-free one stores the minimum
//! bit-inverted (`!min`, so "no call yet" is 0 and the minimum is a maximum of inverted
//! values); the masked one stores the minimum and the spread `max - min`, both 0 before
//! the first call (told apart from a call of 0 ticks by the call count), so that a call
//! within the known range costs one comparison.
//!
//! The `detailed-profiling` histogram and self time are one field of each implementation,
//! zero-sized without the feature (see `timing::detail_fields`).
//!
//! What only `async fn` scopes count — polls, busy time, cancellations — is a second type,
//! [`AsyncCounters`], kept in the registry's own table sized for async scopes: a
//! synchronous scope's slot does not carry it (24 bytes instead of 48 on an MCU).

#[cfg(target_has_atomic = "64")]
mod lock_free;
#[cfg(any(not(target_has_atomic = "64"), test))]
mod masked;
#[cfg(test)]
mod tests;
// `RUSTFLAGS="--cfg iot_perf_loom"`: model checks of the lock-free counters (see the file).
#[cfg(all(test, iot_perf_loom, target_has_atomic = "64"))]
mod loom_model;

#[cfg(target_has_atomic = "64")]
pub(crate) use lock_free::{AsyncCounters, SlotCounters};
#[cfg(not(target_has_atomic = "64"))]
pub(crate) use masked::{AsyncCounters, SlotCounters};

use super::detail_fields::DetailTotals;
use crate::clock;

impl SlotCounters {
    /// Records the call that started at the clock stamp `start` and ended at `end`: the
    /// one out-of-line copy of the counter update shared by the timed interrupts
    /// ([`crate::interrupts::IsrStats`]) and, on MCUs, the scope exits other than the
    /// inline fast one. The caller reads the end, so that the measured time does not hold
    /// the call.
    #[inline(never)]
    pub(crate) fn record_span(&self, start: clock::Stamp, end: clock::Stamp) {
        self.record_call(clock::elapsed(start, end));
    }
}

/// A consistent-enough copy of one scope's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) total: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
    /// Histogram and self time (`detailed-profiling`; zero-sized without it).
    pub(crate) detail: DetailTotals,
}

impl Totals {
    /// The totals of a slot that saw nothing (`min` is `u64::MAX` before the first call).
    #[cfg(any(target_has_atomic = "64", test))]
    pub(crate) const EMPTY: Totals = Totals {
        calls: 0,
        total: 0,
        min: u64::MAX,
        max: 0,
        detail: DetailTotals::ZERO,
    };
}

/// A copy of one async scope's poll counters ([`AsyncCounters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsyncTotals {
    /// Sum of the poll durations.
    pub(crate) busy: u64,
    pub(crate) polls: u64,
    pub(crate) cancelled: u64,
}

impl AsyncTotals {
    /// No poll yet.
    #[cfg(any(not(target_has_atomic = "64"), test))]
    pub(crate) const ZERO: AsyncTotals = AsyncTotals {
        busy: 0,
        polls: 0,
        cancelled: 0,
    };
}

impl core::fmt::Debug for AsyncCounters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let t = self.totals();
        f.debug_struct("AsyncCounters")
            .field("polls", &t.polls)
            .field("busy", &t.busy)
            .finish_non_exhaustive()
    }
}

impl core::fmt::Debug for SlotCounters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let t = self.totals();
        f.debug_struct("SlotCounters")
            .field("calls", &t.calls)
            .field("total", &t.total)
            .finish_non_exhaustive()
    }
}
