//! Counting interrupt handler entries.
//!
//! Call [`record_entry`] (or hold an [`IsrGuard`]) at the top of an interrupt handler; every
//! backend reports the total as [`crate::SystemMetrics::interrupt_count`]. The counter is a
//! single 32-bit atomic add, safe in any interrupt priority; the monitor extends it to 64
//! bits on each sample, so it must sample at least once per 2³² interrupts.
//!
//! ```
//! use iot_performance::interrupts;
//!
//! fn uart_rx_handler() {
//!     let _isr = interrupts::IsrGuard::enter();
//!     // ... drain the FIFO ...
//! }
//! let before = interrupts::raw_count();
//! uart_rx_handler();
//! assert_eq!(interrupts::raw_count().wrapping_sub(before), 1);
//! ```

use portable_atomic::{AtomicU32, Ordering};

static ENTRIES: AtomicU32 = AtomicU32::new(0);

/// Counts one interrupt handler entry.
#[inline]
pub fn record_entry() {
    ENTRIES.fetch_add(1, Ordering::Relaxed);
}

/// The raw 32-bit entry count, wrapping. Use a [`crate::WrapExtender`] (the monitor does)
/// to turn successive readings into a 64-bit total.
#[inline]
pub fn raw_count() -> u32 {
    ENTRIES.load(Ordering::Relaxed)
}

/// Counts an interrupt entry when created; hold it for the handler's duration.
#[derive(Debug)]
#[must_use = "the guard marks the handler's extent; bind it to a variable"]
pub struct IsrGuard {
    _private: (),
}

impl IsrGuard {
    /// Records the entry.
    #[inline]
    pub fn enter() -> Self {
        record_entry();
        Self { _private: () }
    }
}

static TOTAL: critical_section::Mutex<core::cell::Cell<crate::WrapExtender>> =
    critical_section::Mutex::new(core::cell::Cell::new(crate::WrapExtender::new()));

/// The 64-bit number of interrupt entries recorded since boot.
///
/// Call it at least once per 2³² interrupts (every backend does on each sample) so that no
/// wrap of the 32-bit counter is missed. Takes a short critical section.
pub fn total() -> u64 {
    critical_section::with(|cs| {
        let cell = TOTAL.borrow(cs);
        let mut ext = cell.get();
        let total = ext.extend(raw_count());
        cell.set(ext);
        total
    })
}
