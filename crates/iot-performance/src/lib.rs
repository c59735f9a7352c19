//! # iot-performance
//!
//! Performance monitoring for embedded IoT firmware and the host programs that test it:
//! heap, stack and static memory, CPU load, tasks, interrupts and temperature, read
//! through one platform abstraction and sampled by a [`PerformanceMonitor`]; and scope
//! timing ([`profile_block!`], `#[profile_function]` for sync and `async fn`s, reports
//! and critical paths) whose cost is about that of two cycle-counter reads: see [`timing`].
//!
//! The crate is `#![no_std]` unless the `std` feature (on by default) is enabled, and uses
//! the heap only under `alloc`. Everything asynchronous is executor-agnostic: waits go
//! through the provider's clock, so the same code runs under Embassy, tokio, or a plain
//! loop calling [`PerformanceMonitor::tick`] — and on the [`mock`] backend a minute of
//! sampling takes no real time.
//!
//! ```
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::PerformanceMonitor;
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let monitor = PerformanceMonitor::with_provider(MockMetrics::new_with_defaults()).await?;
//! monitor.start_monitoring().await?;
//! let metrics = monitor.current_metrics().await?;
//! assert_eq!(metrics.memory.heap_used, 16_384);
//! assert_eq!(metrics.system.cpu_utilization, 25.0);
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```
//!
//! ## Backends
//! | module | where | clock |
//! |---|---|---|
//! | [`mock`] | tests, anywhere | set by hand, advances instantly |
//! | `host` (feature `std`) | Linux host process | calibrated CPU cycle counter |
//! | `cortex_m` (feature `cortex-m`) | Cortex-M firmware (cortex-m-rt) | DWT cycle counter, SysTick fallback |
//! | `riscv` (feature `riscv`) | RISC-V firmware (riscv-rt) | `mtime`, or `mcycle` |
//! | `esp32c3` (feature `esp32c3`) | ESP32-C3 over esp-hal | SYSTIMER (µs) |
//!
//! With the `embassy` feature, `embassy` turns the executor's trace hooks into per-task
//! busy time, polls, ready latency, task count, context switches and CPU load.
//!
//! ## Atomics on chips without compare-and-swap
//! Counters use [`portable_atomic`]. On `thumbv6m` and `riscv32imc` the application picks
//! how read-modify-write is emulated: enable `portable-atomic`'s `critical-section` or
//! `unsafe-assume-single-core` feature (esp-hal already enables the latter), or build with
//! `--cfg portable_atomic_unsafe_assume_single_core`. This library never picks for you.
//!
//! ## Feature flags
#![doc = document_features::document_features!()]
#![cfg_attr(not(feature = "std"), no_std)]
#![deny(missing_docs)]

#[cfg(feature = "alloc")]
extern crate alloc;
// Lets `#[profile_function]`'s `::iot_performance::` paths resolve inside this crate too.
extern crate self as iot_performance;

#[cfg(any(
    all(feature = "cortex-m", feature = "riscv"),
    all(feature = "cortex-m", feature = "esp32c3"),
    all(feature = "riscv", feature = "esp32c3"),
))]
compile_error!(
    "iot-performance: enable only one of the platform features `cortex-m`, `riscv`, `esp32c3` (each provides the `DefaultPlatform`)"
);
#[cfg(all(
    feature = "std",
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
compile_error!(
    "iot-performance: the platform features are for firmware; add `default-features = false` to drop `std`"
);

mod collector;
mod config;
mod error;
mod metrics;
mod monitor;
mod platform;
mod provider;
mod stats;
mod system_monitor;
mod wrap;

mod device_clock;
#[cfg(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3"))]
mod firmware_delay;
#[cfg(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3"))]
mod firmware_system;
mod idle;
// Register-free logic of the firmware backends, tested on the host.
#[cfg(all(test, not(feature = "cortex-m")))]
#[path = "cortex_m/counter.rs"]
mod cortex_m_counter;
#[cfg(all(test, not(feature = "embassy")))]
#[path = "embassy/table.rs"]
mod embassy_table;
#[cfg(all(test, not(feature = "esp32c3")))]
#[path = "esp32c3/wifi.rs"]
mod esp32c3_wifi;

#[cfg(feature = "cortex-m")]
pub mod cortex_m;
#[cfg(feature = "embassy")]
pub mod embassy;
#[cfg(feature = "esp32c3")]
pub mod esp32c3;
#[cfg(feature = "riscv")]
pub mod riscv;

pub mod analysis;
pub mod baseline;
#[cfg(feature = "std")]
pub mod host;
pub mod insights;
pub mod interrupts;
pub mod memory;
pub mod mock;
pub mod regression;
pub mod timing;
#[cfg(feature = "wire")]
pub mod wire;

pub use collector::{MetricStats, MetricsCollection, MetricsCollector};
pub use config::MonitorConfig;
pub use error::{Error, Result};
pub use metrics::{MemoryMetrics, PerformanceSnapshot, SystemMetrics, TimingMetrics};
pub use monitor::{HandleBound, MonitorCell, PerformanceMonitor};
pub use platform::{DefaultPlatform, NoDefaultPlatform};
pub use provider::{
    MemoryProvider, PlatformMetrics, SystemInfoProvider, TimingProvider, ticks_to_us,
};
pub use stats::RunningStats;
pub use system_monitor::{SystemMonitor, SystemSample};
pub use timing::{TimingProfiler, TimingReport};
pub use wrap::WrapExtender;

pub use analysis::{PerformanceAnalyzer, PerformanceComparator};
pub use baseline::{BaselineManager, PerformanceBaseline};
pub use memory::{MemoryAnalysis, MemoryAnalysisConfig, MemoryAnalyzer};
pub use regression::{Regression, RegressionConfig, RegressionDetector};

/// Times a function: `#[profile_function]` or `#[profile_function("name")]`, on sync
/// functions, methods, generic functions and `async fn`s (busy time, wall time and polls).
/// See [`timing`].
#[cfg(feature = "macros")]
pub use iot_performance_macros::profile_function;

/// The README's examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
