//! The spec's snippets as a firmware developer writes them, built for
//! `thumbv7em-none-eabihf` with `features = ["cortex-m"]` and for
//! `riscv32imc-unknown-none-elf` with `features = ["esp32c3"]` (`cargo xtask check-targets`):
//!
//! ```text
//! cargo build --manifest-path examples/seed-check/Cargo.toml --target thumbv7em-none-eabihf
//! RUSTFLAGS="--cfg portable_atomic_unsafe_assume_single_core" \
//!     cargo build --manifest-path examples/seed-check/Cargo.toml --target riscv32imc-unknown-none-elf
//! ```
//!
//! Nothing here runs (the QEMU examples run the library); it proves that every seed
//! constructor and call exists on firmware with the platform's default backend.
#![no_std]

#[cfg(target_arch = "arm")]
use iot_performance::cortex_m::{CortexMConfig, CortexMMetrics};
#[cfg(target_arch = "riscv32")]
use iot_performance::esp32c3::{Esp32C3Config, Esp32C3Metrics};
use iot_performance::{
    BaselineManager, MemoryAnalysisConfig, MemoryAnalyzer, MonitorConfig, PerformanceAnalyzer,
    PerformanceComparator, PerformanceMonitor, RegressionConfig, RegressionDetector, Result,
    SystemMonitor, TimingProfiler, profile_block, profile_function,
};

/// Basic Performance Monitoring.
pub async fn basic_monitoring() -> Result<()> {
    let config = MonitorConfig {
        sampling_interval_ms: 1000,
        memory_tracking: true,
        timing_profiling: true,
        baseline_comparison: true,
    };
    let monitor = PerformanceMonitor::new(config).await?;
    monitor.start_monitoring().await?;
    let metrics = monitor.current_metrics().await?;
    let _kib = metrics.memory.heap_used / 1024;
    let _cpu = metrics.system.cpu_utilization;
    Ok(())
}

#[profile_function]
async fn critical_function() {}

/// Function Timing Profiling.
pub async fn timing_profiling() -> Result<()> {
    let profiler = TimingProfiler::new();
    {
        let _timer = profile_block!("sensor_reading");
        critical_function().await;
    }
    let _timing_report = profiler.generate_report().await?;
    Ok(())
}

/// Memory Analysis.
pub async fn memory_analysis() -> Result<bool> {
    let config = MemoryAnalysisConfig {
        track_allocations: true,
        detect_leaks: true,
        fragmentation_analysis: true,
    };
    let analyzer = MemoryAnalyzer::new(config);
    analyzer.start_continuous_monitoring().await?;
    let analysis = analyzer.analyze_patterns().await?;
    Ok(analysis.potential_leak_detected)
}

/// Performance Baseline Management.
pub async fn baselines() -> Result<bool> {
    let mut baseline_manager = BaselineManager::new();
    baseline_manager.record_baseline("startup").await?;
    baseline_manager.record_baseline("steady_state").await?;
    let comparison = baseline_manager
        .compare_against_baseline("steady_state")
        .await?;
    Ok(comparison.is_regression_detected())
}

/// Regression Detection.
pub async fn regression_detection() -> Result<bool> {
    let config = RegressionConfig {
        memory_threshold_percent: 10.0,
        timing_threshold_percent: 20.0,
        cpu_threshold_percent: 15.0,
    };
    let mut detector = RegressionDetector::new(config);
    detector.start_monitoring().await?;
    Ok(detector.check_for_regression().await?.is_some())
}

/// Generic ARM Cortex-M Implementation (the spec's snippet).
#[cfg(target_arch = "arm")]
async fn platform_snippet() -> Result<()> {
    let config = CortexMConfig {
        systick_frequency: 1000,
        dwt_cycle_counter: true,
        mpu_monitoring: false,
    };
    let metrics_provider = CortexMMetrics::new(config).await?;
    let _system: SystemMonitor = SystemMonitor::new(metrics_provider);
    Ok(())
}

/// ESP32-C3 Specific Optimizations (the spec's snippet).
#[cfg(target_arch = "riscv32")]
async fn platform_snippet() -> Result<()> {
    let config = Esp32C3Config {
        enable_hardware_counters: true,
        temperature_monitoring: true,
        wifi_performance_tracking: true,
    };
    let metrics_provider = Esp32C3Metrics::new(config).await?;
    let _monitor = PerformanceMonitor::with_provider(metrics_provider).await?;
    // `SystemMonitor` named without generics, on the default backend.
    let _system: SystemMonitor = SystemMonitor::new(Esp32C3Metrics::new(config).await?);
    Ok(())
}

/// The platform's snippet, Real-time, Historical and Comparative Analysis.
pub async fn analyses() -> Result<()> {
    platform_snippet().await?;

    let monitor = PerformanceMonitor::new(MonitorConfig::for_production()).await?;
    monitor.start_realtime_analysis().await?;
    let _instant_metrics = monitor.snapshot().await?;

    let analyzer = PerformanceAnalyzer::new();
    analyzer.enable_historical_tracking().await?;
    let _trend_analysis = analyzer.analyze_trends().await?;

    let comparator = PerformanceComparator::new();
    let config_a_metrics = monitor.collect_metrics_for_duration(60).await?;
    let config_b_metrics = monitor.collect_metrics_for_duration(60).await?;
    let _comparison = comparator
        .compare(config_a_metrics, config_b_metrics)
        .await?;
    Ok(())
}

/// Task-based Monitoring (the body of the spec's `sensor_task`).
pub async fn sensor_task_body(perf_monitor: PerformanceMonitor) {
    let _timer = perf_monitor.profile_block("sensor_reading");
    perf_monitor.validate_task_performance("sensor_task").await;
}

/// Main Application Integration (the periodic check).
pub async fn main_loop_check(perf_monitor: &PerformanceMonitor) -> Result<bool> {
    Ok(perf_monitor.check_regression().await?.is_some())
}
