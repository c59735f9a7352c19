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
//! ## Layout
//! The modules are layers; each uses only the ones listed before it.
//!
//! | layer | modules | what it holds |
//! |---|---|---|
//! | clock | [`clock`] | the one clock: installed once (a function or a counter register), read by everything that times |
//! | instrumentation | [`timing`], [`interrupts`], `embassy` | scopes, async busy/wall time, ISR timing, executor hooks, idle time |
//! | platform | [`mock`], `host`, `cortex_m`, `riscv`, `esp32c3`, the provider traits | what a backend reads; chip backends over one shared firmware core |
//! | monitor | [`PerformanceMonitor`], [`MonitorConfig`], [`MetricsCollection`], [`RunningStats`] | sampling a platform, on demand or periodically |
//! | judgement | [`memory`], [`analysis`], [`baseline`], [`regression`], [`insights`] | leak detection, comparisons, baselines, regressions, recommendations |
//! | output | `wire` | the versioned frames the `iot-perf` host tool decodes |
//!
//! The spec's metric types ([`MemoryMetrics`], [`SystemMetrics`], [`TimingMetrics`]) and
//! [`Error`] are shared by every layer. The memory readers the platforms use (stack
//! painting, static sections, the tracking allocator) live in [`memory`] beside its
//! analysis.
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
#![cfg_attr(not(host_std), no_std)]
// docs.rs (nightly) labels feature-gated items with the feature they need.
#![cfg_attr(docsrs, feature(doc_cfg))]
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
    host_std,
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
compile_error!(
    "iot-performance: the platform features `cortex-m`, `riscv`, `esp32c3` are for firmware targets (target_os = \"none\"), e.g. `--target thumbv7em-none-eabihf`"
);

// Shared by every layer: the one error type and the spec's metric types.
mod error;
mod first_poll;
mod metrics;

// The layers, bottom up; each uses only the ones before it (blank lines keep rustfmt from
// sorting them).
pub mod clock; // the one clock: installed once, read by everything that times

pub mod timing; // scopes, async busy/wall time, interrupt timing, Embassy hooks, idle time

mod platform; // provider traits, DefaultPlatform, mock, host, firmware core, chip backends

mod monitor; // PerformanceMonitor, its config, collections, running statistics

pub mod memory; // memory readers (stack paint, statics, tracking allocator) and analysis

pub mod analysis; // statistics, trends, A/B comparison

pub mod baseline; // named baselines, export/import, flash persistence

pub mod regression; // on-device regression detection

pub mod insights; // recommendations with evidence

#[cfg(feature = "trace")]
pub mod trace; // the event trace: a flight recorder of scopes, tasks, interrupts, markers
#[cfg(feature = "wire")]
#[cfg_attr(docsrs, doc(cfg(feature = "wire")))]
pub mod wire; // the versioned frames the host tool reads

// Regression tests in `cargo test` against committed baseline files (host, `serde`).
#[cfg(all(host_std, feature = "serde"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "std", feature = "serde"))))]
pub mod testing;

#[cfg(feature = "cortex-m")]
#[cfg_attr(docsrs, doc(cfg(feature = "cortex-m")))]
pub use platform::cortex_m;
#[cfg(feature = "esp32c3")]
#[cfg_attr(docsrs, doc(cfg(feature = "esp32c3")))]
pub use platform::esp32c3;
#[cfg(host_std)]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub use platform::host;
pub use platform::mock;
#[cfg(feature = "riscv")]
#[cfg_attr(docsrs, doc(cfg(feature = "riscv")))]
pub use platform::riscv;
#[cfg(feature = "embassy")]
#[cfg_attr(docsrs, doc(cfg(feature = "embassy")))]
pub use timing::embassy;
pub use timing::interrupts;

pub use clock::{WrapExtender, ticks_to_us};
pub use error::{Error, Result};
pub use metrics::{MemoryMetrics, PerformanceSnapshot, SystemMetrics, TimingMetrics};
#[cfg(feature = "alloc")]
pub use monitor::{Accumulated, RETAINED_CAPACITY, SampleCursor};
pub use monitor::{
    HandleBound, MetricStats, MetricsCollection, MetricsCollector, MonitorCell, MonitorConfig,
    PerformanceMonitor, RunningStats, SystemMonitor, SystemSample,
};
/// Wi-Fi traffic figures (the ESP32-C3 backend's `wifi_performance_tracking`), nameable on
/// every platform: [`PerformanceMonitor::wifi_stats`], [`insights::InsightInput::wifi`].
pub use platform::esp32c3::{WifiStats, WifiTracker};
pub use platform::{
    DefaultMemoryPlatform, DefaultPlatform, MemoryProvider, NoDefaultPlatform, OnFirstUse,
    PlatformMetrics, SystemInfoProvider, TimingProvider,
};
pub use timing::{TimingProfiler, TimingReport};

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
