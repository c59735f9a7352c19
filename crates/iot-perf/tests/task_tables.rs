//! Per-task (Embassy) and per-interrupt-handler rows, wire version 2: recorded into the
//! history, shown in the text, JSON and HTML reports with their units, kept apart from a
//! schema-1 history until its next write, and removed with their run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::Path;
use std::process::Output;

use common::iot_perf;

const V2: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v2-capture.bin");

fn run(db: &Path, args: &[&str]) -> Output {
    let out = iot_perf(db).args(args).output().expect("run iot-perf");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(db: &Path, run_name: &str) -> serde_json::Value {
    let out = run(db, &["report", "--run", run_name, "--format", "json"]);
    serde_json::from_str(&stdout(&out)).expect("JSON report")
}

fn task_rows(db: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let count = |table: &str| {
        conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))
            .unwrap()
    };
    (count("tasks"), count("interrupts"))
}

#[test]
fn task_and_interrupt_rows_reach_every_report_format_with_units() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let out = run(&db, &["record", "--run", "v2", V2]);
    assert!(
        stdout(&out).contains("10 snapshots, 30 scope rows, 20 task rows, 20 interrupt rows"),
        "{}",
        stdout(&out)
    );

    let text = stdout(&run(&db, &["report", "--run", "v2"]));
    let line = |start: &str| -> Vec<String> {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} row in\n{text}"));
        line.split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(
        line("task  "),
        [
            "task",
            "polls",
            "busy",
            "busy %",
            "mean poll",
            "wakeups",
            "mean ready",
            "max ready"
        ]
    );
    // 5 000 000 ticks at 25 MHz over the 1 s the last row was read at.
    assert_eq!(
        line("sensor"),
        [
            "sensor", "1000", "200 ms", "20.0 %", "200 µs", "999", "10.0 µs", "40.0 µs"
        ]
    );
    assert_eq!(
        line("task 0x20000200"),
        [
            "task 0x20000200",
            "100",
            "160 ms",
            "16.0 %",
            "1.60 ms",
            "99",
            "10.0 µs",
            "40.0 µs"
        ]
    );
    assert_eq!(
        line("SysTick"),
        ["SysTick", "1000", "10.0 ms", "1.0 %", "10.0 µs", "20.0 µs"]
    );
    assert_eq!(
        line("UART0"),
        ["UART0", "70", "5.60 ms", "0.6 %", "80.0 µs", "160 µs"]
    );

    let report = json(&db, "v2");
    let tasks = report["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 2);
    assert_eq!(tasks[0]["name"], "sensor", "most busy first");
    assert_eq!(tasks[0]["busy_us"], 200_000.0);
    assert_eq!(tasks[0]["busy_percent"], 20.0);
    assert_eq!(tasks[1]["id"], 0x2000_0200);
    let isrs = report["interrupts"].as_array().unwrap();
    assert_eq!(isrs[0]["name"], "SysTick", "most time first");
    assert_eq!(isrs[1]["mean_us"], 80.0);

    let html_path = dir.path().join("r.html");
    run(
        &db,
        &[
            "report",
            "--run",
            "v2",
            "--format",
            "html",
            "-o",
            html_path.to_str().unwrap(),
        ],
    );
    let html = std::fs::read_to_string(&html_path).unwrap();
    let table = |id: &str| -> &str {
        let at = html
            .find(&format!("<table id=\"{id}\">"))
            .unwrap_or_else(|| panic!("{id}"));
        &html[at..at + html[at..].find("</table>").unwrap()]
    };
    assert_eq!(table("task-table").matches("<tr>").count(), 3);
    assert!(
        table("task-table").contains("<td>sensor</td><td>1000</td><td>200 ms</td><td>20.0 %</td>"),
        "{}",
        table("task-table")
    );
    assert!(
        table("isr-table").contains("<td>UART0</td><td>70</td><td>5.60 ms</td>"),
        "{}",
        table("isr-table")
    );
}

#[test]
fn a_history_without_task_tables_reads_then_gets_them_and_loses_them_with_a_run() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("schema1.sqlite");
    std::fs::copy(common::UNVERSIONED_HISTORY, &db).unwrap();
    {
        // A schema-1 history: the unversioned tables with iot-perf's id and version 1.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("PRAGMA application_id = 1229935696; PRAGMA user_version = 1;")
            .unwrap();
    }
    let before = std::fs::read(&db).unwrap();
    let old = json(&db, "b");
    assert_eq!(old["tasks"], serde_json::json!([]));
    assert_eq!(old["interrupts"], serde_json::json!([]));
    assert_eq!(
        std::fs::read(&db).unwrap(),
        before,
        "reading changes nothing"
    );

    let out = iot_perf(&db)
        .args(["record", "--run", "v2", V2])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("had schema 1 (an older iot-perf); upgraded it to schema 2"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(json(&db, "v2")["tasks"].as_array().map(Vec::len), Some(2));
    assert_eq!(json(&db, "b")["tasks"], serde_json::json!([]));
    assert_eq!(task_rows(&db), (20, 20));
    run(&db, &["runs", "remove", "v2"]);
    assert_eq!(task_rows(&db), (0, 0), "removed with their run");
    assert!(stdout(&run(&db, &["check"])).contains("intact (schema 2"));
}
