//! Fuzz targets on stable Rust (`arbtest`): the wire frame decoder, baseline import and the
//! flash store. Each target mutates its committed corpus (tests/fuzz-corpus/<target>/),
//! structure-aware where a checksum would stop the mutations early, or takes raw bytes.
//! `IOT_PERF_FUZZ_MS` is each target's time budget (2 000 ms by default, the CI pass); a
//! run prints its executions. `replay_corpus` runs every committed file deterministically.
//! A failure prints an arbtest seed: `.seed(0x…)` on the target replays it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // fuzz checks fail loudly

mod fuzzing;
use fuzzing as fuzz;
mod support;

use arbtest::arbitrary::Unstructured;
use iot_performance::baseline::BaselineManager;
use iot_performance::mock::MockMetrics;
use iot_performance::{MonitorConfig, PerformanceMonitor};

fn monitor(mock: &MockMetrics) -> PerformanceMonitor<&MockMetrics> {
    futures_executor::block_on(PerformanceMonitor::with_provider_and_config(
        mock,
        MonitorConfig::for_testing(),
    ))
    .expect("monitor")
}

fn manager(mock: &MockMetrics) -> BaselineManager<&MockMetrics, 4> {
    BaselineManager::with_monitor(monitor(mock))
}

#[test]
fn fuzz_frame_decoder() {
    let corpus = fuzz::corpus("frame");
    assert!(fuzz::fuzz("frame", |u| fuzz::frame::run(u, &corpus)) > 0);
}

#[test]
fn fuzz_baseline_import() {
    let corpus = fuzz::corpus("baseline");
    let mock = MockMetrics::new_with_defaults();
    let mut host = manager(&mock);
    let runs = fuzz::fuzz("baseline", |u| {
        let bytes = fuzz::baseline::input(u, &corpus)?;
        fuzz::baseline::check(&bytes);
        fuzz::baseline::check_import(&mut host, &bytes);
        Ok(())
    });
    assert!(runs > 0);
}

#[test]
fn fuzz_flash_store() {
    let runs = fuzz::fuzz("flash", |u| futures_executor::block_on(fuzz::flash::run(u)));
    assert!(runs > 0);
}

#[test]
fn replay_corpus() {
    let frames = fuzz::corpus("frame");
    let baselines = fuzz::corpus("baseline");
    let flash = fuzz::corpus("flash");
    assert!(frames.len() >= 4 && baselines.len() >= 2 && !flash.is_empty());
    for f in &frames {
        fuzz::frame::check(f);
    }
    let mock = MockMetrics::new_with_defaults();
    let mut host = manager(&mock);
    for b in &baselines {
        fuzz::baseline::check(b);
        fuzz::baseline::check_import(&mut host, b);
    }
    assert!(host.list().count() >= 2, "the corpus holds valid baselines");
    for f in &flash {
        let _ = futures_executor::block_on(fuzz::flash::run(&mut Unstructured::new(f)));
    }
}

/// Writes the seed corpus (valid frames and baselines, random op scripts for the flash).
#[test]
#[ignore = "rewrites tests/fuzz-corpus; run when the formats change"]
fn write_corpus() {
    use iot_performance::wire::{Reporter, StdSink};
    let mock = MockMetrics::new_with_defaults();
    let mut device = manager(&mock);
    let mut r = Reporter::new(StdSink(Vec::new()));
    r.session("esp32c3-devkit", "sensor-fw 1.0.0", 16_000_000);
    let snapshot = futures_executor::block_on(monitor(&mock).snapshot()).unwrap();
    r.snapshot(&snapshot);
    {
        let _scope = iot_performance::profile_block!("read_sensor");
    }
    r.scope_table(2_000);
    let bytes = r.into_inner().0;
    let dir = fuzz::corpus_dir("frame");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, frame) in bytes
        .split(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .enumerate()
    {
        std::fs::write(dir.join(format!("{i:02}.bin")), frame).unwrap();
    }
    std::fs::write(dir.join("03-dropped.bin"), fuzz::frame::reframe(1, &[3, 7])).unwrap();

    futures_executor::block_on(async {
        device.record_baseline("startup").await.unwrap();
        device.record_baseline("steady_state").await.unwrap();
    });
    let dir = fuzz::corpus_dir("baseline");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, n) in ["startup", "steady_state"].into_iter().enumerate() {
        let mut buf = [0u8; iot_performance::baseline::codec::MAX_FRAME_LEN];
        let len = device.export(n, &mut buf).unwrap();
        std::fs::write(dir.join(format!("{i:02}.bin")), &buf[..len]).unwrap();
    }
    let dir = fuzz::corpus_dir("flash");
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    for i in 0..4 {
        let script: Vec<u8> = (0..2048).map(|_| rng.u8(..)).collect();
        std::fs::write(dir.join(format!("{i:02}.bin")), script).unwrap();
    }
}
