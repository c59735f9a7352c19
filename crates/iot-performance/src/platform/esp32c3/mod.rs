//! The ESP32-C3 backend (feature `esp32c3`), over esp-hal.
//!
//! | metric | source |
//! |---|---|
//! | clock | the 52-bit SYSTIMER through `esp_hal::time::Instant`, in µs: wall time for timestamps, scopes and CPU windows whatever the config (the cycle counter cannot be a clock: it stops while the core waits in `WFI`) |
//! | temperature | the on-chip sensor, started by [`Esp32C3Metrics::new`] (`temperature_monitoring`), or the one given to [`Esp32C3Metrics::with_temperature_sensor`]: in every snapshot |
//! | hardware counters | `enable_hardware_counters`: the core's performance counter (`mpcer`/`mpcmr`/`mpccr` CSRs) counts clock cycles, which stop in `WFI`; busy cycles over the window's cycles at `esp_hal::clock::cpu_clock()` are `cpu_utilization`, and [`Esp32C3Metrics::cpu_cycles`] reads the counter |
//! | Wi-Fi | bytes, packets and latency your network code reports to [`WIFI`] (`wifi_performance_tracking`): [`crate::PerformanceMonitor::wifi_stats`], the provider's [`crate::SystemInfoProvider::wifi_traffic`], and the Wi-Fi insight rules |
//! | stack | high-water mark of the main stack, painted at creation, from esp-hal's `_stack_end`…`_stack_start` (above its stack-guard word, which is left alone) |
//! | static memory | `.data` + `.bss` from esp-hal's `_data_start`…`_bss_end` |
//! | heap | `esp_alloc::HEAP` (all its regions): used, free, and fragmentation from its largest allocatable block; another heap through [`Esp32C3Metrics::with_heap`] / [`Esp32C3Metrics::with_heap_reader`] |
//! | CPU | with `enable_hardware_counters`: busy cycles over each sampling window shorter than one counter period (2³² cycles, 26.8 s at 160 MHz); otherwise (counters off, or a longer window) idle time from the Embassy hooks or [`wait_for_interrupt`], and `NaN` if nothing reports idle time |
//!
//! See [`Esp32C3Metrics`] for a start-up example.

// Register-free: Wi-Fi traffic accounting and CPU load from busy cycles, compiled and
// tested everywhere.
#[cfg_attr(not(feature = "esp32c3"), allow(dead_code))]
mod busy;
#[cfg_attr(not(feature = "esp32c3"), allow(dead_code))]
mod wifi;

#[cfg(feature = "esp32c3")]
mod backend;

#[cfg_attr(not(feature = "esp32c3"), allow(unused_imports))]
pub use wifi::{WifiStats, WifiTracker};

#[cfg(feature = "esp32c3")]
pub use crate::platform::firmware::HeapReader;
#[cfg(feature = "esp32c3")]
pub use backend::{
    Esp32C3Config, Esp32C3Metrics, WIFI, cycle_counter, now_ticks, wait_for_interrupt,
};
