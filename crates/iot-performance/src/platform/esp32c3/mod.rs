//! The ESP32-C3 backend (feature `esp32c3`), over esp-hal.
//!
//! | metric | source |
//! |---|---|
//! | clock | the 52-bit SYSTIMER through `esp_hal::time::Instant`, in µs |
//! | temperature | the on-chip sensor, started by [`Esp32C3Metrics::new`] (`temperature_monitoring`), or the one given to [`Esp32C3Metrics::with_temperature_sensor`]: in every snapshot |
//! | hardware counters | the core's performance counter (`mpcer`/`mpcmr`/`mpccr` CSRs) counting cycles (`enable_hardware_counters`) |
//! | Wi-Fi | bytes, packets and latency your network code reports to [`WIFI`] (`wifi_performance_tracking`) |
//! | stack | high-water mark of the main stack, painted at creation, from esp-hal's `_stack_end`…`_stack_start` (above its stack-guard word, which is left alone) |
//! | static memory | `.data` + `.bss` from esp-hal's `_data_start`…`_bss_end` |
//! | heap | `esp_alloc::HEAP` (all its regions): used, free, and fragmentation from its largest allocatable block; another heap through [`Esp32C3Metrics::with_heap`] / [`Esp32C3Metrics::with_heap_reader`] |
//! | CPU | idle time from the Embassy hooks or [`wait_for_interrupt`]; `NaN` if nothing reports idle time |
//!
//! See [`Esp32C3Metrics`] for a start-up example.

// Register-free: Wi-Fi traffic accounting, compiled and tested everywhere.
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
