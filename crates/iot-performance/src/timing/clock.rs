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
// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicPtr, Ordering};

/// The installed clock function as a type-erased pointer; null means "the default clock".
static CLOCK_FN: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());

/// Frequency of the installed clock; 0 means "the default clock's frequency".
static CLOCK_HZ: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

/// Makes `now` the profiler's clock, counting `ticks_per_second` ticks a second.
///
/// `now` must be monotonic (32-bit hardware counters extended with
/// [`crate::WrapExtender`]) and callable from any context the application profiles,
/// interrupt handlers included. Scopes open while the clock changes measure across two
/// clocks: set it once, at start-up.
pub fn set_clock(now: fn() -> u64, ticks_per_second: u64) {
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(ticks_per_second));
    CLOCK_FN.store(now as *mut (), Ordering::Release);
}

/// Goes back to the platform's default clock (the host cycle counter under `std`, none
/// on firmware).
pub fn reset_clock() {
    CLOCK_FN.store(core::ptr::null_mut(), Ordering::Release);
    critical_section::with(|cs| CLOCK_HZ.borrow(cs).set(0));
}

/// The profiler's current time in ticks.
#[inline(always)]
pub fn now() -> u64 {
    // Relaxed: the pointer is all that is read through it (the frequency has its own
    // lock), and an acquire load costs a barrier (`dmb`) on every Cortex-M clock read.
    let f = CLOCK_FN.load(Ordering::Relaxed);
    if f.is_null() {
        default_now()
    } else {
        // SAFETY: the only non-null values ever stored in `CLOCK_FN` are `fn() -> u64`
        // pointers cast to `*mut ()` by `set_clock`; casting back restores the same fn.
        let f: fn() -> u64 = unsafe { core::mem::transmute::<*mut (), fn() -> u64>(f) };
        f()
    }
}

/// Ticks per second of [`now`]; 0 when no clock is available on this platform.
pub fn ticks_per_second() -> u64 {
    let hz = critical_section::with(|cs| CLOCK_HZ.borrow(cs).get());
    if hz != 0 || !CLOCK_FN.load(Ordering::Acquire).is_null() {
        hz
    } else {
        default_ticks_per_second()
    }
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
