//! `iot-perf fleet`: a simulated fleet's heartbeats imported into a history, cohorts
//! compared by firmware, group and time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;
mod fleet_data;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::iot_perf;
use fleet_data::{fleet, fleet_with_heap};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn run(db: &Path, args: &[&str]) -> Output {
    iot_perf(db).args(args).output().expect("run iot-perf")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn compare(db: &Path, a: &str, b: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "fleet",
        "compare",
        "--cohort",
        a,
        "--cohort",
        b,
        "--resamples",
        "500",
    ];
    args.extend_from_slice(extra);
    run(db, &args)
}

#[test]
fn a_release_slowing_a_third_of_the_fleet_exits_3_and_names_the_scope() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fleet.sqlite");
    let old = write(
        dir.path(),
        "old.bin",
        &fleet(90, "1.2.0", "ring-1", 1, None),
    );
    let new = write(
        dir.path(),
        "new.bin",
        &fleet(90, "1.3.0", "ring-2", 2, Some(3)),
    );
    let out = run(
        &db,
        &[
            "fleet",
            "import",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("360 heartbeats stored, 0 already stored, 0 frames rejected"),
        "{}",
        stdout(&out)
    );
    // Imported twice (an MQTT redelivery): nothing is stored twice.
    let out = run(&db, &["fleet", "import", old.to_str().unwrap()]);
    assert!(
        stdout(&out).contains("0 heartbeats stored, 180 already stored"),
        "{}",
        stdout(&out)
    );

    let out = compare(&db, "firmware=1.2.0", "firmware=1.3.0", &[]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}\n{}",
        stdout(&out),
        stderr(&out)
    );
    let text = stdout(&out);
    let line = text
        .lines()
        .find(|l| l.contains("read_sensor") && l.contains("p90"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with("REGRESSION"), "{line}");
    for l in text.lines().filter(|l| l.contains("publish")) {
        assert!(l.ends_with("no change"), "{l}");
    }

    let out = compare(
        &db,
        "firmware=1.2.0",
        "firmware=1.3.0,hardware=revB",
        &["--json"],
    );
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["regressed"], true);
    assert_eq!(json["cohorts"][1]["devices"], 90);
    let read = json["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == "read_sensor")
        .unwrap();
    let p90 = read["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["percentile"] == 90.0)
        .unwrap();
    assert_eq!(p90["verdict"], "regressed");
    let low = p90["change_interval_percent"][0].as_f64().unwrap();
    assert!(low > 2.0, "{p90}");
    let metrics: Vec<(&str, &str)> = json["device_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["metric"].as_str().unwrap(),
                m["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        metrics,
        [
            ("heap_peak", "no_significant_change"),
            ("stack_peak", "no_significant_change"),
            ("cpu_mean", "no_significant_change")
        ]
    );

    // The HTML page carries the verdict, the chart and the table.
    let page = dir.path().join("fleet.html");
    let out = compare(
        &db,
        "firmware=1.2.0",
        "firmware=1.3.0",
        &["--html", page.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(3));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("id=\"verdict\"") && html.contains("scope:read_sensor p90"),
        "{html}"
    );
    assert!(
        html.contains("<svg") && html.contains("heap_used_bytes"),
        "{html}"
    );

    // The same comparison by group, and nothing in a time range before the import.
    assert_eq!(
        compare(&db, "group=ring-1", "group=ring-2", &[])
            .status
            .code(),
        Some(3)
    );
    let out = compare(
        &db,
        "firmware=1.2.0",
        "firmware=1.3.0",
        &["--until", "1000"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("has no heartbeat"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn same_firmware_cohorts_stay_quiet_over_several_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fleet.sqlite");
    for seed in 0..4u64 {
        let a = format!("a{seed}");
        let b = format!("b{seed}");
        let fa = write(
            dir.path(),
            "a.bin",
            &fleet(60, "1.2.0", &a, 100 + 2 * seed, None),
        );
        let fb = write(
            dir.path(),
            "b.bin",
            &fleet(60, "1.2.0", &b, 101 + 2 * seed, None),
        );
        let out = run(
            &db,
            &[
                "fleet",
                "import",
                fa.to_str().unwrap(),
                fb.to_str().unwrap(),
            ],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let out = compare(&db, &format!("group={a}"), &format!("group={b}"), &[]);
        assert_eq!(out.status.code(), Some(0), "seed {seed}:\n{}", stdout(&out));
        assert!(!stdout(&out).contains("REGRESSION"), "{}", stdout(&out));
    }
}

#[test]
fn a_release_raising_the_heap_peak_is_caught_per_device() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fleet.sqlite");
    let old = write(dir.path(), "old.bin", &fleet(40, "2.0.0", "g", 7, None));
    let new = write(
        dir.path(),
        "new.bin",
        &fleet_with_heap(40, "2.1.0", "g", 8, None, 1.2),
    );
    let out = run(
        &db,
        &[
            "fleet",
            "import",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = compare(&db, "firmware=2.0.0", "firmware=2.1.0", &[]);
    assert_eq!(out.status.code(), Some(3), "{}", stdout(&out));
    let text = stdout(&out);
    let heap = text.lines().find(|l| l.contains("heap_peak")).unwrap();
    assert!(heap.ends_with("REGRESSION"), "{heap}");
    assert!(
        !text
            .lines()
            .any(|l| l.contains("read_sensor") && l.ends_with("REGRESSION")),
        "{text}"
    );
}

#[test]
fn cohort_errors_and_old_histories() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::copy_of_unversioned_history(dir.path());
    // Reading an older history: no heartbeats, said so, and the file is not upgraded.
    let out = compare(&db, "firmware=1.2.0", "firmware=1.3.0", &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("holds no heartbeats at all"),
        "{}",
        stderr(&out)
    );
    let out = run(&db, &["fleet", "compare", "--cohort", "firmware=1.2.0"]);
    assert!(
        stderr(&out).contains("exactly two --cohort"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &db,
        &[
            "fleet",
            "compare",
            "--cohort",
            "colour=red",
            "--cohort",
            "firmware=1",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "usage error");
    // Importing upgrades it; its runs stay readable.
    let frames = write(dir.path(), "f.bin", &fleet(2, "1.2.0", "g", 5, None));
    let out = run(&db, &["fleet", "import", frames.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("upgraded it to schema 2"),
        "{}",
        stderr(&out)
    );
    assert!(run(&db, &["runs"]).status.success());
    assert!(run(&db, &["check"]).status.success());
}
