//! The Cortex-M clock: DWT `CYCCNT` where it advances, SysTick otherwise.

#[cfg(target_has_atomic = "32")]
use core::cell::Cell;
use core::sync::atomic::compiler_fence;

use cortex_m::peripheral::{SCB, SYST};
#[cfg(target_has_atomic = "32")]
use critical_section::Mutex;
// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicU8, AtomicU32, Ordering};

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

/// The clock's state, in one `static` so that a read materialises one address.
struct ClockState {
    source: AtomicU8,
    /// SysTick cycles of the wraps counted so far (the sum of their periods), as two
    /// words that only [`systick_wrapped`] writes, inside a critical section: a reader at
    /// any priority sees either the old or the new pair, and a reader that the SysTick
    /// handler interrupts notices it by the low word changing and reads again.
    base_lo: AtomicU32,
    base_hi: AtomicU32,
}

static STATE: ClockState = ClockState {
    source: AtomicU8::new(NONE),
    base_lo: AtomicU32::new(0),
    base_hi: AtomicU32::new(0),
};
#[cfg(target_has_atomic = "32")]
static DWT_EXTENDER: Mutex<Cell<Option<WrapExtender>>> = Mutex::new(Cell::new(None));

/// Counts one SysTick wrap; in DWT mode, refreshes the 64-bit extension.
pub(super) fn systick_wrapped() {
    match STATE.source.load(Ordering::Relaxed) {
        SYSTICK => critical_section::with(|_| {
            let base = (u64::from(STATE.base_hi.load(Ordering::Relaxed)) << 32)
                | u64::from(STATE.base_lo.load(Ordering::Relaxed));
            let base = base.wrapping_add(u64::from(SYST::get_reload()) + 1);
            STATE.base_lo.store(base as u32, Ordering::Relaxed);
            STATE.base_hi.store((base >> 32) as u32, Ordering::Relaxed);
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
    STATE.source.store(DWT, Ordering::Relaxed);
    true
}

/// ARMv6-M has no cycle counter.
#[cfg(not(target_has_atomic = "32"))]
pub(super) fn try_dwt() -> bool {
    false
}

/// Uses SysTick as the clock.
pub(super) fn use_systick() {
    STATE.source.store(SYSTICK, Ordering::Relaxed);
}

/// Cycles since the backend was created (SysTick: since SysTick was started).
pub fn now_ticks() -> u64 {
    match STATE.source.load(Ordering::Relaxed) {
        #[cfg(target_has_atomic = "32")]
        DWT => dwt_now(),
        SYSTICK => systick_now(),
        _ => 0,
    }
}

/// The read function of `source` (what [`now_ticks`] dispatches to), for clients that
/// call the clock often and know the source: the profiler.
pub(super) fn read_fn(source: ClockSource) -> fn() -> u64 {
    match source {
        #[cfg(target_has_atomic = "32")]
        ClockSource::DwtCycleCounter => dwt_now,
        #[cfg(not(target_has_atomic = "32"))]
        ClockSource::DwtCycleCounter => now_ticks,
        ClockSource::SysTick => systick_now,
    }
}

/// The DWT cycle counter extended to 64 bits.
#[cfg(target_has_atomic = "32")]
fn dwt_now() -> u64 {
    critical_section::with(|cs| {
        let cell = DWT_EXTENDER.borrow(cs);
        let mut ext = cell.get().unwrap_or_default();
        let now = ext.extend(cortex_m::peripheral::DWT::cycle_count());
        cell.set(Some(ext));
        now
    })
}

/// The SysTick clock without a critical section: the counted base, the down-counter, and
/// a re-read when the SysTick handler ran in between (it can only run once per period,
/// so the loop ends at the second pass).
fn systick_now() -> u64 {
    loop {
        let lo = STATE.base_lo.load(Ordering::Relaxed);
        let hi = STATE.base_hi.load(Ordering::Relaxed);
        // Keep the register reads between the two reads of the low word.
        compiler_fence(Ordering::SeqCst);
        let reload = SYST::get_reload();
        let current = SYST::get_current();
        let pending = SCB::is_pendst_pending();
        compiler_fence(Ordering::SeqCst);
        if STATE.base_lo.load(Ordering::Relaxed) == lo {
            let base = (u64::from(hi) << 32) | u64::from(lo);
            if pending {
                return systick_now_pending(base, reload);
            }
            return systick_ticks(base, false, reload, current);
        }
    }
}

/// A wrap whose exception has not run yet (the reader masks interrupts or outranks
/// SysTick): re-read the counter after it, and count the wrap's period.
#[cold]
#[inline(never)]
fn systick_now_pending(base: u64, reload: u32) -> u64 {
    systick_ticks(base, true, reload, SYST::get_current())
}
