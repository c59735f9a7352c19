//! The regression detector's acceptance checks on mock time: stationary ±5 % noise never
//! fires, real steps fire within K windows, changes below the thresholds never fire.

use iot_performance::analysis::Metric;
use iot_performance::mock::MockMetrics;
use iot_performance::regression::{DetectorOptions, Severity};
use iot_performance::{
    MonitorConfig, PerformanceMonitor, RegressionConfig, RegressionDetector, Result,
};

const CONFIG: RegressionConfig = RegressionConfig {
    memory_threshold_percent: 10.0,
    timing_threshold_percent: 20.0,
    cpu_threshold_percent: 15.0,
};
const K: u8 = DetectorOptions::DEFAULT.consecutive_windows;

async fn noisy_detector(mock: &MockMetrics, seed: u64) -> Result<RegressionDetector<&MockMetrics>> {
    mock.set_noise(seed, 5.0);
    let monitor =
        PerformanceMonitor::with_provider_and_config(mock, MonitorConfig::for_testing()).await?;
    let mut detector = RegressionDetector::with_monitor(monitor, CONFIG)?;
    detector.start_monitoring().await?;
    Ok(detector)
}

/// Windows until the first regression (1-based), or `None` within `max`.
async fn windows_until_regression(
    detector: &mut RegressionDetector<&MockMetrics>,
    max: u32,
    mut before_window: impl FnMut(&mut RegressionDetector<&MockMetrics>),
) -> Result<Option<(u32, iot_performance::Regression)>> {
    for w in 1..=max {
        before_window(detector);
        if let Some(r) = detector.check_for_regression().await? {
            return Ok(Some((w, r)));
        }
    }
    Ok(None)
}

fn timing_noise(rng: &mut fastrand::Rng, centre: f64) -> f64 {
    centre * (1.0 + (rng.f64() * 2.0 - 1.0) * 0.05)
}

#[tokio::test]
async fn stationary_noise_gives_no_regression_in_10000_windows() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut detector = noisy_detector(&mock, 11).await?;
    let mut rng = fastrand::Rng::with_seed(12);
    let feed = |d: &mut RegressionDetector<&MockMetrics>| {
        for _ in 0..10 {
            d.record_timing("sensor_reading", timing_noise(&mut rng, 800.0));
        }
    };
    let found = windows_until_regression(&mut detector, 10_000, feed).await?;
    assert_eq!(found.map(|(_, r)| r), None);
    Ok(())
}

#[tokio::test]
async fn memory_step_of_15_percent_is_detected_within_k_windows() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut detector = noisy_detector(&mock, 21).await?;
    assert_eq!(
        windows_until_regression(&mut detector, 50, |_| ()).await?,
        None
    );
    mock.set_memory_usage(16_384 * 115 / 100, 40_000);
    let (windows, r) = windows_until_regression(&mut detector, 50, |_| ())
        .await?
        .expect("a 15 % heap step must be detected");
    assert_eq!(windows, u32::from(K));
    assert_eq!(r.metric, Metric::HeapUsed);
    assert!((13.0..17.0).contains(&r.change_percent().unwrap()), "{r}");
    assert_eq!(r.severity, Severity::Minor);
    Ok(())
}

#[tokio::test]
async fn timing_step_of_25_percent_is_detected_within_k_windows() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut rng = fastrand::Rng::with_seed(31);
    mock.set_noise(30, 5.0);
    let monitor =
        PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
    let mut detector = RegressionDetector::with_monitor(monitor, CONFIG)?;
    // Learn the baseline of the scope together with the snapshot metrics.
    for _ in 0..DetectorOptions::DEFAULT.baseline_windows {
        (0..10)
            .for_each(|_| detector.record_timing("mqtt_publish", timing_noise(&mut rng, 2_000.0)));
        assert!(detector.check_for_regression().await?.is_none());
    }
    let mut centre = 2_000.0;
    let mut feed = |d: &mut RegressionDetector<&MockMetrics>| {
        (0..10).for_each(|_| d.record_timing("mqtt_publish", timing_noise(&mut rng, centre)));
    };
    assert_eq!(
        windows_until_regression(&mut detector, 100, &mut feed).await?,
        None
    );
    centre = 2_500.0;
    let mut feed = |d: &mut RegressionDetector<&MockMetrics>| {
        (0..10).for_each(|_| d.record_timing("mqtt_publish", timing_noise(&mut rng, centre)));
    };
    let (windows, r) = windows_until_regression(&mut detector, 50, &mut feed)
        .await?
        .expect("a 25 % timing step must be detected");
    assert_eq!(windows, u32::from(K));
    assert_eq!(r.metric, Metric::Scope("mqtt_publish"));
    assert!(
        r.description()
            .to_string()
            .starts_with("mqtt_publish rose 2"),
        "{r}"
    );
    Ok(())
}

#[tokio::test]
async fn five_percent_changes_below_the_thresholds_are_not_reported() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut detector = noisy_detector(&mock, 41).await?;
    mock.set_memory_usage(16_384 * 105 / 100, 40_000);
    mock.set_cpu_utilization(25.0 * 1.05);
    let mut rng = fastrand::Rng::with_seed(42);
    let feed = |d: &mut RegressionDetector<&MockMetrics>| {
        (0..10).for_each(|_| d.record_timing("sensor_reading", timing_noise(&mut rng, 800.0)));
    };
    // The scope learns 800 µs in its first windows; then it drifts up by 5 %.
    let found = windows_until_regression(&mut detector, 1_000, feed).await?;
    assert_eq!(found.map(|(_, r)| r), None);
    let mut rng = fastrand::Rng::with_seed(43);
    let feed = |d: &mut RegressionDetector<&MockMetrics>| {
        (0..10).for_each(|_| d.record_timing("sensor_reading", timing_noise(&mut rng, 840.0)));
    };
    let found = windows_until_regression(&mut detector, 1_000, feed).await?;
    assert_eq!(found.map(|(_, r)| r), None);
    Ok(())
}

#[tokio::test]
async fn cpu_step_and_hard_limit() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut detector = noisy_detector(&mock, 51).await?;
    detector.set_hard_limit(Metric::HeapUsed, Some(60_000.0))?;
    mock.set_cpu_utilization(40.0);
    let (w, r) = windows_until_regression(&mut detector, 10, |_| ())
        .await?
        .unwrap();
    assert_eq!(
        (w, r.metric, r.severity),
        (u32::from(K), Metric::CpuUtilization, Severity::Major)
    );
    mock.set_memory_usage(61_000, 4_000);
    let (w, r) = windows_until_regression(&mut detector, 10, |_| ())
        .await?
        .unwrap();
    assert_eq!((w, r.severity), (1, Severity::Critical));
    assert!(r.to_string().contains("hard limit"), "{r}");
    Ok(())
}

#[tokio::test]
async fn monitor_check_regression_in_the_application_loop() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    mock.set_noise(61, 5.0);
    let perf_monitor =
        PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
    perf_monitor.start_monitoring().await?;
    let per_window = DetectorOptions::DEFAULT.window_samples;
    let mut found = None;
    for loop_iteration in 0..(per_window * 200) {
        if loop_iteration == per_window * 100 {
            mock.set_memory_usage(20_000, 40_000);
        }
        if let Some(regression) = perf_monitor.check_regression().await? {
            found = Some((loop_iteration, regression));
            break;
        }
    }
    let (at, r) = found.expect("the heap step must be reported");
    assert_eq!(r.metric, Metric::HeapUsed);
    assert_eq!(at + 1, per_window * (100 + u32::from(K)));

    let off = PerformanceMonitor::with_provider_and_config(
        &mock,
        MonitorConfig {
            baseline_comparison: false,
            ..MonitorConfig::for_testing()
        },
    )
    .await?;
    for _ in 0..100 {
        assert!(off.check_regression().await?.is_none());
    }
    Ok(())
}

#[tokio::test]
async fn default_platform_detector_and_invalid_config() -> Result<()> {
    let bad = RegressionDetector::new(RegressionConfig {
        memory_threshold_percent: -1.0,
        ..CONFIG
    });
    let mut bad = bad;
    assert!(matches!(
        bad.start_monitoring().await,
        Err(iot_performance::Error::InvalidConfig {
            field: "memory_threshold_percent",
            ..
        })
    ));
    let options = DetectorOptions {
        window_samples: 1,
        baseline_windows: 1,
        ..DetectorOptions::DEFAULT
    };
    let mut detector = RegressionDetector::new(CONFIG).with_options(options)?;
    detector.start_monitoring().await?;
    // One window of the real host process cannot satisfy K = 3 consecutive windows.
    assert!(detector.check_for_regression().await?.is_none());
    assert!(detector.tracker().baseline(Metric::HeapUsed).is_some());
    Ok(())
}
