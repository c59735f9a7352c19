//! Gathering samples over a window into per-metric statistics.

use crate::{PerformanceSnapshot, RunningStats};

/// Running statistics of every numeric metric of a series of snapshots.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct MetricStats {
    /// Heap in use, bytes.
    pub heap_used: RunningStats,
    /// Heap free, bytes.
    pub heap_free: RunningStats,
    /// Stack in use, bytes.
    pub stack_used: RunningStats,
    /// Fragmentation ratio (unmeasured readings are skipped).
    pub fragmentation_ratio: RunningStats,
    /// CPU utilization, percent.
    pub cpu_utilization: RunningStats,
    /// Task count.
    pub task_count: RunningStats,
    /// Temperature, °C (readings without a sensor are skipped).
    pub temperature: RunningStats,
}

impl MetricStats {
    /// Adds one snapshot; memory figures only when `memory` is true.
    pub fn record(&mut self, snapshot: &PerformanceSnapshot, memory: bool) {
        if memory {
            let m = &snapshot.memory;
            self.heap_used.push(m.heap_used as f64);
            self.heap_free.push(m.heap_free as f64);
            self.stack_used.push(m.stack_used as f64);
            self.fragmentation_ratio
                .push(f64::from(m.fragmentation_ratio));
        }
        let s = &snapshot.system;
        self.cpu_utilization.push(f64::from(s.cpu_utilization));
        self.task_count.push(s.task_count as f64);
        if let Some(t) = s.temperature {
            self.temperature.push(f64::from(t));
        }
    }
}

/// The result of collecting metrics over a window: statistics per metric and, with
/// `alloc`, every sample in order.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MetricsCollection {
    /// Provider time of the first sample, µs (0 when empty).
    pub started_us: u64,
    /// Provider time of the last sample, µs (0 when empty).
    pub ended_us: u64,
    /// Number of samples taken.
    pub sample_count: u32,
    /// Samples the provider failed to deliver (not part of the statistics).
    pub failed_samples: u32,
    /// Statistics per metric.
    pub stats: MetricStats,
    /// Every sample, oldest first.
    #[cfg(feature = "alloc")]
    pub samples: alloc::vec::Vec<PerformanceSnapshot>,
}

impl MetricsCollection {
    /// Length of the window covered by the samples, in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.ended_us.saturating_sub(self.started_us) / 1_000
    }
}

/// Builds a [`MetricsCollection`] one snapshot at a time.
///
/// ```
/// use iot_performance::mock::MockMetrics;
/// use iot_performance::{MetricsCollector, PerformanceMonitor};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockMetrics::new_with_defaults();
/// let monitor = PerformanceMonitor::with_provider(&mock).await?;
/// let mut collector = MetricsCollector::new();
/// for used in [1_000, 2_000, 3_000] {
///     mock.set_memory_usage(used, 10_000);
///     collector.record(&monitor.current_metrics().await?);
/// }
/// let collection = collector.finish();
/// assert_eq!(collection.stats.heap_used.mean(), Some(2_000.0));
/// # Ok::<(), iot_performance::Error>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default)]
pub struct MetricsCollector {
    collection: MetricsCollection,
    memory: bool,
}

impl MetricsCollector {
    /// An empty collector that keeps memory statistics.
    pub fn new() -> Self {
        Self {
            collection: MetricsCollection::default(),
            memory: true,
        }
    }

    /// An empty collector; memory statistics only when `memory_tracking` is true.
    pub fn with_memory_tracking(memory_tracking: bool) -> Self {
        Self {
            collection: MetricsCollection::default(),
            memory: memory_tracking,
        }
    }

    /// Adds one snapshot.
    pub fn record(&mut self, snapshot: &PerformanceSnapshot) {
        let c = &mut self.collection;
        if c.sample_count == 0 {
            c.started_us = snapshot.timestamp_us;
        }
        c.ended_us = snapshot.timestamp_us;
        c.sample_count = c.sample_count.saturating_add(1);
        c.stats.record(snapshot, self.memory);
        #[cfg(feature = "alloc")]
        c.samples.push(snapshot.clone());
    }

    /// Counts a sample the provider could not deliver.
    pub fn record_failure(&mut self) {
        self.collection.failed_samples = self.collection.failed_samples.saturating_add(1);
    }

    /// Samples recorded so far.
    pub fn len(&self) -> u32 {
        self.collection.sample_count
    }

    /// True before the first sample.
    pub fn is_empty(&self) -> bool {
        self.collection.sample_count == 0
    }

    /// The finished collection.
    pub fn finish(self) -> MetricsCollection {
        self.collection
    }
}
