//! [`Esp32C3Metrics`]: the ESP32-C3 backend over esp-hal and the shared firmware core.

use core::cell::RefCell;

use critical_section::Mutex;
use esp_hal::tsens::TemperatureSensor;

use super::busy::BusyCycles;
use super::{WifiStats, WifiTracker};
use crate::memory::stack::StackRegion;
use crate::platform::firmware::{ClockReading, FirmwareCore, firmware_providers, idle_while};
use crate::{Error, Result, SystemMetrics};

/// The tracker the application's network code feeds when `wifi_performance_tracking` is on.
pub static WIFI: WifiTracker = WifiTracker::new();

/// Settings of the ESP32-C3 backend (the fields the spec's literal names).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Esp32C3Config {
    /// Count CPU cycles with the core's performance counter: `cpu_utilization` is then the
    /// share of cycles the core ran (the counter stops in `WFI`) in every sampling window
    /// shorter than one counter period (26.8 s at 160 MHz) — a number without Embassy or
    /// [`wait_for_interrupt`] — and [`Esp32C3Metrics::cpu_cycles`] reads it. Off, CPU load
    /// comes from idle time reported by the Embassy hooks or [`wait_for_interrupt`], and is
    /// `NaN` when nothing reports it. The clock stays the SYSTIMER either way.
    pub enable_hardware_counters: bool,
    /// Read the on-chip temperature sensor: [`Esp32C3Metrics::new`] starts it (or use
    /// [`Esp32C3Metrics::with_temperature_sensor`] to give one you configured).
    pub temperature_monitoring: bool,
    /// Report the traffic fed into [`WIFI`]: through
    /// [`crate::PerformanceMonitor::wifi_stats`] (the provider's
    /// [`crate::SystemInfoProvider::wifi_traffic`]) and the Wi-Fi insight rules
    /// ([`crate::insights::InsightInput::with_wifi`]). Off, those say `None`.
    pub wifi_performance_tracking: bool,
}

/// Metrics of an ESP32-C3.
///
/// ```no_run
/// use iot_performance::esp32c3::{Esp32C3Config, Esp32C3Metrics};
/// # async fn start() -> iot_performance::Result<()> {
/// let config = Esp32C3Config {
///     enable_hardware_counters: true,
///     temperature_monitoring: true,
///     wifi_performance_tracking: true,
/// };
/// let metrics_provider = Esp32C3Metrics::new(config).await?;
/// # Ok(()) }
/// ```
pub struct Esp32C3Metrics {
    config: Esp32C3Config,
    sensor: Mutex<RefCell<Option<TemperatureSensor<'static>>>>,
    /// CPU load from the cycle counter (`enable_hardware_counters`).
    busy: Option<BusyCycles>,
    core: FirmwareCore,
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
    idle_while(riscv::asm::wfi);
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
    /// Registers the clock, starts the performance counter (and its CPU-load window) when
    /// asked to, starts the
    /// temperature sensor when asked to, reads `esp_alloc::HEAP` for heap figures and
    /// paints the main stack.
    ///
    /// With `temperature_monitoring` the backend drives the TSENS peripheral itself
    /// (esp-hal's driver over the stolen peripheral, default config): it only powers the
    /// sensor up and reads it, which another driver of TSENS in the application does not
    /// disturb unless it powers the sensor down.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when called on another stack than the main stack;
    /// [`Error::Provider`] when the temperature sensor refuses its default config (then
    /// give it yourself with [`Esp32C3Metrics::with_temperature_sensor`]).
    pub async fn new(config: Esp32C3Config) -> Result<Self> {
        crate::clock::set_clock(now_ticks, TICKS_PER_SECOND);
        let busy = config.enable_hardware_counters.then(|| {
            start_cycle_counter();
            let cpu_hz = u64::from(esp_hal::clock::cpu_clock().as_hz());
            BusyCycles::new(crate::clock::now(), cycle_counter(), cpu_hz)
        });
        let sensor = if config.temperature_monitoring {
            Some(start_temperature_sensor()?)
        } else {
            None
        };
        let (stack, static_memory) = link_layout();
        let mut core = FirmwareCore::start(stack, static_memory)?;
        core.set_heap(&esp_alloc::HEAP);
        Ok(Self {
            config,
            sensor: Mutex::new(RefCell::new(sensor)),
            busy,
            core,
        })
    }

    /// Gives the backend a temperature sensor (`esp_hal::tsens`) you configured, in place
    /// of the one `new` started.
    pub fn with_temperature_sensor(self, sensor: TemperatureSensor<'static>) -> Self {
        critical_section::with(|cs| self.sensor.borrow(cs).replace(Some(sensor)));
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

    /// The system reading: CPU load from the cycle counter when it can say it (see
    /// [`Esp32C3Config::enable_hardware_counters`]), else from idle time.
    fn system_reading(&self, at: ClockReading) -> SystemMetrics {
        let mut reading = self.core.system_metrics(at, self.temperature());
        let from_cycles = self
            .busy
            .as_ref()
            .and_then(|busy| busy.utilization(at.ticks, at.ticks_per_second, cycle_counter()));
        if let Some(cpu) = from_cycles {
            reading.cpu_utilization = cpu;
        }
        reading
    }

    /// What `wifi_performance_tracking` reports to the monitor.
    fn wifi_reading(&self) -> Option<WifiStats> {
        self.config.wifi_performance_tracking.then(|| WIFI.stats())
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

/// The on-chip temperature sensor with esp-hal's default config.
fn start_temperature_sensor() -> Result<TemperatureSensor<'static>> {
    // SAFETY: TSENS is a register block, not memory: a second driver handle aliases no
    // Rust data. esp-hal's driver reference-counts the peripheral clocks it enables (its
    // guards), so the application's own TSENS driver, if any, keeps working; only its
    // `power_down` would stop this backend's readings, as documented on `new`.
    let tsens = unsafe { esp_hal::peripherals::TSENS::steal() };
    TemperatureSensor::new(tsens, esp_hal::tsens::Config::default()).map_err(|_| {
        Error::Provider {
            what: "temperature sensor config refused: give one with Esp32C3Metrics::with_temperature_sensor",
        }
    })
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

firmware_providers!(Esp32C3Metrics, system: system_reading, wifi: wifi_reading);
