//! The committed Grafana dashboard (docs/grafana/iot-performance-fleet.json) parses, and
//! every metric its queries name is one the forwarder writes (VictoriaMetrics names a
//! line-protocol field `{measurement}_{field}`).

use std::collections::BTreeSet;

use iot_performance::wire::{SnapshotRecord, decode_heartbeat};

use crate::export::{heartbeat_points, influx_points};
use crate::model::ScopeRow;
use crate::mqtt::sim;

const DASHBOARD: &str = include_str!("../../../../docs/grafana/iot-performance-fleet.json");

/// The metric names VictoriaMetrics makes of line protocol.
fn names(lines: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in lines.lines() {
        let (series, rest) = line.split_once(' ').unwrap();
        let measurement = series.split(',').next().unwrap();
        let fields = rest.rsplit_once(' ').unwrap().0;
        for field in fields.split(',') {
            let key = field.split('=').next().unwrap();
            out.insert(format!("{measurement}_{key}"));
        }
    }
    out
}

/// Everything the forwarder can write: a snapshot with every optional figure, a scope
/// row and a simulated heartbeat.
fn written() -> BTreeSet<String> {
    let snapshot = SnapshotRecord {
        timestamp_us: 1,
        heap_used: 1,
        heap_free: 1,
        heap_total: 2,
        stack_used: 1,
        stack_free: 1,
        static_memory: 1,
        fragmentation: Some(0.5),
        cpu_utilization: 1.0,
        uptime_ms: 1,
        task_count: 1,
        interrupt_count: 1,
        context_switches: 1,
        temperature: Some(40.0),
    };
    let scope = ScopeRow {
        timestamp_us: 1,
        name: "s".into(),
        calls: 2,
        total_ticks: 4,
        min_ticks: 1,
        max_ticks: 3,
        self_ticks: None,
        busy_ticks: None,
        wall_ticks: None,
        polls: None,
        ticks_per_second: 1_000_000,
    };
    let tags = [("fleet", "f"), ("device", "d"), ("firmware", "1.0")];
    let mut all = names(&influx_points(&tags, &[snapshot], &[scope], |_| 1).unwrap());
    let mut frame = sim::heartbeat(1).unwrap();
    frame.pop();
    let hb = decode_heartbeat(&mut frame).unwrap();
    all.extend(names(&heartbeat_points(&tags[..2], &hb, 1).unwrap()));
    all
}

#[test]
fn every_dashboard_query_names_metrics_the_forwarder_writes() {
    let written = written();
    for expected in [
        "iot_heartbeat_latency_bucket",
        "iot_heartbeat_heap_peak",
        "iot_heartbeat_cpu_mean_percent",
        "iot_system_heap_used",
        "iot_scope_mean_us",
    ] {
        assert!(written.contains(expected), "{expected} not in {written:?}");
    }
    let dashboard: serde_json::Value = serde_json::from_str(DASHBOARD).unwrap();
    let panels = dashboard["panels"].as_array().unwrap();
    assert!(panels.len() >= 3);
    let mut used = BTreeSet::new();
    for panel in panels {
        let title = panel["title"].as_str().unwrap();
        let targets = panel["targets"].as_array().unwrap();
        assert!(!targets.is_empty(), "{title}: no query");
        for target in targets {
            let expr = target["expr"].as_str().unwrap();
            let metrics: Vec<&str> = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .filter(|w| w.starts_with("iot_"))
                .collect();
            assert!(!metrics.is_empty(), "{title}: {expr} names no metric");
            for m in metrics {
                assert!(
                    written.contains(m),
                    "{title}: {m} is not written by the forwarder"
                );
                used.insert(m.to_owned());
            }
        }
    }
    // The three views the dashboard is for.
    let titles: Vec<&str> = panels.iter().filter_map(|p| p["title"].as_str()).collect();
    for topic in ["latency", "Heap", "CPU"] {
        assert!(
            titles.iter().any(|t| t.contains(topic)),
            "{topic}: {titles:?}"
        );
    }
    assert!(used.contains("iot_heartbeat_latency_bucket"));
}
