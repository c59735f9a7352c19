//! The RISC-V backend (feature `riscv`), for riscv-rt firmware on RV32 cores.
//!
//! | metric | source |
//! |---|---|
//! | clock | the CLINT `mtime` register when its address is configured (a wall clock: it keeps counting while the core sleeps in `WFI`); otherwise `mcycle` at [`RiscVConfig::core_clock_hz`] |
//! | profiler clock | with `mtime` configured, scopes read its low word itself ([`crate::timing::set_counter_clock`]); otherwise the clock above |
//! | cycles, instructions | `mcycle` ([`cycles`]), `minstret` ([`instructions_retired`]), 64-bit |
//! | stack | high-water mark of the stack (`memory::stack`, single hart), painted at creation, from riscv-rt's `__estack`…`_stack_start` |
//! | static memory | `.data` + `.bss` from riscv-rt's `__sdata`…`__ebss` |
//! | heap | the reader given to [`RiscVMetrics::with_heap`]; zero until one is given |
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
//! let metrics_provider = RiscVMetrics::new(RiscVConfig::qemu_virt()).await?;
//! # Ok(()) }
//! ```

use core::future::Future;

// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicUsize, Ordering};

use crate::firmware_system::SystemSampler;
use crate::memory::stack::{self, StackRegion};
use crate::{
    Error, MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// Settings of the RISC-V backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RiscVConfig {
    /// Frequency of `mcycle`: the core clock, in Hz.
    pub core_clock_hz: u64,
    /// Address of the 64-bit machine timer `mtime` (CLINT base + 0xBFF8), if the chip has one.
    pub mtime_address: Option<usize>,
    /// Frequency of `mtime`, in Hz.
    pub mtime_frequency_hz: u64,
}

impl RiscVConfig {
    /// QEMU `virt` under `-icount shift=0`: 1 GHz virtual core clock, CLINT `mtime` at
    /// `0x0200_BFF8` counting at 10 MHz.
    pub const fn qemu_virt() -> Self {
        Self {
            core_clock_hz: 1_000_000_000,
            mtime_address: Some(0x0200_BFF8),
            mtime_frequency_hz: 10_000_000,
        }
    }
}

impl Default for RiscVConfig {
    /// [`RiscVConfig::qemu_virt`]: the one machine whose figures are known without asking.
    fn default() -> Self {
        Self::qemu_virt()
    }
}

pub use crate::firmware_system::HeapReader;

/// Metrics of a RISC-V device. One per program: it owns the stack paint.
#[derive(Debug)]
pub struct RiscVMetrics {
    config: RiscVConfig,
    stack: StackRegion,
    static_memory: usize,
    heap: Option<HeapReader>,
    system: SystemSampler,
}

/// Address of `mtime` once a backend was created with one; 0 = use `mcycle`.
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
    crate::idle::begin(now_ticks());
    riscv::asm::wfi();
    crate::idle::end(now_ticks());
}

impl RiscVMetrics {
    /// Registers the clock, paints the unused stack and reads the linker's memory layout.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a zero `core_clock_hz`, or a configured `mtime` with a
    /// zero frequency.
    pub async fn new(config: RiscVConfig) -> Result<Self> {
        if config.core_clock_hz == 0 {
            return Err(Error::InvalidConfig {
                field: "core_clock_hz",
                reason: "must be the mcycle frequency in Hz (> 0)",
            });
        }
        if config.mtime_address.is_some() && config.mtime_frequency_hz == 0 {
            return Err(Error::InvalidConfig {
                field: "mtime_frequency_hz",
                reason: "must be > 0 when mtime_address is set",
            });
        }
        if let Some(address) = config.mtime_address {
            MTIME_ADDRESS.store(address, Ordering::Relaxed);
        }
        let config_tps = clock_frequency(&config);
        crate::device_clock::register_everywhere(now_ticks, config_tps);
        if let Some(address) = config.mtime_address {
            // Scopes read the low word of `mtime` (one load, little-endian); the whole
            // 64-bit register is `timing::now()`.
            // SAFETY: the configured `mtime` address is an aligned, always-readable
            // register (see `RiscVConfig::mtime_address`) whose reads have no side effect.
            let counter = unsafe {
                crate::timing::CounterRegister::new(
                    address as *const u32,
                    config.mtime_frequency_hz,
                )
            };
            crate::timing::set_counter_clock(counter.with_time(now_ticks));
        }
        let stack = StackRegion::main_stack();
        stack::paint(&stack)?;
        let static_memory = crate::memory::static_memory()?;
        Ok(Self {
            config,
            stack,
            static_memory,
            heap: None,
            system: SystemSampler::new(now_ticks()),
        })
    }

    /// Reads heap figures through `reader` (e.g. `|| (HEAP.used(), HEAP.free())`).
    pub fn with_heap(mut self, reader: HeapReader) -> Self {
        self.heap = Some(reader);
        self
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

    /// Deepest stack use since creation, in bytes.
    pub fn stack_high_water_mark(&self) -> usize {
        stack::high_water_mark(&self.stack)
    }
}

/// Reads the 64-bit `mtime` as two 32-bit halves, retrying if the high half changed.
fn read_mtime(address: usize) -> u64 {
    let low = address as *const u32;
    let high = (address + 4) as *const u32;
    loop {
        // SAFETY: `address` is the configured, documented `mtime` register, readable as
        // two aligned 32-bit words; reads have no side effect.
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

/// Frequency of [`now_ticks`] under `config`.
fn clock_frequency(config: &RiscVConfig) -> u64 {
    match config.mtime_address {
        Some(_) => config.mtime_frequency_hz,
        None => config.core_clock_hz,
    }
}

impl TimingProvider for RiscVMetrics {
    fn now_ticks(&self) -> u64 {
        now_ticks()
    }

    fn ticks_per_second(&self) -> u64 {
        clock_frequency(&self.config)
    }

    fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
        crate::firmware_delay::delay_ms(now_ticks, clock_frequency(&self.config), ms)
    }
}

impl MemoryProvider for RiscVMetrics {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        Ok(crate::firmware_system::memory_metrics(
            self.heap,
            &self.stack,
            self.static_memory,
        ))
    }
}

impl SystemInfoProvider for RiscVMetrics {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        Ok(self
            .system
            .read(now_ticks(), clock_frequency(&self.config), None))
    }
}
