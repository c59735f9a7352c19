//! Trace on the host: decode throughput (events per second through
//! `decode_trace_frame` and `ChunkDecoder`) and the time `iot-perf` takes to record a
//! trace of ten million events and export it as Perfetto JSON, from a raw capture and
//! from the history.
//!
//! `cargo bench -p iot-perf --bench trace_export` (`TRACE_EVENTS=N` for another size)
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::process::Command;
use std::time::{Duration, Instant};

use iot_performance::trace::{ChunkDecoder, EventKind, TraceBuffer};
use iot_performance::wire::{Reporter, StdSink, TraceStreamer, decode_trace_frame};

/// A capture of `events` trace events like a busy device's: three tasks polled in turn
/// with a scope each, a timer interrupt inside every poll, a value and idle, drained
/// every cycle; a session record first so that the run knows its clock.
fn capture(events: u64) -> Vec<u8> {
    use EventKind::*;
    let mut reporter = Reporter::new(StdSink(Vec::new()));
    assert!(reporter.session("bench", "fw", 64_000_000));
    let mut bytes = reporter.into_inner().0;
    let ring = TraceBuffer::<1024>::new();
    let mut streamer = TraceStreamer::new(StdSink(Vec::with_capacity(
        usize::try_from(events * 4).unwrap(),
    )));
    let mut t = 0u32;
    let mut written = 0u64;
    let mut k = 0u32;
    while written < events {
        let task = k % 3;
        for (kind, id, value, dt) in [
            (PollBegin, task, 0, 40),
            (ScopeEnter, task, 0, 12),
            (IsrEnter, 7, 0, 300),
            (IsrExit, 7, 0, 90),
            (ScopeExit, task, 0, 700),
            (Value, 1, (k % 200) as i32 - 100, 20),
            (PollEnd, task, 0, 30),
            (Idle, 0, 0, 25),
        ] {
            t = t.wrapping_add(dt);
            ring.write(kind, id, value, t);
        }
        written += 8;
        k += 1;
        if k.is_multiple_of(64) {
            streamer.pump(&ring);
        }
    }
    streamer.pump(&ring);
    bytes.extend_from_slice(&streamer.sink().0);
    bytes
}

/// Decodes every trace frame of `bytes`; returns the events.
fn decode(bytes: &[u8]) -> u64 {
    let mut decoder = ChunkDecoder::new();
    let mut frame = Vec::with_capacity(512);
    let mut events = 0u64;
    for segment in bytes.split(|&b| b == 0) {
        frame.clear();
        frame.extend_from_slice(segment);
        let Ok(chunk) = decode_trace_frame(&mut frame) else {
            continue; // the session record
        };
        for event in decoder.decode(chunk).unwrap() {
            if event.unwrap().kind.is_some() {
                events += 1;
            }
        }
    }
    events
}

/// User + system CPU time of the finished children of this process so far.
fn children_cpu() -> Duration {
    // SAFETY: getrusage writes one rusage struct into the zeroed value it is given.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// Runs `iot-perf ARGS`: wall time and CPU time (user + system).
fn timed(what: &str, args: &[&str], db: &std::path::Path) -> (Duration, Duration) {
    let cpu = children_cpu();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_iot-perf"))
        .env_remove("IOT_PERF_DB")
        .arg("--db")
        .arg(db)
        .args(args)
        .output()
        .unwrap();
    let took = (start.elapsed(), children_cpu() - cpu);
    assert!(
        out.status.success(),
        "{what}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` lists; nothing to list
    }
    let events: u64 = std::env::var("TRACE_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let bytes = capture(events);
    let dir = tempfile::tempdir().unwrap();
    let cap = dir.path().join("trace.bin");
    std::fs::write(&cap, &bytes).unwrap();

    let mut best = Duration::MAX;
    let mut decoded = 0;
    for _ in 0..3 {
        let start = Instant::now();
        decoded = decode(std::hint::black_box(&bytes));
        best = best.min(start.elapsed());
    }
    assert_eq!(decoded, events);
    let json = dir.path().join("trace.json");
    let db = dir.path().join("h.sqlite");
    let cap_s = cap.to_str().unwrap();
    let json_s = json.to_str().unwrap();
    let from_capture = timed(
        "export --trace",
        &[
            "export",
            "--format",
            "perfetto",
            "--trace",
            cap_s,
            "--ticks-per-second",
            "64000000",
            "-o",
            json_s,
        ],
        &db,
    );
    let json_mb = std::fs::metadata(&json).unwrap().len() as f64 / 1e6;
    let to_null = timed(
        "export --trace -o /dev/null",
        &[
            "export",
            "--format",
            "perfetto",
            "--trace",
            cap_s,
            "--ticks-per-second",
            "64000000",
            "-o",
            "/dev/null",
        ],
        &db,
    );
    let record = timed("record", &["record", "--run", "bench", cap_s], &db);
    let from_history = timed(
        "export",
        &["export", "--format", "perfetto", "-o", json_s],
        &db,
    );
    let db_mb = std::fs::metadata(&db).unwrap().len() as f64 / 1e6;

    println!(
        "trace on the host: {events} events, capture {:.1} MB ({:.2} bytes/event)",
        bytes.len() as f64 / 1e6,
        bytes.len() as f64 / events as f64
    );
    println!(
        "decode (decode_trace_frame + ChunkDecoder): {:.3} s, {:.1} M events/s",
        best.as_secs_f64(),
        events as f64 / best.as_secs_f64() / 1e6
    );
    let line = |what: &str, (wall, cpu): (Duration, Duration), extra: String| {
        println!(
            "{what}: {:.2} s wall, {:.2} s CPU, {:.1} M events/s of CPU{extra}",
            wall.as_secs_f64(),
            cpu.as_secs_f64(),
            events as f64 / cpu.as_secs_f64() / 1e6
        );
    };
    line(
        "iot-perf export --format perfetto --trace (capture -> JSON)",
        from_capture,
        format!(", JSON {json_mb:.0} MB"),
    );
    line("the same to /dev/null (no disk)", to_null, String::new());
    line(
        "iot-perf record (capture -> history)",
        record,
        format!(", history {db_mb:.1} MB"),
    );
    line(
        "iot-perf export --format perfetto (history -> JSON)",
        from_history,
        String::new(),
    );
}
