//! Golden files: `iot-perf export` output compared byte for byte with committed files.
//!
//! After an intended change to the exports, regenerate them with
//! `IOT_PERF_UPDATE_GOLDEN=1 cargo test -p iot-perf --test export_golden` and review the
//! diff.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::Path;

use common::{FIXTURE, iot_perf};

const QEMU_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385.bin"
);
const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
/// The recording start every run is given, so that Influx point times are fixed.
const RECORDED_AT_UNIX_MS: i64 = 1_767_225_600_000;

fn export(db: &Path, run: &str, format: &str) -> Vec<u8> {
    let out = iot_perf(db)
        .args(["export", "--run", run, "--format", format])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Compares `actual` with the golden file `name` (or rewrites it when asked to).
fn golden(name: &str, actual: &[u8]) {
    let path = Path::new(GOLDEN).join(name);
    if std::env::var_os("IOT_PERF_UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with IOT_PERF_UPDATE_GOLDEN=1",
            path.display()
        )
    });
    if expected != actual {
        let (expected, actual) = (
            String::from_utf8_lossy(&expected),
            String::from_utf8_lossy(actual),
        );
        let line = expected
            .lines()
            .zip(actual.lines())
            .position(|(e, a)| e != a)
            .unwrap_or_else(|| expected.lines().count().min(actual.lines().count()));
        panic!(
            "{} differs from the export at line {}:\n  expected: {:?}\n  actual:   {:?}\n(IOT_PERF_UPDATE_GOLDEN=1 regenerates it after an intended change)",
            path.display(),
            line + 1,
            expected.lines().nth(line),
            actual.lines().nth(line)
        );
    }
}

#[test]
fn exports_match_their_golden_files_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    for (run, capture) in [("fixture", FIXTURE), ("qemu", QEMU_FIXTURE)] {
        let out = iot_perf(&db)
            .args(["record", "--run", run, capture])
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute(
            "UPDATE runs SET recorded_at_unix_ms = ?1",
            [RECORDED_AT_UNIX_MS],
        )
        .unwrap();
    for run in ["fixture", "qemu"] {
        for (format, ext) in [("openmetrics", "om"), ("influx", "influx")] {
            let first = export(&db, run, format);
            for _ in 0..5 {
                assert_eq!(export(&db, run, format), first, "{run} {format}: stable");
            }
            golden(&format!("{run}.{ext}"), &first);
        }
    }
}
