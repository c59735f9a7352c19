//! Every released heartbeat version has a committed capture that must keep decoding.
//!
//! `tests/fixtures/heartbeat-v1.bin` holds two version-1 heartbeats: one with every field
//! set (tasks, Wi-Fi, a fine and a log2 histogram) and one as `Heartbeat::new` leaves it.
//! The test compares every field, so an encoding change that breaks old captures fails
//! here. A missing fixture of the current version is written and the test fails, asking
//! for it to be committed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

use std::path::Path;

use iot_performance::timing::histogram::LatencyHistogram;
use iot_performance::wire::{
    CpuFigures, DeviceIdentity, HEARTBEAT_VERSION, Heartbeat, MAX_HEARTBEAT_FRAME_LEN, ResetInfo,
    ResetReason, ScopeHeartbeat, TaskShare, WifiFigures, decode_heartbeat, encode_heartbeat,
};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The heartbeats of `heartbeat-v1.bin`.
fn v1_heartbeats() -> Vec<Heartbeat<'static>> {
    let mut full = Heartbeat::new(DeviceIdentity {
        device: "node-0042",
        firmware: "1.3.0",
        hardware: "revB",
        group: "canary",
    });
    full.sequence = 17;
    full.uptime_ms = 61_200_000;
    full.interval_ms = 3_600_000;
    full.reset = ResetInfo {
        count: 3,
        reason: ResetReason::Watchdog,
    };
    full.ticks_per_second = 160_000_000;
    full.heap_peak = Some(48_128);
    full.stack_peak = Some(3_072);
    full.cpu = Some(CpuFigures {
        mean_percent: 23.5,
        max_percent: 71.25,
    });
    let tasks = full.tasks.insert(Default::default());
    for (name, busy) in [("sensor", 12.5), ("net", 8.0), ("", 0.5)] {
        tasks
            .push(TaskShare {
                name,
                busy_percent: busy,
            })
            .unwrap();
    }
    full.wifi = Some(WifiFigures {
        tx_bytes: 1_234_567,
        rx_bytes: 7_654_321,
        tx_packets: 4_000,
        rx_packets: 9_000,
        mean_latency_us: Some(18_000),
        max_latency_us: 250_000,
    });
    let mut fine = LatencyHistogram::new(3);
    for i in 0..1_000u64 {
        fine.record(160_000 + (i * 7_919) % 64_000);
    }
    full.scopes
        .push(ScopeHeartbeat::from_histogram("read_sensor", fine))
        .unwrap();
    full.scopes
        .push(ScopeHeartbeat {
            name: "publish",
            calls: 60,
            total_ticks: 38_400_000,
            max_ticks: 1_900_000,
            histogram: LatencyHistogram::from_log2_buckets(&[
                0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 40, 20,
            ]),
        })
        .unwrap();
    full.scopes_omitted = 2;
    full.messages_dropped = 5;
    let minimal = Heartbeat::new(DeviceIdentity {
        device: "node-0001",
        firmware: "1.2.0",
        hardware: "revA",
        group: "",
    });
    vec![full, minimal]
}

fn encode_all(heartbeats: &[Heartbeat<'_>]) -> Vec<u8> {
    let mut out = Vec::new();
    for hb in heartbeats {
        let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
        let n = encode_heartbeat(hb, &mut buf).unwrap();
        out.extend_from_slice(&buf[..n]);
    }
    out
}

fn decode_all(bytes: &[u8]) -> Vec<Heartbeat<'static>> {
    let leaked: &'static mut [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    leaked
        .split_mut(|&b| b == 0)
        .filter(|f| !f.is_empty())
        .map(|f| decode_heartbeat(f).expect("every fixture frame decodes"))
        .collect()
}

fn fixture(version: u8) -> Vec<u8> {
    let path = Path::new(FIXTURES).join(format!("heartbeat-v{version}.bin"));
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(_) if version == HEARTBEAT_VERSION => {
            std::fs::write(&path, encode_all(&v1_heartbeats())).unwrap();
            panic!("wrote {}: commit it", path.display());
        }
        Err(e) => panic!("{}: {e}", path.display()),
    }
}

#[test]
fn version_1_heartbeats_decode_field_by_field() {
    let decoded = decode_all(&fixture(1));
    assert_eq!(decoded, v1_heartbeats());
    let read = decoded[0].scope("read_sensor").unwrap();
    assert_eq!((read.calls, read.histogram.sub_bits()), (1_000, 3));
    let p90 = read.histogram.percentile_ticks(90.0).unwrap();
    // Uniform over 160_000..224_000 ticks: p90 is 217_600, read from bins 16_384 ticks wide.
    assert!((213_000.0..=222_000.0).contains(&p90), "{p90}");
}

#[test]
fn version_1_fixture_matches_the_current_encoder() {
    assert_eq!(
        HEARTBEAT_VERSION, 1,
        "add a heartbeat-v2 fixture and keep this one"
    );
    assert_eq!(fixture(1), encode_all(&v1_heartbeats()));
}

#[test]
fn every_committed_heartbeat_fixture_keeps_decoding() {
    let mut versions = 0;
    for entry in std::fs::read_dir(FIXTURES).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.starts_with("heartbeat-v") && name.ends_with(".bin") {
            let bytes = std::fs::read(Path::new(FIXTURES).join(&name)).unwrap();
            assert!(!decode_all(&bytes).is_empty(), "{name} holds heartbeats");
            versions += 1;
        }
    }
    assert!(
        versions >= usize::from(HEARTBEAT_VERSION),
        "one fixture per version"
    );
}
