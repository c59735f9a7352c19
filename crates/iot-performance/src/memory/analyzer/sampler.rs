//! The background sampler of host memory analyzers: one thread per analyzer, sampling
//! every `sampling_interval_ms` while it runs; it holds a weak reference, so it also ends
//! when the analyzer is dropped. Firmware has no thread: `run()` or `tick()` drive sampling.

use super::MemoryAnalyzer;
use crate::Result;

/// Starts the background sampler of an analyzer (set by `MemoryAnalyzer::new` on a host).
pub(crate) type Launcher<P> = fn(&MemoryAnalyzer<P>) -> Result<()>;

/// Holds the analyzer's state in place where there is no heap (no background sampler).
#[cfg(not(feature = "alloc"))]
#[derive(Debug)]
pub(crate) struct Inline<T>(T);

#[cfg(not(feature = "alloc"))]
impl<T> Inline<T> {
    pub(crate) const fn new(value: T) -> Self {
        Self(value)
    }
}

#[cfg(not(feature = "alloc"))]
impl<T> core::ops::Deref for Inline<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Spawns the sampler thread of `analyzer` for its current generation.
///
/// # Errors
/// [`crate::Error::Provider`] when the thread cannot be created.
#[cfg(host_std)]
pub(crate) fn launch<P>(analyzer: &MemoryAnalyzer<P>) -> Result<()>
where
    P: crate::MemoryProvider + crate::TimingProvider + Send + Sync + 'static,
{
    use std::time::{Duration, Instant};

    let weak = portable_atomic_util::Arc::downgrade(analyzer.inner());
    let generation = analyzer.inner().generation();
    let live = move || {
        weak.upgrade()
            .and_then(|inner| inner.live_interval_ms(generation).map(|ms| (inner, ms)))
    };
    std::thread::Builder::new()
        .name("iot-perf-memory".into())
        .spawn(move || {
            while let Some(ms) = live().map(|(_, ms)| ms) {
                let due = Instant::now() + Duration::from_millis(u64::from(ms));
                while let Some(left) = due.checked_duration_since(Instant::now()) {
                    std::thread::sleep(left.min(Duration::from_millis(50)));
                    if live().is_none() {
                        return;
                    }
                }
                if let Some((inner, _)) = live() {
                    // A failure is counted in `failed_samples`; keep sampling.
                    let _ = inner.sample();
                }
            }
        })
        .map(drop)
        .map_err(|_| crate::Error::Provider {
            what: "spawning the memory analyzer's sampler thread",
        })
}
