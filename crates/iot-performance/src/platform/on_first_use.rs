//! [`OnFirstUse`] and [`open_default_backend`]: the platform's default backend for the
//! constructors that take no provider (`BaselineManager::new`, `RegressionDetector::new`,
//! `MemoryAnalyzer::new`).
//!
//! On a host it is the process ([`crate::host`]). On firmware with a platform feature it
//! is that platform's backend with its default config, built when first used: the backends'
//! `new` completes without waiting, so a synchronous constructor such as
//! `MemoryAnalyzer::new(config)` can hold one. Building a backend again (one per component)
//! re-reads the same hardware; it does not reset what the others measured, except the
//! stack high-water mark, which is painted anew.

use once_cell::sync::OnceCell;

use crate::{
    Error, MemoryMetrics, MemoryProvider, Result, SystemInfoProvider, SystemMetrics, TimingProvider,
};

/// Opens this platform's default backend.
///
/// # Errors
/// The backend's error (e.g. a Cortex-M without SysTick running).
#[cfg(host_std)]
pub(crate) fn open_default_backend() -> Result<crate::platform::DefaultPlatform> {
    crate::host::HostMetrics::new()
}

/// Opens this platform's default backend with its default config.
///
/// # Errors
/// The backend's error (e.g. a Cortex-M without SysTick running).
#[cfg(all(
    not(host_std),
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
pub(crate) fn open_default_backend() -> Result<crate::platform::DefaultPlatform> {
    ready_now(crate::platform::DefaultPlatform::new(Default::default()))
}

/// The output of a future that completes on its first poll.
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
fn ready_now<T>(future: impl Future<Output = Result<T>>) -> Result<T> {
    let mut future = core::pin::pin!(future);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    match future.as_mut().poll(&mut cx) {
        core::task::Poll::Ready(result) => result,
        core::task::Poll::Pending => Err(Error::Provider {
            what: "the default backend waits while starting: build it with `new(config).await` \
                   and pass it to `with_provider`",
        }),
    }
}

/// A backend built by `open` when first used, then kept: a provider that a synchronous
/// constructor can hold. An error from `open` is kept too and returned by every reading.
pub struct OnFirstUse<P> {
    open: fn() -> Result<P>,
    /// Set once (`once_cell`, over `critical-section` on firmware), read lock-free after.
    opened: OnceCell<Result<P>>,
}

impl<P> core::fmt::Debug for OnFirstUse<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OnFirstUse")
            .field("opened", &self.opened.get().is_some())
            .finish_non_exhaustive()
    }
}

impl<P> OnFirstUse<P> {
    /// A backend that `open` builds on the first reading.
    pub const fn new(open: fn() -> Result<P>) -> Self {
        Self {
            open,
            opened: OnceCell::new(),
        }
    }

    /// The backend, built now if this is the first use.
    ///
    /// # Errors
    /// The error `open` returned (kept: it is not retried).
    pub fn get(&self) -> Result<&P> {
        self.opened.get_or_init(self.open).as_ref().map_err(|e| *e)
    }
}

impl<P: TimingProvider> TimingProvider for OnFirstUse<P> {
    /// The backend's clock; the crate's clock ([`crate::clock`]) while it cannot open.
    fn now_ticks(&self) -> u64 {
        match self.get() {
            Ok(p) => p.now_ticks(),
            Err(_) => crate::clock::try_now().unwrap_or(0),
        }
    }
    fn ticks_per_second(&self) -> u64 {
        match self.get() {
            Ok(p) => p.ticks_per_second(),
            Err(_) => crate::clock::ticks_per_second(),
        }
    }
    async fn delay_ms(&self, ms: u32) {
        if let Ok(p) = self.get() {
            p.delay_ms(ms).await;
        }
    }
}

impl<P: MemoryProvider> MemoryProvider for OnFirstUse<P> {
    fn memory_metrics(&self) -> Result<MemoryMetrics> {
        self.get()?.memory_metrics()
    }
}

impl<P: SystemInfoProvider> SystemInfoProvider for OnFirstUse<P> {
    fn system_metrics(&self) -> Result<SystemMetrics> {
        self.get()?.system_metrics()
    }
    fn timed_system_metrics(&self) -> Result<(SystemMetrics, Option<u64>)> {
        self.get()?.timed_system_metrics()
    }
    fn wifi_traffic(&self) -> Option<crate::WifiStats> {
        self.get().ok()?.wifi_traffic()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockMetrics;

    #[test]
    fn opened_once_on_first_use() {
        use core::sync::atomic::{AtomicBool, Ordering};
        static OPENED: AtomicBool = AtomicBool::new(false);
        fn open() -> Result<MockMetrics> {
            assert!(!OPENED.swap(true, Ordering::SeqCst), "opened twice");
            Ok(MockMetrics::new_with_defaults())
        }
        let backend = OnFirstUse::new(open);
        assert!(!OPENED.load(Ordering::SeqCst));
        assert_eq!(backend.memory_metrics().unwrap().heap_used, 16_384);
        assert_eq!(backend.system_metrics().unwrap().cpu_utilization, 25.0);
    }

    #[test]
    fn an_opening_error_is_returned_by_every_reading() {
        fn open() -> Result<MockMetrics> {
            Err(Error::Provider { what: "no SysTick" })
        }
        let backend = OnFirstUse::new(open);
        for _ in 0..2 {
            assert_eq!(
                backend.memory_metrics().unwrap_err(),
                Error::Provider { what: "no SysTick" }
            );
        }
    }
}
