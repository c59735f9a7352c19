//! The profiler's clock: a plain function pointer, set at run time.
//!
//! Scopes read time through [`now`], not through a [`crate::TimingProvider`]: the hot path
//! must not depend on a monitor's generic provider. Firmware backends call [`set_clock`]
//! in their constructors; under `std` the default is the host's calibrated CPU cycle
//! counter ([`crate::host::HostClock`]). Without `std` and before `set_clock`, [`now`]
//! reads 0 and [`ticks_per_second`] is 0: calls are counted but no time is measured, and
//! reports say so instead of inventing durations. In tests, [`ManualClock`] or
//! [`crate::mock::MockMetrics::drive_profiler_clock`] make durations exact.
//!
//! ```
//! use iot_performance::timing;
//!
//! fn fixed() -> u64 { 42 }
//! timing::set_clock(fixed, 1_000_000);
//! assert_eq!(timing::now(), 42);
//! assert_eq!(timing::ticks_per_second(), 1_000_000);
//! # timing::reset_clock();
//! ```

use core::cell::Cell;

use critical_section::Mutex;

use super::counter_clock::{self, CounterRegister};
use super::time_fn::TimeFnCell;

/// The installed clock function; none means "the default clock".
static CLOCK_FN: TimeFnCell = TimeFnCell::empty();

/// Frequency of the installed clock; 0 means "the default clock's frequency".
static CLOCK_HZ: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Makes `now` the profiler's clock, counting `ticks_per_second` ticks a second.
///
/// `now` must be monotonic (32-bit hardware counters extended with
/// [`crate::WrapExtender`]) and callable from any context the application profiles,
/// interrupt handlers included. Scopes open while the clock changes measure across two
/// clocks: set it once, at start-up.
pub fn set_clock(now: fn() -> u64, ticks_per_second: u64) {
    counter_clock::uninstall();
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(ticks_per_second));
    CLOCK_FN.set(Some(now));
}

/// Makes a free-running 32-bit counter register the profiler's clock (see
/// [`CounterRegister`]): the cheapest clock a scope can have. It replaces any clock given
/// to [`set_clock`]; set it once, at start-up.
pub fn set_counter_clock(counter: CounterRegister) {
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(counter.ticks_per_second()));
    counter_clock::install(counter);
}

/// Goes back to the platform's default clock (the host cycle counter under `std`, none
/// on firmware).
pub fn reset_clock() {
    counter_clock::uninstall();
    CLOCK_FN.set(None);
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(0));
}

/// The profiler's current time in ticks.
#[inline(always)]
pub fn now() -> u64 {
    let counter = counter_clock::register();
    if !counter.is_null() {
        return counter_clock::extended(counter);
    }
    match CLOCK_FN.get() {
        Some(f) => f(),
        None => default_now(),
    }
}

/// Ticks per second of [`now`]; 0 when no clock is available on this platform.
pub fn ticks_per_second() -> u64 {
    let hz = critical_section::with(|cs| CLOCK_HZ.borrow(cs).get());
    if hz != 0 || CLOCK_FN.get().is_some() || !counter_clock::register().is_null() {
        hz
    } else {
        default_ticks_per_second()
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
        let counter = counter_clock::register();
        if counter.is_null() {
            return stamp_from_function_clock();
        }
        counter_clock::read_raw(counter)
    }
    #[cfg(target_has_atomic = "64")]
    now()
}

/// A stamp from a function clock, out of line: a scope's inline code is then the
/// counter-register read alone (a function clock costs a call anyway).
#[cfg(not(target_has_atomic = "64"))]
#[inline(never)]
fn stamp_from_function_clock() -> Stamp {
    // Truncation intended: only differences of stamps are used.
    now() as u32
}

/// Ticks from `start` to `end` (wrapping: a 32-bit stamp may have wrapped once).
#[inline(always)]
pub(crate) fn elapsed(start: Stamp, end: Stamp) -> u64 {
    #[allow(clippy::useless_conversion)] // u64 → u64 on hosts, u32 → u64 on MCUs
    u64::from(end.wrapping_sub(start))
}

#[cfg(feature = "std")]
fn host_clock() -> &'static crate::host::HostClock {
    static HOST: std::sync::OnceLock<crate::host::HostClock> = std::sync::OnceLock::new();
    HOST.get_or_init(crate::host::HostClock::new)
}

#[cfg(feature = "std")]
#[inline(always)]
fn default_now() -> u64 {
    host_clock().now_ticks()
}

#[cfg(feature = "std")]
fn default_ticks_per_second() -> u64 {
    host_clock().ticks_per_second()
}

#[cfg(not(feature = "std"))]
#[inline(always)]
fn default_now() -> u64 {
    0
}

#[cfg(not(feature = "std"))]
fn default_ticks_per_second() -> u64 {
    0
}

/// A clock moved by hand, for tests on the host and on the device: install it with
/// [`ManualClock::install`], then [`ManualClock::advance`] it between enter and exit.
///
/// ```
/// use iot_performance::timing::{self, ManualClock};
///
/// ManualClock::install(1_000_000);
/// let t0 = timing::now();
/// ManualClock::advance(250);
/// assert_eq!(timing::now() - t0, 250);
/// # timing::reset_clock();
/// ```
#[derive(Debug)]
pub struct ManualClock;

static MANUAL_NOW: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

impl ManualClock {
    /// Makes the manual clock the profiler's clock at `ticks_per_second`.
    pub fn install(ticks_per_second: u64) {
        set_clock(Self::now, ticks_per_second);
    }

    /// The manual clock's time.
    pub fn now() -> u64 {
        critical_section::with(|cs| MANUAL_NOW.borrow(cs).get())
    }

    /// Moves the manual clock forward by `ticks`.
    pub fn advance(ticks: u64) {
        critical_section::with(|cs| {
            let c = MANUAL_NOW.borrow(cs);
            c.set(c.get().saturating_add(ticks));
        });
    }

    /// Sets the manual clock's time (e.g. just below a wrap point).
    pub fn set(ticks: u64) {
        critical_section::with(|cs| MANUAL_NOW.borrow(cs).set(ticks));
    }
}
