//! The spec's snippets typed as written, on the host backend: each returns within 100 ms
//! (apart from calls whose argument is a duration) and "start" starts sampling.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::time::{Duration, Instant};

use iot_performance::{
    BaselineManager, MemoryAnalysisConfig, MemoryAnalyzer, MonitorConfig, PerformanceAnalyzer,
    PerformanceComparator, PerformanceMonitor, RegressionConfig, RegressionDetector, SystemMonitor,
    TimingProfiler,
};

type Error = iot_performance::Error;

const PROMPT: Duration = Duration::from_millis(100);

/// Runs `f` and fails when it took longer than the spec's promptness bound.
async fn prompt<T>(what: &str, f: impl Future<Output = T>) -> T {
    let started = Instant::now();
    let out = f.await;
    let took = started.elapsed();
    assert!(took < PROMPT, "{what} took {took:?}");
    out
}

#[tokio::test]
async fn basic_monitoring_samples_in_the_background() -> Result<(), Error> {
    let config = MonitorConfig {
        sampling_interval_ms: 20,
        memory_tracking: true,
        timing_profiling: true,
        baseline_comparison: true,
    };
    let monitor = prompt("new", PerformanceMonitor::new(config)).await?;
    prompt("start_monitoring", monitor.start_monitoring()).await?;
    assert!(monitor.is_sampled_in_background());
    let metrics = prompt("current_metrics", monitor.current_metrics()).await?;
    assert!(metrics.memory.heap_used > 0 || metrics.memory.stack_used > 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (taken, _) = monitor.sample_counts();
    assert!(
        taken >= 5,
        "the sampler took {taken} samples in 300 ms at 20 ms"
    );
    monitor.stop_monitoring();
    tokio::time::sleep(Duration::from_millis(60)).await;
    let after_stop = monitor.sample_counts().0;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        monitor.sample_counts().0,
        after_stop,
        "stopped means stopped"
    );
    Ok(())
}

#[tokio::test]
async fn memory_analysis_as_written_says_when_it_lacks_data() -> Result<(), Error> {
    let config = MemoryAnalysisConfig {
        track_allocations: true,
        detect_leaks: true,
        fragmentation_analysis: true,
    };
    let analyzer = MemoryAnalyzer::new(config);
    let mut settings = analyzer.leak_detection();
    settings.sampling_interval_ms = 10;
    analyzer.set_leak_detection(settings)?;
    prompt(
        "start_continuous_monitoring",
        analyzer.start_continuous_monitoring(),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let analysis = prompt("analyze_patterns", analyzer.analyze_patterns()).await?;
    assert!(analysis.samples >= 5, "sampled {} times", analysis.samples);
    assert!(!analysis.leak_detection.is_ready());
    assert!(
        analysis
            .leak_detection
            .to_string()
            .starts_with("not enough data: "),
        "{}",
        analysis.leak_detection
    );
    if analysis.potential_leak_detected {
        println!("Warning: Potential memory leak detected");
    }
    analyzer.stop();
    Ok(())
}

#[tokio::test]
async fn baselines_and_regressions_return_at_once() -> Result<(), Error> {
    let mut baseline_manager = BaselineManager::new();
    prompt(
        "record startup",
        baseline_manager.record_baseline("startup"),
    )
    .await?;
    prompt(
        "record steady_state",
        baseline_manager.record_baseline("steady_state"),
    )
    .await?;
    let comparison = prompt(
        "compare",
        baseline_manager.compare_against_baseline("steady_state"),
    )
    .await?;
    let _ = comparison.is_regression_detected();

    let config = RegressionConfig {
        memory_threshold_percent: 10.0,
        timing_threshold_percent: 20.0,
        cpu_threshold_percent: 15.0,
    };
    let mut detector = RegressionDetector::new(config);
    prompt("detector start_monitoring", detector.start_monitoring()).await?;
    let regression = prompt("check_for_regression", detector.check_for_regression()).await?;
    assert!(regression.is_none(), "still learning the baseline");
    Ok(())
}

#[tokio::test]
async fn every_seed_constructor_exists_on_the_host() -> Result<(), Error> {
    let profiler = TimingProfiler::new();
    let _report = prompt("generate_report", profiler.generate_report()).await?;
    let analyzer = PerformanceAnalyzer::new();
    prompt(
        "enable_historical_tracking",
        analyzer.enable_historical_tracking(),
    )
    .await?;
    let _comparator = PerformanceComparator::new();
    let _memory = MemoryAnalyzer::default();
    let system: SystemMonitor = SystemMonitor::new(iot_performance::host::HostMetrics::new()?);
    drop(system);
    let monitor = PerformanceMonitor::new(MonitorConfig::for_production()).await?;
    prompt("start_realtime_analysis", monitor.start_realtime_analysis()).await?;
    let _ = prompt("snapshot", monitor.snapshot()).await?;
    let _ = prompt("check_regression", monitor.check_regression()).await?;
    Ok(())
}
