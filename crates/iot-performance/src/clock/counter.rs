//! A clock read straight from a free-running 32-bit counter register.
//!
//! A function clock ([`super::set_clock`]) costs a call per reading and must return a
//! consistent 64-bit time. Most MCUs have a register that simply counts up — DWT `CYCCNT`
//! on Cortex-M3/M4/M7, the low word of the RISC-V `mtime`, a board timer — and a scope
//! only needs the difference of two readings. With a [`CounterRegister`] installed, a
//! scope on a chip without 64-bit atomics reads the register inline (one load), keeps a
//! 32-bit start time, and takes the wrapping difference at exit: exact for any call
//! shorter than one counter period (2³² ticks: 21 s at 200 MHz, 429 s for a 10 MHz
//! `mtime`).
//!
//! [`super::now`] still returns a 64-bit time: from the 64-bit reading given with
//! [`CounterRegister::with_time`] (the whole `mtime`, a backend's extended `CYCCNT`), or
//! else by extending the register's readings from its raw 0 with a [`WrapExtender`], which
//! must then see the counter at least once per period (every `now()` is a reading).

// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

#[cfg(any(test, all(target_arch = "arm", not(target_has_atomic = "32"))))]
mod capture;

use super::time_fn::TimeFnCell;
use super::wrap::SharedWrapExtender;

/// The address and rate of a free-running 32-bit up-counter, for
/// [`set_counter_clock`](super::set_counter_clock).
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use iot_performance::clock::{self, CounterRegister};
///
/// // A stand-in for a hardware register; on a Cortex-M4 this would be
/// // `0xE000_1004 as *const u32` (DWT CYCCNT).
/// static FAKE_CYCCNT: AtomicU32 = AtomicU32::new(1_000);
///
/// // SAFETY: the address is a static that lives for the whole program, is aligned, and
/// // reading it has no side effects.
/// let counter = unsafe { CounterRegister::new(FAKE_CYCCNT.as_ptr(), 64_000_000) };
/// clock::set_counter_clock(counter);
/// {
///     let _scope = iot_performance::profile_block!("doc_counter_clock");
///     FAKE_CYCCNT.fetch_add(640, Ordering::Relaxed);
/// }
/// assert_eq!(iot_performance::timing::scope("doc_counter_clock").unwrap().total_ticks, 640);
/// assert_eq!(clock::ticks_per_second(), 64_000_000);
/// # clock::reset_clock();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CounterRegister {
    address: *const u32,
    ticks_per_second: u64,
    time: Option<fn() -> u64>,
    /// The capture task each reading triggers (`nrf_timer`).
    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    capture_task: Option<*mut u32>,
}

impl CounterRegister {
    /// Describes the counter at `address`, counting up by one `ticks_per_second` times a
    /// second and wrapping from `u32::MAX` to 0.
    ///
    /// # Safety
    /// For the rest of the program `address` must be aligned and valid for volatile
    /// 32-bit reads from any context (interrupt handlers included), and reading it must
    /// have no side effect.
    pub const unsafe fn new(address: *const u32, ticks_per_second: u64) -> Self {
        Self {
            address,
            ticks_per_second,
            time: None,
            #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
            capture_task: None,
        }
    }

    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    /// An nRF51 `TIMER` (the nRF52's too) at `timer_base`, running as a free-running 32-bit
    /// counter at `ticks_per_second`, read through capture channel `channel`: each reading
    /// writes `TASKS_CAPTURE[channel]` and reads `CC[channel]` (a store and a load, against
    /// SysTick's function call and critical section). ARMv6-M only (Cortex-M0/M0+ parts
    /// have no DWT `CYCCNT`); the Cortex-M backend starts one with
    /// `CortexMMetrics::use_nrf_timer`. `None` for a channel past 5.
    ///
    /// # Safety
    /// For the rest of the program `timer_base` must be the base address of an nRF
    /// `TIMER` that counts up by one `ticks_per_second` times a second in 32-bit mode
    /// (`MODE` timer, `BITMODE` 32, started), and nothing else may use `CC[channel]` or
    /// stop, clear or reconfigure the timer.
    pub const unsafe fn nrf_timer(
        timer_base: usize,
        channel: usize,
        ticks_per_second: u64,
    ) -> Option<Self> {
        if channel >= capture::CHANNELS {
            return None;
        }
        Some(Self {
            address: (timer_base + capture::CC0 + 4 * channel) as *const u32,
            ticks_per_second,
            time: None,
            capture_task: Some((timer_base + capture::CAPTURE0 + 4 * channel) as *mut u32),
        })
    }

    /// Gives the 64-bit time of the same counter (same ticks, e.g. the whole 64-bit
    /// `mtime` whose low word is the register), for [`super::now`]; without it `now`
    /// extends the 32-bit readings.
    #[must_use]
    pub const fn with_time(mut self, now: fn() -> u64) -> Self {
        self.time = Some(now);
        self
    }

    /// The register's address.
    pub const fn address(&self) -> *const u32 {
        self.address
    }

    /// The counter's rate.
    pub const fn ticks_per_second(&self) -> u64 {
        self.ticks_per_second
    }
}

static COUNTER: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
/// Whether scopes record: the profiler's on/off switch ([`crate::timing::set_enabled`]),
/// kept here so that the MCU fast path can fold it into one pointer with the clock.
static GATE: AtomicBool = AtomicBool::new(true);
/// `COUNTER` while profiling is enabled, null otherwise: an MCU scope's entry tests this
/// one pointer instead of the switch and the clock (see `refresh_fast`).
#[cfg(mcu_scope_path)]
static FAST: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
static TIME: TimeFnCell = TimeFnCell::empty();
static EXTENDER: SharedWrapExtender = SharedWrapExtender::from_first_reading();

/// Installs `counter`. Its 64-bit time is the register's own count extended past its wraps
/// (time since the counter started, for a counter that has not wrapped before this call),
/// so that an uptime read from it is time since reset, not since installation.
pub(super) fn install(counter: CounterRegister) {
    EXTENDER.restart_at(0);
    TIME.set(counter.time);
    #[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
    capture::set_task(counter.capture_task);
    COUNTER.store(counter.address.cast_mut(), Ordering::Release);
    refresh_fast();
}

/// Removes the counter clock.
pub(super) fn uninstall() {
    COUNTER.store(core::ptr::null_mut(), Ordering::Release);
    refresh_fast();
}

/// Opens or closes the gate scopes test (the profiler's switch): while it is closed the
/// MCU fast path's pointer is null and every scope takes the shared slow path, which tests
/// the gate itself.
pub(crate) fn set_gate(open: bool) {
    GATE.store(open, Ordering::Relaxed);
    refresh_fast();
}

/// True while scopes record.
#[inline(always)]
pub(crate) fn gate_open() -> bool {
    GATE.load(Ordering::Relaxed)
}

/// Recomputes `FAST` from the gate and the clock; every writer of either calls it after
/// its write, and the last one to run sees both final values.
#[cfg(mcu_scope_path)]
fn refresh_fast() {
    critical_section::with(|_| {
        let fast = if GATE.load(Ordering::Relaxed) {
            COUNTER.load(Ordering::Relaxed)
        } else {
            core::ptr::null_mut()
        };
        FAST.store(fast, Ordering::Release);
    });
}

/// Nothing to keep in step where scopes test the switch and the clock apart.
#[cfg(not(mcu_scope_path))]
fn refresh_fast() {}

/// The counter register if profiling is enabled and one is installed, else null.
#[cfg(mcu_scope_path)]
#[inline(always)]
pub(crate) fn fast_register() -> *const u32 {
    FAST.load(Ordering::Relaxed)
}

/// The installed register, or null.
#[inline(always)]
pub(crate) fn register() -> *const u32 {
    // Relaxed: the address is the only data read through it, and an acquire load is a
    // barrier on every Cortex-M scope.
    COUNTER.load(Ordering::Relaxed)
}

/// One raw reading of a non-null `register()`.
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
#[inline(always)]
pub(crate) fn read_raw(register: *const u32) -> u32 {
    // SAFETY: the only non-null values stored in `COUNTER` come from `CounterRegister`s,
    // whose constructor's contract makes a volatile read valid from any context.
    unsafe { register.read_volatile() }
}

/// One raw reading of a non-null `register()`; on ARMv6-M after triggering the capture
/// task of an nRF `TIMER` (see `capture`).
#[cfg(all(target_arch = "arm", not(target_has_atomic = "32")))]
#[inline(always)]
pub(crate) fn read_raw(register: *const u32) -> u32 {
    capture::read(register)
}

/// A 64-bit time from a non-null `register()`.
pub(super) fn extended(register: *const u32) -> u64 {
    if let Some(time) = TIME.get() {
        return time();
    }
    // Read inside the extender's critical section, so readings reach it in order.
    EXTENDER.extend_with(|| read_raw(register))
}
