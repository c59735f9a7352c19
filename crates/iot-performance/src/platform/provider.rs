//! The platform abstraction: what a backend must be able to tell.
//!
//! A backend implements the three provider traits; [`PlatformMetrics`] is their union and
//! is implemented automatically. Readings are synchronous (they read counters); only
//! waiting is asynchronous, and it goes through [`TimingProvider::delay_ms`] so that a
//! mock clock can make a sixty-second collection take no real time.

use core::future::Future;

use crate::clock::ticks_to_us;
use crate::{MemoryMetrics, Result, SystemMetrics, WifiStats};

/// A monotonic clock in ticks of known frequency, and a way to wait on it.
pub trait TimingProvider {
    /// The current time in ticks. Never goes backwards; 32-bit hardware counters are
    /// extended to 64 bits by the backend.
    fn now_ticks(&self) -> u64;

    /// Ticks per second of [`TimingProvider::now_ticks`].
    fn ticks_per_second(&self) -> u64;

    /// Waits `ms` milliseconds of this clock. A mock clock advances instantly.
    fn delay_ms(&self, ms: u32) -> impl Future<Output = ()>;

    /// The current time in microseconds.
    fn now_us(&self) -> u64 {
        ticks_to_us(self.now_ticks(), self.ticks_per_second())
    }
}

/// Heap, stack and static memory figures.
pub trait MemoryProvider {
    /// Reads the memory figures now.
    fn memory_metrics(&self) -> Result<MemoryMetrics>;
}

/// CPU, scheduler and environment figures.
pub trait SystemInfoProvider {
    /// Reads the system figures now. `cpu_utilization` covers the time since the previous
    /// call (the first call covers the time since the provider was created).
    fn system_metrics(&self) -> Result<SystemMetrics>;

    /// [`SystemInfoProvider::system_metrics`], with the instant of the reading in
    /// microseconds of [`TimingProvider::now_us`]'s clock when the reading read that clock
    /// itself (for its uptime or its CPU window). A snapshot is stamped with it, so that its
    /// timestamp and uptime are one reading of the clock, converted once. The default
    /// returns `None`: the monitor then reads `now_us` after the system figures.
    fn timed_system_metrics(&self) -> Result<(SystemMetrics, Option<u64>)> {
        Ok((self.system_metrics()?, None))
    }

    /// Wi-Fi traffic totals (bytes, packets, round-trip latency) when the backend tracks
    /// them (the ESP32-C3 backend with `wifi_performance_tracking`, or a mock given
    /// figures); `None` for a backend without Wi-Fi tracking, the default.
    fn wifi_traffic(&self) -> Option<WifiStats> {
        None
    }
}

/// Everything a [`crate::PerformanceMonitor`] needs from a platform.
pub trait PlatformMetrics: TimingProvider + MemoryProvider + SystemInfoProvider {}

impl<T: TimingProvider + MemoryProvider + SystemInfoProvider> PlatformMetrics for T {}

/// Forwarding so that a provider can be shared by reference (e.g. a `&'static` provider).
impl<T: TimingProvider + ?Sized> TimingProvider for &T {
    fn now_ticks(&self) -> u64 {
        (**self).now_ticks()
    }
    fn ticks_per_second(&self) -> u64 {
        (**self).ticks_per_second()
    }
    fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
        (**self).delay_ms(ms)
    }
}

impl<T: MemoryProvider + ?Sized> MemoryProvider for &T {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        (**self).memory_metrics()
    }
}

impl<T: SystemInfoProvider + ?Sized> SystemInfoProvider for &T {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        (**self).system_metrics()
    }
    fn timed_system_metrics(&self) -> Result<(SystemMetrics, Option<u64>)> {
        (**self).timed_system_metrics()
    }
    fn wifi_traffic(&self) -> Option<WifiStats> {
        (**self).wifi_traffic()
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::PerformanceMonitor;
    use crate::mock::MockMetrics;

    /// The mock, with a system reading that says when it was taken (as firmware backends do).
    struct Stamped(MockMetrics);

    impl TimingProvider for Stamped {
        fn now_ticks(&self) -> u64 {
            self.0.now_ticks()
        }
        fn ticks_per_second(&self) -> u64 {
            self.0.ticks_per_second()
        }
        fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
            self.0.delay_ms(ms)
        }
    }

    impl MemoryProvider for Stamped {
        fn memory_metrics(&self) -> Result<MemoryMetrics> {
            self.0.memory_metrics()
        }
    }

    impl SystemInfoProvider for Stamped {
        fn system_metrics(&self) -> Result<SystemMetrics> {
            self.0.system_metrics()
        }
        fn timed_system_metrics(&self) -> Result<(SystemMetrics, Option<u64>)> {
            Ok((self.0.system_metrics()?, Some(123_456)))
        }
    }

    #[test]
    fn a_snapshot_is_stamped_with_the_system_readings_instant() {
        let stamped = Stamped(MockMetrics::new_with_defaults());
        futures_executor::block_on(async {
            // Through a reference: the forwarding impl keeps the stamp.
            let by_ref = PerformanceMonitor::with_provider(&stamped).await.unwrap();
            assert_eq!(by_ref.snapshot().await.unwrap().timestamp_us, 123_456);
            // Without a stamp, the monitor reads the clock.
            let plain = MockMetrics::new_with_defaults();
            let expected = plain.now_us();
            let monitor = PerformanceMonitor::with_provider(&plain).await.unwrap();
            assert_eq!(monitor.snapshot().await.unwrap().timestamp_us, expected);
        });
        // Owned.
        let monitor = futures_executor::block_on(PerformanceMonitor::with_provider(stamped));
        let snapshot = futures_executor::block_on(monitor.unwrap().snapshot()).unwrap();
        assert_eq!(snapshot.timestamp_us, 123_456);
    }
}
