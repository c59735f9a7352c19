//! `iot-perf fleet compare --from-engine`: cohorts read back from a real VictoriaMetrics
//! (heartbeats published through Mosquitto, stored and forwarded by `iot-perf ingest`)
//! are judged exactly like the same heartbeats in the ingest's history.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

mod fleet_data;
mod fleet_services;

use std::process::Output;
use std::sync::mpsc::channel;
use std::time::Duration;

use fleet_data::fleet;
use fleet_services::{http_get, mosquitto, start_ingest, summary};
use iot_performance::wire::decode_heartbeat;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

/// Publishes each heartbeat frame of `frames` at QoS 1 on its device's topic in `fleet`;
/// returns once the broker acknowledged all of them.
fn publish(port: u16, fleet: &str, frames: &[u8]) {
    let mut messages = Vec::new();
    for frame in frames.split_inclusive(|&b| b == 0) {
        let mut copy = frame[..frame.len() - 1].to_vec();
        let device = decode_heartbeat(&mut copy)
            .unwrap()
            .identity
            .device
            .to_owned();
        messages.push((
            format!("iotperf/v1/{fleet}/{device}/heartbeat"),
            frame.to_vec(),
        ));
    }
    let mut options = MqttOptions::new("fleet-engine-test", "127.0.0.1", port);
    options.set_keep_alive(Duration::from_secs(30));
    let (client, mut connection) = Client::new(options, messages.len() + 10);
    let (tx, rx) = channel();
    let want = messages.len();
    std::thread::spawn(move || {
        let mut acked = 0;
        for event in connection.iter() {
            match event {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    acked += 1;
                    if acked == want {
                        let _ = tx.send(());
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => panic!("broker connection: {e}"),
            }
        }
    });
    for (topic, payload) in messages {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .unwrap();
    }
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the broker acknowledged every heartbeat");
    let _ = client.disconnect();
}

fn compare(db: &str, engine: Option<&str>, a: &str, b: &str) -> (Output, serde_json::Value) {
    let mut args = vec![
        "--db",
        db,
        "fleet",
        "compare",
        "--cohort",
        a,
        "--cohort",
        b,
        "--resamples",
        "500",
        "--json",
    ];
    if let Some(url) = engine {
        args.extend(["--from-engine", url]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iot-perf"))
        .args(&args)
        .output()
        .unwrap();
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

/// Each scope's percentiles and verdicts, and the device figures' verdicts.
fn judgement(report: &serde_json::Value) -> (serde_json::Value, Vec<serde_json::Value>) {
    let verdicts = report["device_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| serde_json::json!([m["metric"], m["verdict"], m["devices"]]))
        .collect();
    (report["scopes"].clone(), verdicts)
}

fn verdict(report: &serde_json::Value, scope: &str, percentile: f64) -> String {
    let scope = report["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scope"] == scope)
        .unwrap();
    let p = scope["percentiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["percentile"] == percentile)
        .unwrap();
    p["verdict"].as_str().unwrap().to_owned()
}

#[test]
fn cohorts_from_the_engine_are_judged_like_the_history() {
    let dir = tempfile::tempdir().unwrap();
    let broker = mosquitto(dir.path());
    let engine = fleet_services::victoria_metrics(dir.path());
    let url = format!("http://127.0.0.1:{}", engine.port);
    let history = dir.path().join("fleet.sqlite");
    let db = history.display().to_string();
    let summary_path = dir.path().join("summary.json");
    let ingest = start_ingest(&[
        "ingest",
        "--mqtt",
        &format!("mqtt://127.0.0.1:{}", broker.port),
        "--history",
        &db,
        "--forward-influx",
        &format!("{url}/write"),
        "--idle-exit",
        "3",
        "--summary-json",
        &summary_path.display().to_string(),
    ]);
    // 1.2.0 in two groups of 60 devices; 1.3.0 on 90 devices, every third one 15 %
    // slower on read_sensor. Two heartbeats a device.
    let mut frames = fleet(60, "1.2.0", "g1", 1, None);
    frames.extend(fleet(60, "1.2.0", "g2", 2, None));
    frames.extend(fleet(90, "1.3.0", "g3", 3, Some(3)));
    publish(broker.port, "cohorts", &frames);
    ingest.finish(Duration::from_secs(120));
    let s = summary(&summary_path);
    assert_eq!(s["heartbeats"], 420, "{s}");
    assert_eq!(s["forward"]["dropped_lines"], 0, "{s}");
    let (status, _) = http_get(engine.port, "/internal/force_flush");
    assert!(status.contains("200"), "{status}");

    // The release: caught from the engine, exit 3, and the same judgement as the history.
    let (out, from_engine) = compare(&db, Some(&url), "firmware=1.2.0", "firmware=1.3.0");
    assert_eq!(out.status.code(), Some(3), "{from_engine}");
    assert_eq!(verdict(&from_engine, "read_sensor", 90.0), "regressed");
    assert_eq!(
        verdict(&from_engine, "publish", 90.0),
        "no_significant_change"
    );
    assert_eq!(from_engine["cohorts"][0]["devices"], 120);
    assert_eq!(from_engine["cohorts"][1]["devices"], 90);
    let (out, from_history) = compare(&db, None, "firmware=1.2.0", "firmware=1.3.0");
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(judgement(&from_engine), judgement(&from_history));

    // Two groups on the same firmware: quiet, from both sources alike.
    let (a, b) = ("firmware=1.2.0,group=g1", "firmware=1.2.0,group=g2");
    let (out, from_engine) = compare(&db, Some(&url), a, b);
    assert_eq!(out.status.code(), Some(0), "{from_engine}");
    assert_eq!(from_engine["regressed"], false);
    let (out, from_history) = compare(&db, None, a, b);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(judgement(&from_engine), judgement(&from_history));

    // A cohort the engine has no heartbeats for is an error that names the engine.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_iot-perf"))
        .args(["fleet", "compare", "--from-engine", &url])
        .args(["--cohort", "firmware=1.2.0", "--cohort", "firmware=9.9.9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no heartbeat latency buckets in the engine"),
        "{err}"
    );
}
