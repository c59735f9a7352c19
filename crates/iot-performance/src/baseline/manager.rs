//! [`BaselineManager`]: a fixed-capacity table of named baselines fed by a monitor.

use super::record::{BaselineComparison, MAX_SCOPES, PerformanceBaseline, name};
use crate::analysis::ScopeSampler;
use crate::monitor::{HandleBound, LazyMonitor};
use crate::platform::DefaultPlatform;
use crate::regression::{DetectorOptions, RegressionConfig};
use crate::{
    Error, MetricsCollection, MetricsCollector, PerformanceMonitor, PlatformMetrics, Result,
    RunningStats,
};

/// Per-interval mean call durations of the scopes seen in a window, µs.
type WindowScopes = heapless::Vec<(&'static str, RunningStats), MAX_SCOPES>;

/// One sampled window: snapshot statistics, scope timing, scopes that did not fit.
struct Window {
    collection: MetricsCollection,
    scopes: WindowScopes,
    scopes_dropped: u32,
    /// p50 and p99 of each scope's calls in the window, µs (`detailed-profiling`).
    percentiles: heapless::Vec<(&'static str, Option<f64>, Option<f64>), MAX_SCOPES>,
}

/// Registry state of the scopes when a window starts, for window percentiles.
#[cfg(feature = "detailed-profiling")]
type ScopeStart = heapless::Vec<crate::timing::ScopeStats, { 2 * MAX_SCOPES }>;

#[cfg(feature = "detailed-profiling")]
fn scope_start() -> ScopeStart {
    let mut v = ScopeStart::new();
    for s in crate::timing::scopes() {
        if v.push(s).is_err() {
            break;
        }
    }
    v
}

/// p50 and p99 of the calls made since `start`, from the difference of the histograms.
#[cfg(feature = "detailed-profiling")]
fn window_percentiles(start: &ScopeStart, scope: &'static str) -> (Option<f64>, Option<f64>) {
    let Some(mut end) = crate::timing::scope(scope) else {
        return (None, None);
    };
    if let Some(before) = start.iter().find(|s| s.name == scope) {
        for (e, b) in end.histogram.iter_mut().zip(before.histogram.iter()) {
            *e = e.saturating_sub(*b);
        }
    }
    let hz = crate::timing::ticks_per_second();
    let us = |t: u64| crate::ticks_to_us(t, hz) as f64;
    (
        end.percentile_ticks(50.0).map(us),
        end.percentile_ticks(99.0).map(us),
    )
}

/// Adds one interval's mean call duration of `scope` to the window (counted in `dropped`
/// when the window's scope table is full).
fn add_scope(scopes: &mut WindowScopes, dropped: &mut u32, scope: &'static str, us: f64) {
    if let Some((_, s)) = scopes.iter_mut().find(|(n, _)| *n == scope) {
        s.push(us);
    } else {
        let mut s = RunningStats::new();
        s.push(us);
        if scopes.push((scope, s)).is_err() {
            *dropped = dropped.saturating_add(1);
        }
    }
}

/// The window's collection, or an error when it holds no sample.
fn finished(collector: MetricsCollector) -> Result<MetricsCollection> {
    let collection = collector.finish();
    if collection.sample_count == 0 {
        return Err(Error::Provider {
            what: "no sample could be taken in the window",
        });
    }
    Ok(collection)
}

/// Records, compares, lists, removes, exports and imports up to `N` named baselines.
///
/// Where the samples of a recording or a comparison come from:
/// - **the monitor samples in the background** (a host monitor that was started, such
///   as the one [`BaselineManager::new`] opens and starts, or a monitor whose
///   [`PerformanceMonitor::run`] future is being driven): the samples accumulated since
///   the previous recording or comparison, plus one taken now. Nothing waits: the spec's
///   `record_baseline("startup")` returns at once, and a baseline recorded later holds
///   more samples ([`PerformanceBaseline::sample_count`] says how many).
/// - **otherwise** (e.g. a monitor of the mock): a window of
///   [`BaselineManager::window_secs`] seconds of the provider's clock (10 by default),
///   sampled at the monitor's interval: instant and deterministic on the mock.
pub struct BaselineManager<P: PlatformMetrics + HandleBound = DefaultPlatform, const N: usize = 8> {
    monitor: LazyMonitor<P>,
    baselines: heapless::Vec<PerformanceBaseline, N>,
    window_secs: u32,
    config: RegressionConfig,
    options: DetectorOptions,
    /// Where the accumulated samples of the next window start, and the scope totals then.
    #[cfg(feature = "alloc")]
    accumulated: Option<(crate::SampleCursor, ScopeSampler<{ 2 * MAX_SCOPES }>)>,
}

impl<P: PlatformMetrics + HandleBound, const N: usize> core::fmt::Debug for BaselineManager<P, N> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("BaselineManager")
            .field("baselines", &self.baselines.len())
            .field("window_secs", &self.window_secs)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[cfg(any(
    host_std,
    all(
        feature = "alloc",
        any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
    )
))]
impl BaselineManager<DefaultPlatform> {
    /// A manager of a monitor of this platform's default backend (the host process; on
    /// firmware the platform feature's backend with its default config), opened and
    /// started on first use. On a host that monitor samples in the background, so
    /// recordings read what it accumulated and return at once.
    pub fn new() -> Self {
        Self::empty(LazyMonitor::opened_on_first_use(
            crate::monitor::open_default_monitor,
        ))
    }
}

#[cfg(any(
    host_std,
    all(
        feature = "alloc",
        any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
    )
))]
impl Default for BaselineManager<DefaultPlatform> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "alloc")]
impl<P: PlatformMetrics + HandleBound, const N: usize> BaselineManager<P, N> {
    /// A manager sampling a new monitor of `provider` (default monitor config).
    ///
    /// # Errors
    /// As [`PerformanceMonitor::with_provider`].
    pub async fn with_provider(provider: P) -> Result<Self> {
        Ok(Self::with_monitor(
            PerformanceMonitor::with_provider(provider).await?,
        ))
    }
}

impl<P: PlatformMetrics + HandleBound, const N: usize> BaselineManager<P, N> {
    fn empty(monitor: LazyMonitor<P>) -> Self {
        Self {
            monitor,
            baselines: heapless::Vec::new(),
            window_secs: 10,
            config: RegressionConfig::DEFAULT,
            options: DetectorOptions::DEFAULT,
            #[cfg(feature = "alloc")]
            accumulated: None,
        }
    }

    /// A manager sampling `monitor`.
    pub fn with_monitor(monitor: PerformanceMonitor<P>) -> Self {
        Self::empty(LazyMonitor::given(monitor))
    }

    /// Sets the window sampled by recordings and comparisons (1 ..= 86 400 s).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] out of range.
    pub fn set_window_secs(&mut self, secs: u32) -> Result<()> {
        if !(1..=86_400).contains(&secs) {
            return Err(Error::InvalidConfig {
                field: "window_secs",
                reason: "must be between 1 and 86400",
            });
        }
        self.window_secs = secs;
        Ok(())
    }

    /// The sampling window of recordings and comparisons, seconds.
    pub fn window_secs(&self) -> u32 {
        self.window_secs
    }

    /// Thresholds and floors used by comparisons.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when either is out of range.
    pub fn set_thresholds(
        &mut self,
        config: RegressionConfig,
        options: DetectorOptions,
    ) -> Result<()> {
        config.validate()?;
        options.validate()?;
        (self.config, self.options) = (config, options);
        Ok(())
    }

    /// The monitor; one the manager opened itself is started here (on a host its
    /// background sampler starts).
    async fn monitor(&mut self) -> Result<PerformanceMonitor<P>> {
        let opened = self.monitor.is_opened();
        let monitor = self.monitor.get("monitor of the baseline manager")?.clone();
        if !opened {
            monitor.start_monitoring().await?;
        }
        Ok(monitor)
    }

    /// The samples of one window: accumulated by a monitor that samples in the background,
    /// else sampled now for [`BaselineManager::window_secs`] of the provider's clock.
    async fn collect(&mut self) -> Result<Window> {
        let monitor = self.monitor().await?;
        #[cfg(feature = "alloc")]
        if monitor.is_sampled_in_background() {
            return self.collect_accumulated(&monitor);
        }
        self.collect_window(&monitor).await
    }

    /// What the monitor accumulated since the previous window, plus a sample now.
    #[cfg(feature = "alloc")]
    fn collect_accumulated(&mut self, monitor: &PerformanceMonitor<P>) -> Result<Window> {
        let (cursor, sampler) = self.accumulated.get_or_insert_with(|| {
            let mut sampler = ScopeSampler::new();
            sampler.prime();
            (monitor.sample_cursor(), sampler)
        });
        let now = monitor.record_now();
        let config = monitor.config();
        let mut collector = MetricsCollector::with_memory_tracking(config.memory_tracking);
        for snapshot in &monitor.samples_since(cursor).samples {
            collector.record(snapshot);
        }
        if now.is_err() {
            collector.record_failure();
        }
        let mut scopes = WindowScopes::new();
        let mut scopes_dropped = 0u32;
        sampler.sample(|scope, us| add_scope(&mut scopes, &mut scopes_dropped, scope, us));
        let collection = finished(collector)?;
        Ok(Window {
            collection,
            scopes,
            scopes_dropped: scopes_dropped.saturating_add(sampler.dropped()),
            percentiles: heapless::Vec::new(),
        })
    }

    /// Samples the monitor for the window at its sampling interval, and the timing
    /// profiler's scopes between samples (see [`ScopeSampler`]).
    async fn collect_window(&mut self, monitor: &PerformanceMonitor<P>) -> Result<Window> {
        let config = monitor.config();
        let interval = config.sampling_interval_ms;
        let samples = (u64::from(self.window_secs) * 1_000 / u64::from(interval)).max(1);
        let mut collector = MetricsCollector::with_memory_tracking(config.memory_tracking);
        let mut sampler = ScopeSampler::<{ 2 * MAX_SCOPES }>::new();
        let mut scopes = WindowScopes::new();
        let mut scopes_dropped = 0u32;
        #[cfg(feature = "detailed-profiling")]
        let start = scope_start();
        sampler.prime();
        for i in 0..samples {
            if i > 0 {
                monitor.provider().delay_ms(interval).await;
            }
            match monitor.snapshot().await {
                Ok(snapshot) => collector.record(&snapshot),
                Err(_) => collector.record_failure(),
            }
            sampler.sample(|scope, us| add_scope(&mut scopes, &mut scopes_dropped, scope, us));
        }
        let collection = finished(collector)?;
        #[allow(unused_mut)]
        let mut percentiles = heapless::Vec::new();
        #[cfg(feature = "detailed-profiling")]
        for (scope, _) in &scopes {
            let (p50, p99) = window_percentiles(&start, scope);
            // Same capacity as `scopes`: the push cannot fail.
            let _ = percentiles.push((*scope, p50, p99));
        }
        Ok(Window {
            collection,
            scopes,
            scopes_dropped: scopes_dropped.saturating_add(sampler.dropped()),
            percentiles,
        })
    }

    /// Samples one window and stores it as baseline `name` (replacing one of that name).
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] for a bad name, [`Error::CapacityExceeded`] when `N`
    /// other baselines are held (nothing is replaced), [`Error::Provider`] when no sample
    /// could be taken.
    pub async fn record_baseline(&mut self, baseline_name: &str) -> Result<&PerformanceBaseline> {
        let key = name(baseline_name)?;
        if self.index(baseline_name).is_none() && self.baselines.is_full() {
            return Err(Error::CapacityExceeded {
                what: "baseline table",
                capacity: N,
            });
        }
        let w = self.collect().await?;
        let c = &w.collection;
        let mut baseline = PerformanceBaseline {
            name: key,
            recorded_at_us: c.started_us,
            duration_ms: c.duration_ms(),
            sample_count: c.sample_count,
            stats: c.stats,
            scopes: heapless::Vec::new(),
            scopes_dropped: w.scopes_dropped,
        };
        for (scope, stats) in &w.scopes {
            if baseline.set_scope(scope, *stats).is_err() {
                baseline.scopes_dropped = baseline.scopes_dropped.saturating_add(1);
            }
        }
        for (scope, p50, p99) in &w.percentiles {
            if let Some(s) = baseline
                .scopes
                .iter_mut()
                .find(|s| s.name.as_str() == *scope)
            {
                (s.p50_us, s.p99_us) = (*p50, *p99);
            }
        }
        self.insert(baseline)
    }

    /// Stores `baseline`, replacing one of the same name.
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] when the table is full.
    pub fn insert(&mut self, baseline: PerformanceBaseline) -> Result<&PerformanceBaseline> {
        let i = match self.index(&baseline.name) {
            Some(i) => {
                self.baselines[i] = baseline;
                i
            }
            None => {
                self.baselines
                    .push(baseline)
                    .map_err(|_| Error::CapacityExceeded {
                        what: "baseline table",
                        capacity: N,
                    })?;
                self.baselines.len() - 1
            }
        };
        self.baselines
            .get(i)
            .ok_or(Error::NotFound { what: "baseline" })
    }

    fn index(&self, baseline_name: &str) -> Option<usize> {
        self.baselines
            .iter()
            .position(|b| b.name.as_str() == baseline_name)
    }

    /// The baseline called `name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown name.
    pub fn get(&self, baseline_name: &str) -> Result<&PerformanceBaseline> {
        self.index(baseline_name)
            .and_then(|i| self.baselines.get(i))
            .ok_or(Error::NotFound { what: "baseline" })
    }

    /// Sets the timing of scope `scope` in baseline `baseline_name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown baseline; as [`PerformanceBaseline::set_scope`].
    pub fn set_scope_baseline(
        &mut self,
        baseline_name: &str,
        scope: &str,
        duration_us: RunningStats,
    ) -> Result<()> {
        let i = self
            .index(baseline_name)
            .ok_or(Error::NotFound { what: "baseline" })?;
        self.baselines
            .get_mut(i)
            .ok_or(Error::NotFound { what: "baseline" })?
            .set_scope(scope, duration_us)
    }

    /// Names of the stored baselines, oldest first.
    pub fn list(&self) -> impl Iterator<Item = &str> {
        self.baselines.iter().map(|b| b.name.as_str())
    }

    /// Number of stored baselines.
    pub fn len(&self) -> usize {
        self.baselines.len()
    }

    /// True when no baseline is stored.
    pub fn is_empty(&self) -> bool {
        self.baselines.is_empty()
    }

    /// Removes and returns baseline `name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown name.
    pub fn remove(&mut self, baseline_name: &str) -> Result<PerformanceBaseline> {
        let i = self
            .index(baseline_name)
            .ok_or(Error::NotFound { what: "baseline" })?;
        Ok(self.baselines.remove(i))
    }

    /// Samples one window and compares it with baseline `name`.
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown name (checked before sampling);
    /// [`Error::Provider`] when no sample could be taken.
    pub async fn compare_against_baseline(
        &mut self,
        baseline_name: &str,
    ) -> Result<BaselineComparison> {
        self.get(baseline_name)?;
        let w = self.collect().await?;
        let b = self.get(baseline_name)?;
        Ok(BaselineComparison::new(
            b,
            &w.collection.stats,
            w.scopes.iter().copied(),
            &self.config,
            &self.options,
        ))
    }

    /// Compares an existing collection with baseline `name` (no sampling).
    ///
    /// # Errors
    /// [`Error::NotFound`] for an unknown name.
    pub fn compare_collection(
        &self,
        baseline_name: &str,
        current: &MetricsCollection,
    ) -> Result<BaselineComparison> {
        let b = self.get(baseline_name)?;
        Ok(BaselineComparison::new(
            b,
            &current.stats,
            [],
            &self.config,
            &self.options,
        ))
    }
}

#[cfg(feature = "serde")]
impl<P: PlatformMetrics + HandleBound, const N: usize> BaselineManager<P, N> {
    /// Writes baseline `name` as one frame ([`super::codec`]) into `buf`; returns its length.
    ///
    /// # Errors
    /// [`Error::NotFound`]; [`Error::CapacityExceeded`] for a small buffer.
    pub fn export(&self, baseline_name: &str, buf: &mut [u8]) -> Result<usize> {
        super::codec::encode(self.get(baseline_name)?, buf)
    }

    /// Writes every baseline as concatenated frames into `buf`; returns the length used.
    ///
    /// # Errors
    /// [`Error::CapacityExceeded`] for a small buffer.
    pub fn export_all(&self, buf: &mut [u8]) -> Result<usize> {
        let mut at = 0;
        for b in &self.baselines {
            let rest = buf.get_mut(at..).ok_or(Error::CapacityExceeded {
                what: "baseline export buffer",
                capacity: at,
            })?;
            at += super::codec::encode(b, rest)?;
        }
        Ok(at)
    }

    /// Imports every frame of `bytes` (one or more concatenated), replacing baselines of
    /// the same names; returns how many were imported. All or nothing: when any frame is
    /// bad or the table would overflow, nothing is changed.
    ///
    /// # Errors
    /// [`Error::InvalidData`] for a bad frame; [`Error::CapacityExceeded`].
    pub fn import(&mut self, bytes: &[u8]) -> Result<usize> {
        if bytes.is_empty() {
            return Err(Error::InvalidData {
                what: "baseline frame",
                reason: "no data",
            });
        }
        let mut staged = self.baselines.clone();
        let (mut at, mut count) = (0, 0);
        while at < bytes.len() {
            let (b, used) = super::codec::decode(bytes.get(at..).unwrap_or_default())?;
            at += used;
            count += 1;
            match staged.iter().position(|s| s.name == b.name) {
                Some(i) => staged[i] = b,
                None => staged.push(b).map_err(|_| Error::CapacityExceeded {
                    what: "baseline table",
                    capacity: N,
                })?,
            }
        }
        self.baselines = staged;
        Ok(count)
    }
}

#[cfg(all(feature = "serde", feature = "alloc"))]
impl<P: PlatformMetrics + HandleBound, const N: usize> BaselineManager<P, N> {
    /// Every baseline as concatenated frames, in a new vector.
    pub fn export_all_to_vec(&self) -> alloc::vec::Vec<u8> {
        let mut out = alloc::vec![0u8; self.baselines.len() * super::codec::MAX_FRAME_LEN];
        // MAX_FRAME_LEN per baseline always fits.
        let used = self.export_all(&mut out).unwrap_or(0);
        out.truncate(used);
        out
    }
}
