//! `testing::BaselineFile`: a committed baseline file judges the critical path; a slower
//! path or a fuller heap fails with the table, the same path passes, a missing or damaged
//! file says what is wrong, and `IOT_PERF_UPDATE_BASELINES=1` records.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test checks fail loudly

use iot_performance::mock::MockMetrics;
use iot_performance::testing::{BaselineFile, Outcome, RegressionError, UPDATE_ENV};
use iot_performance::{MonitorConfig, PerformanceMonitor};

/// Committed: recorded from `critical_path(4)` on `MockMetrics::new_with_defaults()`.
const COMMITTED: &str = "tests/baselines/critical_path.baseline";

async fn monitor(mock: &MockMetrics) -> PerformanceMonitor<&MockMetrics> {
    PerformanceMonitor::with_provider_and_config(mock, MonitorConfig::for_testing())
        .await
        .unwrap()
}

/// The code under test: `ms` of work on the mock clock.
fn critical_path(mock: &MockMetrics, ms: u64) -> impl FnMut() -> std::future::Ready<()> + '_ {
    move || {
        mock.advance_ms(ms);
        std::future::ready(())
    }
}

fn scratch(name: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!("iot-perf-{name}-{}", std::process::id()))
}

#[tokio::test]
async fn committed_baseline_passes_the_same_path_and_fails_a_regression() {
    let file = BaselineFile::new(COMMITTED, "critical_path");
    let mock = MockMetrics::new_with_defaults();
    let monitor = monitor(&mock).await;

    let passed = file.check(&monitor, critical_path(&mock, 4)).await.unwrap();
    let Outcome::Passed(comparison) = passed else {
        panic!("expected a judgement, got {passed:?}")
    };
    assert!(comparison.deltas.len() >= 2, "{comparison}");

    // 25 % slower than the 20 % timing threshold allows.
    let err = file
        .check(&monitor, critical_path(&mock, 5))
        .await
        .unwrap_err();
    let text = format!("{err:?}"); // Debug is the table too: what `.unwrap()` prints
    assert!(matches!(err, RegressionError::Regressed { .. }));
    for needle in [
        "metric",
        "baseline",
        "current",
        "change",
        "threshold",
        "critical_path",
        "+25.0 %",
        "20 %",
        "REGRESSED",
        UPDATE_ENV,
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }

    // A heap 25 % fuller, same speed: the memory threshold (10 %) fails it.
    let heap = iot_performance::MemoryProvider::memory_metrics(&mock).unwrap();
    mock.set_memory_usage(heap.heap_used * 5 / 4, heap.heap_free);
    let err = file
        .check(&monitor, critical_path(&mock, 4))
        .await
        .unwrap_err();
    let RegressionError::Regressed { comparison, .. } = &err else {
        panic!("expected a regression, got {err}")
    };
    let regressed: Vec<String> = comparison
        .regressions()
        .map(|d| d.metric.to_string())
        .collect();
    assert_eq!(regressed.len(), 1, "{err}");
    assert!(err.to_string().contains("+25.0 %"), "{err}");
}

#[tokio::test]
async fn missing_damaged_and_update_mode() {
    let mock = MockMetrics::new_with_defaults();
    let monitor = monitor(&mock).await;
    let dir = scratch("regression-file");
    let path = dir.join("nested").join("path.baseline");
    let file = BaselineFile::new(&path, "path_a");

    let err = file
        .check(&monitor, critical_path(&mock, 3))
        .await
        .unwrap_err();
    assert!(matches!(err, RegressionError::Missing { .. }));
    assert!(
        err.to_string()
            .contains("IOT_PERF_UPDATE_BASELINES=1 cargo test"),
        "{err}"
    );

    // Update mode records (creating the directories), then judging passes. `record` is
    // what `check` does when `IOT_PERF_UPDATE_BASELINES` asks for it; the variable itself
    // is not set here: the tests of this binary run in parallel and `check` reads it.
    let recorded = file.record(&monitor, critical_path(&mock, 3)).await;
    assert!(
        matches!(recorded, Ok(Outcome::Recorded { runs: 20, .. })),
        "{recorded:?}"
    );
    assert!(matches!(
        file.check(&monitor, critical_path(&mock, 3)).await,
        Ok(Outcome::Passed(_))
    ));

    // A second name shares the file; the first is kept.
    let other = BaselineFile::new(&path, "path_b").runs(5);
    other
        .record(&monitor, critical_path(&mock, 9))
        .await
        .unwrap();
    assert!(matches!(
        file.check(&monitor, critical_path(&mock, 3)).await,
        Ok(Outcome::Passed(_))
    ));
    assert!(matches!(
        other.check(&monitor, critical_path(&mock, 9)).await,
        Ok(Outcome::Passed(_))
    ));
    let unknown = BaselineFile::new(&path, "path_c");
    assert!(matches!(
        unknown.check(&monitor, critical_path(&mock, 3)).await,
        Err(RegressionError::Missing { .. })
    ));

    // One flipped byte: the CRC refuses the file; recording does not overwrite it.
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 0x40;
    std::fs::write(&path, &bytes).unwrap();
    let err = file
        .check(&monitor, critical_path(&mock, 3))
        .await
        .unwrap_err();
    assert!(matches!(err, RegressionError::Library { .. }), "{err}");
    assert!(
        file.record(&monitor, critical_path(&mock, 3))
            .await
            .is_err()
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes the committed file (run once with `--ignored` when the format changes).
#[tokio::test]
#[ignore = "regenerates tests/baselines/critical_path.baseline"]
async fn regenerate_committed_baseline() {
    let mock = MockMetrics::new_with_defaults();
    let monitor = monitor(&mock).await;
    BaselineFile::new(COMMITTED, "critical_path")
        .record(&monitor, critical_path(&mock, 4))
        .await
        .unwrap();
}
