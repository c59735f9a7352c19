//! Building a profiler clock from a 32-bit hardware counter.

use crate::wrap::SharedWrapExtender;

static EXTENDER: SharedWrapExtender = SharedWrapExtender::from_first_reading();

/// Extends successive readings of one wrapping 32-bit counter (DWT `CYCCNT`, a SysTick
/// tick count, the low word of a timer) to a 64-bit tick count that starts at 0 at the
/// first reading. Meant for the body of the function given to [`super::set_clock`]; it
/// must run at least once per counter period (every scope and every monitor sample
/// reads the clock), and only one counter may be extended this way per program.
///
/// ```
/// use iot_performance::timing::extend_u32;
///
/// assert_eq!(extend_u32(u32::MAX - 9), 0);
/// assert_eq!(extend_u32(5), 15); // across the wrap
/// ```
pub fn extend_u32(raw: u32) -> u64 {
    EXTENDER.extend_with(|| raw)
}
