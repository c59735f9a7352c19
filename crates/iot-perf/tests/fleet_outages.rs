//! Outages in the middle of an ingest, with the real parts: the broker restarts, the
//! engine goes away and comes back. Nothing the broker acknowledged to a device is lost
//! on the way to the history, and nothing stored is lost on the way to the engine (the
//! backlog holds it, counted, until the engine is back). Delivery is at least once, so
//! the checks count distinct (device, time) snapshots.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod fleet_services;

use std::path::Path;
use std::time::{Duration, Instant};

use fleet_services::{
    Background, counts, mosquitto, reached, start_ingest, summary, victoria_metrics,
};

const DEVICES: u32 = 100;
const ROUNDS: u32 = 30;
/// Messages a second: the 3 000 messages take about 3 s, so the outage falls inside.
const RATE: &str = "1000";

/// Starts `ingest` on `broker_port` into `history` (forwarding to `engine_port`).
fn ingest(dir: &Path, broker_port: u16, engine_port: Option<u16>) -> Background {
    let mut args: Vec<String> = [
        "ingest",
        "--mqtt",
        &format!("mqtt://127.0.0.1:{broker_port}"),
        "--history",
        &dir.join("fleet.sqlite").display().to_string(),
        "--idle-exit",
        "6",
        "--drain",
        "60",
        "--summary-json",
        &dir.join("summary.json").display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    if let Some(port) = engine_port {
        args.extend([
            "--forward-influx".to_owned(),
            format!("http://127.0.0.1:{port}/write"),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    start_ingest(&args)
}

/// Starts the simulated devices publishing in the background.
fn devices(broker_port: u16, fleet: &str) -> Background {
    Background::start(&[
        "fleet-sim-devices",
        "--mqtt",
        &format!("mqtt://127.0.0.1:{broker_port}"),
        "--fleet",
        fleet,
        "--devices",
        &DEVICES.to_string(),
        "--rounds",
        &ROUNDS.to_string(),
        "--connections",
        "4",
        "--rate",
        RATE,
    ])
}

/// Waits (bounded) until the history holds some of `fleet`'s snapshots, but not all.
fn wait_until_midway(history: &Path, fleet: &str) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if history.exists() {
            let n = reached(history, fleet, None)["snapshots"];
            if n >= 300.0 {
                assert!(
                    n < f64::from(DEVICES * ROUNDS),
                    "too late for an outage: {n}"
                );
                return n;
            }
        }
        assert!(
            Instant::now() < deadline,
            "nothing reached the history in 20 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn a_broker_restart_in_the_middle_of_ingest_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let mut broker = mosquitto(dir.path());
    let history = dir.path().join("fleet.sqlite");
    let ingest = ingest(dir.path(), broker.port, None);
    let sim = devices(broker.port, "restart");
    let before = wait_until_midway(&history, "restart");
    broker.stop();
    std::thread::sleep(Duration::from_millis(500));
    broker.start();
    let published = counts(&sim.finish(Duration::from_secs(120)));
    let total = f64::from(DEVICES * ROUNDS);
    assert_eq!(
        published["acked"],
        f64::from(DEVICES * (ROUNDS + 1)),
        "every message acknowledged by the broker: {published:?}"
    );
    let out = ingest.finish(Duration::from_secs(120));
    let s = summary(&dir.path().join("summary.json"));
    assert!(
        s["disconnects"].as_u64().unwrap() >= 1,
        "the ingest saw the restart: {out}"
    );
    let r = reached(&history, "restart", None);
    assert_eq!(r["devices"], f64::from(DEVICES), "{r:?}");
    assert_eq!(
        r["snapshots"],
        total,
        "every acknowledged message is in the history once restarted at {before} (rows with redeliveries: {}); {out}\nbroker log:\n{}",
        r["snapshot_rows"],
        broker.log()
    );
    assert_eq!(r["heartbeats"], f64::from(DEVICES), "{r:?}");
}

#[test]
fn an_engine_outage_in_the_middle_of_ingest_is_held_in_the_backlog_and_forwarded_after() {
    let dir = tempfile::tempdir().unwrap();
    let broker = mosquitto(dir.path());
    let mut engine = victoria_metrics(dir.path());
    let history = dir.path().join("fleet.sqlite");
    let ingest = ingest(dir.path(), broker.port, Some(engine.port));
    let sim = devices(broker.port, "outage");
    wait_until_midway(&history, "outage");
    engine.stop();
    std::thread::sleep(Duration::from_millis(1500));
    engine.start();
    let published = counts(&sim.finish(Duration::from_secs(120)));
    let total = f64::from(DEVICES * ROUNDS);
    assert_eq!(
        published["acked"],
        f64::from(DEVICES * (ROUNDS + 1)),
        "{published:?}"
    );
    let out = ingest.finish(Duration::from_secs(120));
    let s = summary(&dir.path().join("summary.json"));
    let f = &s["forward"];
    assert!(
        f["failed_posts"].as_u64().unwrap() >= 1,
        "the engine was down: {out}"
    );
    assert!(f["backlog_peak_lines"].as_u64().unwrap() > 0, "{out}");
    assert_eq!(f["dropped_lines"], 0, "the backlog had room: {out}");
    assert_eq!(
        f["backlog_lines"], 0,
        "drained after the engine came back: {out}"
    );
    let r = reached(&history, "outage", Some(engine.port));
    assert_eq!(r["snapshots"], total, "{r:?}");
    // A request cut by the shutdown may have been half taken and is sent again whole:
    // the engine may hold a duplicate, never a gap.
    assert!(
        r["engine_points"] >= total,
        "{r:?}; {out}\nengine log:\n{}",
        engine.log()
    );
}
