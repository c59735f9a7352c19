//! End to end with the real parts: devices publish through Mosquitto, `iot-perf ingest`
//! stores into the history and forwards to VictoriaMetrics, `iot-perf serve` exposes the
//! result; queried back from the history, the engine and /metrics.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod fleet_services;

use std::time::Duration;

use fleet_services::{
    Background, free_port, http_get, iot_perf, mosquitto, reached, start_ingest, summary,
};

const DEVICES: u32 = 50;
const ROUNDS: u32 = 4;

#[test]
fn devices_through_the_broker_reach_the_history_the_engine_and_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let broker = mosquitto(dir.path());
    let engine = fleet_services::victoria_metrics(dir.path());
    let mqtt = format!("mqtt://127.0.0.1:{}", broker.port);
    let history = dir.path().join("fleet.sqlite");
    let summary_path = dir.path().join("summary.json");
    let fixture = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");
    // Simulated devices, one gateway publishing a real capture, one message that is not
    // frames.
    // Per device: ROUNDS record messages and one heartbeat.
    let expected = u64::from(DEVICES * (ROUNDS + 1));
    let ingest = start_ingest(&[
        "ingest",
        "--mqtt",
        &mqtt,
        "--topic",
        "iotperf/v1/#",
        "--history",
        &history.display().to_string(),
        "--forward-influx",
        &format!("http://127.0.0.1:{}/write", engine.port),
        "--idle-exit",
        "3",
        "--summary-json",
        &summary_path.display().to_string(),
    ]);
    let sim = iot_perf(&[
        "fleet-sim-devices",
        "--mqtt",
        &mqtt,
        "--fleet",
        "e2e",
        "--devices",
        &DEVICES.to_string(),
        "--rounds",
        &ROUNDS.to_string(),
        "--connections",
        "3",
    ]);
    assert!(sim.contains(&format!("acked={expected}")), "{sim}");
    let gateway = iot_perf(&[
        "publish", "--mqtt", &mqtt, "--fleet", "lab", "--device", "bench-1", fixture,
    ]);
    assert!(gateway.contains("0 dropped"), "{gateway}");
    let garbage = dir.path().join("garbage.bin");
    std::fs::write(&garbage, b"not frames at all\0").unwrap();
    let g = garbage.display().to_string();
    iot_perf(&[
        "publish", "--raw", "--mqtt", &mqtt, "--fleet", "lab", "--device", "noisy", &g,
    ]);
    let out = ingest.finish(Duration::from_secs(60));
    assert!(out.contains(" 1 bad"), "{out}");

    let s = summary(&summary_path);
    let stored = s["stored_messages"].as_u64().unwrap();
    assert!(stored > expected, "sim and gateway messages stored: {s}");
    assert_eq!(s["bad_messages"], 1, "counted, not fatal: {s}");
    let forward = &s["forward"];
    assert_eq!(forward["dropped_lines"], 0, "{s}");
    assert_eq!(forward["backlog_lines"], 0, "{s}");
    assert!(
        forward["forwarded_lines"].as_u64().unwrap() >= 3 * expected,
        "{s}"
    );

    // The history: one run per device, every snapshot once.
    let r = reached(&history, "e2e", Some(engine.port));
    assert_eq!(r["devices"], f64::from(DEVICES), "{r:?}");
    assert_eq!(r["snapshots"], f64::from(DEVICES * ROUNDS), "{r:?}");
    assert_eq!(r["engine_points"], f64::from(DEVICES * ROUNDS), "{r:?}");
    assert_eq!(r["heartbeats"], f64::from(DEVICES), "{r:?}");
    assert_eq!(r["engine_heartbeats"], f64::from(DEVICES), "{r:?}");
    assert_eq!(s["heartbeats"], u64::from(DEVICES), "{s}");
    // Every metric the Grafana dashboard queries is in the engine now.
    let (status, body) = http_get(engine.port, "/api/v1/label/__name__/values");
    assert!(status.contains("200"), "{status}");
    let names: serde_json::Value = serde_json::from_str(&body).unwrap();
    let names: Vec<&str> = names["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n.as_str())
        .collect();
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/grafana/iot-performance-fleet.json"
    ))
    .unwrap();
    let dashboard: serde_json::Value = serde_json::from_str(&dashboard).unwrap();
    for panel in dashboard["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            for metric in expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("iot_"))
            {
                assert!(
                    names.contains(&metric),
                    "{metric} ({expr}) not in the engine: {names:?}"
                );
            }
        }
    }

    let db = history.display().to_string();
    let report = iot_perf(&["--db", &db, "report", "--run", "mqtt/e2e/dev-00007"]);
    assert!(report.contains("sensor_read"), "{report}");
    let runs = iot_perf(&["--db", &db, "runs"]);
    assert!(runs.contains("mqtt/lab/bench-1"), "{runs}");
    // The gateway's run holds the capture: the same snapshots as recording it directly.
    let direct = dir.path().join("direct.sqlite").display().to_string();
    iot_perf(&["--db", &direct, "record", "--run", "direct", fixture]);
    let via_mqtt = iot_perf(&[
        "--db",
        &db,
        "export",
        "--format",
        "openmetrics",
        "--run",
        "mqtt/lab/bench-1",
    ]);
    let recorded = iot_perf(&[
        "--db",
        &direct,
        "export",
        "--format",
        "openmetrics",
        "--run",
        "direct",
    ]);
    let values = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("iot_heap_used_bytes") || l.starts_with("iot_scope_calls"))
            .map(|l| l.rsplit(' ').next().unwrap_or_default().to_owned())
            .collect()
    };
    assert_eq!(values(&via_mqtt), values(&recorded));
    assert!(!values(&recorded).is_empty());

    // /metrics: every device's latest state in one exposition.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let serve = Background::start(&[
        "serve",
        "--listen",
        &listen,
        "--history",
        &db,
        "--max-requests",
        "2",
    ]);
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "serve did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
    let (status, body) = http_get(port, "/metrics");
    assert!(status.contains("200"), "{status}");
    assert_eq!(
        body.matches("# TYPE iot_heap_used_bytes gauge").count(),
        1,
        "one family"
    );
    assert_eq!(
        body.lines()
            .filter(|l| l.starts_with("iot_heap_used_bytes{"))
            .count(),
        DEVICES as usize + 1,
        "a sample per device run"
    );
    // The last round of device 7: heap 20 000 + 7 * 64 + 3 * 8.
    assert!(
        body.contains(
            "iot_heap_used_bytes{device=\"dev-00007\",run=\"mqtt/e2e/dev-00007\"} 20472\n"
        ),
        "{body}"
    );
    assert!(body.ends_with("# EOF\n"));
    let (status, _) = http_get(port, "/elsewhere");
    assert!(status.contains("404"), "{status}");
    serve.finish(Duration::from_secs(10));
    drop(engine);
    drop(broker);
}

#[test]
fn two_ingest_processes_in_a_shared_subscription_split_the_messages() {
    let dir = tempfile::tempdir().unwrap();
    let broker = mosquitto(dir.path());
    let mqtt = format!("mqtt://127.0.0.1:{}", broker.port);
    let history = dir.path().join("fleet.sqlite");
    let db = history.display().to_string();
    let ingest = |id: &str| {
        let summary = dir.path().join(format!("{id}.json"));
        let process = start_ingest(&[
            "ingest",
            "--mqtt",
            &mqtt,
            "--share",
            "ingest",
            "--client-id",
            id,
            "--history",
            &db,
            "--batch",
            "50",
            "--idle-exit",
            "3",
            "--summary-json",
            &summary.display().to_string(),
        ]);
        (process, summary)
    };
    let (a, a_summary) = ingest("ingest-a");
    let (b, b_summary) = ingest("ingest-b");
    let sim = iot_perf(&[
        "fleet-sim-devices",
        "--mqtt",
        &mqtt,
        "--fleet",
        "shared",
        "--devices",
        "100",
        "--rounds",
        "5",
        "--connections",
        "2",
        "--rate",
        "2000",
    ]);
    assert!(sim.contains("acked=600"), "{sim}");
    a.finish(Duration::from_secs(60));
    b.finish(Duration::from_secs(60));
    let (a, b) = (summary(&a_summary), summary(&b_summary));
    let (na, nb) = (
        a["stored_messages"].as_u64().unwrap(),
        b["stored_messages"].as_u64().unwrap(),
    );
    assert_eq!(na + nb, 600, "each message to one of them: {a}\n{b}");
    assert!(na > 0 && nb > 0, "both took a share: {na} and {nb}");
    let r = reached(&history, "shared", None);
    assert_eq!(r["snapshots"], 500.0, "{r:?}");
    assert_eq!(r["heartbeats"], 100.0, "{r:?}");
}

#[test]
fn a_redelivered_heartbeat_reaches_the_history_and_the_engine_once() {
    let dir = tempfile::tempdir().unwrap();
    let broker = mosquitto(dir.path());
    let engine = fleet_services::victoria_metrics(dir.path());
    let mqtt = format!("mqtt://127.0.0.1:{}", broker.port);
    let history = dir.path().join("fleet.sqlite");
    let summary_path = dir.path().join("summary.json");
    let ingest = start_ingest(&[
        "ingest",
        "--mqtt",
        &mqtt,
        "--history",
        &history.display().to_string(),
        "--forward-influx",
        &format!("http://127.0.0.1:{}/write", engine.port),
        "--idle-exit",
        "3",
        "--summary-json",
        &summary_path.display().to_string(),
    ]);
    // The same heartbeat of each device published twice (what the broker does when an
    // acknowledgement is lost), in two separate deliveries.
    for _ in 0..2 {
        let sim = iot_perf(&[
            "fleet-sim-devices",
            "--mqtt",
            &mqtt,
            "--fleet",
            "again",
            "--devices",
            "6",
            "--rounds",
            "0",
            "--connections",
            "1",
        ]);
        assert!(sim.contains("acked=6"), "{sim}");
        std::thread::sleep(Duration::from_millis(300));
    }
    ingest.finish(Duration::from_secs(60));
    let s = summary(&summary_path);
    assert_eq!(s["heartbeats"], 6, "{s}");
    assert_eq!(s["duplicate_heartbeats"], 6, "{s}");
    assert_eq!(s["forward"]["dropped_lines"], 0, "{s}");
    let r = reached(&history, "again", Some(engine.port));
    assert_eq!(r["heartbeats"], 6.0, "{r:?}");
    assert_eq!(
        r["engine_heartbeats"], 6.0,
        "one point per heartbeat: {r:?}"
    );
}
