//! Baseline import refuses frames whose checksum is right but whose statistics are
//! impossible: a forged NaN heap mean must not hide a 10× heap regression.
#![allow(clippy::expect_used)] // test helpers fail loudly

use iot_performance::analysis::Metric;
use iot_performance::baseline::{BaselineManager, PerformanceBaseline, codec};
use iot_performance::mock::MockMetrics;
use iot_performance::{Error, MonitorConfig, PerformanceMonitor, Result, RunningStats};

async fn manager(mock: &MockMetrics) -> Result<BaselineManager<&MockMetrics, 3>> {
    mock.set_noise(5, 5.0);
    let monitor =
        PerformanceMonitor::with_provider_and_config(mock, MonitorConfig::for_testing()).await?;
    Ok(BaselineManager::with_monitor(monitor))
}

/// Figures a hand-written frame can carry: (count, mean, m2, min, max).
fn forged(count: u64, mean: f64, m2: f64, min: f64, max: f64) -> RunningStats {
    let mut buf = [0u8; 64];
    let bytes = postcard::to_slice(&(count, mean, m2, min, max), &mut buf).expect("fits");
    postcard::from_bytes(bytes).expect("same layout as RunningStats")
}

/// `baseline` as a frame with a correct checksum over whatever it holds.
fn frame(baseline: &PerformanceBaseline) -> Vec<u8> {
    let mut buf = vec![0u8; codec::MAX_FRAME_LEN];
    let n = codec::encode(baseline, &mut buf).expect("encodes");
    buf.truncate(n);
    buf
}

#[tokio::test]
async fn forged_nan_heap_mean_cannot_hide_a_tenfold_heap_regression() -> Result<()> {
    let device_mock = MockMetrics::new_with_defaults();
    device_mock.set_memory_usage(8_000, 100_000);
    let mut device = manager(&device_mock).await?;
    let honest = device.record_baseline("steady_state").await?.clone();
    let heap = honest.stats.heap_used;
    let mut nan_heap = honest.clone();
    nan_heap.stats.heap_used = forged(heap.count(), f64::NAN, 0.0, 7_600.0, 8_400.0);

    let host_mock = MockMetrics::new_with_defaults();
    host_mock.set_memory_usage(80_000, 30_000); // 10× the baseline's heap
    let mut host = manager(&host_mock).await?;

    // The forged frame passes its checksum but is refused, and nothing is imported.
    let got = host.import(&frame(&nan_heap));
    assert!(
        matches!(
            got,
            Err(Error::InvalidData {
                what: "baseline frame",
                ..
            })
        ),
        "{got:?}"
    );
    assert_eq!(host.list().count(), 0);

    // The honest baseline imports and the regression is reported.
    assert_eq!(host.import(&frame(&honest))?, 1);
    let cmp = host.compare_against_baseline("steady_state").await?;
    assert!(cmp.is_regression_detected(), "{}", cmp.summary());
    assert!(cmp.delta(Metric::HeapUsed).expect("heap delta").regression);

    // A forged frame after it in the same batch changes nothing (all or nothing).
    let mut batch = frame(&honest);
    batch.extend(frame(&nan_heap));
    assert!(host.import(&batch).is_err());
    assert_eq!(host.get("steady_state")?, &honest);
    Ok(())
}

#[tokio::test]
async fn impossible_counts_and_spreads_are_refused_on_import() -> Result<()> {
    let mock = MockMetrics::new_with_defaults();
    let mut device = manager(&mock).await?;
    let honest = device.record_baseline("startup").await?.clone();
    let h = honest.stats.heap_used;
    let (mean, min, max) = (
        h.mean().unwrap_or(0.0),
        h.min().unwrap_or(0.0),
        h.max().unwrap_or(0.0),
    );
    let n = h.count();
    let cases = [
        ("infinite mean", forged(n, f64::INFINITY, 1.0, min, max)),
        ("negative variance", forged(n, mean, -1.0, min, max)),
        (
            "mean outside min..max",
            forged(n, max * 10.0, 1.0, min, max),
        ),
        ("one value with a spread", forged(1, mean, 0.0, min, max)),
        ("no value with figures", forged(0, mean, 1.0, min, max)),
        (
            "variance min and max cannot produce",
            forged(n, mean, (max - min).powi(2) * n as f64, min, max),
        ),
    ];
    let mut host = manager(&mock).await?;
    for (what, stats) in cases {
        let mut bad = honest.clone();
        bad.stats.cpu_utilization = stats;
        let got = host.import(&frame(&bad));
        assert!(
            matches!(got, Err(Error::InvalidData { .. })),
            "{what}: {got:?}"
        );
    }
    assert_eq!(host.import(&frame(&honest))?, 1);
    Ok(())
}
