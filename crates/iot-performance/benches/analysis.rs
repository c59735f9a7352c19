//! Cost of the analysis paths that run on the device (regression checks, baselines,
//! insights) and of the host-side statistics. Run with
//! `cargo bench -p iot-performance --features serde --bench analysis`.
// A benchmark binary: a setup failure should abort the run loudly.
#![allow(clippy::panic)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iot_performance::analysis::{Metric, PerformanceComparator, Unit, fit_trend, student_t};
use iot_performance::baseline::{PerformanceBaseline, codec, name};
use iot_performance::insights::{InsightInput, InsightThresholds, ScopeInput, analyze};
use iot_performance::mock::MockMetrics;
use iot_performance::regression::{DetectorOptions, RegressionConfig, RegressionTracker};
use iot_performance::{MetricStats, MonitorConfig, PerformanceMonitor, RunningStats};

fn tracker_with(metrics: usize) -> RegressionTracker {
    let mut t = RegressionTracker::new(RegressionConfig::DEFAULT, DetectorOptions::DEFAULT)
        .unwrap_or_else(|_| RegressionTracker::const_default());
    let names = [
        "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12",
    ];
    for _ in 0..DetectorOptions::DEFAULT.baseline_windows {
        for n in names.iter().take(metrics.saturating_sub(3)) {
            t.observe(Metric::Scope(n), 100.0);
        }
        for m in [Metric::HeapUsed, Metric::StackUsed, Metric::CpuUtilization] {
            t.observe(m, 1000.0);
        }
        t.end_window();
    }
    t
}

fn device_paths(c: &mut Criterion) {
    let mut t = tracker_with(16);
    c.bench_function("tracker: observe 1 value", |b| {
        b.iter(|| t.observe(black_box(Metric::HeapUsed), black_box(1010.0)))
    });
    let mut t = tracker_with(16);
    let names = [
        "s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "s12",
    ];
    c.bench_function("tracker: 16 metrics observed + end_window", |b| {
        b.iter(|| {
            for n in names {
                t.observe(Metric::Scope(n), 101.0);
            }
            for m in [Metric::HeapUsed, Metric::StackUsed, Metric::CpuUtilization] {
                t.observe(m, 1010.0);
            }
            black_box(t.end_window())
        })
    });

    let mock = MockMetrics::new_with_defaults();
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap_or_else(|e| panic!("runtime: {e}"));
    let monitor = rt
        .block_on(PerformanceMonitor::with_provider_and_config(
            &mock,
            MonitorConfig::for_testing(),
        ))
        .unwrap_or_else(|e| panic!("monitor: {e}"));
    c.bench_function("monitor: check_regression (one sample, mock)", |b| {
        b.iter(|| black_box(rt.block_on(monitor.check_regression())))
    });
    c.bench_function("monitor: snapshot only (mock), for reference", |b| {
        b.iter(|| black_box(rt.block_on(monitor.snapshot())))
    });

    let scopes = [
        ScopeInput {
            name: "a",
            busy_us: 700,
            calls: 10,
            p50_us: Some(7.0),
            p99_us: Some(30.0),
        },
        ScopeInput {
            name: "b",
            busy_us: 300,
            calls: 10,
            p50_us: Some(3.0),
            p99_us: Some(4.0),
        },
    ];
    let input = InsightInput {
        cpu_utilization: Some(95.0),
        scopes: &scopes,
        ..InsightInput::default()
    };
    let th = InsightThresholds::default();
    c.bench_function("insights: analyze (2 scopes, CPU)", |b| {
        b.iter(|| black_box(analyze(black_box(&input), &th)))
    });

    let mut stats = MetricStats::default();
    for v in 0..100 {
        stats.heap_used.push(f64::from(v));
        stats.cpu_utilization.push(f64::from(v) / 10.0);
    }
    let baseline = PerformanceBaseline {
        name: name("steady_state").unwrap_or_default(),
        recorded_at_us: 1,
        duration_ms: 10_000,
        sample_count: 100,
        stats,
        scopes: heapless::Vec::new(),
        scopes_dropped: 0,
    };
    let mut buf = [0u8; codec::MAX_FRAME_LEN];
    c.bench_function("codec: encode baseline frame", |b| {
        b.iter(|| black_box(codec::encode(black_box(&baseline), &mut buf)))
    });
    let n = codec::encode(&baseline, &mut buf).unwrap_or(0);
    println!("baseline frame: {n} bytes (max {})", codec::MAX_FRAME_LEN);
    c.bench_function("codec: decode baseline frame", |b| {
        b.iter(|| black_box(codec::decode(black_box(&buf[..n]))))
    });
}

fn host_statistics(c: &mut Criterion) {
    let points: Vec<(u64, f64)> = (0..128u64)
        .map(|i| (i * 60_000_000, 1000.0 + i as f64))
        .collect();
    c.bench_function("trend: least squares + CI, 128 points", |b| {
        b.iter(|| black_box(fit_trend(points.iter().copied(), Unit::Bytes)))
    });
    let (mut a, mut bb) = (RunningStats::new(), RunningStats::new());
    for i in 0..100 {
        a.push(f64::from(i));
        bb.push(f64::from(i) + 5.0);
    }
    let cmp = PerformanceComparator::new();
    c.bench_function("compare: Welch test, one metric", |b| {
        b.iter(|| black_box(cmp.compare_metric(Metric::HeapUsed, black_box(&a), &bb)))
    });
    c.bench_function("student t: 95 % quantile", |b| {
        b.iter(|| black_box(student_t::two_sided_quantile(0.95, black_box(57.0))))
    });
}

fn sizes(_c: &mut Criterion) {
    use std::mem::size_of;
    println!(
        "size_of RegressionTracker (8 metrics): {} B",
        size_of::<RegressionTracker>()
    );
    println!(
        "size_of PerformanceBaseline: {} B",
        size_of::<PerformanceBaseline>()
    );
    println!(
        "size_of PerformanceAnalyzer (128 points): {} B",
        size_of::<iot_performance::PerformanceAnalyzer>()
    );
    println!(
        "size_of MonitorCell<MockMetrics>: {} B",
        size_of::<iot_performance::MonitorCell<MockMetrics>>()
    );
}

criterion_group!(benches, device_paths, host_statistics, sizes);
criterion_main!(benches);
