//! `iot-perf record` on a UART capture that carries all three frame kinds: records (`IP`),
//! trace chunks (`IT`) and heartbeats (`IH`), with a boot banner and log lines (that
//! contain the magics) between them and one damaged heartbeat. Every intact frame is
//! found, the heartbeats reach the history's heartbeat tables through the store path of
//! `fleet import` (so importing the same capture afterwards stores nothing twice).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;
mod trace_capture;

use assert_cmd::Command;
use iot_performance::wire::{MAX_HEARTBEAT_FRAME_LEN, SimulatedDevice, encode_heartbeat};

/// Two devices, three heartbeats each, frames with their delimiter.
fn heartbeat_frames() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for d in 0..2u64 {
        let mut device = SimulatedDevice::new(&format!("uart-{d}"), "1.2.0", "revB", "lab", d)
            .with_scope("read_sensor", 1_000.0, 0.25);
        for _ in 0..3 {
            let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
            let len = encode_heartbeat(&device.next_heartbeat(), &mut buf).unwrap();
            out.push(buf[..len].to_vec());
        }
    }
    out
}

const BANNER: &[u8] = b"ESP-ROM:esp32c3-api1-20210207\r\nrst:0x1 (POWERON)\r\n";

/// Every frame of `frames` after a log line naming the magics (noise before each frame).
fn noisy(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = BANNER.to_vec();
    for (i, frame) in frames.iter().enumerate() {
        out.extend_from_slice(format!("I ({i}) app: IH IT IP tick\r\n").as_bytes());
        out.extend_from_slice(frame);
    }
    out
}

fn run(db: &std::path::Path, args: &[&str]) -> (String, String) {
    let a = Command::cargo_bin("iot-perf")
        .unwrap()
        .env_remove("IOT_PERF_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .assert()
        .success();
    (
        String::from_utf8_lossy(&a.get_output().stdout).into_owned(),
        String::from_utf8_lossy(&a.get_output().stderr).into_owned(),
    )
}

#[test]
fn record_finds_heartbeats_beside_records_and_trace_frames_through_noise() {
    let records = trace_capture::frames(&common::capture(42, 10, 1.0, 0));
    let trace = trace_capture::trace_frames();
    let mut heartbeats = heartbeat_frames();
    // The fourth heartbeat damaged: COBS still decodes, the CRC does not.
    trace_capture::damage(&mut heartbeats[3]);
    // Interleave the three kinds: a record, a trace frame, now and then a heartbeat.
    let (mut r, mut t, mut h) = (records.iter(), trace.iter(), heartbeats.iter());
    let mut frames: Vec<Vec<u8>> = Vec::new();
    for i in 0.. {
        let before = frames.len();
        frames.extend(r.next().cloned());
        frames.extend(t.next().cloned());
        if i % 4 == 0 {
            frames.extend(h.next().cloned());
        }
        if frames.len() == before {
            break;
        }
    }
    frames.extend(h.cloned());
    let all = records.len() + trace.len() + heartbeats.len();
    assert_eq!(frames.len(), all);
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("uart.bin");
    std::fs::write(&capture, noisy(&frames)).unwrap();
    let db = dir.path().join("history.sqlite");
    let path = capture.display().to_string();
    let (out, err) = run(&db, &["record", "--run", "uart", &path]);
    // One noise burst before every frame; the damaged heartbeat is one corrupt chunk
    // (its noise and itself), and the banner joins the first burst.
    assert!(
        out.contains(&format!(
            "10 snapshots, 30 scope rows, 0 task rows, 0 interrupt rows, 1 other records; {} corrupt",
            all
        )),
        "{out}\n{err}"
    );
    assert!(
        out.contains("heartbeats: 5 stored, 0 already stored"),
        "{out}"
    );
    assert!(out.contains("trace: "), "trace frames kept: {out}");
    assert!(err.contains("noise"), "{err}");
    // The same store path as `fleet import`: importing the capture adds nothing, and
    // counts every other frame (records, trace chunks, the damaged heartbeat) as rejected.
    let (out, _) = run(&db, &["fleet", "import", &path]);
    assert!(
        out.contains("0 heartbeats stored, 5 already stored"),
        "{out}"
    );
    // The heartbeats are what `fleet compare` reads: both devices, one cohort each side.
    let (out, _) = run(
        &db,
        &[
            "fleet",
            "compare",
            "--cohort",
            "device=uart-0",
            "--cohort",
            "device=uart-1",
            "--json",
        ],
    );
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(json.to_string().contains("read_sensor"), "{json}");
}

#[test]
fn a_capture_of_heartbeats_only_stores_them_and_records_no_run() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("heartbeats.bin");
    std::fs::write(&capture, noisy(&heartbeat_frames())).unwrap();
    let db = dir.path().join("history.sqlite");
    let (out, _) = run(&db, &["record", &capture.display().to_string()]);
    assert!(out.contains("no record frames, no run recorded"), "{out}");
    assert!(out.contains("heartbeats: 6 stored"), "{out}");
    let (runs, _) = run(&db, &["runs"]);
    assert!(!runs.contains("uart"), "{runs}");
}
