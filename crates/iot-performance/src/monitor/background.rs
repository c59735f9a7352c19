//! The background sampler of host monitors: one thread per monitor that samples every
//! `sampling_interval_ms` while the monitor runs, so that "start" starts something on a
//! host without an async runtime.
//!
//! The thread holds only a weak reference: it ends when monitoring stops (woken at once),
//! when monitoring is restarted (a new thread takes over), or when the last handle of the
//! monitor is dropped. On firmware there is no thread: the application drives sampling
//! with [`super::PerformanceMonitor::run`] (an Embassy task) or
//! [`super::PerformanceMonitor::tick`] from its loop.

use super::{HandleBound, PerformanceMonitor};
use crate::{PlatformMetrics, Result};

/// Starts the background sampler of a monitor (set by the constructors that sample in
/// the background).
#[cfg(feature = "alloc")]
pub(crate) type Launcher<P> = fn(&super::shared::CellRef<P>) -> Result<()>;

impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// Starts the background sampler if this monitor has one; `Ok(false)` if it has none.
    pub(crate) fn launch_background(&self) -> Result<bool> {
        #[cfg(not(feature = "alloc"))]
        return Ok(false);
        #[cfg(feature = "alloc")]
        match self.cell.background {
            Some(launch) => launch(&self.cell).map(|()| true),
            None => Ok(false),
        }
    }
}

#[cfg(host_std)]
pub(crate) use host::launch;

#[cfg(host_std)]
mod host {
    use std::time::{Duration, Instant};

    use portable_atomic_util::{Arc, Weak};

    use super::super::{MonitorCell, PerformanceMonitor};
    use crate::{Error, PlatformMetrics, Result};

    /// Spawns the sampler thread of `monitor` for the current monitoring generation.
    pub(crate) fn launch<P: PlatformMetrics + Send + Sync + 'static>(
        cell: &Arc<MonitorCell<P>>,
    ) -> Result<()> {
        let weak = Arc::downgrade(cell);
        let generation = cell.with_state(|s| s.generation);
        let thread = std::thread::Builder::new()
            .name("iot-perf-sampler".into())
            .spawn(move || sample_until_stopped(&weak, generation))
            .map_err(|_| Error::Provider {
                what: "spawning the background sampler thread",
            })?;
        let previous = cell.with_state(|s| {
            s.driven = true;
            s.sampler.replace(thread.thread().clone())
        });
        if let Some(previous) = previous {
            previous.unpark(); // it sees the new generation and ends
        }
        Ok(())
    }

    /// The monitor's sampling interval while it still runs in `generation`.
    fn live_interval<P>(weak: &Weak<MonitorCell<P>>, generation: u32) -> Option<Duration> {
        let cell = weak.upgrade()?;
        cell.with_state(|s| {
            (s.running && s.generation == generation)
                .then(|| Duration::from_millis(u64::from(s.config.sampling_interval_ms)))
        })
    }

    fn sample_until_stopped<P: PlatformMetrics + Send + Sync + 'static>(
        weak: &Weak<MonitorCell<P>>,
        generation: u32,
    ) {
        while let Some(interval) = live_interval(weak, generation) {
            let due = Instant::now() + interval;
            loop {
                let now = Instant::now();
                if now >= due {
                    break;
                }
                std::thread::park_timeout(due - now);
                if live_interval(weak, generation).is_none() {
                    return;
                }
            }
            let Some(cell) = weak.upgrade() else { return };
            let monitor = PerformanceMonitor { cell };
            if monitor
                .cell
                .with_state(|s| s.running && s.generation == generation)
            {
                // A failure is counted in `failed_samples`; keep sampling.
                let _ = monitor.record_now();
            }
        }
    }
}
