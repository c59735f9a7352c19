//! The Cortex-M backend (feature `cortex-m`).
//!
//! | metric | source |
//! |---|---|
//! | clock | DWT `CYCCNT` extended to 64 bits when it advances; otherwise SysTick (value + wraps accounted by [`on_systick`] or by the read that sees them first) — QEMU emulates no DWT counter |
//! | profiler clock | with DWT, scopes read `CYCCNT` itself ([`crate::timing::set_counter_clock`]); otherwise the SysTick clock. A board with another free-running 32-bit up-counter can install it the same way |
//! | ticks per second | the core clock: `(SYST_RVR + 1) × systick_frequency` |
//! | stack | high-water mark of the main stack, painted at creation, from cortex-m-rt's `_stack_end`/`_stack_start` |
//! | static memory | `.data` + `.bss` from cortex-m-rt's `__sdata`…`__ebss` |
//! | heap | the reader given to [`CortexMMetrics::with_heap`]; zero until one is given |
//! | CPU | idle time from the Embassy hooks or [`wait_for_interrupt`]; `NaN` if nothing reports idle time |
//! | tasks, context switches | Embassy hooks (feature `embassy`); otherwise 1 and 0 |
//! | interrupts | [`crate::interrupts`] |
//! | temperature | `None`: the core has no sensor |
//!
//! SysTick must already run at `systick_frequency` (your time driver or RTOS sets it up)
//! and its handler must call [`on_systick`] first thing:
//!
//! ```no_run
//! use iot_performance::cortex_m::{CortexMConfig, CortexMMetrics};
//!
//! #[cortex_m_rt::exception]
//! fn SysTick() {
//!     iot_performance::cortex_m::on_systick();
//!     // ... advance your time driver ...
//! }
//!
//! # async fn start() -> iot_performance::Result<()> {
//! let config = CortexMConfig {
//!     systick_frequency: 1000,
//!     dwt_cycle_counter: true,
//!     mpu_monitoring: false,
//! };
//! let metrics_provider = CortexMMetrics::new(config).await?;
//! # Ok(()) }
//! ```

mod clock;
pub(crate) mod counter;
mod mpu;

use core::future::Future;

pub use clock::{ClockSource, now_ticks};
use cortex_m::peripheral::SYST;
pub use mpu::{MpuStatus, record_memmanage_fault};

use crate::firmware_system::SystemSampler;
use crate::memory::stack::{self, StackRegion};
use crate::{
    Error, MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// Settings of the Cortex-M backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CortexMConfig {
    /// How many times a second SysTick fires (its reload value gives the core clock).
    pub systick_frequency: u32,
    /// Use the DWT cycle counter when the core has one that advances.
    pub dwt_cycle_counter: bool,
    /// Read the MPU's configuration ([`CortexMMetrics::mpu_status`]).
    pub mpu_monitoring: bool,
}

impl Default for CortexMConfig {
    /// A 1 kHz SysTick, DWT on, MPU monitoring off.
    fn default() -> Self {
        Self {
            systick_frequency: 1000,
            dwt_cycle_counter: true,
            mpu_monitoring: false,
        }
    }
}

pub use crate::firmware_system::HeapReader;

/// Metrics of a Cortex-M device. One per program: it owns the clock and the stack paint.
#[derive(Debug)]
pub struct CortexMMetrics {
    config: CortexMConfig,
    source: ClockSource,
    core_clock_hz: u64,
    stack: StackRegion,
    static_memory: usize,
    heap: Option<HeapReader>,
    system: SystemSampler,
}

/// Accounts a SysTick wrap (and refreshes the DWT extension). Call it first in your
/// SysTick handler; it is one short critical section.
///
/// The SysTick clock owns `COUNTFLAG` (in `SYST_CSR`, cleared by any read of that
/// register): a wrap is counted exactly once, by this handler or by a clock read that
/// comes first (with interrupts masked, or from an interrupt that outranks SysTick), so
/// time never steps back. Other code should not read `SYST_CSR` (for example
/// `SYST::has_wrapped`) once the backend runs on SysTick: a wrap it sees is lost here.
#[inline]
pub fn on_systick() {
    clock::systick_wrapped();
}

/// Sleeps with `WFI` until an interrupt, counting the time as idle for `cpu_utilization`.
pub fn wait_for_interrupt() {
    crate::idle::begin(now_ticks());
    cortex_m::asm::wfi();
    crate::idle::end(now_ticks());
}

impl CortexMMetrics {
    /// Chooses the clock, paints the unused stack and reads the linker's memory layout.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `systick_frequency` is 0 or SysTick is not running
    /// (its reload value is needed to know the core clock), or when called on another
    /// stack than the main stack (it paints the main stack).
    pub async fn new(config: CortexMConfig) -> Result<Self> {
        if config.systick_frequency == 0 {
            return Err(Error::InvalidConfig {
                field: "systick_frequency",
                reason: "must be the SysTick interrupt rate in Hz (> 0)",
            });
        }
        let reload = SYST::get_reload();
        let enabled = clock::systick_running();
        if !enabled || reload == 0 {
            return Err(Error::InvalidConfig {
                field: "systick_frequency",
                reason: "needs SysTick running (start your time driver first)",
            });
        }
        let core_clock_hz = counter::core_clock_hz(reload, config.systick_frequency);
        let source = if config.dwt_cycle_counter && clock::try_dwt() {
            ClockSource::DwtCycleCounter
        } else {
            clock::use_systick();
            ClockSource::SysTick
        };
        // The profiler gets the chosen source's read itself, not `now_ticks`' dispatch
        // on the source: two scope clock reads saved that test per scope.
        crate::device_clock::register_everywhere(clock::read_fn(source), core_clock_hz);
        if source == ClockSource::DwtCycleCounter {
            // Scopes read CYCCNT itself (one load); `timing::now()` keeps the extended
            // reading the SysTick handler refreshes.
            // SAFETY: DWT_CYCCNT (0xE000_1004) is an aligned, always-readable register
            // whose reads have no side effect.
            let counter = unsafe {
                crate::timing::CounterRegister::new(0xE000_1004 as *const u32, core_clock_hz)
            };
            crate::timing::set_counter_clock(counter.with_time(clock::read_fn(source)));
        }
        let stack = StackRegion::main_stack();
        stack::paint(&stack)?;
        let static_memory = crate::memory::static_memory()?;
        Ok(Self {
            config,
            source,
            core_clock_hz,
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
    pub fn config(&self) -> &CortexMConfig {
        &self.config
    }

    /// The counter behind the clock.
    pub fn clock_source(&self) -> ClockSource {
        self.source
    }

    /// The MPU's regions and the MemManage faults recorded so far.
    ///
    /// # Errors
    /// [`Error::Unsupported`] unless the backend was created with `mpu_monitoring: true`.
    pub fn mpu_status(&self) -> Result<MpuStatus> {
        if !self.config.mpu_monitoring {
            return Err(Error::Unsupported {
                metric: "MPU status (enable `mpu_monitoring`)",
            });
        }
        Ok(mpu::read())
    }

    /// Deepest main-stack use since creation, in bytes.
    pub fn stack_high_water_mark(&self) -> usize {
        stack::high_water_mark(&self.stack)
    }
}

impl TimingProvider for CortexMMetrics {
    fn now_ticks(&self) -> u64 {
        now_ticks()
    }

    fn ticks_per_second(&self) -> u64 {
        self.core_clock_hz
    }

    fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
        crate::firmware_delay::delay_ms(now_ticks, self.core_clock_hz, ms)
    }
}

impl MemoryProvider for CortexMMetrics {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        Ok(crate::firmware_system::memory_metrics(
            self.heap,
            &self.stack,
            self.static_memory,
        ))
    }
}

impl SystemInfoProvider for CortexMMetrics {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        Ok(self.system.read(now_ticks(), self.core_clock_hz, None))
    }
}
