//! Every figure a person reads carries its unit, in one notation across text, JSON and
//! `--help`; runs can be removed so a walk-through can be repeated; errors say what to do.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::PathBuf;

use assert_cmd::Command;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("iot-perf").unwrap();
        cmd.env_remove("IOT_PERF_DB")
            .arg("--db")
            .arg(self.dir.path().join("h.sqlite"));
        cmd
    }

    fn out(&self, args: &[&str]) -> String {
        let a = self.cmd().args(args).assert().success();
        String::from_utf8_lossy(&a.get_output().stdout).into_owned()
    }

    fn capture(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }
}

#[test]
fn compare_table_and_text_report_carry_units_and_the_decimal_seed() {
    let env = Env::new();
    env.out(&["record", "--run", "a", FIXTURE]);
    env.out(&["record", "--run", "b", FIXTURE]);
    env.out(&["baseline", "save", "main", "--run", "a"]);
    let table = env.out(&["compare", "--baseline", "main", "--run", "b"]);
    let filter = table
        .lines()
        .find(|l| l.contains("scope:filter_reading"))
        .expect("row");
    assert!(filter.contains("481 µs/call"), "{table}");
    let heap = table
        .lines()
        .find(|l| l.contains("heap_used_bytes"))
        .unwrap();
    assert!(heap.contains("8.03 KiB"), "{table}");
    let cpu = table
        .lines()
        .find(|l| l.contains("cpu_utilization"))
        .unwrap();
    assert!(cpu.contains("30.2 %"), "{table}");
    assert!(table.contains("seed 17260269"), "{table}");
    let help = env.out(&["compare", "--help"]);
    assert!(help.contains("[default: 17260269]"), "{help}");

    let text = env.out(&["report", "--run", "b"]);
    assert!(text.contains("10 snapshots over 900 ms"), "{text}");
    assert!(text.contains("mean   8.03 KiB"), "{text}");
    assert!(text.contains("1000       481 ms       481 µs"), "{text}");
}

#[test]
fn json_names_the_unit_of_every_statistic_series_and_gate_setting() {
    let env = Env::new();
    env.out(&["record", "--run", "a", FIXTURE]);
    env.out(&["baseline", "save", "main", "--run", "a"]);
    let json: serde_json::Value = serde_json::from_str(&env.out(&[
        "report",
        "--run",
        "a",
        "--baseline",
        "main",
        "--format",
        "json",
        "--confidence",
        "90",
    ]))
    .unwrap();
    assert_eq!(json["schema_version"], 4);
    assert_eq!(json["system"]["heap_used"]["unit"], "B");
    assert_eq!(json["system"]["stack_used"]["unit"], "B");
    assert_eq!(json["system"]["cpu_utilization"]["unit"], "%");
    assert_eq!(json["system"]["tasks"]["unit"], "tasks");
    assert_eq!(json["system"]["interrupts_per_s"]["unit"], "/s");
    assert_eq!(json["system"]["context_switches_per_s"]["unit"], "/s");
    assert_eq!(json["series"]["heap_used"]["x_unit"], "s");
    assert_eq!(json["series"]["heap_used"]["y_unit"], "B");
    assert_eq!(json["series"]["cpu_utilization"]["y_unit"], "%");
    assert_eq!(json["series"]["scope_means"]["publish"]["y_unit"], "µs");
    assert_eq!(
        json["series"]["heap_used"]["points"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
    assert_eq!(
        json["baseline_series"]["heap_used"]["points"]
            .as_array()
            .map(Vec::len),
        Some(10)
    );
    let gate = &json["comparison"]["gate"];
    assert_eq!(
        gate["confidence_percent"], 90.0,
        "percent, as --confidence takes it"
    );
    assert_eq!(gate["noise_threshold_percent"], 5.0);
    assert_eq!(gate["seed"], 17_260_269);
    assert_eq!(json["comparison"]["metrics"][0]["unit"], "%");
}

#[test]
fn baseline_list_and_runs_print_utc_dates() {
    let env = Env::new();
    env.out(&["record", "--run", "a", FIXTURE]);
    env.out(&["baseline", "save", "main", "--run", "a"]);
    for out in [env.out(&["baseline", "list"]), env.out(&["runs"])] {
        let utc = out.split_whitespace().position(|w| w == "UTC").expect(&out);
        let words: Vec<&str> = out.split_whitespace().collect();
        let (date, time) = (words[utc - 2], words[utc - 1]);
        assert!(
            date.len() == 10 && date.starts_with("20") && date.matches('-').count() == 2,
            "{out}"
        );
        assert!(time.len() == 8 && time.matches(':').count() == 2, "{out}");
    }
}

#[test]
fn a_removed_run_takes_its_data_and_baselines_and_its_name_is_free_again() {
    let env = Env::new();
    env.out(&["record", "--run", "first", FIXTURE]);
    env.out(&["record", "--run", "second", FIXTURE]);
    env.out(&["baseline", "save", "main", "--run", "first"]);
    let out = env.out(&["runs", "remove", "first"]);
    assert!(
        out.contains("run \"first\" removed, with the baselines that pointed at it: main"),
        "{out}"
    );
    let runs = env.out(&["runs", "list"]);
    let names: Vec<&str> = runs
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .collect();
    assert_eq!(names, ["second"], "{runs}");
    assert!(env.out(&["baseline", "list"]).is_empty());
    // The name can be recorded again, and a second removal says what exists.
    env.out(&["record", "--run", "first", FIXTURE]);
    let text = env.out(&["report", "--run", "first"]);
    assert!(text.contains("10 snapshots"), "{text}");
    env.out(&["runs", "remove", "first"]);
    let a = env.cmd().args(["runs", "remove", "first"]).assert().code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("no run named \"first\""), "{err}");
    // Leak captures keep working after removals: the remaining run is intact.
    let leaky = env.capture("l.bin", &common::capture(2, 20, 1.0, 200));
    env.cmd()
        .args(["record", "--run", "leaky"])
        .arg(leaky)
        .assert()
        .success();
    assert!(env.out(&["runs"]).contains("leaky"));
}

#[test]
fn errors_say_what_to_do() {
    let env = Env::new();
    let a = env
        .cmd()
        .args(["compare", "--baseline", "main", "--run", "x"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    // No history yet: the read command creates none and says what to do.
    assert!(
        err.contains("no such history") && err.contains("record a run first"),
        "{err}"
    );
    let a = env
        .cmd()
        .args([
            "compare",
            "--baseline",
            "main",
            "--run",
            "x",
            "--threshold",
            "-5",
        ])
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("the threshold must be between 0 and 1000 %"),
        "{err}"
    );
}

#[test]
fn a_failed_command_or_a_port_that_is_no_serial_port_says_what_happened() {
    let env = Env::new();
    let a = env
        .cmd()
        .args(["record", "--run", "x", "--exec", "false"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(err.contains("false exited with exit status: 1"), "{err}");
    assert!(err.contains("nothing was stored"), "{err}");
    assert!(!err.contains("kept"), "nothing was kept: {err}");
    let a = env
        .cmd()
        .args(["record", "--run", "x", "--serial", "/dev/null"])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        err.contains("serial ports on this machine:") || err.contains("no serial ports found"),
        "{err}"
    );
}
