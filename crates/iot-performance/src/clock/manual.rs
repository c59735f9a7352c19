//! [`ManualClock`]: a clock moved by hand, for exact durations in tests.

use core::cell::Cell;

use critical_section::Mutex;

use super::set_clock;

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
