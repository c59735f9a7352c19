//! The ESP32-C3 backend (feature `esp32c3`), over esp-hal.
//!
//! | metric | source |
//! |---|---|
//! | clock | the 52-bit SYSTIMER through `esp_hal::time::Instant`, in µs |
//! | temperature | the on-chip sensor given to [`Esp32C3Metrics::with_temperature_sensor`] (`temperature_monitoring`) |
//! | hardware counters | the core's performance counter (`mpcer`/`mpcmr`/`mpccr` CSRs) counting cycles (`enable_hardware_counters`) |
//! | Wi-Fi | bytes, packets and latency your network code reports to [`wifi`] (`wifi_performance_tracking`) |
//! | stack | high-water mark of the main stack, painted at creation, from esp-hal's `_stack_end`…`_stack_start` (above its stack-guard word, which is left alone) |
//! | static memory | `.data` + `.bss` from esp-hal's `_data_start`…`_bss_end` |
//! | heap | the reader given to [`Esp32C3Metrics::with_heap`] (e.g. esp-alloc's stats); zero until then |
//! | CPU | idle time from the Embassy hooks or [`wait_for_interrupt`]; `NaN` if nothing reports idle time |
//!
//! ```no_run
//! use iot_performance::esp32c3::{Esp32C3Config, Esp32C3Metrics};
//! # async fn start() -> iot_performance::Result<()> {
//! let config = Esp32C3Config {
//!     enable_hardware_counters: true,
//!     temperature_monitoring: true,
//!     wifi_performance_tracking: true,
//! };
//! let metrics_provider = Esp32C3Metrics::new(config).await?;
//! # Ok(()) }
//! ```

mod wifi;

use core::cell::RefCell;
use core::future::Future;

use critical_section::Mutex;
use esp_hal::tsens::TemperatureSensor;
pub use wifi::{WifiStats, WifiTracker};

use crate::firmware_system::SystemSampler;
use crate::memory::stack::{self, StackRegion};
use crate::{
    Error, MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// The tracker the application's network code feeds when `wifi_performance_tracking` is on.
pub static WIFI: WifiTracker = WifiTracker::new();

/// Settings of the ESP32-C3 backend (the fields the spec's literal names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Esp32C3Config {
    /// Count CPU cycles with the core's performance counter.
    pub enable_hardware_counters: bool,
    /// Read the on-chip temperature sensor (give it with `with_temperature_sensor`).
    pub temperature_monitoring: bool,
    /// Report the traffic fed into [`WIFI`].
    pub wifi_performance_tracking: bool,
}

pub use crate::firmware_system::HeapReader;

/// Metrics of an ESP32-C3.
pub struct Esp32C3Metrics {
    config: Esp32C3Config,
    sensor: Mutex<RefCell<Option<TemperatureSensor<'static>>>>,
    heap: Option<HeapReader>,
    stack: StackRegion,
    static_memory: usize,
    system: SystemSampler,
}

impl core::fmt::Debug for Esp32C3Metrics {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Esp32C3Metrics")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Microseconds since boot (SYSTIMER).
pub fn now_ticks() -> u64 {
    esp_hal::time::Instant::now()
        .duration_since_epoch()
        .as_micros()
}

const TICKS_PER_SECOND: u64 = 1_000_000;

/// Sleeps with `WFI` until an interrupt, counting the time as idle for `cpu_utilization`.
pub fn wait_for_interrupt() {
    crate::idle::begin(now_ticks());
    riscv::asm::wfi();
    crate::idle::end(now_ticks());
}

// ESP32-C3 machine performance counter CSRs (Technical Reference Manual, "Performance
// Counters"): event enable, mode, count.
const MPCER_CYCLES: usize = 1;

fn start_cycle_counter() {
    // SAFETY: writes the ESP32-C3's custom performance-counter CSRs (0x7E0 event select,
    // 0x7E1 mode: count, 0x7E2 counter reset); they affect nothing but the counter.
    unsafe {
        core::arch::asm!("csrw 0x7E0, {0}", in(reg) MPCER_CYCLES);
        core::arch::asm!("csrw 0x7E1, {0}", in(reg) 1usize);
        core::arch::asm!("csrw 0x7E2, zero");
    }
}

/// CPU cycles counted by the performance counter since the backend started it (32-bit,
/// wrapping).
pub fn cycle_counter() -> u32 {
    let value: usize;
    // SAFETY: reads the performance counter CSR 0x7E2; no side effect.
    unsafe { core::arch::asm!("csrr {0}, 0x7E2", out(reg) value) };
    value as u32
}

impl Esp32C3Metrics {
    /// Registers the clock, starts the performance counter when asked to, and paints the
    /// main stack.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when called on another stack than the main stack.
    pub async fn new(config: Esp32C3Config) -> Result<Self> {
        crate::device_clock::register_everywhere(now_ticks, TICKS_PER_SECOND);
        if config.enable_hardware_counters {
            start_cycle_counter();
        }
        let (stack, static_memory) = link_layout();
        stack::paint(&stack)?;
        Ok(Self {
            config,
            sensor: Mutex::new(RefCell::new(None)),
            heap: None,
            stack,
            static_memory,
            system: SystemSampler::new(now_ticks()),
        })
    }

    /// Gives the backend the temperature sensor (`esp_hal::tsens`) to read.
    pub fn with_temperature_sensor(self, sensor: TemperatureSensor<'static>) -> Self {
        critical_section::with(|cs| self.sensor.borrow(cs).replace(Some(sensor)));
        self
    }

    /// Reads heap figures through `reader`.
    pub fn with_heap(mut self, reader: HeapReader) -> Self {
        self.heap = Some(reader);
        self
    }

    /// CPU cycles since [`Esp32C3Metrics::new`].
    ///
    /// # Errors
    /// [`Error::Unsupported`] unless `enable_hardware_counters` is on.
    pub fn cpu_cycles(&self) -> Result<u32> {
        if !self.config.enable_hardware_counters {
            return Err(Error::Unsupported {
                metric: "performance counter (enable `enable_hardware_counters`)",
            });
        }
        Ok(cycle_counter())
    }

    /// Deepest main-stack use since creation, in bytes.
    pub fn stack_high_water_mark(&self) -> usize {
        stack::high_water_mark(&self.stack)
    }

    /// Wi-Fi traffic reported so far.
    ///
    /// # Errors
    /// [`Error::Unsupported`] unless `wifi_performance_tracking` is on.
    pub fn wifi_stats(&self) -> Result<WifiStats> {
        if !self.config.wifi_performance_tracking {
            return Err(Error::Unsupported {
                metric: "Wi-Fi statistics (enable `wifi_performance_tracking`)",
            });
        }
        Ok(WIFI.stats())
    }

    fn temperature(&self) -> Option<f32> {
        if !self.config.temperature_monitoring {
            return None;
        }
        critical_section::with(|cs| {
            self.sensor
                .borrow_ref(cs)
                .as_ref()
                .map(|sensor| sensor.get_temperature().to_celsius())
        })
    }
}

fn link_layout() -> (StackRegion, usize) {
    unsafe extern "C" {
        static _stack_start: u32;
        static __stack_chk_guard: u32;
        static _data_start: u32;
        static _data_end: u32;
        static _bss_start: u32;
        static _bss_end: u32;
    }
    // esp-hal's stack guard sits just above `_stack_end` (and may be watched by the debug
    // assist): the painted region starts above it.
    let guard = core::ptr::addr_of!(__stack_chk_guard) as usize;
    // SAFETY: esp-hal's linker script places the main stack, which this code runs on,
    // between its guard word and `_stack_start`; only the symbols' addresses are taken.
    let stack =
        unsafe { StackRegion::from_bounds(guard + 4, core::ptr::addr_of!(_stack_start) as usize) };
    let data = (core::ptr::addr_of!(_data_end) as usize)
        .saturating_sub(core::ptr::addr_of!(_data_start) as usize);
    let bss = (core::ptr::addr_of!(_bss_end) as usize)
        .saturating_sub(core::ptr::addr_of!(_bss_start) as usize);
    (stack, data + bss)
}

impl TimingProvider for Esp32C3Metrics {
    fn now_ticks(&self) -> u64 {
        now_ticks()
    }

    fn ticks_per_second(&self) -> u64 {
        TICKS_PER_SECOND
    }

    fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
        crate::firmware_delay::delay_ms(now_ticks, TICKS_PER_SECOND, ms)
    }
}

impl MemoryProvider for Esp32C3Metrics {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        Ok(crate::firmware_system::memory_metrics(
            self.heap,
            &self.stack,
            self.static_memory,
        ))
    }
}

impl SystemInfoProvider for Esp32C3Metrics {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        Ok(self
            .system
            .read(now_ticks(), TICKS_PER_SECOND, self.temperature()))
    }
}
