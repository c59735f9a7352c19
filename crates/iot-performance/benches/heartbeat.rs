//! Cost of the fleet path: recording a duration into a heartbeat histogram, encoding and
//! decoding a 16-scope heartbeat, and comparing two cohorts of 200 devices. Run with
//! `cargo bench -p iot-performance --features wire --bench heartbeat`.
// A benchmark binary: a setup failure should abort the run loudly.
#![allow(clippy::unwrap_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iot_performance::analysis::fleet::{FleetComparator, MergedHistogram};
use iot_performance::timing::histogram::LatencyHistogram;
use iot_performance::wire::{
    MAX_HEARTBEAT_FRAME_LEN, SimulatedDevice, decode_heartbeat, encode_heartbeat,
};

fn sixteen_scope_device(seed: u64) -> SimulatedDevice {
    let mut device = SimulatedDevice::new("node-0042", "1.3.0", "revB", "canary", seed);
    for i in 0..16 {
        device = device.with_scope(
            &format!("scope_name_number_{i:02}"),
            1_000.0 + 500.0 * f64::from(i),
            0.25,
        );
    }
    device
}

fn heartbeat(c: &mut Criterion) {
    let mut h = LatencyHistogram::default();
    let mut t = 1_000u64;
    c.bench_function("histogram: record 1 duration", |b| {
        b.iter(|| {
            t = (t * 7 + 13) % 4_000 + 500;
            h.record(black_box(t));
        })
    });

    let mut device = sixteen_scope_device(1);
    let hb = device.next_heartbeat();
    let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
    let len = encode_heartbeat(&hb, &mut buf).unwrap();
    println!("16-scope heartbeat frame: {len} bytes");
    c.bench_function("heartbeat: encode 16 scopes", |b| {
        b.iter(|| encode_heartbeat(black_box(&hb), &mut buf).unwrap())
    });
    let frame = buf[..len - 1].to_vec();
    c.bench_function("heartbeat: decode 16 scopes", |b| {
        b.iter(|| {
            let mut f = frame.clone();
            decode_heartbeat(black_box(&mut f)).unwrap().scopes.len()
        })
    });

    let cohort = |seed: u64, scale: f64| -> Vec<MergedHistogram> {
        (0..200)
            .map(|d| {
                let mut dev = SimulatedDevice::new("d", "f", "h", "g", seed * 1_000 + d)
                    .with_scope("read_sensor", 1_000.0 * scale, 0.25);
                let mut m = MergedHistogram::new();
                m.add(&dev.next_heartbeat().scopes[0].histogram);
                m
            })
            .collect()
    };
    let (a, b) = (cohort(1, 1.0), cohort(2, 1.05));
    let comparator = FleetComparator::default();
    let mut group = c.benchmark_group("fleet");
    group.sample_size(10);
    group.bench_function(
        "compare 1 scope, 200 vs 200 devices, 2000 resamples",
        |bench| bench.iter(|| comparator.compare(black_box(&a), black_box(&b))),
    );
    group.finish();
}

criterion_group!(benches, heartbeat);
criterion_main!(benches);
