//! [`PerformanceMonitor`]: samples a platform's metrics, on demand or periodically.
//!
//! ```
//! use iot_performance::mock::MockMetrics;
//! use iot_performance::{MonitorConfig, PerformanceMonitor};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mock = MockMetrics::new_with_defaults();
//! let monitor = PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing()).await?;
//! monitor.start_realtime_analysis().await?;
//!
//! // Ten seconds of samples, every 100 ms of the mock clock: no real time passes.
//! let collection = monitor.collect_metrics_for_duration(10).await?;
//! assert_eq!(collection.sample_count, 100);
//! assert_eq!(collection.duration_ms(), 9_900);
//! assert_eq!(collection.stats.cpu_utilization.mean(), Some(25.0));
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! ```

#[cfg(feature = "alloc")]
mod attachment;
mod background;
mod collector;
mod config;
mod lazy;
mod on_demand;
#[cfg(feature = "alloc")]
mod retained;
mod shared;
mod stats;
mod system_monitor;

pub use collector::{MetricStats, MetricsCollection, MetricsCollector};
pub use config::MonitorConfig;
#[cfg(feature = "alloc")]
pub use retained::{Accumulated, RETAINED_CAPACITY, SampleCursor};
pub use stats::RunningStats;
pub use system_monitor::{SystemMonitor, SystemSample};

pub(crate) use lazy::LazyMonitor;
#[cfg(any(
    host_std,
    all(
        feature = "alloc",
        any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
    )
))]
pub(crate) use lazy::open_default_monitor;
use shared::CellRef;
pub use shared::{HandleBound, MonitorCell};

use crate::platform::DefaultPlatform;
use crate::{PerformanceSnapshot, PlatformMetrics, Result};

/// A handle to a monitor: clone it (a reference count, or a copy of a `&'static` without
/// `alloc`) and move the clones into tasks; every method takes `&self`.
///
/// ## Who samples
/// - **On a host**, a monitor made by [`PerformanceMonitor::new`] (or
///   `PerformanceMonitor::sampling_in_background`) samples on its own thread every
///   `sampling_interval_ms` from [`PerformanceMonitor::start_monitoring`] until
///   [`PerformanceMonitor::stop_monitoring`] or until its last handle is dropped. No async
///   runtime is needed.
/// - **On firmware** (and for monitors of a borrowed backend such as the mock),
///   `start_monitoring` arms sampling and takes the first sample; one future drives it:
///   spawn [`PerformanceMonitor::run`] as an Embassy task, or call
///   [`PerformanceMonitor::tick`] from the application's loop:
///
/// ```ignore
/// monitor.start_monitoring().await?;              // arm, first sample
/// spawner.spawn(sampler(monitor.clone()))?;       // #[embassy_executor::task]
/// async fn sampler(m: PerformanceMonitor) { m.run().await }
/// ```
///
/// On the mock, time is the mock's clock: everything is instant and deterministic.
pub struct PerformanceMonitor<P: PlatformMetrics + HandleBound = DefaultPlatform> {
    pub(crate) cell: CellRef<P>,
}

impl<P: PlatformMetrics + HandleBound> Clone for PerformanceMonitor<P> {
    // Without `alloc` the handle is a `&'static` and this clone is a copy.
    #[allow(noop_method_call)]
    fn clone(&self) -> Self {
        Self {
            cell: self.cell.clone(),
        }
    }
}

impl<P: PlatformMetrics + HandleBound> core::fmt::Debug for PerformanceMonitor<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let state = self.cell.with_state(|s| (s.config, s.running, s.samples));
        f.debug_struct("PerformanceMonitor")
            .field("config", &state.0)
            .field("running", &state.1)
            .field("samples", &state.2)
            .finish_non_exhaustive()
    }
}

#[cfg(host_std)]
impl PerformanceMonitor<DefaultPlatform> {
    /// A monitor of this platform's default backend (the host process under `std`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] for a config out of range;
    /// [`crate::Error::Provider`] when the backend cannot start.
    ///
    /// It samples in the background once started (see [who samples](PerformanceMonitor#who-samples)).
    pub async fn new(config: MonitorConfig) -> Result<Self> {
        Self::sampling_in_background(crate::host::HostMetrics::new()?, config).await
    }
}

#[cfg(host_std)]
impl<P: PlatformMetrics + Send + Sync + 'static> PerformanceMonitor<P> {
    /// A monitor of `provider` that, once started, samples on its own thread every
    /// `sampling_interval_ms` (what [`PerformanceMonitor::new`] does with the host backend).
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] for a config out of range.
    pub async fn sampling_in_background(provider: P, config: MonitorConfig) -> Result<Self> {
        config.validate()?;
        let mut cell = MonitorCell::new(provider, config);
        cell.background = Some(background::launch::<P>);
        Ok(Self {
            cell: portable_atomic_util::Arc::new(cell),
        })
    }
}

/// Firmware with a platform feature: `PerformanceMonitor::new(config)` builds that
/// platform's backend with its default settings.
#[cfg(all(
    not(host_std),
    feature = "alloc",
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
impl PerformanceMonitor<DefaultPlatform> {
    /// A monitor of this platform's backend with its default settings.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] for a config out of range or a backend that cannot
    /// start with its defaults (see the backend's `new`).
    pub async fn new(config: MonitorConfig) -> Result<Self> {
        let backend = DefaultPlatform::new(Default::default()).await?;
        Self::with_provider_and_config(backend, config).await
    }
}

#[cfg(feature = "alloc")]
impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// A monitor of `provider` with [`MonitorConfig::default`].
    ///
    /// The monitor is made when this is called; the future completes with it when first
    /// polled. Nothing waits, and the future holds the monitor's handle rather than the
    /// provider: an `async` caller's state (an Embassy task's static future) does not keep
    /// room for the provider.
    ///
    /// # Errors
    /// None today; the signature leaves room for backends that check their hardware.
    pub fn with_provider(provider: P) -> impl Future<Output = Result<Self>> {
        // The default config is in range (`MonitorConfig`'s tests): nothing to check.
        crate::first_poll::ready(Ok(Self::open(provider, MonitorConfig::default())))
    }

    /// A monitor of `provider` with `config`, made when this is called (as
    /// [`PerformanceMonitor::with_provider`]).
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] for a config out of range.
    pub fn with_provider_and_config(
        provider: P,
        config: MonitorConfig,
    ) -> impl Future<Output = Result<Self>> {
        let monitor = config.validate().map(|()| Self::open(provider, config));
        crate::first_poll::ready(monitor)
    }

    /// Puts a cell for `provider` and an in-range `config` on the heap.
    #[inline(always)]
    fn open(provider: P, config: MonitorConfig) -> Self {
        Self {
            cell: portable_atomic_util::Arc::new(MonitorCell::new(provider, config)),
        }
    }
}

impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// The backend this monitor reads.
    pub fn provider(&self) -> &P {
        &self.cell.provider
    }

    /// The current configuration.
    pub fn config(&self) -> MonitorConfig {
        self.cell.with_state(|s| s.config)
    }

    /// Replaces the configuration (a running background sampler uses the new interval
    /// from its next sample). It changes this monitor only: the scope profiler's
    /// program-wide switch is [`crate::timing::set_enabled`].
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`]; the old configuration stays in force.
    pub fn set_config(&self, config: MonitorConfig) -> Result<()> {
        config.validate()?;
        self.cell.with_state(|s| s.config = config);
        Ok(())
    }

    /// Opens a timing scope named `name` until the returned guard is dropped, like
    /// [`crate::profile_block!`] but with a name chosen at run time: each call looks the
    /// name up among the registered scopes (a short critical section), so prefer the
    /// macro in tight loops.
    ///
    /// ```
    /// use iot_performance::mock::MockMetrics;
    /// use iot_performance::{PerformanceMonitor, timing};
    ///
    /// # futures_executor::block_on(async {
    /// let monitor = PerformanceMonitor::with_provider(MockMetrics::new_with_defaults()).await?;
    /// {
    ///     let _timer = monitor.profile_block("doc_monitor_scope");
    /// }
    /// assert_eq!(timing::scope("doc_monitor_scope").unwrap().calls, 1);
    /// # Ok::<(), iot_performance::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn profile_block(&self, name: &'static str) -> crate::timing::ScopeGuard {
        crate::timing::ScopeGuard::enter_named(name)
    }

    /// Starts monitoring: takes a first sample (which also starts the CPU utilization
    /// window) and, on a host monitor that samples in the background, starts its sampler
    /// thread; elsewhere it arms sampling for [`PerformanceMonitor::run`] or
    /// [`PerformanceMonitor::tick`] (see [who samples](PerformanceMonitor#who-samples)).
    /// Returns at once. Calling it again while running does nothing.
    ///
    /// # Errors
    /// A provider error from the first sample, or a sampler thread that cannot be
    /// created (the monitor is then not running).
    pub async fn start_monitoring(&self) -> Result<()> {
        self.start(true)
    }

    /// Starts monitoring; `background`: start the background sampler if there is one
    /// (not when `run()` is what samples).
    fn start(&self, background: bool) -> Result<()> {
        if self.cell.with_state(|s| {
            let was = core::mem::replace(&mut s.running, true);
            if !was {
                s.generation = s.generation.wrapping_add(1);
            }
            was
        }) {
            return Ok(());
        }
        let started = self.record_now().and_then(|_| {
            if background {
                self.launch_background()?;
            }
            Ok(())
        });
        if let Err(e) = started {
            self.cell.with_state(|s| s.running = false);
            return Err(e);
        }
        Ok(())
    }

    /// Starts monitoring and keeps running statistics of every sample
    /// (see [`PerformanceMonitor::stats`]).
    ///
    /// # Errors
    /// As [`PerformanceMonitor::start_monitoring`]; [`crate::Error::CapacityExceeded`]
    /// when the heap cannot hold the statistics (created here, on first use).
    pub async fn start_realtime_analysis(&self) -> Result<()> {
        self.cell.with_state(|s| {
            s.stats.get_or_try_init(MetricStats::default)?;
            s.realtime = Some(MetricStats::record as shared::RecordStats);
            Ok::<(), crate::Error>(())
        })?;
        self.start_monitoring().await
    }

    /// Stops monitoring: the background sampler ends at once, a running
    /// [`PerformanceMonitor::run`] returns after its current wait.
    pub fn stop_monitoring(&self) {
        #[cfg(host_std)]
        let sampler = self.cell.with_state(|s| s.sampler.take());
        self.cell.with_state(|s| {
            s.running = false;
            s.driven = false;
        });
        #[cfg(host_std)]
        if let Some(thread) = sampler {
            thread.unpark();
        }
    }

    /// True while samples are being taken without the caller asking: the background
    /// sampler runs, or a [`PerformanceMonitor::run`] future is being driven. Readers of
    /// accumulated samples (baselines, the regression detector) then read what was
    /// sampled instead of sampling a window themselves.
    pub fn is_sampled_in_background(&self) -> bool {
        self.cell.with_state(|s| s.running && s.driven)
    }

    /// True between `start_monitoring` and `stop_monitoring`.
    pub fn is_running(&self) -> bool {
        self.cell.with_state(|s| s.running)
    }

    /// Reads every metric now without recording it.
    ///
    /// # Errors
    /// The provider's error when a metric cannot be read.
    pub async fn current_metrics(&self) -> Result<PerformanceSnapshot> {
        self.read_now()
    }

    fn read_now(&self) -> Result<PerformanceSnapshot> {
        let p = &self.cell.provider;
        let memory = p.memory_metrics()?;
        let (system, read_at) = p.timed_system_metrics()?;
        Ok(PerformanceSnapshot {
            timestamp_us: read_at.unwrap_or_else(|| p.now_us()),
            memory,
            system,
        })
    }

    /// Reads every metric now and records it as the latest sample (and into the running
    /// statistics when real-time analysis is on). A failed reading is counted.
    ///
    /// # Errors
    /// The provider's error when a metric cannot be read.
    pub fn snapshot(&self) -> impl Future<Output = Result<PerformanceSnapshot>> + '_ {
        crate::first_poll::on_first_poll(|| self.record_now())
    }

    /// [`PerformanceMonitor::snapshot`] without the future. Out of line: inlined into the
    /// caller's state machine it cost more (28 B on thumbv7em, 148 B on riscv32imc).
    #[inline(never)]
    pub(crate) fn record_now(&self) -> Result<PerformanceSnapshot> {
        match self.read_now() {
            Ok(snapshot) => {
                self.cell.with_state(|s| {
                    let last = s.last.insert(snapshot.clone());
                    #[cfg(feature = "alloc")]
                    s.retained.push(last);
                    s.samples = s.samples.saturating_add(1);
                    if let (Some(record), Some(stats)) = (s.realtime, s.stats.get_mut()) {
                        record(stats, last, s.config.memory_tracking);
                    }
                });
                Ok(snapshot)
            }
            Err(e) => {
                self.cell
                    .with_state(|s| s.failed_samples = s.failed_samples.saturating_add(1));
                Err(e)
            }
        }
    }

    /// One step of periodic sampling, for applications that drive it from their own loop:
    /// the same as [`PerformanceMonitor::snapshot`].
    ///
    /// # Errors
    /// As [`PerformanceMonitor::snapshot`].
    pub async fn tick(&self) -> Result<PerformanceSnapshot> {
        self.snapshot().await
    }

    /// Samples every `sampling_interval_ms` until [`PerformanceMonitor::stop_monitoring`].
    /// Starts monitoring if it was not started. Failed samples are counted, not fatal.
    ///
    /// Run it as a task: `spawner.spawn(monitor_task(monitor.clone()))` on Embassy,
    /// `tokio::spawn(async move { m.run().await })` on tokio.
    pub async fn run(&self) {
        if !self.is_running() && self.start(false).is_err() {
            self.cell.with_state(|s| s.running = true);
        }
        self.cell.with_state(|s| s.driven = true);
        while self.is_running() {
            let interval = self.config().sampling_interval_ms;
            self.cell.provider.delay_ms(interval).await;
            if !self.is_running() {
                break;
            }
            // A failure is already counted in `failed_samples`; keep sampling.
            let _ = self.snapshot().await;
        }
    }

    /// Samples every `sampling_interval_ms` of the provider's clock for `duration_secs`
    /// seconds and returns what was seen. The first sample is taken at once, so a window
    /// of `d` ms at interval `i` holds `d / i` samples (at least one).
    ///
    /// # Errors
    /// None for failed samples (they are counted in the collection); the signature
    /// leaves room for backends that must be started first.
    pub async fn collect_metrics_for_duration(
        &self,
        duration_secs: u32,
    ) -> Result<MetricsCollection> {
        let config = self.config();
        let window_ms = u64::from(duration_secs) * 1_000;
        let samples = (window_ms / u64::from(config.sampling_interval_ms)).max(1);
        let mut collector = MetricsCollector::with_memory_tracking(config.memory_tracking);
        for i in 0..samples {
            if i > 0 {
                self.cell
                    .provider
                    .delay_ms(config.sampling_interval_ms)
                    .await;
            }
            match self.snapshot().await {
                Ok(snapshot) => collector.record(&snapshot),
                Err(_) => collector.record_failure(),
            }
        }
        Ok(collector.finish())
    }

    /// The latest recorded sample.
    pub fn last_snapshot(&self) -> Option<PerformanceSnapshot> {
        self.cell.with_state(|s| s.last.clone())
    }

    /// Running statistics since real-time analysis started.
    pub fn stats(&self) -> MetricStats {
        self.cell
            .with_state(|s| s.stats.get().copied().unwrap_or_default())
    }

    /// Samples recorded and samples that failed.
    pub fn sample_counts(&self) -> (u32, u32) {
        self.cell.with_state(|s| (s.samples, s.failed_samples))
    }

    /// The backend's Wi-Fi traffic totals now (bytes, packets, round-trip latency), beside
    /// [`PerformanceMonitor::current_metrics`]: `Some` for an ESP32-C3 backend created with
    /// `wifi_performance_tracking: true` (figures fed into `esp32c3::WIFI`), `None` for a
    /// backend without Wi-Fi tracking. Give them to the insight rules with
    /// [`crate::insights::InsightInput::with_wifi`].
    ///
    /// ```
    /// use iot_performance::mock::MockMetrics;
    /// use iot_performance::{PerformanceMonitor, WifiTracker};
    ///
    /// # futures_executor::block_on(async {
    /// let mock = MockMetrics::new_with_defaults();
    /// let monitor = PerformanceMonitor::with_provider(&mock).await?;
    /// assert_eq!(monitor.wifi_stats(), None);
    /// let wifi = WifiTracker::new();
    /// wifi.record_tx(512);
    /// mock.set_wifi_stats(Some(wifi.stats()));
    /// assert_eq!(monitor.wifi_stats().map(|w| w.tx_bytes), Some(512));
    /// # Ok::<(), iot_performance::Error>(())
    /// # }).unwrap();
    /// ```
    pub fn wifi_stats(&self) -> Option<crate::WifiStats> {
        self.cell.provider.wifi_traffic()
    }
}

#[cfg(feature = "alloc")]
impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// A cursor at the next sample: from now on the monitor keeps its recent samples
    /// (up to [`RETAINED_CAPACITY`]) for [`PerformanceMonitor::samples_since`].
    pub fn sample_cursor(&self) -> SampleCursor {
        self.cell.with_state(|s| s.retained.cursor_now())
    }

    /// The samples recorded since `cursor` (by the background sampler, `run`, `tick` or
    /// any snapshot), oldest first; `cursor` moves past them.
    pub fn samples_since(&self, cursor: &mut SampleCursor) -> Accumulated {
        self.cell.with_state(|s| s.retained.since(cursor))
    }
}

#[cfg(not(feature = "alloc"))]
impl<P: PlatformMetrics + HandleBound> PerformanceMonitor<P> {
    /// A handle to a monitor living in a `static` (firmware without `alloc`).
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`] when the cell's config is out of range.
    pub fn from_static(cell: &'static MonitorCell<P>) -> Result<Self> {
        let config = cell.with_state(|s| s.config);
        config.validate()?;
        Ok(Self { cell })
    }
}

#[cfg(host_std)]
impl<P: PlatformMetrics + Send + Sync + 'static> PerformanceMonitor<P> {
    /// Runs [`PerformanceMonitor::run`] on a new OS thread, for host programs without an
    /// async runtime. The thread ends after [`PerformanceMonitor::stop_monitoring`].
    ///
    /// # Errors
    /// [`crate::Error::Provider`] when the thread cannot be created.
    pub fn spawn_sampler(&self) -> Result<std::thread::JoinHandle<()>> {
        let monitor = self.clone();
        std::thread::Builder::new()
            .name("iot-perf-sampler".into())
            .spawn(move || futures_executor::block_on(monitor.run()))
            .map_err(|_| crate::Error::Provider {
                what: "spawning the sampler thread",
            })
    }
}

#[cfg(all(test, not(feature = "alloc")))]
mod no_alloc_tests {
    use super::*;
    use crate::mock::MockMetrics;

    #[test]
    fn static_cell_handles_share_state() {
        static CELL: MonitorCell<&'static MockMetrics> =
            MonitorCell::new(&MOCK, MonitorConfig::for_testing());
        static MOCK: MockMetrics =
            MockMetrics::new(crate::mock::MockConfig::with_deterministic_values());
        let monitor = PerformanceMonitor::from_static(&CELL).unwrap();
        let copy = monitor.clone();
        let collection = futures_executor::block_on(copy.collect_metrics_for_duration(1));
        assert_eq!(collection.unwrap().sample_count, 10);
        assert_eq!(monitor.sample_counts(), (10, 0));
    }

    #[test]
    fn static_cell_with_bad_config_is_refused() {
        static MOCK: MockMetrics =
            MockMetrics::new(crate::mock::MockConfig::with_deterministic_values());
        static CELL: MonitorCell<&'static MockMetrics> = MonitorCell::new(
            &MOCK,
            MonitorConfig {
                sampling_interval_ms: 0,
                ..MonitorConfig::for_testing()
            },
        );
        assert!(PerformanceMonitor::from_static(&CELL).is_err());
    }
}
