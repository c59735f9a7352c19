//! Memory analysis: heap bookkeeping, fragmentation, leak detection, stack high-water
//! marks and static memory.
//!
//! | piece | what it gives | where |
//! |---|---|---|
//! | [`MemoryAnalyzer`] | samples over time; peak, fragmentation, leak verdict with its evidence | everywhere, on any provider's clock |
//! | [`TrackingAllocator`] | exact bytes in use, peak, allocation/free counts, failures, largest request | `alloc`; host and firmware |
//! | [`HeapIntrospection`] | largest free block → fragmentation ratio | `embedded-alloc` heaps, the mock ([`introspection`] says where not) |
//! | [`stack`] | painting and high-water mark | Cortex-M / RISC-V main stack, host threads |
//! | [`static_memory`] | `.data` + `.bss` | linker symbols on firmware, loaded segments on the host |
//! | [`device_memory_metrics`] | all of the above as one `MemoryMetrics`, for firmware backends | everywhere |
//!
//! ## Finding a leak
//! ```
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer, MemoryProvider};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let config = MemoryAnalysisConfig {
//!     track_allocations: true,
//!     detect_leaks: true,
//!     fragmentation_analysis: true,
//! };
//! let device = MockMetrics::new_with_defaults();
//! let analyzer = MemoryAnalyzer::with_provider(&device, config);
//! analyzer.start_continuous_monitoring().await?;
//!
//! // A stable device: buffers come and go, the floor stays put.
//! for cycle in 0..500 {
//!     device.set_memory_usage(16_384 + (cycle % 4) * 512, 32_768);
//!     analyzer.tick().await?;
//! }
//! let analysis = analyzer.analyze_patterns().await?;
//! assert!(!analysis.potential_leak_detected);
//! assert_eq!(analysis.peak_heap_used, 16_384 + 3 * 512);
//! assert_eq!(analysis.fragmentation_ratio, Some(0.125));
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```
//!
//! How the verdict is reached, and how fast, is in [`LeakDetectionSettings`].
//!
//! ## On the host, as the spec writes it
//! `MemoryAnalyzer::new(config)` samples the current process (there is no argument-less
//! `new()`: use `MemoryAnalyzer::default()` for everything on, under `std`).
//!
//! ```
//! use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let config = MemoryAnalysisConfig {
//!     track_allocations: true,
//!     detect_leaks: true,
//!     fragmentation_analysis: true,
//! };
//! let analyzer = MemoryAnalyzer::new(config);
//! analyzer.start_continuous_monitoring().await?;
//! let metrics = analyzer.current_metrics().await?;
//! assert!(metrics.heap_used > 0 && metrics.static_memory > 0);
//!
//! let analysis = analyzer.analyze_patterns().await?;
//! if analysis.potential_leak_detected {
//!     println!("Warning: Potential memory leak detected");
//! }
//! assert_eq!(analysis.fragmentation_ratio, None); // glibc cannot tell
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```

mod analyzer;
mod config;
mod device;
pub mod introspection;
pub mod stack;
mod statics;
mod trend;

#[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
mod size_classes;
#[cfg(feature = "alloc")]
mod tracking;

pub use analyzer::{LeakDetectionStatus, MemoryAnalysis, MemoryAnalyzer};
pub use config::{LeakDetectionSettings, MemoryAnalysisConfig};
pub use device::device_memory_metrics;
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(unused_imports)
)]
pub(crate) use device::device_reading;
pub use introspection::{HeapIntrospection, fragmentation_ratio, largest_allocatable_block};
#[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
pub use size_classes::{SIZE_CLASSES, SizeClass, SizeClassSet, live_by_size_class, size_class};
pub use statics::static_memory;
#[cfg(feature = "alloc")]
pub use tracking::{HeapStats, TrackingAllocator, heap_stats};
pub use trend::LeakEvidence;
