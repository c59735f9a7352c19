//! A profiler clock read straight from a free-running 32-bit counter register.
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
//! else by extending the register's readings with a [`WrapExtender`], which must then see
//! the counter at least once per period (every `now()` is a reading).

use core::cell::Cell;
// Load/store-only atomics come from `core` (see `clock.rs`).
use core::sync::atomic::{AtomicPtr, Ordering};

use critical_section::Mutex;

use crate::WrapExtender;

/// The address and rate of a free-running 32-bit up-counter, for
/// [`set_counter_clock`](super::set_counter_clock).
///
/// ```
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use iot_performance::timing::{self, CounterRegister};
///
/// // A stand-in for a hardware register; on a Cortex-M4 this would be
/// // `0xE000_1004 as *const u32` (DWT CYCCNT).
/// static FAKE_CYCCNT: AtomicU32 = AtomicU32::new(1_000);
///
/// // SAFETY: the address is a static that lives for the whole program, is aligned, and
/// // reading it has no side effects.
/// let counter = unsafe { CounterRegister::new(FAKE_CYCCNT.as_ptr(), 64_000_000) };
/// timing::set_counter_clock(counter);
/// {
///     let _scope = iot_performance::profile_block!("doc_counter_clock");
///     FAKE_CYCCNT.fetch_add(640, Ordering::Relaxed);
/// }
/// assert_eq!(timing::scope("doc_counter_clock").unwrap().total_ticks, 640);
/// assert_eq!(timing::ticks_per_second(), 64_000_000);
/// # timing::reset_clock();
/// ```
#[derive(Debug, Clone, Copy)]
pub struct CounterRegister {
    address: *const u32,
    ticks_per_second: u64,
    time: Option<fn() -> u64>,
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
        }
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
/// `COUNTER` while profiling is enabled, null otherwise: an MCU scope's entry tests this
/// one pointer instead of the switch and the clock (see `refresh_fast`).
static FAST: AtomicPtr<u32> = AtomicPtr::new(core::ptr::null_mut());
static TIME: AtomicPtr<()> = AtomicPtr::new(core::ptr::null_mut());
static EXTENDER: Mutex<Cell<WrapExtender>> = Mutex::new(Cell::new(WrapExtender::new()));

/// Installs `counter` (its extension starts at 0 now).
pub(super) fn install(counter: CounterRegister) {
    critical_section::with(|cs| {
        // SAFETY: `CounterRegister::new`'s contract: readable, aligned, no side effect.
        let raw = unsafe { counter.address.read_volatile() };
        EXTENDER.borrow(cs).set(WrapExtender::starting_at(raw));
    });
    let time = counter.time.map_or(core::ptr::null_mut(), |f| f as *mut ());
    TIME.store(time, Ordering::Release);
    COUNTER.store(counter.address.cast_mut(), Ordering::Release);
    refresh_fast();
}

/// Removes the counter clock.
pub(super) fn uninstall() {
    COUNTER.store(core::ptr::null_mut(), Ordering::Release);
    refresh_fast();
}

/// Recomputes `FAST` from the switch and the clock; every writer of either calls it after
/// its write, and the last one to run sees both final values.
pub(super) fn refresh_fast() {
    critical_section::with(|_| {
        let fast = if super::is_enabled() {
            COUNTER.load(Ordering::Relaxed)
        } else {
            core::ptr::null_mut()
        };
        FAST.store(fast, Ordering::Release);
    });
}

/// The counter register if profiling is enabled and one is installed, else null.
#[cfg_attr(
    any(target_has_atomic = "64", feature = "detailed-profiling"),
    allow(dead_code)
)]
#[inline(always)]
pub(super) fn fast_register() -> *const u32 {
    FAST.load(Ordering::Relaxed)
}

/// The installed register, or null.
#[inline(always)]
pub(super) fn register() -> *const u32 {
    // Relaxed: the address is the only data read through it, and an acquire load is a
    // barrier on every Cortex-M scope.
    COUNTER.load(Ordering::Relaxed)
}

/// One raw reading of a non-null `register()`.
#[inline(always)]
pub(super) fn read_raw(register: *const u32) -> u32 {
    // SAFETY: the only non-null values stored in `COUNTER` come from `CounterRegister`s,
    // whose constructor's contract makes a volatile read valid from any context.
    unsafe { register.read_volatile() }
}

/// A 64-bit time from a non-null `register()`.
pub(super) fn extended(register: *const u32) -> u64 {
    let time = TIME.load(Ordering::Acquire);
    if !time.is_null() {
        // SAFETY: the only non-null values stored in `TIME` are `fn() -> u64` pointers
        // cast to `*mut ()` by `install`; casting back restores the same fn.
        let time = unsafe { core::mem::transmute::<*mut (), fn() -> u64>(time) };
        return time();
    }
    critical_section::with(|cs| {
        let cell = EXTENDER.borrow(cs);
        let mut ext = cell.get();
        // Read inside the critical section, so readings reach the extender in order.
        let now = ext.extend(read_raw(register));
        cell.set(ext);
        now
    })
}
