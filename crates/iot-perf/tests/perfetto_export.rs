//! `iot-perf export --format perfetto`: a capture of trace frames (with a record frame and
//! text around them) becomes trace-event JSON with tracks, nested slices, counters and gaps.

use assert_cmd::Command;
use iot_performance::trace::{EventKind, TraceBuffer};
use iot_performance::wire::{SliceSink, TraceStreamer};
use serde_json::Value;

/// A capture: a boot banner, then the trace of a task poll with a nested scope, an
/// interrupt inside it, a value, then 10 events lost to overflow and one more poll.
fn capture() -> Vec<u8> {
    use EventKind::*;
    let ring = TraceBuffer::<16>::new();
    let mut payload = vec![0u8; 4096];
    let mut streamer = TraceStreamer::new(SliceSink::new(&mut payload));
    for (kind, id, value, stamp) in [
        (Idle, 0, 0, 0),
        (PollBegin, 2, 0, 1_000),
        (ScopeEnter, 5, 0, 1_100),
        (IsrEnter, 3, 0, 1_200),
        (IsrExit, 3, 0, 1_300),
        (Value, 1, -12, 1_400),
        (ScopeExit, 5, 0, 1_500),
        (PollEnd, 2, 0, 2_000),
    ] {
        ring.write(kind, id, value, stamp);
    }
    assert_eq!(streamer.pump(&ring), 8);
    for i in 0..26u32 {
        // 16 kept, 10 overwritten before the next drain.
        let kind = if i % 2 == 0 { PollBegin } else { PollEnd };
        ring.write(kind, 2, 0, 3_000 + i * 10);
    }
    assert_eq!(streamer.pump(&ring), 16);
    let mut bytes = b"boot v1.0 EXIT\r\n".to_vec();
    bytes.extend_from_slice(streamer.sink().as_bytes());
    bytes
}

#[test]
fn perfetto_export_lays_out_tracks_slices_counters_and_gaps() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("capture.bin");
    std::fs::write(&path, capture()).unwrap();
    let output = Command::cargo_bin("iot-perf")
        .unwrap()
        .args([
            "--db",
            "/nonexistent/never-opened.sqlite",
            "export",
            "--format",
            "perfetto",
        ])
        .arg("--trace")
        .arg(&path)
        .args([
            "--ticks-per-second",
            "1000000",
            "--scope-name",
            "5=read_sensor",
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("10 lost"));
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap();
    let events = doc["traceEvents"].as_array().unwrap();
    let find = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == name && e["ph"] != "M")
            .unwrap_or_else(|| panic!("no {name} in {doc}"))
    };
    let scope = find("read_sensor");
    assert_eq!(
        (scope["ph"].clone(), scope["tid"].clone()),
        ("X".into(), 1002.into())
    );
    assert_eq!(
        (scope["ts"].as_f64(), scope["dur"].as_f64()),
        (Some(1100.0), Some(400.0))
    );
    let poll = find("poll");
    assert_eq!(
        (poll["ts"].as_f64(), poll["dur"].as_f64()),
        (Some(1000.0), Some(1000.0))
    );
    let isr = find("ISR 3");
    assert_eq!(
        (isr["tid"].as_u64(), isr["dur"].as_f64()),
        (Some(100_003), Some(100.0))
    );
    let value = find("value 1");
    assert_eq!(
        (value["ph"].as_str(), value["args"]["value"].as_i64()),
        (Some("C"), Some(-12))
    );
    let idle = find("idle");
    assert_eq!(
        (idle["tid"].as_u64(), idle["dur"].as_f64()),
        (Some(2), Some(1000.0))
    );
    let gap = find("gap: 10 events lost");
    assert_eq!(
        (gap["ph"].as_str(), gap["s"].as_str()),
        (Some("i"), Some("g"))
    );
    let names: Vec<&str> = events
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .filter_map(|e| e["args"]["name"].as_str())
        .collect();
    assert_eq!(names, ["executor", "task 2", "ISR 3"]);
    // 8 polls kept after the gap (16 events: begin/end pairs), plus the first one.
    assert_eq!(events.iter().filter(|e| e["name"] == "poll").count(), 9);
}

#[test]
fn perfetto_export_needs_the_clock_rate() {
    Command::cargo_bin("iot-perf")
        .unwrap()
        .args(["export", "--format", "perfetto", "--trace", "x.bin"])
        .assert()
        .failure();
}
