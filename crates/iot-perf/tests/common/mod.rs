//! Synthetic device captures for the CLI tests, written with the device-side encoder.

#![allow(dead_code)]

use iot_performance::wire::{
    InterruptRecord, Reporter, ScopeRecord, SnapshotRecord, StdSink, TaskRecord,
};

/// Ticks per second of the synthetic device (a 25 MHz Cortex-M3, like QEMU's mps2-an385).
pub const TPS: u64 = 25_000_000;

/// A capture of `reports` reporting intervals: three scopes whose per-call time is scaled
/// by `slow`, a heap growing by `leak` bytes per interval, small deterministic noise.
pub fn capture(seed: u64, reports: u32, slow: f64, leak: u64) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut reporter = Reporter::new(StdSink(Vec::new()));
    assert!(reporter.session("qemu-mps2-an385", "sensor-fw 1.0.0", TPS));
    let scopes = [
        ("read_sensor", 2_500.0),
        ("filter_reading", 12_000.0),
        ("publish", 6_000.0),
    ];
    let mut totals = [(0u64, 0u64, u64::MAX, 0u64); 3];
    for i in 0..reports {
        let t = u64::from(i) * 100_000;
        for (k, (_, base)) in scopes.iter().enumerate() {
            let calls = 100;
            let per_call = base * slow * (1.0 + 0.02 * (rng.f64() - 0.5));
            let ticks = (per_call * calls as f64) as u64;
            let acc = &mut totals[k];
            acc.0 += calls;
            acc.1 += ticks;
            acc.2 = acc.2.min((per_call * 0.9) as u64);
            acc.3 = acc.3.max((per_call * 1.3) as u64);
        }
        assert!(reporter.snapshot_record(&SnapshotRecord {
            timestamp_us: t,
            heap_used: 8_192 + leak * u64::from(i) + rng.u64(0..64),
            heap_free: 24_576,
            heap_total: 32_768,
            stack_used: 1_200,
            stack_free: 2_896,
            static_memory: 5_120,
            fragmentation: Some(0.1),
            cpu_utilization: 30.0 + (rng.f32() - 0.5),
            uptime_ms: t / 1000,
            task_count: 4,
            interrupt_count: u64::from(i) * 250,
            context_switches: u64::from(i) * 40,
            temperature: None,
        }));
        for (k, (name, _)) in scopes.iter().enumerate() {
            let acc = totals[k];
            assert!(reporter.scope(&ScopeRecord {
                timestamp_us: t,
                name,
                calls: acc.0,
                total_ticks: acc.1,
                min_ticks: acc.2,
                max_ticks: acc.3,
                self_ticks: None,
                busy_ticks: None,
                wall_ticks: None,
                polls: None,
                ticks_per_second: TPS,
            }));
        }
    }
    reporter.into_inner().0
}

/// [`capture`]`(seed, reports, 1.0, 0)` followed by the rows of wire version 2: per
/// interval, two Embassy tasks (one unnamed) and two interrupt handlers.
pub fn capture_with_tasks(seed: u64, reports: u32) -> Vec<u8> {
    let mut reporter = Reporter::new(StdSink(capture(seed, reports, 1.0, 0)));
    for i in 1..=reports {
        let t = u64::from(i) * 100_000;
        let n = u64::from(i);
        for (id, name, polls, busy_per_poll) in [
            (0x2000_0100, Some("sensor"), 100, 5_000),
            (0x2000_0200, None, 10, 40_000),
        ] {
            assert!(reporter.task(&TaskRecord {
                timestamp_us: t,
                id,
                name,
                polls: polls * i,
                busy_ticks: u64::from(polls) * n * busy_per_poll,
                wakeups: polls * i - 1,
                ready_latency_total_ticks: (u64::from(polls) * n - 1) * 250,
                ready_latency_max_ticks: 1_000,
                ended: false,
                ticks_per_second: TPS,
            }));
        }
        for (name, count, per_entry) in [("SysTick", 100, 250), ("UART0", 7, 2_000)] {
            assert!(reporter.interrupt(&InterruptRecord {
                timestamp_us: t,
                name,
                count: count * i,
                timed: count * i,
                total_ticks: u64::from(count) * n * per_entry,
                max_ticks: (per_entry * 2) as u32,
                ticks_per_second: TPS,
            }));
        }
    }
    reporter.into_inner().0
}

/// The `iot-perf` binary under test: this build's, or `IOT_PERF_TEST_BIN` when set (to
/// show that a test fails on another build, e.g. main's).
pub fn iot_perf_bin() -> std::path::PathBuf {
    std::env::var_os("IOT_PERF_TEST_BIN")
        .map_or_else(|| env!("CARGO_BIN_EXE_iot-perf").into(), Into::into)
}

/// `iot-perf --db DB` with `IOT_PERF_DB` cleared.
pub fn iot_perf(db: &std::path::Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(iot_perf_bin());
    cmd.env_remove("IOT_PERF_DB").arg("--db").arg(db);
    cmd
}

/// The capture every history test records: 10 snapshots and 30 scope rows.
pub const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");

/// A history written before histories were versioned (schema 0): runs `a` and `b` of the
/// fixture capture, baseline `base` on `a`.
pub const UNVERSIONED_HISTORY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/history-unversioned.sqlite"
);

/// A writable copy of [`UNVERSIONED_HISTORY`] at `dir/old.sqlite` (tests upgrade it).
pub fn copy_of_unversioned_history(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("old.sqlite");
    std::fs::copy(UNVERSIONED_HISTORY, &db).expect("copy the unversioned history fixture");
    db
}
