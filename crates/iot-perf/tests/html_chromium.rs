//! The HTML report opens in headless Chromium without script errors and its charts render.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it). Locally, without it, the test says so
//! and passes; under CI (`CI` set) a missing browser is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::process::Command;

use assert_cmd::Command as BinCommand;

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");
const QEMU_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385.bin"
);

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
}

/// Records `capture`, renders its HTML report, loads it in `browser`; returns the DOM.
fn rendered_dom(browser: &str, capture: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let html = dir.path().join("report.html");
    let iot_perf = || {
        let mut c = BinCommand::cargo_bin("iot-perf").unwrap();
        c.arg("--db").arg(&db);
        c
    };
    iot_perf()
        .args(["record", "--run", "capture", capture])
        .assert()
        .success();
    iot_perf()
        .args(["report", "--run", "capture", "--format", "html", "--output"])
        .arg(&html)
        .assert()
        .success();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn html_report_renders_its_charts_in_headless_chromium() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is required in CI"
        );
        eprintln!("skipped: no chromium on this machine (apt-get install chromium)");
        return;
    };
    let dom = rendered_dom(browser, FIXTURE);
    // Set by the report's own check once the page has loaded: every chart has a plot with
    // a non-empty bounding box, and no script error happened.
    assert!(
        dom.contains("data-charts-total=\"4\""),
        "charts missing: {dom:.2000}"
    );
    assert!(
        dom.contains("data-charts-rendered=\"4\""),
        "charts not rendered: {dom:.2000}"
    );
    assert!(
        dom.contains("data-errors=\"0\""),
        "script errors: {dom:.2000}"
    );
    for id in [
        "chart-scope-mean",
        "chart-scope-time",
        "chart-heap",
        "chart-cpu",
    ] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing");
    }

    // A capture without snapshots (the QEMU example) says so instead of drawing empty charts.
    let dom = rendered_dom(browser, QEMU_FIXTURE);
    assert!(dom.contains("data-charts-total=\"2\""), "{dom:.2000}");
    assert!(dom.contains("data-charts-rendered=\"2\""), "{dom:.2000}");
    assert!(dom.contains("data-errors=\"0\""), "{dom:.2000}");
    assert!(dom.contains("Not reported: this capture has no snapshots."));
}
