//! The RISC-V backend (feature `riscv`), for riscv-rt firmware on RV32 cores.
//!
//! | metric | source |
//! |---|---|
//! | clock | the CLINT `mtime` register when one is configured ([`MtimeRegister`]: a wall clock, it keeps counting while the core sleeps in `WFI`); otherwise `mcycle` at [`RiscVConfig::core_clock_hz`] |
//! | scope clock | with `mtime` configured, scopes read its low word itself ([`crate::clock::set_counter_clock`]); otherwise the clock above |
//! | cycles, instructions | `mcycle` ([`cycles`]), `minstret` ([`instructions_retired`]), 64-bit |
//! | stack | high-water mark of the stack (`memory::stack`, single hart), painted at creation, from riscv-rt's `__estack`…`_stack_start` |
//! | static memory | `.data` + `.bss` from riscv-rt's `__sdata`…`__ebss` |
//! | heap | the heap given to [`RiscVMetrics::with_heap`] (fragmentation measured) or the reader given to [`RiscVMetrics::with_heap_reader`]; zero until one is given |
//! | CPU | idle time from the Embassy hooks or [`wait_for_interrupt`]; `NaN` if nothing reports idle time |
//! | temperature | `None` |
//!
//! On QEMU's `virt` machine under `-icount shift=0,sleep=off` every instruction takes one
//! virtual nanosecond, `mcycle` = `minstret` = instructions executed (both stop in `WFI`),
//! and `mtime` ticks at 10 MHz: [`RiscVConfig::qemu_virt`].
//!
//! ```no_run
//! use iot_performance::riscv::{RiscVConfig, RiscVMetrics};
//! # async fn start() -> iot_performance::Result<()> {
//! // SAFETY: this firmware runs on QEMU's `virt` machine, whose CLINT has `mtime` there.
//! let config = unsafe { RiscVConfig::qemu_virt() };
//! let metrics_provider = RiscVMetrics::new(config).await?;
//! # Ok(()) }
//! ```
//!
//! A real chip: its core clock, and its CLINT's `mtime` if it has one (address and rate
//! from the chip's reference manual; here QEMU `virt`'s, as `qemu_virt` has them):
//!
//! ```no_run
//! use iot_performance::riscv::{MtimeRegister, RiscVConfig, RiscVMetrics};
//! # async fn start() -> iot_performance::Result<()> {
//! let config = RiscVConfig::with_core_clock(1_000_000_000);
//! // SAFETY: QEMU virt's CLINT has `mtime` at 0x0200_BFF8, counting at 10 MHz.
//! let config = config.with_mtime(unsafe { MtimeRegister::new(0x0200_BFF8, 10_000_000) });
//! let metrics_provider = RiscVMetrics::new(config).await?;
//! # Ok(()) }
//! ```
//!
//! A value becomes an address only through an `unsafe` constructor
//! ([`MtimeRegister::new`]): the caller vouches for the chip's memory map.

// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::memory::stack::StackRegion;
use crate::platform::firmware::{FirmwareCore, firmware_providers, idle_while};
use crate::{Error, Result};

pub use crate::platform::firmware::HeapReader;

/// Settings of the RISC-V backend.
///
/// `RiscVConfig::default()`, which `PerformanceMonitor::new` uses, is the config given to
/// [`set_board_config`], or, before that, a zero core clock that [`RiscVMetrics::new`]
/// refuses: no clock rate can be assumed for every chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RiscVConfig {
    /// Frequency of `mcycle`: the core clock, in Hz. 0 is refused by [`RiscVMetrics::new`].
    pub core_clock_hz: u64,
    /// The machine timer, if the chip has one the application vouches for.
    pub mtime: Option<MtimeRegister>,
}

impl RiscVConfig {
    /// A chip whose `mcycle` counts at `core_clock_hz` (its datasheet's core clock as your
    /// clock tree sets it). The clock is `mcycle`; add the machine timer with
    /// [`RiscVConfig::with_mtime`] where the chip has one.
    ///
    /// ```
    /// # #[cfg(feature = "riscv")] {
    /// use iot_performance::riscv::RiscVConfig;
    /// // QEMU virt's core clock under `-icount shift=0` (one instruction per ns).
    /// const CONFIG: RiscVConfig = RiscVConfig::with_core_clock(1_000_000_000);
    /// assert_eq!(CONFIG.core_clock_hz, 1_000_000_000);
    /// assert!(CONFIG.mtime.is_none());
    /// # }
    /// ```
    pub const fn with_core_clock(core_clock_hz: u64) -> Self {
        Self {
            core_clock_hz,
            mtime: None,
        }
    }

    /// This config with `mtime` as the clock (a wall clock that keeps counting in `WFI`).
    pub const fn with_mtime(self, mtime: MtimeRegister) -> Self {
        Self {
            mtime: Some(mtime),
            ..self
        }
    }

    /// QEMU `virt` under `-icount shift=0`: 1 GHz virtual core clock, CLINT `mtime` at
    /// `0x0200_BFF8` counting at 10 MHz.
    ///
    /// # Safety
    /// The firmware runs on QEMU's `virt` machine (elsewhere that address may be anything).
    pub const unsafe fn qemu_virt() -> Self {
        Self {
            core_clock_hz: 1_000_000_000,
            // SAFETY: the caller runs on QEMU `virt`, whose CLINT `mtime` is at this
            // address (QEMU's `hw/riscv/virt.c` memory map: CLINT base 0x0200_0000).
            mtime: Some(unsafe { MtimeRegister::new(0x0200_BFF8, 10_000_000) }),
        }
    }
}

/// The board's config, once the application declared it.
static BOARD: critical_section::Mutex<core::cell::Cell<Option<RiscVConfig>>> =
    critical_section::Mutex::new(core::cell::Cell::new(None));

/// Declares this board's clock config: from now on `RiscVConfig::default()` is `config`, so
/// that constructors without a provider (`PerformanceMonitor::new(config)`) build the
/// RISC-V backend for this chip. Call it first thing in `main`.
///
/// ```no_run
/// use iot_performance::riscv::{RiscVConfig, set_board_config};
/// use iot_performance::{MonitorConfig, PerformanceMonitor};
/// # async fn start() -> iot_performance::Result<()> {
/// // SAFETY: the firmware runs on QEMU's `virt` machine.
/// set_board_config(unsafe { RiscVConfig::qemu_virt() });
/// let perf_monitor = PerformanceMonitor::new(MonitorConfig::for_production()).await?;
/// # Ok(()) }
/// ```
pub fn set_board_config(config: RiscVConfig) {
    critical_section::with(|cs| BOARD.borrow(cs).set(Some(config)));
}

impl Default for RiscVConfig {
    /// The config given to [`set_board_config`]; before that, core clock 0 (refused by
    /// [`RiscVMetrics::new`]) and no `mtime`.
    fn default() -> Self {
        critical_section::with(|cs| BOARD.borrow(cs).get()).unwrap_or(Self::with_core_clock(0))
    }
}

/// The address and rate of a 64-bit machine timer `mtime` (CLINT base + 0xBFF8 on most
/// chips).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MtimeRegister {
    address: usize,
    frequency_hz: u32,
}

impl MtimeRegister {
    /// Describes the `mtime` register at `address`, counting `frequency_hz` times a second.
    ///
    /// # Safety
    /// For the rest of the program `address` must be 8-byte aligned and valid for volatile
    /// 32-bit reads of both halves from any context, and reading it must have no side effect.
    pub const unsafe fn new(address: usize, frequency_hz: u32) -> Self {
        Self {
            address,
            frequency_hz,
        }
    }

    /// The register's address.
    pub const fn address(&self) -> usize {
        self.address
    }

    /// Its rate in Hz (`mtime` runs at a fixed timebase, MHz rather than GHz).
    pub const fn frequency_hz(&self) -> u32 {
        self.frequency_hz
    }
}

/// Metrics of a RISC-V device. One per program: it owns the stack paint.
#[derive(Debug)]
pub struct RiscVMetrics {
    config: RiscVConfig,
    core: FirmwareCore,
}

/// Address of `mtime` once a backend was created with one ([`MtimeRegister`]'s contract
/// holds for it); 0 = use `mcycle`.
static MTIME_ADDRESS: AtomicUsize = AtomicUsize::new(0);

/// The backend's clock: `mtime` when configured, else `mcycle`.
#[inline]
pub fn now_ticks() -> u64 {
    match MTIME_ADDRESS.load(Ordering::Relaxed) {
        0 => cycles(),
        address => read_mtime(address),
    }
}

/// Cycles since reset (`mcycle`). Many cores, and QEMU under `-icount`, stop it in `WFI`.
#[inline]
pub fn cycles() -> u64 {
    riscv::register::mcycle::read64()
}

/// Instructions retired since reset (`minstret`).
#[inline]
pub fn instructions_retired() -> u64 {
    riscv::register::minstret::read64()
}

/// Sleeps with `WFI` until an interrupt, counting the time as idle for `cpu_utilization`.
pub fn wait_for_interrupt() {
    idle_while(riscv::asm::wfi);
}

impl RiscVMetrics {
    /// Registers the clock, paints the unused stack and reads the linker's memory layout.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a zero `core_clock_hz`, or a configured `mtime` with a
    /// zero frequency.
    pub fn new(config: RiscVConfig) -> impl Future<Output = Result<Self>> {
        crate::first_poll::on_first_poll(move || Self::start(config))
    }

    /// [`RiscVMetrics::new`]'s work.
    #[inline(always)]
    fn start(config: RiscVConfig) -> Result<Self> {
        if config.core_clock_hz == 0 {
            return Err(Error::InvalidConfig {
                field: "core_clock_hz",
                reason: "must be the mcycle frequency in Hz (> 0): RiscVConfig::with_core_clock(hz), or riscv::set_board_config(..) before PerformanceMonitor::new",
            });
        }
        if let Some(mtime) = config.mtime {
            if mtime.frequency_hz == 0 {
                return Err(Error::InvalidConfig {
                    field: "mtime",
                    reason: "the mtime frequency must be > 0",
                });
            }
            MTIME_ADDRESS.store(mtime.address, Ordering::Relaxed);
            let hz = u64::from(mtime.frequency_hz);
            // Scopes read the low word of `mtime` (one load, little-endian); the whole
            // 64-bit register is `clock::now()`. The counter clock replaces any function
            // clock, so none is installed first.
            // SAFETY: `MtimeRegister::new`'s contract: the register is aligned and readable
            // from any context without side effects; its low word is the first 32 bits.
            let counter =
                unsafe { crate::clock::CounterRegister::new(mtime.address() as *const u32, hz) };
            crate::clock::set_counter_clock(counter.with_time(now_ticks));
        } else {
            crate::clock::set_clock(now_ticks, config.core_clock_hz);
        }
        let static_memory = crate::memory::static_memory()?;
        let core = FirmwareCore::start(StackRegion::main_stack(), static_memory)?;
        Ok(Self { config, core })
    }

    /// The configuration in use.
    pub fn config(&self) -> &RiscVConfig {
        &self.config
    }

    /// Instructions retired since reset.
    pub fn instructions_retired(&self) -> u64 {
        instructions_retired()
    }

    /// CPU cycles since reset.
    pub fn cycles(&self) -> u64 {
        cycles()
    }

    /// RISC-V cores in general have no temperature sensor this backend knows.
    fn temperature(&self) -> Option<f32> {
        None
    }
}

firmware_providers!(RiscVMetrics);

/// Reads the 64-bit `mtime` as two 32-bit halves, retrying if the high half changed.
fn read_mtime(address: usize) -> u64 {
    let low = address as *const u32;
    let high = (address + 4) as *const u32;
    loop {
        // SAFETY: `address` came from an `MtimeRegister`, whose constructor's contract
        // makes both aligned 32-bit halves readable without side effects.
        let (h1, l, h2) = unsafe {
            (
                core::ptr::read_volatile(high),
                core::ptr::read_volatile(low),
                core::ptr::read_volatile(high),
            )
        };
        if h1 == h2 {
            return (u64::from(h1) << 32) | u64::from(l);
        }
    }
}
