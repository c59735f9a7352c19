//! The clock that instrumentation hooks (Embassy trace hooks, ISR timers) read.
//!
//! Hooks are free functions called by the executor or from interrupt handlers, so they
//! cannot reach a provider instance. Each firmware backend registers its clock here when
//! it is constructed (and gives it to the profiler too, through [`crate::timing::set_clock`]);
//! until then the hooks still count events but record no durations.

use core::cell::Cell;

use critical_section::Mutex;

type NowFn = fn() -> u64;

static CLOCK: Mutex<Cell<Option<(NowFn, u64)>>> = Mutex::new(Cell::new(None));

/// Registers `now` (ticks) at `ticks_per_second` as the hooks' clock.
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3", test)),
    allow(dead_code)
)]
pub(crate) fn register(now: NowFn, ticks_per_second: u64) {
    critical_section::with(|cs| CLOCK.borrow(cs).set(Some((now, ticks_per_second))));
}

/// Registers `now` as the hooks' clock and as the profiler's ([`crate::timing::set_clock`]).
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
pub(crate) fn register_everywhere(now: NowFn, ticks_per_second: u64) {
    register(now, ticks_per_second);
    crate::timing::set_clock(now, ticks_per_second);
}

/// The hooks' clock reading, or `None` when no backend registered one.
#[inline]
pub(crate) fn now() -> Option<u64> {
    let clock = critical_section::with(|cs| CLOCK.borrow(cs).get());
    clock.map(|(now, _)| now())
}

/// Frequency of the registered clock, or `None` when no backend registered one.
#[cfg_attr(not(feature = "embassy"), allow(dead_code))]
pub(crate) fn ticks_per_second() -> Option<u64> {
    critical_section::with(|cs| CLOCK.borrow(cs).get()).map(|(_, tps)| tps)
}
