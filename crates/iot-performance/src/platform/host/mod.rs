//! The host backend (`std`): real figures for the running process.
//!
//! | metric | source |
//! |---|---|
//! | clock | the CPU's time-stamp counter, calibrated by `quanta` (monotonic clock where no stable TSC) |
//! | heap | the C allocator's own accounting (`mallinfo2`, glibc); a [`crate::memory::TrackingAllocator`] installed as global allocator replaces the in-use figure with its exact count |
//! | stack | high-water mark of the calling thread's stack once it was painted ([`crate::memory::stack`]), else its current depth within its bounds (`pthread_getattr_np`) |
//! | static memory | writable loaded segments of the executable (`dl_iterate_phdr`) |
//! | CPU | process CPU time (`getrusage`) over wall time since the previous reading, as a share of all cores |
//! | tasks | threads of the process (`sysinfo`) |
//! | context switches | voluntary + involuntary switches of the process (`getrusage`) |
//! | uptime | time since the process started (start time from `sysinfo`, known to the second) |
//! | temperature | the hottest CPU sensor the OS exposes (`sysinfo`), else `None` |
//! | fragmentation | not reported by the system allocator: `NaN` (see [`crate::MemoryMetrics::fragmentation`]) |
//!
//! ```
//! use iot_performance::host::HostMetrics;
//! use iot_performance::{MemoryProvider, SystemInfoProvider};
//!
//! let host = HostMetrics::new()?;
//! let system = host.system_metrics()?;
//! assert!(system.task_count >= 1);
//! assert!(host.memory_metrics()?.static_memory > 0);
//! # Ok::<(), iot_performance::Error>(())
//! ```

mod memory;
mod system;

use core::future::Future;
use std::time::Duration;

pub use crate::clock::HostClock;
#[cfg(target_os = "linux")]
pub(crate) use memory::thread_stack_bounds;

use crate::{
    MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// Real metrics of the current process. Cheap to share by reference; readings take `&self`.
#[derive(Debug)]
pub struct HostMetrics {
    clock: HostClock,
    system: system::ProcessSampler,
}

impl HostMetrics {
    /// Calibrates the clock and opens the process's statistics.
    ///
    /// # Errors
    /// [`crate::Error::Provider`] when the OS does not let the process read its own statistics.
    pub fn new() -> Result<Self> {
        Ok(Self {
            clock: HostClock::new(),
            system: system::ProcessSampler::new()?,
        })
    }

    /// The calibrated clock this backend uses.
    pub fn clock(&self) -> &HostClock {
        &self.clock
    }
}

/// The clock and memory readings [`HostMetrics`] and [`HostMemory`] share: both hold a
/// calibrated [`HostClock`] in a field `clock` and read the process's memory.
macro_rules! host_clock_and_memory {
    ($($backend:ty),+) => {$(
        impl TimingProvider for $backend {
            fn now_ticks(&self) -> u64 {
                self.clock.now_ticks()
            }

            fn ticks_per_second(&self) -> u64 {
                self.clock.ticks_per_second()
            }

            fn delay_ms(&self, ms: u32) -> impl Future<Output = ()> {
                futures_timer::Delay::new(Duration::from_millis(u64::from(ms)))
            }
        }

        impl MemoryProvider for $backend {
            fn memory_metrics(&self) -> Result<MemoryMetrics> {
                memory::read()
            }
        }
    )+};
}

host_clock_and_memory!(HostMetrics, HostMemory);

/// Memory and clock of the current process only: what [`crate::MemoryAnalyzer`] needs,
/// without opening the process statistics of [`HostMetrics`].
#[derive(Debug)]
pub struct HostMemory {
    clock: HostClock,
}

impl HostMemory {
    /// Calibrates the clock.
    pub fn new() -> Self {
        Self {
            clock: HostClock::new(),
        }
    }
}

impl Default for HostMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl SystemInfoProvider for HostMetrics {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        self.system.read()
    }
}
