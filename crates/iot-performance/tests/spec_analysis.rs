//! The user description's analysis examples, as written there (host default platform
//! where it constructs things without a provider; the mock where time must pass).
#![cfg(feature = "std")]

use iot_performance::mock::MockMetrics;
#[allow(unused_imports)]
use iot_performance::{BaselineManager, PerformanceBaseline};
use iot_performance::{
    MonitorConfig, PerformanceAnalyzer, PerformanceComparator, PerformanceMonitor,
    RegressionConfig, RegressionDetector, Result,
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
    assert_eq!(baseline_manager.list().count(), 2);
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
