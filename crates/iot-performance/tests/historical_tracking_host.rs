//! The spec's "Historical Analysis" snippet, typed as written, on the host: it returns at
//! once, says how much data it still needs, and fits real trends once the background
//! sampler has taken a sample more.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test checks fail loudly

use std::time::{Duration, Instant};

use iot_performance::analysis::{MIN_POINTS, PerformanceAnalyzer, TrendDirection};

#[tokio::test]
async fn spec_historical_analysis_samples_in_the_background() -> Result<(), iot_performance::Error>
{
    let started = Instant::now();
    // Store performance data over time
    let analyzer = PerformanceAnalyzer::new();
    analyzer.enable_historical_tracking().await?;

    // Analyze trends over time
    let trend_analysis = analyzer.analyze_trends().await?;
    println!("Memory usage trend: {}", trend_analysis.memory_trend);
    assert!(
        started.elapsed() < Duration::from_millis(100),
        "{:?}",
        started.elapsed()
    );
    // The first sample (enable) and one now: not a trend yet, and it says so.
    assert_eq!(trend_analysis.memory_trend.points, 2);
    assert_eq!(
        trend_analysis.memory_trend.to_string(),
        format!("not enough data: 2 of {MIN_POINTS} points")
    );

    // The sampler takes one a second by itself.
    tokio::time::sleep(Duration::from_millis(1_300)).await;
    let later = analyzer.analyze_trends().await?;
    println!("Memory usage trend: {}", later.memory_trend);
    assert!(later.memory_trend.points >= 4, "{:?}", later.memory_trend);
    assert!(later.memory_trend.slope_per_hour.is_some());
    assert_ne!(later.memory_trend.direction(), TrendDirection::Unknown);
    assert!(
        !later
            .memory_trend
            .to_string()
            .starts_with("not enough data")
    );
    Ok(())
}

#[tokio::test]
async fn feeding_the_analyzer_detaches_the_host_source() -> Result<(), iot_performance::Error> {
    let analyzer = PerformanceAnalyzer::new();
    analyzer.enable_historical_tracking().await?;
    for i in 0..5u64 {
        analyzer.record_point(iot_performance::analysis::TrendPoint {
            timestamp_us: i * 60_000_000,
            heap_used: 1_000.0 + i as f64,
            stack_used: 0.0,
            cpu_utilization: 0.0,
            fragmentation: f64::NAN,
        });
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    // Only the application's five points: no host-process reading was mixed in.
    let t = analyzer.analyze_trends().await?;
    assert_eq!(t.memory_trend.points, 5);
    assert!((t.memory_trend.slope_per_hour.unwrap() - 60.0).abs() < 1e-6);
    Ok(())
}
