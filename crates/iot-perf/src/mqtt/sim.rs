//! The fleet simulator behind `cargo xtask fleet-sim` (hidden subcommands
//! `fleet-sim-devices` and `fleet-sim-check`): many devices publishing wire frames
//! through the broker, and the count of what reached the history and the engine.
//!
//! Devices are multiplexed over a few MQTT connections (each device still has its own
//! topic and run): 10 000 TCP connections would measure the kernel, not the ingest.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use iot_performance::wire::{
    MAX_HEARTBEAT_FRAME_LEN, Reporter, ScopeRecord, SimulatedDevice, SnapshotRecord, StdSink,
    encode_heartbeat,
};

use super::publish::{PublishStats, Publisher};
use iot_performance::wire::mqtt::TopicKind;

use super::topic_string;
use crate::db::History;

/// Firmware versions the simulated fleet runs (device `i` runs `FIRMWARES[i % 2]`).
pub const FIRMWARES: [&str; 2] = ["1.2.0", "1.3.0"];
/// Scopes every simulated device reports.
const SCOPES: [&str; 2] = ["sensor_read", "radio_tx"];

/// The frames of simulated device `device`'s message `round`: the session (round 0
/// only), one snapshot and the scope table, stamped `round` seconds after boot.
pub fn message(device: u32, round: u32) -> Vec<u8> {
    let mut r = Reporter::new(StdSink(Vec::with_capacity(256)));
    let firmware = FIRMWARES[device as usize % FIRMWARES.len()];
    if round == 0 {
        r.session(&format!("dev-{device:05}"), firmware, 1_000_000);
    }
    let t = u64::from(round) * 1_000_000;
    // Spread of the fleet: heap and CPU vary by device, 1.3.0 is a little slower.
    let jitter = u64::from(device % 97);
    r.snapshot_record(&SnapshotRecord {
        timestamp_us: t,
        heap_used: 20_000 + jitter * 64 + u64::from(round) * 8,
        heap_free: 40_000 - jitter * 64,
        heap_total: 60_000,
        stack_used: 2_048 + jitter,
        stack_free: 6_144 - jitter,
        static_memory: 9_392,
        fragmentation: Some(0.1),
        cpu_utilization: 10.0 + (device % 40) as f32,
        uptime_ms: t / 1_000,
        task_count: 4,
        interrupt_count: u64::from(round) * 1_000,
        context_switches: u64::from(round) * 500,
        temperature: Some(41.5),
    });
    let slower = if firmware == FIRMWARES[1] { 115 } else { 100 };
    for (i, name) in SCOPES.iter().enumerate() {
        let calls = u64::from(round + 1) * 10;
        let mean = (200 + 100 * i as u64 + jitter) * slower / 100;
        r.scope(&ScopeRecord {
            timestamp_us: t,
            name,
            calls,
            total_ticks: calls * mean,
            min_ticks: mean / 2,
            max_ticks: mean * 3,
            self_ticks: None,
            busy_ticks: None,
            wall_ticks: None,
            polls: None,
            ticks_per_second: 1_000_000,
        });
    }
    r.into_inner().0
}

/// The heartbeat frame of simulated device `device` (its first interval): the same
/// scopes, log-normal latencies, `1.3.0` 15 % slower on `sensor_read`.
pub fn heartbeat(device: u32) -> Result<Vec<u8>> {
    let firmware = FIRMWARES[device as usize % FIRMWARES.len()];
    let slower = if firmware == FIRMWARES[1] { 1.15 } else { 1.0 };
    let mut sim = SimulatedDevice::new(
        &format!("dev-{device:05}"),
        firmware,
        if device.is_multiple_of(3) {
            "revA"
        } else {
            "revB"
        },
        "sim",
        u64::from(device),
    )
    .with_scope(SCOPES[0], 250.0 * slower, 0.25)
    .with_scope(SCOPES[1], 400.0, 0.3);
    sim.scopes
        .iter_mut()
        .for_each(|s| s.calls_per_interval = 100);
    let hb = sim.next_heartbeat();
    let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
    let len = encode_heartbeat(&hb, &mut buf)
        .map_err(|e| anyhow::anyhow!("encoding a heartbeat: {e}"))?;
    Ok(buf[..len].to_vec())
}

/// Publishes `rounds` messages for each of `devices` devices over `connections`
/// connections, round by round, then one heartbeat per device, at most `rate` messages a
/// second overall when given;
/// returns the publishers' summed counts and the seconds.
pub fn publish_fleet(
    url: &str,
    fleet: &str,
    devices: u32,
    rounds: u32,
    connections: u32,
    rate: Option<f64>,
) -> Result<(PublishStats, f64)> {
    let connections = connections.clamp(1, devices.max(1));
    let publishers: Vec<Publisher> = (0..connections)
        .map(|c| Publisher::connect(url, &format!("iot-perf-sim-{fleet}-{c}"), 10_000))
        .collect::<Result<_>>()?;
    let topics: Vec<String> = (0..devices)
        .map(|d| topic_string(fleet, &format!("dev-{d:05}"), TopicKind::Record))
        .collect::<Result<_>>()?;
    let heartbeat_topics: Vec<String> = (0..devices)
        .map(|d| topic_string(fleet, &format!("dev-{d:05}"), TopicKind::Heartbeat))
        .collect::<Result<_>>()?;
    let heartbeats: Vec<Vec<u8>> = (0..devices).map(heartbeat).collect::<Result<_>>()?;
    let start = Instant::now();
    std::thread::scope(|s| {
        for (c, publisher) in publishers.iter().enumerate() {
            let (topics, heartbeat_topics, heartbeats) = (&topics, &heartbeat_topics, &heartbeats);
            s.spawn(move || {
                let per_connection = rate.map(|r| r / f64::from(connections));
                let mut sent = 0u64;
                // Rounds of record messages, then the heartbeats (round `rounds`).
                for round in 0..=rounds {
                    for d in (c as u32..devices).step_by(connections as usize) {
                        if let Some(r) = per_connection {
                            let due = start + Duration::from_secs_f64(sent as f64 / r);
                            std::thread::sleep(due.saturating_duration_since(Instant::now()));
                        }
                        sent += 1;
                        let (topic, payload) = if round < rounds {
                            (&topics[d as usize], message(d, round))
                        } else {
                            (
                                &heartbeat_topics[d as usize],
                                heartbeats[d as usize].clone(),
                            )
                        };
                        publisher.publish_waiting(topic, payload, Duration::from_secs(60));
                    }
                }
            });
        }
    });
    let mut total = PublishStats::default();
    let deadline = Instant::now() + Duration::from_secs(60);
    for p in publishers {
        let s = p.finish(deadline.saturating_duration_since(Instant::now()));
        total.queued += s.queued;
        total.acked += s.acked;
        total.dropped += s.dropped;
        total.disconnects += s.disconnects;
    }
    Ok((total, start.elapsed().as_secs_f64()))
}

/// What reached the history and the engine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reached {
    /// Device runs of the fleet in the history.
    pub devices: u64,
    /// Distinct (device, time) snapshots in the history (a redelivered message counts once).
    pub snapshots: u64,
    /// Snapshot rows in the history, duplicates included.
    pub snapshot_rows: u64,
    /// Heartbeats in the history (every fleet; a redelivery counts once).
    pub heartbeats: u64,
    /// Snapshot points of the fleet in the engine, if asked.
    pub engine_points: Option<u64>,
    /// Heartbeat points of the fleet in the engine, if asked.
    pub engine_heartbeats: Option<u64>,
}

/// Counts what of fleet `fleet` reached the history and (with `engine`, the engine's base
/// URL) VictoriaMetrics.
pub fn check(history: &std::path::Path, fleet: &str, engine: Option<&str>) -> Result<Reached> {
    let history = History::open_read(history)?;
    let (devices, snapshots, snapshot_rows) = history.fleet_counts(&format!("mqtt/{fleet}/"))?;
    let heartbeats = history.heartbeat_count()?;
    let count = |metric: &str| {
        engine
            .map(|url| engine_count(url, metric, fleet))
            .transpose()
    };
    Ok(Reached {
        devices,
        snapshots,
        snapshot_rows,
        heartbeats,
        engine_points: count("iot_system_heap_used")?,
        engine_heartbeats: count("iot_heartbeat_uptime_ms")?,
    })
}

/// Points of `metric` for `fleet` in VictoriaMetrics at `base` (after a flush).
pub fn engine_count(base: &str, metric: &str, fleet: &str) -> Result<u64> {
    let base = base.trim_end_matches('/');
    let agent = crate::forward::agent(Duration::from_secs(30));
    agent
        .get(&format!("{base}/internal/force_flush"))
        .call()
        .context("flushing the engine")?;
    let query = format!("sum(count_over_time({metric}{{fleet=\"{fleet}\"}}[1d]))");
    let body = agent
        .get(&format!("{base}/api/v1/query"))
        .query("query", &query)
        .call()
        .context("querying the engine")?
        .body_mut()
        .read_to_string()?;
    let v: serde_json::Value = serde_json::from_str(&body)?;
    let Some(result) = v["data"]["result"].as_array() else {
        bail!("unexpected answer from the engine: {body}");
    };
    let Some(first) = result.first() else {
        return Ok(0);
    };
    let Some(count) = first["value"][1].as_str() else {
        bail!("unexpected answer from the engine: {body}");
    };
    Ok(count.parse::<f64>()? as u64)
}
