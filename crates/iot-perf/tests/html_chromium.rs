//! The HTML report opens in headless Chromium at 760 px and at 1280 px without script
//! errors or horizontal overflow, every chart draws data, and a comparison shows its
//! verdict, its chart and its table at the top. Screenshots of each page at both widths
//! are kept under the target directory (`html-screenshots/`) for a person to look at.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it; locally `apt-get install -y
//! chromium`): without a browser this test fails, it does not skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use assert_cmd::Command as BinCommand;

const QEMU_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385.bin"
);
const QEMU_SNAPSHOT_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385-snapshots.bin"
);
const WIDTHS: [u32; 2] = [760, 1280];

fn chromium() -> &'static str {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|name| {
            Command::new(name)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("no chromium on this machine: `apt-get install -y chromium` (.ci/run installs it)")
}

struct History {
    dir: tempfile::TempDir,
}

impl History {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn iot_perf(&self, args: &[&str]) {
        BinCommand::cargo_bin("iot-perf")
            .unwrap()
            .env_remove("IOT_PERF_DB")
            .arg("--db")
            .arg(self.dir.path().join("h.sqlite"))
            .args(args)
            .assert()
            .success();
    }

    fn record(&self, run: &str, capture: &Path) {
        self.iot_perf(&["record", "--run", run, capture.to_str().unwrap()]);
    }

    /// The HTML report of `run` (against `baseline` when given), written to a file.
    fn html(&self, run: &str, baseline: Option<&str>) -> PathBuf {
        let out = self.dir.path().join(format!("{run}.html"));
        let mut args = vec!["report", "--run", run, "--format", "html", "-o"];
        args.push(out.to_str().unwrap());
        if let Some(b) = baseline {
            args.extend(["--baseline", b]);
        }
        self.iot_perf(&args);
        out
    }
}

fn headless(browser: &str, width: u32, extra: &[String], html: &Path) -> std::process::Output {
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
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--window-size={width},1600"))
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", html.display()))
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// Loads `html` at each width: screenshots it as `name-<width>.png`, checks the page's
/// own verdict (charts drawn, no overflow, no script error) and returns the DOM at 760 px.
fn check_page(browser: &str, html: &Path, name: &str, charts: usize) -> String {
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let mut first = None;
    for width in WIDTHS {
        let dom = headless(browser, width, &["--dump-dom".into()], html);
        let dom = String::from_utf8_lossy(&dom.stdout).into_owned();
        let attr = |key: &str| -> String {
            let start = dom
                .find(&format!("{key}=\""))
                .unwrap_or_else(|| panic!("{key} missing at {width} px: {dom:.1500}"))
                + key.len()
                + 2;
            dom[start..start + dom[start..].find('"').unwrap()].to_owned()
        };
        assert_eq!(
            attr("data-viewport-px"),
            width.to_string(),
            "{name}: laid out at {width} px"
        );
        assert_eq!(
            attr("data-charts-total"),
            charts.to_string(),
            "{name} at {width} px"
        );
        assert_eq!(
            attr("data-charts-rendered"),
            charts.to_string(),
            "{name} at {width} px: a chart without data"
        );
        assert_eq!(
            attr("data-overflow-px"),
            "0",
            "{name} overflows horizontally at {width} px"
        );
        assert_eq!(
            attr("data-errors"),
            "0",
            "{name}: script errors at {width} px"
        );
        let png = shots.join(format!("{name}-{width}.png"));
        let _ = std::fs::remove_file(&png);
        headless(
            browser,
            width,
            &[format!("--screenshot={}", png.display())],
            html,
        );
        let bytes = std::fs::read(&png).expect("screenshot written");
        assert!(
            bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000,
            "{}",
            png.display()
        );
        first.get_or_insert(dom);
    }
    first.unwrap()
}

#[test]
fn a_comparison_report_shows_its_verdict_chart_and_table_at_both_widths() {
    let browser = chromium();
    let h = History::new();
    let base = h.dir.path().join("base.bin");
    let slow = h.dir.path().join("slow.bin");
    std::fs::write(&base, common::capture(1, 20, 1.0, 0)).unwrap();
    std::fs::write(&slow, common::capture(2, 20, 1.3, 0)).unwrap();
    h.record("base-run", &base);
    h.record("slow-run", &slow);
    h.iot_perf(&["baseline", "save", "main", "--run", "base-run"]);
    let html = h.html("slow-run", Some("main"));
    // comparison, mean per call, time per interval, call-time range, heap, CPU
    let dom = check_page(browser, &html, "comparison", 6);
    let verdict = dom.find("id=\"verdict\"").expect("verdict");
    let scope_chart = dom.find("id=\"chart-scope-mean\"").expect("scope chart");
    assert!(
        verdict < scope_chart,
        "the verdict comes before the details"
    );
    assert!(
        dom[verdict..].starts_with("id=\"verdict\">Regression in 3 metrics"),
        "{:.300}",
        &dom[verdict..]
    );
    for metric in ["scope:filter_reading", "scope:publish", "scope:read_sensor"] {
        assert!(
            dom.contains(&format!(
                "class=\"series verdict-regressed\" data-metric=\"{metric}\""
            )),
            "{metric} drawn as regressed"
        );
    }
    let table = &dom[dom
        .find("<table id=\"comparison\"")
        .expect("comparison table")..];
    let table = &table[..table.find("</table>").unwrap()];
    assert_eq!(
        table.matches("<tr>").count(),
        6,
        "a header and 5 metrics: {table}"
    );
    assert!(
        table.contains("<td class=\"regressed\">REGRESSION</td>"),
        "{table}"
    );
    assert!(table.contains("µs/call"), "{table}");
    // The baseline is drawn (dashed) under this run in the time charts.
    for chart in ["chart-scope-time", "chart-heap", "chart-cpu"] {
        let svg = &dom[dom.find(&format!("id=\"{chart}\"")).unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        assert!(
            svg.contains("class=\"series baseline\""),
            "{chart}: no baseline"
        );
        assert!(svg.contains("class=\"series\""), "{chart}: no run");
    }
    // One colour per scope in every chart.
    let fill = |chart: &str, scope: &str| -> String {
        let svg = &dom[dom.find(&format!("id=\"{chart}\"")).unwrap()..];
        let svg = &svg[..svg.find("</svg>").unwrap()];
        let at = svg
            .find(&format!(">{scope}<"))
            .unwrap_or_else(|| panic!("{scope} in {chart}"));
        let rest = &svg[at..];
        let c = rest.find("fill=\"#").unwrap() + 6;
        rest[c..c + 7].to_owned()
    };
    for scope in ["filter_reading", "publish", "read_sensor"] {
        assert_eq!(
            fill("chart-scope-mean", scope),
            fill("chart-scope-range", scope),
            "{scope}"
        );
        let time = &dom[dom.find("id=\"chart-scope-time\"").unwrap()..];
        let stroke = time.find(&format!("data-series=\"{scope}\"")).unwrap();
        let stroke = &time[stroke..];
        let c = stroke.find("stroke=\"#").unwrap() + 8;
        assert_eq!(
            stroke[c..c + 7],
            fill("chart-scope-mean", scope),
            "{scope} in the time chart"
        );
    }
}

#[test]
fn a_short_qemu_run_gets_a_microsecond_axis_and_says_what_it_did_not_measure() {
    let browser = chromium();
    let h = History::new();
    h.record("qemu", Path::new(QEMU_FIXTURE));
    let html = h.html("qemu", None);
    let dom = check_page(browser, &html, "qemu-scopes-only", 3);
    assert!(
        dom.contains("time since start (µs)"),
        "a 0.3 ms run is labelled in µs"
    );
    let ticks: Vec<&str> = dom
        .split("x-tick\">")
        .skip(1)
        .map(|t| &t[..t.find('<').unwrap()])
        .collect();
    let mut distinct = ticks.clone();
    distinct.dedup();
    assert!(
        ticks.len() >= 3 && distinct.len() == ticks.len(),
        "{ticks:?}"
    );
    assert!(dom.contains("Not reported: this capture has no snapshots."));
}

#[test]
fn the_qemu_example_with_snapshots_fills_the_memory_and_cpu_sections() {
    let browser = chromium();
    let h = History::new();
    h.record("qemu", Path::new(QEMU_SNAPSHOT_FIXTURE));
    let html = h.html("qemu", None);
    let dom = check_page(browser, &html, "qemu-snapshots", 5);
    assert!(!dom.contains("Not reported"), "memory and CPU are measured");
    for id in ["chart-heap", "chart-cpu"] {
        assert!(dom.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(dom.contains("Stack in use: min"), "stack figures");
    let tasks = &dom[dom
        .find("<table id=\"tasks\">")
        .expect("tasks and interrupts")..];
    assert!(
        tasks.contains("<td>interrupts</td><td>1000.0/s</td>"),
        "{tasks:.400}"
    );
    assert!(tasks.contains("<td>tasks</td><td>1</td>"), "{tasks:.400}");
}

#[test]
fn a_fleet_comparison_page_shows_its_verdict_and_chart_at_both_widths() {
    use iot_performance::wire::{MAX_HEARTBEAT_FRAME_LEN, SimulatedDevice, encode_heartbeat};
    let browser = chromium();
    let h = History::new();
    let mut frames = Vec::new();
    for (firmware, slow) in [("1.2.0", 1.0), ("1.3.0", 1.3)] {
        for d in 0..12u64 {
            let name = format!("{firmware}-{d}");
            let mut device = SimulatedDevice::new(&name, firmware, "revB", "", d)
                .with_scope("read_sensor", 1_000.0 * slow, 0.25)
                .with_scope("publish", 4_000.0, 0.3);
            let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
            let len = encode_heartbeat(&device.next_heartbeat(), &mut buf).unwrap();
            frames.extend_from_slice(&buf[..len]);
        }
    }
    let capture = h.dir.path().join("fleet.bin");
    std::fs::write(&capture, frames).unwrap();
    h.iot_perf(&["fleet", "import", capture.to_str().unwrap()]);
    let html = h.dir.path().join("fleet.html");
    BinCommand::cargo_bin("iot-perf")
        .unwrap()
        .env_remove("IOT_PERF_DB")
        .arg("--db")
        .arg(h.dir.path().join("h.sqlite"))
        .args([
            "fleet",
            "compare",
            "--cohort",
            "firmware=1.2.0",
            "--cohort",
            "firmware=1.3.0",
        ])
        .args(["--resamples", "200", "--html", html.to_str().unwrap()])
        .assert()
        .code(3);
    let dom = check_page(browser, &html, "fleet", 1);
    let verdict = dom.find("id=\"verdict\"").expect("verdict");
    assert!(
        dom[verdict..].starts_with("id=\"verdict\">Regression in 3 metrics"),
        "{:.300}",
        &dom[verdict..]
    );
    assert!(
        dom.contains("data-metric=\"scope:read_sensor p90\""),
        "p90 drawn"
    );
}
