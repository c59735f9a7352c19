//! Decode throughput of the wire format: records per second through the host's path
//! (split at `0x00`, COBS-decode in place, check magic/version/CRC, postcard-parse).
//!
//! `cargo bench -p iot-perf --bench decode`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use iot_performance::wire::{Record, Reporter, ScopeRecord, SnapshotRecord, StdSink, decode_frame};

const NAMES: [&str; 4] = [
    "read_sensor",
    "filter_reading",
    "publish_payload",
    "radio::tx_frame",
];

/// A capture like a device's: per report one snapshot and four scope rows.
fn capture(reports: u64) -> (Vec<u8>, u64) {
    let mut reporter = Reporter::new(StdSink(Vec::new()));
    for i in 0..reports {
        reporter.snapshot_record(&SnapshotRecord {
            timestamp_us: i * 100_000,
            heap_used: 8_192 + i % 512,
            heap_free: 24_000,
            heap_total: 32_768,
            stack_used: 1_200,
            stack_free: 2_896,
            static_memory: 5_120,
            fragmentation: Some(0.12),
            cpu_utilization: 31.5,
            uptime_ms: i * 100,
            task_count: 4,
            interrupt_count: i * 250,
            context_switches: i * 40,
            temperature: Some(41.0),
        });
        for (k, name) in NAMES.iter().enumerate() {
            reporter.scope(&ScopeRecord {
                timestamp_us: i * 100_000,
                name,
                calls: i * 100,
                total_ticks: i * 100 * (2_500 + k as u64 * 3_000),
                min_ticks: 2_000,
                max_ticks: 19_000,
                self_ticks: None,
                busy_ticks: None,
                wall_ticks: None,
                polls: None,
                ticks_per_second: 25_000_000,
            });
        }
    }
    assert_eq!(reporter.dropped(), 0);
    let sent = u64::from(reporter.sent());
    (reporter.into_inner().0, sent)
}

fn decode_all(buffer: &mut [u8]) -> usize {
    let mut n = 0;
    for frame in buffer.split_mut(|&b| b == 0).filter(|f| !f.is_empty()) {
        if let Ok(record) = decode_frame(frame) {
            n += usize::from(matches!(record, Record::Snapshot(_) | Record::Scope(_)));
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let (bytes, records) = capture(2_000);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Elements(records));
    group.bench_function("split_cobs_crc_postcard_10k_records", |b| {
        let mut work = bytes.clone();
        b.iter(|| {
            work.copy_from_slice(&bytes);
            std::hint::black_box(decode_all(&mut work))
        });
    });
    group.finish();
    println!(
        "capture: {records} records in {} bytes ({:.1} bytes/record on the wire)",
        bytes.len(),
        bytes.len() as f64 / records as f64
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
