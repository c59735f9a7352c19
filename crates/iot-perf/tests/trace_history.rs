//! `iot-perf record` stores the trace frames of a UART capture beside its records (text
//! and a damaged frame on the link, an overflow on the device), and `iot-perf export
//! --format perfetto` lays the stored trace out with the run's clock rate and scope names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;
mod trace_capture;

use iot_performance::trace::Chunk;
use iot_performance::wire::decode_trace_frame;
use serde_json::Value;

fn run(db: &std::path::Path, args: &[&str]) -> std::process::Output {
    common::iot_perf(db).args(args).output().unwrap()
}

fn ok(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_recorded_trace_exports_to_perfetto_with_names_clock_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let capture = dir.path().join("uart.bin");
    let damaged = 90;
    std::fs::write(
        &capture,
        trace_capture::capture(&common::capture(3, 5, 1.0, 0), Some(damaged)),
    )
    .unwrap();
    let out = ok(&run(
        &db,
        &["record", "--run", "traced", capture.to_str().unwrap()],
    ));
    assert!(out.contains("5 snapshots, 15 scope rows"), "{out}");
    // Every trace frame between the text is kept: the events and losses are exactly
    // those of the frames the device sent, less the damaged one.
    let line = out.lines().find(|l| l.starts_with("trace: ")).expect(&out);
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|w| w.parse().ok())
        .collect();
    let (events, gaps, lost) = (numbers[0], numbers[1], numbers[2]);
    let (mut sent, mut sent_lost) = (0, 0);
    for (i, mut frame) in trace_capture::trace_frames().into_iter().enumerate() {
        if i == damaged {
            continue;
        }
        let end = frame.len() - 1;
        let chunk = decode_trace_frame(&mut frame[..end]).unwrap();
        let chunk = Chunk::parse(chunk).unwrap();
        sent_lost += u64::from(chunk.lost());
        sent += chunk.count() as u64;
    }
    assert_eq!((events, lost), (sent, sent_lost), "{line}");
    assert_eq!(gaps, 2, "the overflow and the damaged frame: {line}");
    let json = dir.path().join("trace.json");
    let export = run(
        &db,
        &[
            "export",
            "--format",
            "perfetto",
            "-o",
            json.to_str().unwrap(),
        ],
    );
    ok(&export);
    let stderr = String::from_utf8_lossy(&export.stderr);
    assert!(
        stderr.contains(&format!(
            "{events} events, {lost} lost on the device, 1 damaged"
        )),
        "{stderr}"
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    let trace = doc["traceEvents"].as_array().unwrap();
    // Scope slot 1 is the second row of the scope table: filter_reading. At 25 MHz, cycle
    // 1 (task 1) enters it at 50 200 ticks = 2008 µs and leaves at 61 000 = 2440 µs.
    let slice = trace
        .iter()
        .find(|e| e["name"] == "filter_reading" && e["ph"] == "X")
        .unwrap_or_else(|| panic!("no filter_reading slice"));
    assert_eq!(slice["tid"], 1_001, "on task 1's track");
    assert_eq!(slice["ts"].as_f64(), Some(2008.0));
    assert_eq!(slice["dur"].as_f64(), Some(432.0));
    let gaps: Vec<&str> = trace
        .iter()
        .filter(|e| e["ph"] == "i" && e["s"] == "g")
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        gaps,
        [
            format!("gap: {lost} events lost").as_str(),
            "gap: corrupt frame"
        ]
    );
    assert!(
        trace
            .iter()
            .any(|e| e["ph"] == "X" && e["args"]["cut_by_gap"] == true),
        "a slice open at a gap says so"
    );
    let counters = trace.iter().filter(|e| e["ph"] == "C").count();
    assert!(counters > 100, "{counters} values");
    let tracks: Vec<&str> = trace
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    for track in ["task 0", "task 1", "task 2", "ISR 7", "executor"] {
        assert!(tracks.contains(&track), "{track} in {tracks:?}");
    }

    // The run's trace goes with the run.
    ok(&run(&db, &["runs", "remove", "traced"]));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM trace_chunks", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn a_run_without_a_trace_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let capture = dir.path().join("plain.bin");
    std::fs::write(&capture, common::capture(1, 3, 1.0, 0)).unwrap();
    let out = ok(&run(
        &db,
        &["record", "--run", "plain", capture.to_str().unwrap()],
    ));
    assert!(!out.contains("trace:"), "{out}");
    let out = run(&db, &["export", "--format", "perfetto"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("run \"plain\" has no trace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_history_from_before_traces_is_upgraded_and_then_keeps_one() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::copy_of_unversioned_history(dir.path());
    // Read as it is: its runs have no trace.
    let out = run(&db, &["export", "--format", "perfetto", "--run", "a"]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("has no trace"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let capture = dir.path().join("uart.bin");
    std::fs::write(
        &capture,
        trace_capture::capture(&common::capture(3, 5, 1.0, 0), None),
    )
    .unwrap();
    let out = common::iot_perf(&db)
        .args(["record", "--run", "t", capture.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("upgraded it to schema"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(ok(&out).contains("trace: "));
    let json = ok(&run(&db, &["export", "--format", "perfetto", "--run", "t"]));
    let doc: Value = serde_json::from_str(&json).unwrap();
    assert!(doc["traceEvents"].as_array().unwrap().len() > 500);
    let check = run(&db, &["check"]);
    assert!(ok(&check).contains("intact"));
}

#[test]
fn a_trace_without_a_session_needs_the_clock_rate_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let capture = dir.path().join("trace-only.bin");
    std::fs::write(&capture, trace_capture::trace_frames().concat()).unwrap();
    let out = ok(&run(
        &db,
        &["record", "--run", "bare", capture.to_str().unwrap()],
    ));
    assert!(out.contains("0 snapshots, 0 scope rows"), "{out}");
    assert!(out.contains("trace: "), "{out}");
    let out = run(&db, &["export", "--format", "perfetto"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give --ticks-per-second"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json = ok(&run(
        &db,
        &[
            "export",
            "--format",
            "perfetto",
            "--ticks-per-second",
            "25000000",
        ],
    ));
    // Without a scope table, scopes keep their slot numbers.
    assert!(json.contains("\"name\":\"scope 1\""), "{json:.400}");
    let html = ok(&run(&db, &["report", "--format", "html"]));
    assert!(
        html.contains("has a trace but does not say its clock rate"),
        "{html:.400}"
    );
}

/// `examples/qemu-trace` on mps2-an385, recorded with `iot-perf record --exec
/// qemu-system-arm …` (its stdout): three Embassy tasks and a 1 kHz timer interrupt
/// for 60 ms. On the device its checks found 30, 20 and 12 polls and 60 timer runs.
const QEMU_TRACE_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v2-qemu-mps2-an385-trace.bin"
);

#[test]
fn the_qemu_trace_exports_its_tasks_and_timer_as_named_tracks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let out = ok(&run(&db, &["record", "--run", "qemu", QEMU_TRACE_FIXTURE]));
    assert!(
        out.contains("4 task rows, 1 interrupt rows") && out.contains("0 corrupt frames"),
        "{out}"
    );
    assert!(out.contains("trace: 490 events, 0 gaps"), "{out}");
    let json: Value =
        serde_json::from_str(&ok(&run(&db, &["export", "--format", "perfetto"]))).unwrap();
    let events = json["traceEvents"].as_array().unwrap();
    let tracks: std::collections::BTreeMap<u64, &str> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["args"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    // Task slots 0..3 (1000 + slot), the IsrStats handler (100000), the executor (2).
    assert_eq!(
        tracks.into_iter().collect::<Vec<_>>(),
        [
            (2, "executor"),
            (1000, "task main"),
            (1001, "sensor"),
            (1002, "filter"),
            (1003, "report"),
            (100000, "ISR timer"),
        ]
    );
    let slices = |tid: u64, name: &str| {
        events
            .iter()
            .filter(|e| e["ph"] == "X" && e["tid"] == tid && e["name"] == name)
            .count()
    };
    for (tid, polls, scope) in [
        (1001, 30, "sensor.read"),
        (1002, 20, "filter.run"),
        (1003, 12, "report.send"),
    ] {
        assert_eq!(slices(tid, "poll"), polls, "{scope}");
        assert_eq!(slices(tid, scope), polls, "{scope} nested in each poll");
    }
    assert_eq!(slices(100000, "ISR 0"), 60, "the timer's runs");
    assert!(
        !events
            .iter()
            .any(|e| e["name"].as_str().is_some_and(|n| n.starts_with("gap"))),
        "no gap in a lossless run"
    );
}
