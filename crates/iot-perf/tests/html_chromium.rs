//! The HTML report opens in headless Chromium at 760 px and at 1280 px without script
//! errors or horizontal overflow, every chart draws data, and a comparison shows its
//! verdict, its chart and its table at the top. Screenshots of each page at both widths
//! are kept under the target directory (`html-screenshots/`) for a person to look at.
//!
//! Needs Debian's `chromium` (`.ci/run` installs it; locally `apt-get install -y
//! chromium`): without a browser this test fails, it does not skip.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;
mod trace_capture;

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
/// Wire version 2: the QEMU example with its Embassy task and SysTick handler rows.
const QEMU_TASKS_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v2-qemu-mps2-an385-tasks.bin"
);
/// `examples/qemu-trace` recorded with `iot-perf record --exec qemu-system-arm …`: three
/// Embassy tasks and a 1 kHz timer interrupt traced for 60 ms, without loss.
const QEMU_TRACE_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v2-qemu-mps2-an385-trace.bin"
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
    assert!(
        !dom.contains("Not reported: this capture has no snapshots"),
        "memory and CPU are measured"
    );
    // A version-1 capture has no per-task rows, and says so.
    assert!(dom.contains("Not reported: this capture has no task rows"));
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

/// The value of attribute `key` on the element with `id="timeline"` in `dom`.
fn timeline_attr(dom: &str, key: &str) -> String {
    let tl = &dom[dom.find("<div id=\"timeline\"").expect("timeline")..];
    let tag = &tl[..tl.find('>').unwrap()];
    let start = tag
        .find(&format!("{key}=\""))
        .unwrap_or_else(|| panic!("{key} missing: {tag}"))
        + key.len()
        + 2;
    tag[start..start + tag[start..].find('"').unwrap()].to_owned()
}

#[test]
fn a_traced_run_gets_a_timeline_with_lanes_slices_gaps_and_zoom() {
    let browser = chromium();
    let h = History::new();
    let capture = h.dir.path().join("traced.bin");
    std::fs::write(
        &capture,
        trace_capture::capture(&common::capture(3, 5, 1.0, 0), Some(90)),
    )
    .unwrap();
    h.record("traced", &capture);
    let html = h.html("traced", None);
    // The report's five charts, the CPU load per interval and the user values.
    let dom = check_page(browser, &html, "trace-timeline", 7);
    assert_eq!(
        lanes(&dom),
        ["main", "executor", "task 0", "task 1", "task 2", "ISR 7"],
        "one lane per context, in order"
    );
    let slices = dom.matches("<rect class=\"slice").count();
    assert!(slices > 300, "{slices} slices");
    assert!(
        dom.contains("data-name=\"filter_reading\""),
        "scope slots named from the scope table"
    );
    assert!(dom.contains("class=\"slice cut\""), "slices cut by a gap");
    let gaps: Vec<&str> = dom
        .split("class=\"gap\" data-t=\"")
        .skip(1)
        .map(|g| {
            let lost = g.find("data-lost=\"").unwrap() + 11;
            &g[lost..lost + g[lost..].find('"').unwrap()]
        })
        .collect();
    assert_eq!(
        gaps.len(),
        2,
        "the overflow and the damaged frame: {gaps:?}"
    );
    assert!(gaps.contains(&"unknown") && gaps.iter().any(|g| g.parse::<u32>().is_ok()));
    // The whole trace is in view at first.
    assert_eq!(timeline_attr(&dom, "data-view-start"), "0.000");
    assert_eq!(
        timeline_attr(&dom, "data-view-end"),
        timeline_attr(&dom, "data-span")
    );
    assert_eq!(
        timeline_attr(&dom, "data-visible-slices"),
        slices.to_string()
    );
    for table in ["trace-tasks", "trace-isrs"] {
        assert!(dom.contains(&format!("<table id=\"{table}\">")), "{table}");
    }
    let tasks = &dom[dom.find("<table id=\"trace-tasks\">").unwrap()..];
    let tasks = &tasks[..tasks.find("</table>").unwrap()];
    // Task 0 ran in 40 cycles, 11 900 ticks (476 µs) a poll, 40 µs of it in ISR 7: none of
    // its polls was in the overflow or the damaged frame.
    assert!(
        tasks.contains(
            "<td>task 0</td><td>40</td><td>19.0 ms</td><td>8.0 %</td><td>1.60 ms</td><td>40</td>"
        ),
        "{tasks}"
    );
    assert!(dom.contains("<td>ISR 7</td><td>1"), "ISR runs counted");

    // Zoomed to 2..6 ms: that range only, fewer slices, the axis in ms.
    let zoomed = PathBuf::from(format!("{}#timeline=2000,6000", html.display()));
    let out = headless(browser, 1280, &["--dump-dom".into()], &zoomed);
    let zdom = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(timeline_attr(&zdom, "data-view-start"), "2000.000");
    assert_eq!(timeline_attr(&zdom, "data-view-end"), "6000.000");
    let visible: usize = timeline_attr(&zdom, "data-visible-slices").parse().unwrap();
    assert!(
        visible > 0 && visible * 10 < slices,
        "{visible} of {slices} slices in 4 ms of 240"
    );
    assert!(zdom.contains(" ms</text>"), "axis labels in ms");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-screenshots");
    let png = shots.join("trace-timeline-zoomed-1280.png");
    let _ = std::fs::remove_file(&png);
    headless(
        browser,
        1280,
        &[format!("--screenshot={}", png.display())],
        &zoomed,
    );
    assert!(std::fs::read(&png).unwrap().starts_with(b"\x89PNG"));
}

#[test]
fn the_qemu_trace_draws_named_task_lanes_and_the_timer_without_gaps() {
    let h = History::new();
    h.record("qemu-trace", Path::new(QEMU_TRACE_FIXTURE));
    // Timeline load and values, the scope charts, heap and CPU.
    let dom = check_page(
        chromium(),
        &h.html("qemu-trace", None),
        "qemu-trace-timeline",
        7,
    );
    let lane = |name: &str| -> &str {
        let start = dom
            .find(&format!("<g class=\"lane\" data-lane=\"{name}\">"))
            .unwrap_or_else(|| panic!("no lane {name}"));
        &dom[start..start + dom[start..].find("</g>").unwrap()]
    };
    assert_eq!(
        lanes(&dom),
        [
            "executor",
            "task main",
            "sensor",
            "filter",
            "report",
            "ISR timer"
        ],
        "lanes named from the run's task and interrupt rows"
    );
    // Each task's polls, with its scope nested in every poll (the device counted 30, 20
    // and 12 polls and 60 timer runs in its task table and IsrStats).
    for (name, polls, scope) in [
        ("sensor", 30, "sensor.read"),
        ("filter", 20, "filter.run"),
        ("report", 12, "report.send"),
    ] {
        let lane = lane(name);
        assert_eq!(lane.matches("data-name=\"poll\"").count(), polls, "{name}");
        assert_eq!(
            lane.matches(&format!("data-name=\"{scope}\"")).count(),
            polls,
            "{name}"
        );
    }
    assert_eq!(lane("ISR timer").matches("<rect class=\"slice").count(), 60);
    assert!(!dom.contains("class=\"gap\""), "a lossless run has no gap");
    assert!(!dom.contains("class=\"slice cut\""), "nothing cut");
    let tasks = table_rows(&dom, "trace-tasks");
    let sensor = tasks
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "sensor"))
        .expect("sensor row");
    assert_eq!((sensor[1].as_str(), sensor[5].as_str()), ("30", "30"));
    let isrs = table_rows(&dom, "trace-isrs");
    assert!(
        isrs.iter()
            .any(|r| r.len() > 1 && r[0] == "ISR timer" && r[1] == "60"),
        "{isrs:?}"
    );
}

/// The timeline's lane names, top to bottom.
fn lanes(dom: &str) -> Vec<&str> {
    dom.split("class=\"lane\" data-lane=\"")
        .skip(1)
        .map(|l| &l[..l.find('"').unwrap()])
        .collect()
}

/// The rows of the `<table id="{id}">` in `dom`, each as its cells' text.
fn table_rows(dom: &str, id: &str) -> Vec<Vec<String>> {
    let table = &dom[dom
        .find(&format!("<table id=\"{id}\">"))
        .unwrap_or_else(|| panic!("table {id} missing"))..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td>")
                .skip(1)
                .map(|cell| cell[..cell.find("</td>").unwrap()].to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn the_qemu_example_with_tasks_shows_a_row_per_task_and_per_handler() {
    let browser = chromium();
    let h = History::new();
    h.record("qemu", Path::new(QEMU_TASKS_FIXTURE));
    let html = h.html("qemu", None);
    // mean per call, time per interval, call-time range, heap, CPU
    let dom = check_page(browser, &html, "qemu-tasks", 5);
    assert!(!dom.contains("Not reported"), "every section is measured");
    let tasks = table_rows(&dom, "task-table");
    let header = &dom[dom.find("<table id=\"task-table\">").unwrap()..];
    assert!(
        header.starts_with("<table id=\"task-table\"><tbody><tr><th>task</th><th>polls</th><th>busy</th><th>busy %</th>"),
        "{header:.300}"
    );
    let names: Vec<&str> = tasks[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(names, ["sensor", "main"], "most busy first");
    let sensor = &tasks[1];
    assert_eq!(sensor.len(), 8);
    assert_eq!(sensor[1], "200", "one poll per reading");
    for (cell, unit) in [(2, "s"), (3, "%"), (4, "s"), (6, "s"), (7, "s")] {
        assert!(sensor[cell].ends_with(unit), "{cell}: {sensor:?}");
    }
    let isrs = table_rows(&dom, "isr-table");
    assert_eq!(isrs.len(), 2, "a header and SysTick: {isrs:?}");
    assert_eq!(isrs[1][0], "SysTick");
    assert!(isrs[1][2].ends_with(" µs"), "{isrs:?}");
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
