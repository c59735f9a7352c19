//! `detailed-profiling`: the analyzer names the size class whose live count only grows.
//!
//! Real allocations through the tracking allocator; the mock provides the clock (so a
//! 300-second run takes no time) and is told the tracked heap figure on every cycle.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::alloc::System;

use iot_performance::memory::{TrackingAllocator, heap_stats, size_class};
use iot_performance::mock::MockMetrics;
use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};

#[global_allocator]
static ALLOC: TrackingAllocator<System> = TrackingAllocator::new(System);

#[test]
fn the_leaking_size_class_is_named() {
    let mock = MockMetrics::new_with_defaults();
    let analyzer = MemoryAnalyzer::with_provider(&mock, MemoryAnalysisConfig::default());
    futures_executor::block_on(async {
        for cycle in 0..300usize {
            // A 48-byte record leaked every cycle...
            Box::leak(Box::new([cycle as u8; 48]));
            // ...while 200-byte buffers come and go.
            let scratch: Vec<Vec<u8>> = (0..cycle % 5).map(|_| vec![0u8; 200]).collect();
            mock.set_memory_usage(heap_stats().unwrap().bytes_in_use, 1 << 20);
            analyzer.tick().await.unwrap();
            drop(scratch);
        }
        let analysis = analyzer.analyze_patterns().await.unwrap();
        assert!(
            analysis.potential_leak_detected,
            "{:?}",
            analysis.leak_evidence
        );
        let classes = analysis.suspected_size_classes.unwrap();
        assert!(classes.contains(size_class(48)), "{classes:?}");
        assert!(!classes.contains(size_class(200)), "{classes:?}");
        let named = classes
            .iter()
            .find(|c| c.index as usize == size_class(48))
            .unwrap();
        assert_eq!((named.min_bytes, named.max_bytes), (33, 64));
        let allocations = analysis.allocations.unwrap();
        assert!(allocations.live_allocations() >= 300);
    });
}
