//! The Cortex-M clock: DWT `CYCCNT` where it advances, SysTick otherwise.

use core::cell::Cell;

use cortex_m::peripheral::{SCB, SYST};
use critical_section::Mutex;
use portable_atomic::{AtomicU8, Ordering};

use super::counter::systick_ticks;
#[cfg(target_has_atomic = "32")]
use crate::WrapExtender;

/// Which counter the clock reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ClockSource {
    /// The DWT cycle counter, extended from 32 to 64 bits.
    DwtCycleCounter,
    /// SysTick's down-counter plus the wraps counted by [`super::on_systick`].
    SysTick,
}

const NONE: u8 = 0;
const DWT: u8 = 1;
const SYSTICK: u8 = 2;

static SOURCE: AtomicU8 = AtomicU8::new(NONE);
static SYSTICK_WRAPS: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));
#[cfg(target_has_atomic = "32")]
static DWT_EXTENDER: Mutex<Cell<Option<WrapExtender>>> = Mutex::new(Cell::new(None));

/// Counts one SysTick wrap; in DWT mode, refreshes the 64-bit extension.
pub(super) fn systick_wrapped() {
    match SOURCE.load(Ordering::Relaxed) {
        SYSTICK => critical_section::with(|cs| {
            let wraps = SYSTICK_WRAPS.borrow(cs);
            wraps.set(wraps.get() + 1);
        }),
        DWT => {
            now_ticks();
        }
        _ => {}
    }
}

/// Tries the DWT cycle counter: enables it and keeps it only if it advances (QEMU, and
/// some cores, report a counter that stays at 0).
#[cfg(target_has_atomic = "32")]
pub(super) fn try_dwt() -> bool {
    use cortex_m::peripheral::DWT as Dwt;
    if !Dwt::has_cycle_counter() {
        return false;
    }
    // SAFETY: only the trace-enable bit of DEMCR and the cycle-counter-enable bit of
    // DWT_CTRL are set (read-modify-write of two bits other code has no reason to clear);
    // no other peripheral of the stolen set is touched.
    let mut peripherals = unsafe { cortex_m::Peripherals::steal() };
    peripherals.DCB.enable_trace();
    peripherals.DWT.enable_cycle_counter();
    let first = Dwt::cycle_count();
    for _ in 0..64 {
        cortex_m::asm::nop();
    }
    if Dwt::cycle_count() == first {
        return false;
    }
    critical_section::with(|cs| {
        DWT_EXTENDER
            .borrow(cs)
            .set(Some(WrapExtender::starting_at(Dwt::cycle_count())));
    });
    SOURCE.store(DWT, Ordering::Relaxed);
    true
}

/// ARMv6-M has no cycle counter.
#[cfg(not(target_has_atomic = "32"))]
pub(super) fn try_dwt() -> bool {
    false
}

/// Uses SysTick as the clock.
pub(super) fn use_systick() {
    SOURCE.store(SYSTICK, Ordering::Relaxed);
}

/// Cycles since the backend was created (SysTick: since SysTick was started).
pub fn now_ticks() -> u64 {
    match SOURCE.load(Ordering::Relaxed) {
        #[cfg(target_has_atomic = "32")]
        DWT => critical_section::with(|cs| {
            let cell = DWT_EXTENDER.borrow(cs);
            let mut ext = cell.get().unwrap_or_default();
            let now = ext.extend(cortex_m::peripheral::DWT::cycle_count());
            cell.set(Some(ext));
            now
        }),
        SYSTICK => critical_section::with(|cs| {
            let wraps = SYSTICK_WRAPS.borrow(cs).get();
            let reload = SYST::get_reload();
            let mut current = SYST::get_current();
            // A wrap whose exception has not run yet: re-read after it to stay consistent.
            let pending = SCB::is_pendst_pending();
            if pending {
                current = SYST::get_current();
            }
            systick_ticks(wraps, pending, reload, current)
        }),
        _ => 0,
    }
}
