//! The one clock: every duration the library measures is read here.
//!
//! Scopes (`profile_block!`, `#[profile_function]`), the wall time of async functions, the
//! Embassy trace hooks, interrupt timing ([`crate::interrupts`]) and the firmware backends'
//! timestamps all read [`now`], in ticks of [`ticks_per_second`]. The clock is installed
//! once, at start-up, in one of two ways:
//!
//! - a **function** returning a monotonic 64-bit tick count: [`set_clock`];
//! - a free-running 32-bit **counter register** ([`CounterRegister`], DWT `CYCCNT`, the low
//!   word of `mtime`): [`set_counter_clock`]. Scopes on MCUs read it inline (one load) and
//!   keep 32-bit stamps; [`now`] extends it to 64 bits (or reads the 64-bit time given with
//!   [`CounterRegister::with_time`]).
//!
//! The firmware backends install their chip's clock in their constructors. Under `std` the
//! default, before anything is installed, is the calibrated CPU cycle counter
//! (`HostClock`). On firmware, before anything is installed, [`try_now`] is `None` and
//! [`ticks_per_second`] is 0: events are counted but no durations are recorded, and
//! reports say so instead of inventing them. 32-bit counters read through a function are
//! extended with [`extend_u32`] (or a [`WrapExtender`] of the caller's own).
//!
//! ```
//! use iot_performance::clock;
//!
//! fn fixed() -> u64 { 42 }
//! clock::set_clock(fixed, 1_000_000);
//! assert_eq!(clock::now(), 42);
//! assert_eq!(clock::try_now(), Some(42));
//! assert_eq!(clock::ticks_per_second(), 1_000_000);
//! # clock::reset_clock();
//! ```
//!
//! The clock imports nothing above it. The profiler's on/off switch is set through
//! [`crate::timing::set_enabled`]; its bit is kept here, as the gate of the counter-register
//! fast path, so that an MCU scope tests one pointer for both.

mod counter;
#[cfg(host_std)]
mod host;
mod manual;
mod time_fn;
mod wrap;

use core::cell::Cell;

use critical_section::Mutex;

pub use counter::CounterRegister;
#[cfg(mcu_scope_path)]
pub(crate) use counter::fast_register;
#[cfg(mcu_scope_path)]
pub(crate) use counter::read_raw;
#[cfg(all(mcu_scope_path, not(target_arch = "arm")))]
pub(crate) use counter::register;
pub(crate) use counter::{gate_open, set_gate};
#[cfg(host_std)]
pub use host::HostClock;
pub use manual::ManualClock;
pub(crate) use wrap::SharedWrapExtender;
pub use wrap::{WrapExtender, extend_u32};

use time_fn::TimeFnCell;

/// The installed clock function; none means "the default clock".
static CLOCK_FN: TimeFnCell = TimeFnCell::empty();

/// Frequency of the installed clock; 0 means "the default clock's frequency".
static CLOCK_HZ: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Makes `now` the clock, counting `ticks_per_second` ticks a second.
///
/// `now` must be monotonic (32-bit hardware counters extended with [`extend_u32`] or a
/// [`WrapExtender`]) and callable from any context that is timed, interrupt handlers
/// included. Scopes open while the clock changes measure across two clocks: set it once,
/// at start-up.
pub fn set_clock(now: fn() -> u64, ticks_per_second: u64) {
    counter::uninstall();
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(ticks_per_second));
    CLOCK_FN.set(Some(now));
}

/// Makes a free-running 32-bit counter register the clock (see [`CounterRegister`]): the
/// cheapest clock a scope can have. It replaces any clock given to [`set_clock`]; set it
/// once, at start-up.
pub fn set_counter_clock(counter: CounterRegister) {
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(counter.ticks_per_second()));
    counter::install(counter);
}

/// Goes back to the platform's default clock (the host cycle counter under `std`, none
/// on firmware).
pub fn reset_clock() {
    counter::uninstall();
    CLOCK_FN.set(None);
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(0));
}

/// The current time in ticks; 0 on firmware before a clock is installed.
///
/// Inlined where scopes read it (hosts); one shared copy on MCUs, whose scopes read the
/// counter register through their own inline path and whose other readers (hooks,
/// interrupt timers, monitor timestamps) would each carry a copy otherwise.
#[cfg_attr(target_has_atomic = "64", inline(always))]
#[cfg_attr(not(target_has_atomic = "64"), inline(never))]
pub fn now() -> u64 {
    read_now()
}

/// [`now`]'s body, inlined into the scopes' function-clock stamp on MCUs (a call less per
/// stamp than going through `now`).
#[inline(always)]
fn read_now() -> u64 {
    let counter = counter::register();
    if !counter.is_null() {
        return counter::extended(counter);
    }
    match CLOCK_FN.get() {
        Some(f) => f(),
        None => default::now(),
    }
}

/// The current time in ticks, or `None` when this platform has no clock yet (firmware
/// before its backend installed one): what event hooks read, so that they count events
/// without inventing durations.
#[inline]
pub fn try_now() -> Option<u64> {
    let installed = !counter::register().is_null() || CLOCK_FN.get().is_some();
    (installed || default::EXISTS).then(now)
}

/// Ticks per second of [`now`]; 0 when no clock is available on this platform.
pub fn ticks_per_second() -> u64 {
    let hz = critical_section::with(|cs| CLOCK_HZ.borrow(cs).get());
    // Without a default clock (firmware) its rate is 0 too: `hz` is the answer whatever is
    // installed, and the checks (atomic loads the compiler keeps) are skipped.
    if hz != 0 || !default::EXISTS || CLOCK_FN.get().is_some() || !counter::register().is_null() {
        hz
    } else {
        default::ticks_per_second()
    }
}

/// A scope's start time: the full 64-bit time where the target has 64-bit atomics (hosts,
/// where a 2³²-tick window is about a second of CPU cycles), the low 32 bits on MCUs
/// (a scope keeps half the state and one register read, and measures calls of up to
/// 2³² ticks exactly).
#[cfg(target_has_atomic = "64")]
pub(crate) type Stamp = u64;
/// See the 64-bit variant.
#[cfg(not(target_has_atomic = "64"))]
pub(crate) type Stamp = u32;

/// The time a scope starts or ends at: with a counter register installed on an MCU, one
/// volatile load.
#[inline(always)]
pub(crate) fn stamp() -> Stamp {
    #[cfg(not(target_has_atomic = "64"))]
    {
        let counter = counter::register();
        if counter.is_null() {
            return stamp_from_function_clock();
        }
        counter::read_raw(counter)
    }
    #[cfg(target_has_atomic = "64")]
    now()
}

/// A stamp, or `None` while this platform has no clock yet (what interrupt timers read:
/// they count such entries without inventing a duration). With a counter register
/// installed on an MCU, one volatile load inline, as [`stamp`]; the rest out of line.
#[inline(always)]
pub(crate) fn try_stamp() -> Option<Stamp> {
    #[cfg(not(target_has_atomic = "64"))]
    {
        let counter = counter::register();
        if !counter.is_null() {
            return Some(counter::read_raw(counter));
        }
        // The function clock, when there is one (`try_now`'s test, without the register
        // it has just tested), through `now`: its call to the clock is a tail call, so
        // the caller's reading is taken as late (or, at an exit, as early) as it can be.
        // Truncation intended: only differences of stamps are used.
        (CLOCK_FN.get().is_some() || default::EXISTS).then(|| now() as u32)
    }
    #[cfg(target_has_atomic = "64")]
    try_now()
}

/// A stamp from a function clock, out of line: a scope's inline code is then the
/// counter-register read alone (a function clock costs a call anyway).
#[cfg(not(target_has_atomic = "64"))]
#[inline(never)]
fn stamp_from_function_clock() -> Stamp {
    // Truncation intended: only differences of stamps are used.
    read_now() as u32
}

/// Ticks from `start` to `end` (wrapping: a 32-bit stamp may have wrapped once).
#[inline(always)]
pub(crate) fn elapsed(start: Stamp, end: Stamp) -> u64 {
    #[allow(clippy::useless_conversion)] // u64 → u64 on hosts, u32 → u64 on MCUs
    u64::from(end.wrapping_sub(start))
}

/// Converts `ticks` at `ticks_per_second` to microseconds without overflow (exact,
/// rounded down; `u64::MAX` when the result does not fit).
///
/// Returns 0 for a zero frequency rather than dividing by zero.
///
/// One 64-bit division and a shift-and-add loop: no 128-bit division, which a 32-bit MCU
/// expands inline (several hundred bytes at every call).
#[inline(never)]
pub fn ticks_to_us(ticks: u64, ticks_per_second: u64) -> u64 {
    const US_PER_SECOND: u64 = 1_000_000;
    if ticks_per_second == 0 {
        return 0;
    }
    let seconds = ticks / ticks_per_second;
    let fraction = scale_below(ticks % ticks_per_second, US_PER_SECOND, ticks_per_second);
    seconds
        .saturating_mul(US_PER_SECOND)
        .saturating_add(fraction)
}

/// `⌊part · factor / whole⌋` for `part < whole`, exact for every `whole`, with no
/// division and no 128-bit product: `part · factor` is built bit by bit of `factor` (its
/// significant bits: 20 for 10⁶) as a quotient and a remainder modulo `whole`.
fn scale_below(part: u64, factor: u64, whole: u64) -> u64 {
    // Invariant: (the product so far) = quotient · whole + remainder, remainder < whole.
    let (mut quotient, mut remainder) = (0u64, 0u64);
    // Two steps per bit of `factor`, highest first: double the product (add the remainder
    // to itself), then add `part` if the bit is set. Each step adds some `add < whole`
    // modulo `whole`, carrying into the quotient: one copy of that code.
    let steps = 2 * (u64::BITS - factor.leading_zeros());
    for step in (0..steps).rev() {
        let add = if step % 2 == 1 {
            quotient <<= 1;
            remainder
        } else if factor >> (step / 2) & 1 != 0 {
            part
        } else {
            0
        };
        if remainder >= whole - add {
            remainder -= whole - add;
            quotient += 1;
        } else {
            remainder += add;
        }
    }
    quotient
}

/// The clock used while none is installed: the host's cycle counter under `std`.
#[cfg(host_std)]
mod default {
    use super::HostClock;

    /// A default clock exists.
    pub(super) const EXISTS: bool = true;

    fn host_clock() -> &'static HostClock {
        static HOST: std::sync::OnceLock<HostClock> = std::sync::OnceLock::new();
        HOST.get_or_init(HostClock::new)
    }

    #[inline(always)]
    pub(super) fn now() -> u64 {
        host_clock().now_ticks()
    }

    pub(super) fn ticks_per_second() -> u64 {
        host_clock().ticks_per_second()
    }
}

/// No clock until the firmware installs one.
#[cfg(not(host_std))]
mod default {
    /// No default clock exists.
    pub(super) const EXISTS: bool = false;

    #[inline(always)]
    pub(super) fn now() -> u64 {
        0
    }

    pub(super) fn ticks_per_second() -> u64 {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_conversion_matches_a_128_bit_quotient() {
        let rates = [
            1u64,
            3,
            32_768,
            1_000_000,
            25_000_000,
            1 << 40,
            u64::MAX / 999_999,
            u64::MAX,
        ];
        let ticks = [
            0u64,
            1,
            999,
            32_767,
            1 << 33,
            123_456_789_012_345,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &hz in &rates {
            for &t in &ticks {
                let exact = u128::from(t) * 1_000_000 / u128::from(hz);
                let expected = u64::try_from(exact).unwrap_or(u64::MAX);
                assert_eq!(ticks_to_us(t, hz), expected, "{t} ticks at {hz} Hz");
            }
        }
    }

    #[test]
    fn tick_conversion() {
        assert_eq!(ticks_to_us(25_000_000, 25_000_000), 1_000_000);
        assert_eq!(ticks_to_us(3, 1_000_000), 3);
        assert_eq!(ticks_to_us(1, 0), 0);
        assert_eq!(ticks_to_us(u64::MAX, 1_000_000), u64::MAX);
        assert_eq!(ticks_to_us(u64::MAX, 1_000_000_000), u64::MAX / 1000);
    }
}
