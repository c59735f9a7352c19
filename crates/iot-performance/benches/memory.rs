//! Cost of memory analysis on the host: what the tracking allocator adds to an
//! allocation, and what one analyzer sample and one leak verdict cost.
//!
//! `cargo bench -p iot-performance --bench memory`

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use iot_performance::memory::TrackingAllocator;
use iot_performance::mock::MockMetrics;
use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};

fn alloc_free<A: GlobalAlloc>(a: &A, layout: Layout) {
    // SAFETY: non-zero layout; the block is freed with the same layout.
    unsafe {
        let p = a.alloc(layout);
        black_box(p);
        a.dealloc(p, layout);
    }
}

fn allocation(c: &mut Criterion) {
    let layout = Layout::from_size_align(64, 8).unwrap_or(Layout::new::<u64>());
    let tracking = TrackingAllocator::new(System);
    let mut g = c.benchmark_group("alloc+free 64 B");
    g.bench_function("System", |b| b.iter(|| alloc_free(&System, layout)));
    g.bench_function("TrackingAllocator<System>", |b| {
        b.iter(|| alloc_free(&tracking, layout))
    });
    g.finish();
}

fn analyzer(c: &mut Criterion) {
    let mock = MockMetrics::new_with_defaults();
    let analyzer = MemoryAnalyzer::with_provider(&mock, MemoryAnalysisConfig::default());
    // Fill the detector so that the verdict fits 16 windows.
    for i in 0..400 {
        mock.set_memory_usage(10_000 + 64 * i, 50_000);
        mock.advance_ms(1000);
        let _ = analyzer.sample();
    }
    c.bench_function("MemoryAnalyzer::sample (mock)", |b| {
        b.iter(|| black_box(analyzer.sample()))
    });
    c.bench_function("MemoryAnalyzer::leak_evidence (16 windows)", |b| {
        b.iter(|| black_box(analyzer.leak_evidence()))
    });
}

criterion_group!(benches, allocation, analyzer);
criterion_main!(benches);
