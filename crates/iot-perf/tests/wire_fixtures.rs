//! Every released wire format version has a committed capture that must keep decoding.
//!
//! `tests/fixtures/v1-capture.bin` was written by the version-1 encoder and
//! `tests/fixtures/v2-capture.bin` by the version-2 encoder
//! (`cargo test -p iot-perf --test wire_fixtures -- --ignored` rewrites the current
//! version's file, only ever for a new version). The tests check exact values, so an
//! encoding change that breaks old captures fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use iot_performance::wire::{Record, decode_frame};

const V1: &[u8] = include_bytes!("fixtures/v1-capture.bin");
const V2: &[u8] = include_bytes!("fixtures/v2-capture.bin");

fn decode_all(bytes: &[u8]) -> Vec<Record<'static>> {
    let leaked: &'static mut [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    leaked
        .split_mut(|&b| b == 0)
        .filter(|frame| !frame.is_empty())
        .map(|frame| decode_frame(frame).expect("every fixture frame decodes"))
        .collect()
}

/// The version byte of each frame of a capture: an encoded frame starts with its COBS code
/// byte, then the magic and the version (none of them zero, so COBS copies them as they are).
fn versions(bytes: &[u8]) -> Vec<u8> {
    bytes
        .split(|&b| b == 0)
        .filter(|frame| !frame.is_empty())
        .map(|frame| {
            assert_eq!(&frame[1..3], b"IP");
            frame[3]
        })
        .collect()
}

#[test]
fn version_1_capture_decodes() {
    let records = decode_all(V1);
    assert!(versions(V1).iter().all(|&v| v == 1), "a version-1 file");
    assert_eq!(
        records.len(),
        1 + 10 * 4,
        "session + 10 × (snapshot + 3 scopes)"
    );
    let Record::Session(session) = &records[0] else {
        panic!("first record is the session: {:?}", records[0]);
    };
    assert_eq!(session.device, "qemu-mps2-an385");
    assert_eq!(session.firmware, "sensor-fw 1.0.0");
    assert_eq!(session.ticks_per_second, 25_000_000);
    let Record::Snapshot(first) = &records[1] else {
        panic!("then a snapshot: {:?}", records[1]);
    };
    assert_eq!(first.timestamp_us, 0);
    assert_eq!(first.heap_total, 32_768);
    assert_eq!(first.fragmentation, Some(0.1));
    assert_eq!(first.temperature, None);
    let Record::Scope(last) = records.last().expect("not empty") else {
        panic!("ends with a scope row");
    };
    assert_eq!(last.name, "publish");
    assert_eq!(last.calls, 1000);
    assert_eq!(last.timestamp_us, 900_000);
    assert_eq!(last.ticks_per_second, 25_000_000);
}

#[test]
fn version_1_fixture_holds_the_records_the_current_encoder_writes() {
    // Version 2 only added records: the same records, written today, decode alike.
    assert_eq!(decode_all(V1), decode_all(&common::capture(42, 10, 1.0, 0)));
}

#[test]
fn version_2_capture_decodes_with_task_and_interrupt_rows() {
    let records = decode_all(V2);
    assert!(versions(V2).iter().all(|&v| v == 2), "a version-2 file");
    assert_eq!(
        records.len(),
        1 + 10 * 4 + 10 * 4,
        "v1's records + 10 × (2 tasks + 2 ISRs)"
    );
    let tasks: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Task(t) => Some(t),
            _ => None,
        })
        .collect();
    let last_sensor = tasks
        .iter()
        .rev()
        .find(|t| t.name == Some("sensor"))
        .unwrap();
    assert_eq!(
        (
            last_sensor.id,
            last_sensor.polls,
            last_sensor.busy_ticks,
            last_sensor.wakeups
        ),
        (0x2000_0100, 1_000, 5_000_000, 999)
    );
    assert_eq!(last_sensor.timestamp_us, 1_000_000);
    assert!(
        tasks
            .iter()
            .any(|t| t.name.is_none() && t.id == 0x2000_0200)
    );
    let Record::Interrupt(last) = records.last().unwrap() else {
        panic!("ends with an interrupt row");
    };
    assert_eq!(
        (
            last.name,
            last.count,
            last.timed,
            last.total_ticks,
            last.max_ticks
        ),
        ("UART0", 70, 70, 140_000, 4_000)
    );
    assert_eq!(last.ticks_per_second, 25_000_000);
}

#[test]
fn version_2_fixture_matches_the_current_encoder() {
    // While version 2 is the current version, the encoder must still produce these bytes.
    assert_eq!(
        iot_performance::wire::VERSION,
        2,
        "add a v3 fixture and keep this one"
    );
    assert_eq!(common::capture_with_tasks(42, 10), V2);
}

#[test]
#[ignore = "writes the fixture; run only when adding a new version's file"]
fn write_version_2_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v2-capture.bin");
    std::fs::write(path, common::capture_with_tasks(42, 10)).expect("fixture written");
}
