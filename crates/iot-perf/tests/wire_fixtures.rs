//! Every released wire format version has a committed capture that must keep decoding.
//!
//! `tests/fixtures/v1-capture.bin` was written by the version-1 encoder
//! (`cargo test -p iot-perf --test wire_fixtures -- --ignored` rewrites it, only ever for
//! a new version's file). The test checks exact values, so an encoding change that breaks
//! old captures fails here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use iot_performance::wire::{Record, decode_frame};

const V1: &[u8] = include_bytes!("fixtures/v1-capture.bin");

fn decode_all(bytes: &[u8]) -> Vec<Record<'static>> {
    let leaked: &'static mut [u8] = Box::leak(bytes.to_vec().into_boxed_slice());
    leaked
        .split_mut(|&b| b == 0)
        .filter(|frame| !frame.is_empty())
        .map(|frame| decode_frame(frame).expect("every fixture frame decodes"))
        .collect()
}

#[test]
fn version_1_capture_decodes() {
    let records = decode_all(V1);
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
fn version_1_fixture_matches_the_current_encoder() {
    // While version 1 is the current version, the encoder must still produce these bytes.
    assert_eq!(
        iot_performance::wire::VERSION,
        1,
        "add a v2 fixture and keep this one"
    );
    assert_eq!(common::capture(42, 10, 1.0, 0), V1);
}

#[test]
#[ignore = "writes the fixture; run only when adding a new version's file"]
fn write_version_1_fixture() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");
    std::fs::write(path, common::capture(42, 10, 1.0, 0)).expect("fixture written");
}
