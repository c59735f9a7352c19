//! The user description's analysis examples, as written there (host default platform
//! where it constructs things without a provider; the mock where time must pass).
//!
//! The host's own heap and CPU figures vary from run to run, so the checks after each
//! example are on what the library decides from them: names and order, which baseline a
//! comparison used, the thresholds applied, and a change the test makes itself.

use iot_performance::analysis::Metric;
use iot_performance::mock::MockMetrics;
use iot_performance::regression::{RegressionKind, Severity};
#[allow(unused_imports)]
use iot_performance::{BaselineManager, PerformanceBaseline};
use iot_performance::{
    MonitorConfig, PerformanceAnalyzer, PerformanceComparator, PerformanceMonitor,
    RegressionConfig, RegressionDetector, Result, RunningStats,
};

#[tokio::test]
async fn performance_baseline_management() -> Result<()> {
    // Establish performance baseline
    let mut baseline_manager = BaselineManager::new();
    baseline_manager.set_window_secs(1)?; // keeps the test short; 10 s by default

    // Record baseline during optimal conditions
    baseline_manager.record_baseline("startup").await?;
    baseline_manager.record_baseline("steady_state").await?;

    // Compare current performance against baseline
    let comparison = baseline_manager
        .compare_against_baseline("steady_state")
        .await?;

    if comparison.is_regression_detected() {
        println!("Performance regression detected: {}", comparison.summary());
    }

    // Both baselines are kept, oldest first, each from one sample of a 1 s window.
    assert_eq!(
        baseline_manager.list().collect::<Vec<_>>(),
        ["startup", "steady_state"]
    );
    let steady = baseline_manager.get("steady_state")?.clone();
    assert_eq!(steady.sample_count, 1);
    // The comparison is against the baseline asked for, with the memory threshold
    // (10 % by default) applied to the heap, and says so in its summary.
    assert_eq!(comparison.baseline.as_str(), "steady_state");
    let heap = comparison
        .delta(Metric::HeapUsed)
        .expect("the host reports its heap in both windows");
    assert_eq!(Some(heap.baseline_mean), steady.stats.heap_used.mean());
    assert_eq!(heap.threshold_percent, Some(10.0));
    assert!(
        comparison
            .summary()
            .to_string()
            .contains("against `steady_state`"),
        "{}",
        comparison.summary()
    );

    // A baseline whose heap was a quarter of today's: the same host is now a heap
    // regression against it (far over the 10 % threshold and the 256 B floor).
    let mut lean = steady;
    lean.name = iot_performance::baseline::name("lean")?;
    let mut quarter = RunningStats::new();
    quarter.push(lean.stats.heap_used.mean().unwrap_or_default() / 4.0);
    lean.stats.heap_used = quarter;
    baseline_manager.insert(lean)?;
    let against_lean = baseline_manager.compare_against_baseline("lean").await?;
    assert!(against_lean.is_regression_detected());
    assert!(
        against_lean
            .regressions()
            .any(|d| d.metric == Metric::HeapUsed),
        "{}",
        against_lean.summary()
    );
    assert!(
        against_lean.summary().to_string().contains("heap_used"),
        "{}",
        against_lean.summary()
    );
    Ok(())
}

#[tokio::test]
async fn regression_detection() -> Result<()> {
    let config = RegressionConfig {
        memory_threshold_percent: 10.0, // Alert if memory usage increases by 10%
        timing_threshold_percent: 20.0, // Alert if timing increases by 20%
        cpu_threshold_percent: 15.0,    // Alert if CPU usage increases by 15%
    };

    let mut detector = RegressionDetector::new(config).with_options(
        iot_performance::regression::DetectorOptions {
            window_samples: 1, // one host sample per window keeps the test short
            baseline_windows: 1,
            ..Default::default()
        },
    )?;

    // Continuously monitor for regressions
    detector.start_monitoring().await?;

    // Check for regressions
    if let Some(regression) = detector.check_for_regression().await? {
        println!("Regression detected: {}", regression.description());
    }

    // `start_monitoring` learned the host's heap as the baseline (one window of one
    // sample), so the detector now judges rather than learns.
    assert!(detector.tracker().is_baseline_learned());
    let heap = detector
        .tracker()
        .baseline(Metric::HeapUsed)
        .expect("the heap baseline was learned from the host");
    assert_eq!(heap.count(), 1);
    assert!(heap.mean().is_some_and(|m| m > 0.0));

    // A scope timed at 1 ms learns its baseline in its first window; then it takes
    // 1.5 ms: +50 %, over the 20 % timing threshold, reported once the default three
    // consecutive windows are over it. The host's own figures may regress in the same
    // windows (one report per window, the worst first, each metric once per episode):
    // heap, stack and CPU can each take one window ahead of the scope, never more, and
    // the scope is never reported earlier.
    detector.record_timing("sensor_reading", 1_000.0);
    let learning = detector.check_for_regression().await?;
    assert!(learning.is_none_or(|r| r.metric != Metric::Scope("sensor_reading")));
    let mut scope_report = None;
    for window in 1..=6u8 {
        detector.record_timing("sensor_reading", 1_500.0);
        if let Some(regression) = detector.check_for_regression().await?
            && regression.metric == Metric::Scope("sensor_reading")
        {
            scope_report = Some((window, regression));
            break;
        }
    }
    let (window, regression) = scope_report.expect("the 50 % slower scope is reported");
    assert!(window >= 3, "reported after {window} windows, before K = 3");
    assert_eq!(regression.baseline_value, 1_000.0);
    assert_eq!(regression.current_value, 1_500.0);
    assert_eq!(regression.change_percent(), Some(50.0));
    // 50 % is at least twice the 20 % threshold.
    assert_eq!(regression.severity, Severity::Major);
    assert_eq!(
        regression.kind,
        RegressionKind::Relative {
            threshold_percent: 20.0,
            windows: window,
        }
    );
    assert_eq!(
        regression.description().to_string(),
        format!(
            "sensor_reading rose 50.0 % (1.0 ms -> 1.5 ms) for {window} windows, \
             threshold 20 %: major"
        )
    );
    Ok(())
}

#[tokio::test]
async fn historical_and_comparative_analysis() -> Result<()> {
    // Store performance data over time
    let analyzer = PerformanceAnalyzer::new();
    analyzer.enable_historical_tracking().await?;

    let mock = MockMetrics::new_with_defaults();
    let monitor =
        PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
    for minute in 0..30 {
        mock.set_memory_usage(16_384 + minute * 40, 40_000);
        analyzer.sample(&monitor).await?;
        mock.advance_ms(60_000);
    }

    // Analyze trends over time
    let trend_analysis = analyzer.analyze_trends().await?;
    println!("Memory usage trend: {}", trend_analysis.memory_trend);
    assert_eq!(
        trend_analysis.memory_trend.to_string(),
        "rising 2.3 KiB/h ± 0.0"
    );

    // Compare different system configurations
    let comparator = PerformanceComparator::new();

    let config_a_metrics = monitor.collect_metrics_for_duration(60).await?;
    mock.set_cpu_utilization(31.0);
    let config_b_metrics = monitor.collect_metrics_for_duration(60).await?;

    let comparison = comparator
        .compare(config_a_metrics, config_b_metrics)
        .await?;
    assert!(comparison.has_regression());
    println!("{comparison}");
    Ok(())
}
