//! BaselineManager: record, compare, list, remove, export and import.

use iot_performance::analysis::Metric;
use iot_performance::baseline::{BaselineManager, codec};
use iot_performance::mock::MockMetrics;
use iot_performance::{Error, MonitorConfig, PerformanceMonitor, Result};

async fn manager(mock: &MockMetrics) -> Result<BaselineManager<&MockMetrics, 3>> {
    mock.set_noise(5, 5.0);
    let monitor =
        PerformanceMonitor::with_provider_and_config(mock, MonitorConfig::for_testing()).await?;
    Ok(BaselineManager::with_monitor(monitor))
}

#[tokio::test]
async fn record_compare_list_remove() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut m = manager(&mock).await?;
    let b = m.record_baseline("startup").await?;
    assert_eq!(b.sample_count, 100); // 10 s at 100 ms
    assert_eq!(b.duration_ms, 9_900);
    let heap = b.metric(Metric::HeapUsed).unwrap();
    assert!((heap.mean().unwrap() - 16_384.0).abs() < 200.0);
    assert!(heap.variance().unwrap() > 0.0);
    assert!(heap.min().unwrap() >= 16_384.0 * 0.95 && heap.max().unwrap() <= 16_384.0 * 1.05);

    m.record_baseline("steady_state").await?;
    assert_eq!(m.list().collect::<Vec<_>>(), ["startup", "steady_state"]);

    // Same conditions: no regression.
    let same = m.compare_against_baseline("steady_state").await?;
    assert!(!same.is_regression_detected(), "{}", same.summary());
    assert!(
        same.summary()
            .to_string()
            .starts_with("no regression against `steady_state`")
    );

    // 5 % more heap is below the 10 % threshold; 25 % more is a regression.
    mock.set_memory_usage(16_384 * 105 / 100, 40_000);
    assert!(
        !m.compare_against_baseline("steady_state")
            .await?
            .is_regression_detected()
    );
    mock.set_memory_usage(20_480, 40_000);
    let worse = m.compare_against_baseline("steady_state").await?;
    assert!(worse.is_regression_detected());
    let d = worse.delta(Metric::HeapUsed).unwrap();
    assert!(d.regression && d.p_value.unwrap() < 0.01);
    assert!((d.change_percent.unwrap() - 25.0).abs() < 2.0);
    assert!(
        worse
            .summary()
            .to_string()
            .starts_with("1 regression(s) against `steady_state`: heap_used +2"),
        "{}",
        worse.summary()
    );
    // CPU, unchanged, is not among the regressions.
    assert!(!worse.delta(Metric::CpuUtilization).unwrap().regression);

    let removed = m.remove("startup")?;
    assert_eq!(removed.name.as_str(), "startup");
    assert_eq!(m.list().collect::<Vec<_>>(), ["steady_state"]);
    Ok(())
}

#[tokio::test]
async fn unknown_names_bad_names_and_a_full_table_are_errors() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut m = manager(&mock).await?;
    let not_found = Err(Error::NotFound { what: "baseline" });
    assert_eq!(
        m.compare_against_baseline("nope").await.map(|_| ()),
        not_found
    );
    assert_eq!(m.remove("nope").map(|_| ()), not_found);
    assert_eq!(m.get("nope").map(|_| ()), not_found);
    assert!(matches!(
        m.record_baseline("").await,
        Err(Error::InvalidConfig { field: "name", .. })
    ));
    assert!(
        m.record_baseline("a_name_that_is_far_too_long_for_it")
            .await
            .is_err()
    );
    for n in ["a", "b", "c"] {
        m.record_baseline(n).await?;
    }
    assert!(matches!(
        m.record_baseline("d").await,
        Err(Error::CapacityExceeded { capacity: 3, .. })
    ));
    // Re-recording an existing name still works when full.
    mock.set_cpu_utilization(50.0);
    m.record_baseline("b").await?;
    assert!(m.get("b")?.stats.cpu_utilization.mean().unwrap() > 45.0);
    assert_eq!(m.len(), 3);
    assert!(m.set_window_secs(0).is_err());
    Ok(())
}

#[tokio::test]
async fn export_import_round_trip_and_corrupt_input_changes_nothing() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut device = manager(&mock).await?;
    device.record_baseline("startup").await?;
    device.record_baseline("steady_state").await?;
    let mut one = [0u8; codec::MAX_FRAME_LEN];
    let n = device.export("steady_state", &mut one)?;
    let all = device.export_all_to_vec();

    let other = MockMetrics::new_with_defaults();
    let mut host = manager(&other).await?;
    assert_eq!(host.import(&one[..n])?, 1);
    assert_eq!(host.get("steady_state")?, device.get("steady_state")?);

    // A bad second frame: nothing of the batch is imported, what was stored stays.
    let mut corrupt = all.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x40;
    assert!(matches!(
        host.import(&corrupt),
        Err(Error::InvalidData {
            reason: "checksum mismatch",
            ..
        })
    ));
    assert_eq!(host.list().collect::<Vec<_>>(), ["steady_state"]);
    for cut in [0, 3, 10, all.len() / 2, all.len() - 1] {
        assert!(
            matches!(host.import(&all[..cut]), Err(Error::InvalidData { .. })),
            "cut {cut}"
        );
    }
    assert_eq!(host.list().collect::<Vec<_>>(), ["steady_state"]);

    assert_eq!(host.import(&all)?, 2);
    assert_eq!(host.list().collect::<Vec<_>>(), ["steady_state", "startup"]);
    assert_eq!(host.get("startup")?, device.get("startup")?);
    assert!(matches!(
        host.export("nope", &mut one),
        Err(Error::NotFound { .. })
    ));
    Ok(())
}

#[tokio::test]
async fn default_platform_manager_samples_the_host() -> Result<()> {
    let mut baseline_manager = BaselineManager::new();
    baseline_manager.set_window_secs(1)?; // one sample at the default 1 s interval
    let b = baseline_manager.record_baseline("startup").await?;
    assert_eq!(b.sample_count, 1);
    let recorded_heap = b.stats.heap_used.mean().unwrap();
    assert!(recorded_heap > 0.0);
    let comparison = baseline_manager.compare_against_baseline("startup").await?;
    assert_eq!(comparison.baseline.as_str(), "startup");
    // The comparison judges the new window against what was recorded, with the memory
    // threshold; one sample a side is too few for Welch's test.
    let heap = comparison.delta(Metric::HeapUsed).unwrap();
    assert_eq!(heap.baseline_mean, recorded_heap);
    assert_eq!(heap.threshold_percent, Some(10.0));
    assert_eq!(heap.p_value, None);
    Ok(())
}
