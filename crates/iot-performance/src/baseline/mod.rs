//! Named performance baselines: record them over a window, compare the present against
//! them, keep them, export and import them.
//!
//! ```
//! use iot_performance::baseline::BaselineManager;
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::{MonitorConfig, PerformanceMonitor};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mock = MockMetrics::new_with_defaults();
//! mock.set_noise(1, 5.0);
//! let monitor = PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
//! let mut baseline_manager: BaselineManager<_> = BaselineManager::with_monitor(monitor);
//!
//! // Record baseline during optimal conditions
//! baseline_manager.record_baseline("steady_state").await?;
//!
//! // ... a firmware change later, the heap runs 25 % fuller:
//! mock.set_memory_usage(20_480, 45_056);
//! let comparison = baseline_manager.compare_against_baseline("steady_state").await?;
//! assert!(comparison.is_regression_detected());
//! println!("Performance regression detected: {}", comparison.summary());
//!
//! // An unknown name is an error, not a panic.
//! assert!(baseline_manager.compare_against_baseline("nope").await.is_err());
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```
//!
//! Without a provider, `BaselineManager::new` samples the host process (under `std`).
//! With `serde`, `BaselineManager::export` / `BaselineManager::import` move baselines
//! as CRC-checked postcard frames (module `codec`); with `flash-analysis`, module `flash`
//! keeps them in NOR flash across resets. (Plain names, not links: each exists only with
//! its feature.)

#[cfg(feature = "serde")]
pub mod codec;
#[cfg(feature = "flash-analysis")]
pub mod flash;
mod manager;
mod record;

pub use manager::BaselineManager;
pub use record::{
    BaselineComparison, MAX_NAME_LEN, MAX_SCOPES, MetricDelta, Name, PerformanceBaseline,
    ScopeBaseline, name,
};
