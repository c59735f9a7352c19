//! The user-facing monitoring examples, run on the mock backend with exact expected values.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use iot_performance::mock::{MockConfig, MockMetrics};
use iot_performance::{
    Error, MemoryProvider, MonitorConfig, PerformanceMonitor, SystemInfoProvider,
};

#[tokio::test]
async fn basic_monitoring_reports_the_providers_figures() {
    let config = MonitorConfig {
        sampling_interval_ms: 1000,
        memory_tracking: true,
        timing_profiling: true,
        baseline_comparison: true,
    };
    let monitor =
        PerformanceMonitor::with_provider_and_config(MockMetrics::new_with_defaults(), config)
            .await
            .unwrap();
    monitor.start_monitoring().await.unwrap();
    let metrics = monitor.current_metrics().await.unwrap();
    assert_eq!(metrics.memory.heap_used / 1024, 16);
    assert_eq!(metrics.system.cpu_utilization, 25.0);
    assert_eq!(metrics.timestamp_us, 1_000_000);
    assert_eq!(
        monitor.sample_counts(),
        (1, 0),
        "start_monitoring takes the first sample"
    );
}

#[tokio::test]
async fn mock_setters_reach_the_monitor() {
    let config = MockConfig::with_deterministic_values();
    let metrics_provider = MockMetrics::new(config);
    metrics_provider.set_memory_usage(1024, 512);
    metrics_provider.set_cpu_utilization(45.0);
    let monitor = PerformanceMonitor::with_provider(&metrics_provider)
        .await
        .unwrap();
    let m = monitor.current_metrics().await.unwrap();
    assert_eq!(
        (m.memory.heap_used, m.memory.heap_free, m.memory.heap_total),
        (1024, 512, 1536)
    );
    assert_eq!(m.system.cpu_utilization, 45.0);

    // Changing the mock while the monitor holds it.
    metrics_provider.set_cpu_utilization(80.0);
    assert_eq!(
        monitor
            .current_metrics()
            .await
            .unwrap()
            .system
            .cpu_utilization,
        80.0
    );
}

#[tokio::test]
async fn unit_test_with_mock_defaults() {
    let mock_metrics = MockMetrics::new_with_defaults();
    let monitor = PerformanceMonitor::with_provider(mock_metrics)
        .await
        .unwrap();
    let metrics = monitor.current_metrics().await.unwrap();
    assert!(metrics.memory.heap_used > 0);
    assert_eq!(
        metrics.memory,
        MockMetrics::new_with_defaults().memory_metrics().unwrap()
    );
}

#[tokio::test]
async fn realtime_analysis_and_snapshot() {
    let mock = MockMetrics::new_with_defaults();
    let monitor = PerformanceMonitor::with_provider(&mock).await.unwrap();
    monitor.start_realtime_analysis().await.unwrap();
    for (used, cpu) in [(20_000, 30.0), (30_000, 50.0)] {
        mock.set_memory_usage(used, 10_000);
        mock.set_cpu_utilization(cpu);
        mock.advance_ms(1_000);
        let instant_metrics = monitor.snapshot().await.unwrap();
        assert_eq!(instant_metrics.memory.heap_used, used);
    }
    let stats = monitor.stats();
    // First sample from start: 16 384 B at 25 %, then the two above.
    assert_eq!(stats.heap_used.count(), 3);
    assert_eq!(
        stats.heap_used.mean(),
        Some((16_384.0 + 20_000.0 + 30_000.0) / 3.0)
    );
    assert_eq!(stats.cpu_utilization.max(), Some(50.0));
    assert_eq!(stats.cpu_utilization.min(), Some(25.0));
    assert_eq!(monitor.last_snapshot().unwrap().timestamp_us, 3_000_000);
}

#[tokio::test]
async fn collection_of_sixty_seconds_is_instant_and_exact() {
    let mock = MockMetrics::new_with_defaults();
    let monitor = PerformanceMonitor::with_provider(&mock).await.unwrap();
    let started = std::time::Instant::now();
    let config_a_metrics = monitor.collect_metrics_for_duration(60).await.unwrap();
    mock.set_cpu_utilization(60.0);
    let config_b_metrics = monitor.collect_metrics_for_duration(60).await.unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(1),
        "mock waits must not sleep"
    );

    assert_eq!(config_a_metrics.sample_count, 60);
    assert_eq!(config_a_metrics.samples.len(), 60);
    assert_eq!(config_a_metrics.started_us, 1_000_000);
    assert_eq!(config_a_metrics.duration_ms(), 59_000);
    assert_eq!(config_a_metrics.stats.cpu_utilization.mean(), Some(25.0));
    assert_eq!(config_b_metrics.stats.cpu_utilization.mean(), Some(60.0));
    // B starts one interval after A ended? No: B starts where the clock stood after A.
    assert_eq!(config_b_metrics.started_us, config_a_metrics.ended_us);
    assert_eq!(mock.system_metrics().unwrap().uptime_ms, 1_000 + 2 * 59_000);
}

#[tokio::test]
async fn short_window_still_takes_one_sample() {
    let mock = MockMetrics::new_with_defaults();
    let config = MonitorConfig {
        sampling_interval_ms: 5_000,
        ..MonitorConfig::default()
    };
    let monitor = PerformanceMonitor::with_provider_and_config(&mock, config)
        .await
        .unwrap();
    assert_eq!(
        monitor
            .collect_metrics_for_duration(0)
            .await
            .unwrap()
            .sample_count,
        1
    );
    assert_eq!(
        monitor
            .collect_metrics_for_duration(12)
            .await
            .unwrap()
            .sample_count,
        2
    );
}

#[tokio::test]
async fn failed_samples_are_counted_not_fatal() {
    let mock = MockMetrics::new_with_defaults();
    let monitor = PerformanceMonitor::with_provider(&mock).await.unwrap();
    mock.set_memory_error(Some(Error::Provider { what: "heap walk" }));
    assert_eq!(
        monitor.snapshot().await,
        Err(Error::Provider { what: "heap walk" })
    );
    let collection = monitor.collect_metrics_for_duration(3).await.unwrap();
    assert_eq!((collection.sample_count, collection.failed_samples), (0, 3));
    mock.set_memory_error(None);
    assert!(monitor.snapshot().await.is_ok());
    assert_eq!(monitor.sample_counts(), (1, 4));
}

#[tokio::test]
async fn zero_interval_is_a_clear_error() {
    let config = MonitorConfig {
        sampling_interval_ms: 0,
        ..MonitorConfig::default()
    };
    let err =
        PerformanceMonitor::with_provider_and_config(MockMetrics::new_with_defaults(), config)
            .await
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration: `sampling_interval_ms` must be between 1 and 3600000 (one hour)"
    );
    let monitor = PerformanceMonitor::with_provider(MockMetrics::new_with_defaults())
        .await
        .unwrap();
    assert!(monitor.set_config(config).is_err());
    assert_eq!(
        monitor.config(),
        MonitorConfig::default(),
        "a refused config changes nothing"
    );
}

#[tokio::test]
async fn handle_clones_share_state_across_tasks() {
    let mock: &'static MockMetrics = Box::leak(Box::new(MockMetrics::new_with_defaults()));
    let monitor = PerformanceMonitor::with_provider(mock).await.unwrap();
    monitor.start_realtime_analysis().await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let m = monitor.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..25 {
                m.tick().await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(monitor.sample_counts(), (101, 0));
    assert_eq!(monitor.stats().heap_used.count(), 101);
}

#[tokio::test]
async fn run_samples_until_stopped() {
    let mock: &'static MockMetrics = Box::leak(Box::new(MockMetrics::new_with_defaults()));
    let config = MonitorConfig {
        sampling_interval_ms: 250,
        ..MonitorConfig::default()
    };
    let monitor = PerformanceMonitor::with_provider_and_config(mock, config)
        .await
        .unwrap();
    let runner = monitor.clone();
    let task = tokio::spawn(async move { runner.run().await });
    // The mock clock advances instantly; stop once ten seconds of samples were taken.
    while monitor.sample_counts().0 < 41 {
        tokio::task::yield_now().await;
    }
    monitor.stop_monitoring();
    task.await.unwrap();
    let samples = monitor.sample_counts().0;
    assert!(samples >= 41, "{samples}");
    assert!(!monitor.is_running());
    // Every sample after the first is exactly one interval later, and the stop landed
    // between a sample and the next wait or during a wait.
    let uptime = mock.system_metrics().unwrap().uptime_ms;
    let sampled_until = 1_000 + 250 * u64::from(samples - 1);
    assert!(
        uptime == sampled_until || uptime == sampled_until + 250,
        "{uptime} vs {sampled_until}"
    );
}

#[test]
fn runs_without_an_async_runtime() {
    // A plain executor, as firmware without tokio would use.
    let mock = MockMetrics::new_with_defaults();
    let collection = futures_executor::block_on(async {
        let monitor = PerformanceMonitor::with_provider(&mock).await.unwrap();
        monitor.collect_metrics_for_duration(5).await.unwrap()
    });
    assert_eq!(collection.sample_count, 5);
}

#[cfg(feature = "serde")]
#[tokio::test]
async fn snapshots_and_collections_round_trip_through_serde() {
    let monitor = PerformanceMonitor::with_provider(MockMetrics::new_with_defaults())
        .await
        .unwrap();
    let collection = monitor.collect_metrics_for_duration(3).await.unwrap();
    let json = serde_json::to_string(&collection).unwrap();
    let back: iot_performance::MetricsCollection = serde_json::from_str(&json).unwrap();
    assert_eq!(back, collection);
    assert!(json.contains("\"heap_used\":16384"), "{json}");
}
