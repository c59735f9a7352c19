//! The Cortex-M clock: DWT `CYCCNT` where it advances, SysTick otherwise.

use core::cell::Cell;

use cortex_m::peripheral::SYST;
use critical_section::Mutex;
// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicU8, Ordering};

use super::systick::{SysTickRegisters, after_wrap, systick_time};
#[cfg(target_has_atomic = "32")]
use crate::clock::SharedWrapExtender;

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
/// (ARMv6-M has no cycle counter: never chosen there.)
#[cfg(target_has_atomic = "32")]
const DWT: u8 = 1;
const SYSTICK: u8 = 2;

/// Which source [`now_ticks`] reads.
static SOURCE: AtomicU8 = AtomicU8::new(NONE);

/// SysTick cycles of the wraps accounted so far (the sum of their periods). Read and
/// written only inside a critical section, together with `COUNTFLAG` (see
/// [`account_wrap`](super::systick::account_wrap)).
static SYSTICK_BASE: Mutex<Cell<u64>> = Mutex::new(Cell::new(0));

#[cfg(target_has_atomic = "32")]
static DWT_EXTENDER: SharedWrapExtender = SharedWrapExtender::from_first_reading();

/// Whether SysTick counts (`ENABLE` of `SYST_CSR`). The read clears `COUNTFLAG`, so a
/// wrap it reveals is accounted when the clock already runs on SysTick.
pub(super) fn systick_running() -> bool {
    critical_section::with(|cs| {
        // SAFETY: a read of SYST_CSR; its only side effect (clearing COUNTFLAG) is
        // handled here.
        let csr = unsafe { (*SYST::PTR).csr.read() };
        if SOURCE.load(Ordering::Relaxed) == SYSTICK && csr & (1 << 16) != 0 {
            let cell = SYSTICK_BASE.borrow(cs);
            cell.set(after_wrap(cell.get(), SYST::get_reload()));
        }
        csr & 1 == 1
    })
}

/// SysTick's registers.
struct SysTickHardware;

impl SysTickRegisters for SysTickHardware {
    #[inline(always)]
    fn take_countflag(&mut self) -> bool {
        // SAFETY: a read of SYST_CSR; its only side effect is clearing COUNTFLAG, which
        // this clock owns once it runs on SysTick (documented on `on_systick`).
        unsafe { (*SYST::PTR).csr.read() & (1 << 16) != 0 }
    }

    #[inline(always)]
    fn current(&mut self) -> u32 {
        SYST::get_current()
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
    DWT_EXTENDER.restart_at(Dwt::cycle_count());
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
        DWT => dwt_read(),
        SYSTICK => systick_read(),
        _ => 0,
    }
}

/// What the SysTick handler does ([`super::on_systick`]): a read of the clock, whose result
/// it drops. In SysTick mode the read accounts a wrap not yet accounted (the readers' own
/// code, [`systick_time`]); in DWT mode it refreshes the 64-bit extension. It calls the
/// out-of-line clock functions, which every image with a backend has, rather than
/// inlining a third copy of either read.
#[inline(always)]
pub(super) fn on_tick() {
    match SOURCE.load(Ordering::Relaxed) {
        #[cfg(target_has_atomic = "32")]
        DWT => {
            dwt_now();
        }
        SYSTICK => {
            systick_now();
        }
        _ => {}
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

/// The DWT clock function (out of line; [`now_ticks`] inlines its own copy of the read).
#[cfg(target_has_atomic = "32")]
#[inline(never)]
fn dwt_now() -> u64 {
    dwt_read()
}

/// The DWT cycle counter extended to 64 bits.
#[cfg(target_has_atomic = "32")]
#[inline(always)]
fn dwt_read() -> u64 {
    DWT_EXTENDER.extend_with(cortex_m::peripheral::DWT::cycle_count)
}

/// The SysTick clock function (out of line; [`now_ticks`] inlines its own copy of the
/// read).
#[inline(never)]
fn systick_now() -> u64 {
    systick_read()
}

/// The SysTick clock: one short critical section in which a wrap not yet accounted (by
/// the handler or another reader) is added, so time never steps back, whatever the
/// reader's priority.
#[inline(always)]
fn systick_read() -> u64 {
    critical_section::with(|cs| {
        let cell = SYSTICK_BASE.borrow(cs);
        let mut base = cell.get();
        let now = systick_time(&mut base, &mut SysTickHardware, SYST::get_reload());
        cell.set(base);
        now
    })
}

/// Makes `source` the crate's clock ([`crate::clock`]) at `core_clock_hz`: the source's read
/// itself (not [`now_ticks`]' dispatch on the source), and with DWT the `CYCCNT` register
/// for scopes to read inline. Out of line: inlined, it was specialised into both of
/// `CortexMMetrics::new`'s branches (DWT and SysTick), one copy each (44 B more).
#[inline(never)]
pub(super) fn install(source: ClockSource, core_clock_hz: u64) {
    crate::clock::set_clock(read_fn(source), core_clock_hz);
    #[cfg(target_has_atomic = "32")]
    if source == ClockSource::DwtCycleCounter {
        // SAFETY: the address is `CYCCNT` in the cortex-m crate's DWT register block: an
        // aligned, always-readable register whose reads have no side effect. `try_dwt`
        // found the cycle counter present and counting before this source was chosen.
        let counter = unsafe {
            crate::clock::CounterRegister::new(
                core::ptr::addr_of!((*cortex_m::peripheral::DWT::PTR).cyccnt).cast::<u32>(),
                core_clock_hz,
            )
        };
        // Scopes read CYCCNT itself (one load); `clock::now()` keeps the extended reading
        // the SysTick handler refreshes.
        crate::clock::set_counter_clock(counter.with_time(read_fn(source)));
    }
}
