//! The README's walk-throughs run exactly as printed, twice in a row, so they cannot rot.
//!
//! Every ` ```sh ` block right after a `<!-- walkthrough: NAME -->` marker in the README
//! is run by bash (`set -euo pipefail`) from the repository root, with this build's
//! `iot-perf` first on `PATH` (what `cargo install --path crates/iot-perf` puts there),
//! the history in a temporary file (`IOT_PERF_DB`) and `CARGO_TARGET_DIR` pointing
//! elsewhere, to show the printed paths do not depend on it. The QEMU block needs
//! `qemu-system-arm` (`.ci/run` installs it); without it this test fails, it does not skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The `lang` block right after `marker` in the README.
fn fenced(marker: &str, lang: &str) -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = &readme[readme
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} missing"))..];
    let fence = format!("```{lang}\n");
    let body = &after[after
        .find(&fence)
        .unwrap_or_else(|| panic!("a {lang} block follows {marker}"))
        + fence.len()..];
    body[..body.find("```").unwrap()].to_owned()
}

/// The `sh` block after `<!-- walkthrough: name -->`.
fn block(name: &str) -> String {
    fenced(&format!("<!-- walkthrough: {name} -->"), "sh")
}

/// The `text` block after `<!-- walkthrough-output: name -->`: output the README shows.
fn shown_output(name: &str) -> String {
    fenced(&format!("<!-- walkthrough-output: {name} -->"), "text")
}

/// Runs `script` as printed; returns stdout and stderr.
fn run(script: &str, db: &Path, target_dir: &Path) -> String {
    let bin = Path::new(env!("CARGO_BIN_EXE_iot-perf"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(format!("set -euo pipefail\n{script}"))
        .current_dir(root())
        .env("PATH", path)
        .env("IOT_PERF_DB", db)
        .env("CARGO_TARGET_DIR", target_dir)
        .output()
        .expect("bash runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "the walk-through failed:\n{script}\n---\n{text}"
    );
    text
}

/// Files the walk-through writes in the repository root (git-ignored `report-*`): checked
/// and removed.
fn take_report(name: &str) -> String {
    let path = root().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
    std::fs::remove_file(path).unwrap();
    text
}

#[test]
fn the_host_walkthrough_runs_as_printed_twice() {
    let script = block("host");
    assert!(
        script.contains("iot-perf runs remove"),
        "it cleans up after itself"
    );
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    for round in 1..=2 {
        let out = run(&script, &db, dir.path());
        assert!(
            out.contains("recorded run first-look: 10 snapshots"),
            "round {round}: {out}"
        );
        assert!(
            out.contains("baseline \"known-good\" now points at run \"first-look\""),
            "{out}"
        );
        assert!(
            out.contains("scope:filter_reading"),
            "compare printed its table: {out}"
        );
        assert!(
            out.contains("# TYPE ") && out.contains("# EOF"),
            "OpenMetrics export: {out}"
        );
        assert!(out.contains("run \"second-look\" removed"), "{out}");
        let json: serde_json::Value =
            serde_json::from_str(&take_report("report-first-look.json")).unwrap();
        assert_eq!(json["schema_version"], 4);
        assert!(take_report("report-first-look.html").contains("<svg id=\"chart-heap\""));
        assert!(take_report("report-second-look.html").contains("id=\"verdict\""));
    }
}

#[test]
fn the_qemu_gate_walkthrough_runs_as_printed_twice_and_catches_the_slower_filter() {
    let qemu = Command::new("qemu-system-arm").arg("--version").output();
    assert!(
        qemu.is_ok_and(|o| o.status.success()),
        "qemu-system-arm is needed: apt-get install qemu-system-arm (.ci/run installs it)"
    );
    let script = block("qemu");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    for round in 1..=2 {
        let out = run(&script, &db, dir.path());
        assert!(
            out.contains("compare exited 3 (3: regression)"),
            "round {round}: {out}"
        );
        assert!(
            out.contains("recorded run gate-pr-42: 10 snapshots"),
            "{out}"
        );
        let html = take_report("report-gate-pr-42.html");
        assert!(
            html.contains("Regression in"),
            "the verdict heads the report"
        );
        assert!(!html.contains("Not reported"), "memory and CPU measured");
        assert!(
            html.contains("<table id=\"task-table\">") && html.contains("<td>SysTick</td>"),
            "per-task and per-interrupt tables"
        );
        // The task and interrupt rows the README shows are the ones it prints.
        let shown = shown_output("qemu");
        assert!(shown.lines().filter(|l| !l.is_empty()).count() >= 5);
        for line in shown.lines().filter(|l| !l.is_empty()) {
            assert!(
                out.lines().any(|printed| printed == line),
                "round {round}: the README shows {line:?}, the walk-through printed:\n{out}"
            );
        }
    }
}
