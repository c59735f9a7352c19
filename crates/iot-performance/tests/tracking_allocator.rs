//! `TrackingAllocator` as this test binary's global allocator: exact bookkeeping across
//! alloc, realloc and dealloc, from one thread and from several.
//!
//! The counters are process-wide, and libtest's own threads allocate while a test runs
//! (its bookkeeping of running tests raced the multi-thread check on a loaded machine), so
//! this file has no harness (`harness = false`): `main` runs the checks one after another
//! in a process where nothing else allocates.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Barrier;

use iot_performance::memory::{HeapStats, TrackingAllocator, heap_stats};

#[global_allocator]
static ALLOC: TrackingAllocator<System> = TrackingAllocator::new(System);

fn stats() -> HeapStats {
    heap_stats().expect("the global allocator has served allocations")
}

fn alloc_realloc_dealloc_are_counted_exactly() {
    let before = stats();
    let layout = Layout::from_size_align(1000, 8).unwrap();
    // SAFETY: non-zero layout; the block is reallocated and freed with matching layouts.
    unsafe {
        let p = ALLOC.alloc(layout);
        assert!(!p.is_null());
        let s = stats();
        assert_eq!(s.bytes_in_use - before.bytes_in_use, 1000);
        assert_eq!(s.allocations - before.allocations, 1);
        assert!(s.peak_bytes >= s.bytes_in_use);

        let p = ALLOC.realloc(p, layout, 5000);
        assert!(!p.is_null());
        let s = stats();
        assert_eq!(s.bytes_in_use - before.bytes_in_use, 5000);
        assert_eq!(s.reallocations - before.reallocations, 1);
        assert_eq!(s.allocations - before.allocations, 1);
        assert!(s.largest_request >= 5000);

        let grown = Layout::from_size_align(5000, 8).unwrap();
        let p = ALLOC.realloc(p, grown, 10);
        let s = stats();
        assert_eq!(s.bytes_in_use - before.bytes_in_use, 10);

        ALLOC.dealloc(p, Layout::from_size_align(10, 8).unwrap());
        let s = stats();
        assert_eq!(s.bytes_in_use, before.bytes_in_use);
        assert_eq!(s.deallocations - before.deallocations, 1);
        assert_eq!(s.live_allocations(), before.live_allocations());

        let z = ALLOC.alloc_zeroed(layout);
        assert!(std::slice::from_raw_parts(z, 1000).iter().all(|b| *b == 0));
        ALLOC.dealloc(z, layout);
    }
    assert_eq!(stats().bytes_in_use, before.bytes_in_use);
}

fn collections_through_the_global_allocator() {
    let before = stats();
    let mut v: Vec<u64> = Vec::with_capacity(16);
    assert_eq!(stats().bytes_in_use - before.bytes_in_use, 16 * 8);
    v.reserve_exact(64); // len 0 + 64: capacity 64, one realloc
    assert_eq!(stats().bytes_in_use - before.bytes_in_use, 64 * 8);
    assert_eq!(stats().reallocations - before.reallocations, 1);
    let boxed = Box::new([0u8; 333]);
    assert_eq!(stats().bytes_in_use - before.bytes_in_use, 64 * 8 + 333);
    drop(v);
    drop(boxed);
    let after = stats();
    assert_eq!(after.bytes_in_use, before.bytes_in_use);
    assert_eq!(after.allocations - before.allocations, 2);
    assert_eq!(after.deallocations - before.deallocations, 2);
    assert!(after.peak_bytes >= before.bytes_in_use + 64 * 8 + 333);
}

fn a_refused_allocation_is_counted_and_nothing_changes() {
    let before = stats();
    let mut v: Vec<u8> = Vec::new();
    assert!(v.try_reserve_exact(isize::MAX as usize - 4096).is_err());
    let s = stats();
    assert_eq!(s.failed_allocations - before.failed_allocations, 1);
    assert_eq!(s.bytes_in_use, before.bytes_in_use);
    assert_eq!(s.largest_request, isize::MAX as usize - 4096);
}

fn several_threads_balance_exactly() {
    const THREADS: usize = 8;
    const ROUNDS: usize = 2_000;
    let ready = Barrier::new(THREADS + 1);
    let start = Barrier::new(THREADS + 1);
    let done = Barrier::new(THREADS + 1);
    let release = Barrier::new(THREADS + 1);
    let freed = Barrier::new(THREADS + 1);
    let finish = Barrier::new(THREADS + 1);
    let (before, held, after) = std::thread::scope(|scope| {
        for t in 0..THREADS {
            let barriers = (&ready, &start, &done, &release, &freed, &finish);
            let (ready, start, done, release, freed, finish) = barriers;
            scope.spawn(move || {
                ready.wait();
                start.wait();
                let mut kept = Vec::with_capacity(ROUNDS);
                for i in 0..ROUNDS {
                    // Alternate sizes and grow half of them, keeping every block.
                    let mut b = vec![t as u8; 16 + (i % 7) * 8];
                    if i % 2 == 0 {
                        b.reserve_exact(100);
                    }
                    kept.push(b);
                }
                done.wait();
                release.wait();
                drop(kept);
                freed.wait();
                finish.wait();
            });
        }
        // Workers are started and wait; none allocates until `start` opens.
        ready.wait();
        let before = stats();
        start.wait();
        done.wait();
        // Every worker holds its blocks now, and nothing else allocates.
        let held = stats();
        release.wait();
        freed.wait();
        // Read while the workers still wait: their thread exit frees runtime data.
        let after = stats();
        finish.wait();
        (before, held, after)
    });
    let per_thread: usize = (0..ROUNDS)
        .map(|i| 16 + (i % 7) * 8 + if i % 2 == 0 { 100 } else { 0 })
        .sum::<usize>()
        + ROUNDS * std::mem::size_of::<Vec<u8>>();
    assert_eq!(
        held.bytes_in_use - before.bytes_in_use,
        THREADS * per_thread
    );
    assert_eq!(
        held.allocations - before.allocations,
        THREADS * (ROUNDS + 1)
    );
    assert_eq!(
        held.reallocations - before.reallocations,
        THREADS * ROUNDS / 2
    );
    // Every worker freed what it kept: the counts are back where they started.
    assert_eq!(after.bytes_in_use, before.bytes_in_use);
    assert_eq!(after.live_allocations(), before.live_allocations());
    assert_eq!(
        after.deallocations - before.deallocations,
        THREADS * (ROUNDS + 1)
    );
    assert!(after.peak_bytes >= before.bytes_in_use + THREADS * per_thread);
}

fn the_host_backend_reports_the_tracked_heap() {
    use iot_performance::MemoryProvider;
    let host = iot_performance::host::HostMetrics::new().unwrap();
    let _kept = vec![0u8; 100_000];
    let metrics = host.memory_metrics().unwrap();
    // Reading the metrics allocates nothing through the global allocator.
    assert_eq!(metrics.heap_used, stats().bytes_in_use);
    assert!(metrics.heap_used >= 100_000);
}

fn main() {
    let checks: [(&str, fn()); 5] = [
        (
            "alloc_realloc_dealloc_are_counted_exactly",
            alloc_realloc_dealloc_are_counted_exactly,
        ),
        (
            "collections_through_the_global_allocator",
            collections_through_the_global_allocator,
        ),
        (
            "a_refused_allocation_is_counted_and_nothing_changes",
            a_refused_allocation_is_counted_and_nothing_changes,
        ),
        (
            "several_threads_balance_exactly",
            several_threads_balance_exactly,
        ),
        (
            "the_host_backend_reports_the_tracked_heap",
            the_host_backend_reports_the_tracked_heap,
        ),
    ];
    // A failed check panics: the process exits non-zero and `cargo test` reports it.
    for (name, check) in checks {
        check();
        println!("test {name} ... ok");
    }
    println!("test result: ok. {} passed", checks.len());
}
