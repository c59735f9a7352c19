//! [`MemoryAnalyzer`]: samples memory over time and says whether it leaks.

mod readiness;
mod sampler;

use core::cell::RefCell;

use critical_section::Mutex;

use super::config::{LeakDetectionSettings, MemoryAnalysisConfig};
use super::trend::{FloorTrend, LeakEvidence};
use crate::{MemoryMetrics, MemoryProvider, Result, TimingProvider};
pub use readiness::LeakDetectionStatus;

/// What [`MemoryAnalyzer::analyze_patterns`] found.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MemoryAnalysis {
    /// The heap floor is rising by every rule of [`LeakDetectionSettings`]
    /// (always `false` when `detect_leaks` is off).
    pub potential_leak_detected: bool,
    /// The floor's trend behind that verdict; `None` before three windows are complete
    /// or when `detect_leaks` is off.
    pub leak_evidence: Option<LeakEvidence>,
    /// Whether the leak detector has seen enough samples to judge: "not enough data:
    /// 3 of 176 samples" says that `potential_leak_detected == false` means "not known
    /// yet", not "no leak".
    pub leak_detection: LeakDetectionStatus,
    /// Samples taken (failed readings excluded).
    pub samples: u32,
    /// Readings the provider failed.
    pub failed_samples: u32,
    /// Time from the first to the last sample, milliseconds of the provider's clock.
    pub duration_ms: u64,
    /// The latest reading.
    pub current: MemoryMetrics,
    /// Highest `heap_used` seen: by the samples, or by the tracking allocator between them.
    pub peak_heap_used: usize,
    /// Latest fragmentation ratio; `None` where the platform cannot measure it or
    /// `fragmentation_analysis` is off.
    pub fragmentation_ratio: Option<f32>,
    /// Highest fragmentation ratio sampled.
    pub peak_fragmentation_ratio: Option<f32>,
    /// The tracking allocator's exact counts; `None` when none is installed or
    /// `track_allocations` is off.
    #[cfg(feature = "alloc")]
    pub allocations: Option<super::HeapStats>,
    /// Size classes whose live count only grew over the last `min_windows` windows —
    /// where a leak's allocations are (`detailed-profiling`, tracking allocator installed).
    #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
    pub suspected_size_classes: Option<super::SizeClassSet>,
}

#[derive(Debug)]
struct State {
    settings: LeakDetectionSettings,
    running: bool,
    samples: u32,
    failed_samples: u32,
    first_us: Option<u64>,
    last_us: u64,
    last: Option<MemoryMetrics>,
    peak_heap_used: usize,
    peak_fragmentation: Option<f32>,
    trend: FloorTrend,
    #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
    sites: super::size_classes::SiteTrend,
    /// Counts starts: a background sampler ends when it changes.
    generation: u32,
}

/// Samples a provider's memory figures and analyses them: peak, fragmentation, and leak
/// detection from the heap floor's trend. Every method takes `&self`.
///
/// The spec writes both `MemoryAnalyzer::new()` and `MemoryAnalyzer::new(config)`; this
/// crate has `new(config)` and [`Default`] (everything on), on a host (the process) and
/// on firmware with a platform feature (its backend, opened on first use).
///
/// ## Who samples
/// On a host, an analyzer made by [`MemoryAnalyzer::new`] samples on its own thread
/// every `sampling_interval_ms` of its [`LeakDetectionSettings`] from
/// [`MemoryAnalyzer::start_continuous_monitoring`] until [`MemoryAnalyzer::stop`] or
/// drop. Elsewhere `start_continuous_monitoring` arms sampling that the application
/// drives with [`MemoryAnalyzer::run`] (an Embassy task) or [`MemoryAnalyzer::tick`]
/// (its loop). Sampling runs on the provider's clock, so on [`crate::mock::MockMetrics`]
/// an hour of monitoring takes no real time.
///
/// An analysis asked before the leak detector has enough samples says so in
/// [`MemoryAnalysis::leak_detection`].
///
/// ```
/// use iot_performance::mock::MockMetrics;
/// use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let mock = MockMetrics::new_with_defaults();
/// let analyzer = MemoryAnalyzer::with_provider(&mock, MemoryAnalysisConfig::default());
/// analyzer.start_continuous_monitoring().await?;
/// for _ in 0..200 {
///     mock.set_memory_usage(mock.memory_metrics()?.heap_used + 64, 10_000); // leaks
///     analyzer.tick().await?;
/// }
/// let analysis = analyzer.analyze_patterns().await?;
/// assert!(analysis.potential_leak_detected);
/// let evidence = analysis.leak_evidence.unwrap();
/// assert!((evidence.growth_rate_bytes_per_sec - 64.0).abs() < 1.0); // one sample per second
/// # use iot_performance::MemoryProvider;
/// # Ok::<(), iot_performance::Error>(())
/// # }).unwrap();
/// ```
pub struct MemoryAnalyzer<P = crate::DefaultBackend> {
    inner: Shared<Inner<P>>,
    background: Option<sampler::Launcher<P>>,
}

/// What the analyzer and its background sampler share.
pub(crate) struct Inner<P> {
    provider: P,
    config: MemoryAnalysisConfig,
    state: Mutex<RefCell<State>>,
}

#[cfg(feature = "alloc")]
pub(crate) type Shared<T> = portable_atomic_util::Arc<T>;
#[cfg(not(feature = "alloc"))]
pub(crate) type Shared<T> = sampler::Inline<T>;

#[cfg(host_std)]
impl MemoryAnalyzer {
    /// An analyzer of the current process (the host backend) that samples in the
    /// background once started.
    pub fn new(config: MemoryAnalysisConfig) -> Self {
        let mut analyzer = Self::with_provider(crate::host::HostMemory::new(), config);
        analyzer.background = Some(sampler::launch::<crate::DefaultBackend>);
        analyzer
    }
}

#[cfg(all(
    not(host_std),
    any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")
))]
impl MemoryAnalyzer {
    /// An analyzer of this platform's backend with its default config, opened on first
    /// use. Sampling is driven by [`MemoryAnalyzer::run`] or [`MemoryAnalyzer::tick`].
    pub fn new(config: MemoryAnalysisConfig) -> Self {
        Self::with_provider(
            crate::OnFirstUse::new(crate::monitor::open_default_backend),
            config,
        )
    }
}

#[cfg(any(host_std, feature = "cortex-m", feature = "riscv", feature = "esp32c3"))]
impl Default for MemoryAnalyzer {
    /// [`MemoryAnalyzer::new`] with [`MemoryAnalysisConfig::default`].
    fn default() -> Self {
        Self::new(MemoryAnalysisConfig::default())
    }
}

impl<P> core::fmt::Debug for MemoryAnalyzer<P> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("MemoryAnalyzer")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

impl<P: MemoryProvider + TimingProvider> MemoryAnalyzer<P> {
    /// An analyzer of `provider`, with the default [`LeakDetectionSettings`].
    pub fn with_provider(provider: P, config: MemoryAnalysisConfig) -> Self {
        let settings = LeakDetectionSettings::default();
        let inner = Inner {
            provider,
            config,
            state: Mutex::new(RefCell::new(State {
                settings,
                running: false,
                samples: 0,
                failed_samples: 0,
                first_us: None,
                last_us: 0,
                last: None,
                peak_heap_used: 0,
                peak_fragmentation: None,
                trend: FloorTrend::new(settings),
                #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
                sites: super::size_classes::SiteTrend::new(),
                generation: 0,
            })),
        };
        Self {
            inner: Shared::new(inner),
            background: None,
        }
    }

    /// The state the background sampler shares.
    #[cfg(host_std)]
    pub(crate) fn inner(&self) -> &Shared<Inner<P>> {
        &self.inner
    }

    /// Replaces the leak detector's settings and forgets the floors seen so far.
    ///
    /// # Errors
    /// [`crate::Error::InvalidConfig`]; the old settings stay in force.
    pub fn set_leak_detection(&self, settings: LeakDetectionSettings) -> Result<()> {
        settings.validate()?;
        self.with_state(|s| {
            s.settings = settings;
            s.trend = FloorTrend::new(settings);
        });
        Ok(())
    }

    /// The leak detector's settings.
    pub fn leak_detection(&self) -> LeakDetectionSettings {
        self.with_state(|s| s.settings)
    }

    /// What the analyzer looks at.
    pub fn config(&self) -> MemoryAnalysisConfig {
        self.inner.config
    }

    /// The backend sampled.
    pub fn provider(&self) -> &P {
        &self.inner.provider
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        self.inner.with_state(f)
    }

    /// Reads the memory figures now, without recording them.
    ///
    /// # Errors
    /// The provider's error.
    pub async fn current_metrics(&self) -> Result<MemoryMetrics> {
        self.read()
    }

    fn read(&self) -> Result<MemoryMetrics> {
        self.inner.read()
    }

    /// Takes one sample now and feeds it to the analysis.
    ///
    /// # Errors
    /// The provider's error (also counted in [`MemoryAnalysis::failed_samples`]).
    pub fn sample(&self) -> Result<MemoryMetrics> {
        self.inner.sample()
    }
}

impl<P> Inner<P> {
    fn with_state<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        critical_section::with(|cs| f(&mut self.state.borrow_ref_mut(cs)))
    }

    /// The sampling interval while the analyzer runs in `generation`.
    #[cfg(host_std)]
    pub(crate) fn live_interval_ms(&self, generation: u32) -> Option<u32> {
        self.with_state(|s| {
            (s.running && s.generation == generation).then_some(s.settings.sampling_interval_ms)
        })
    }

    #[cfg(host_std)]
    pub(crate) fn generation(&self) -> u32 {
        self.with_state(|s| s.generation)
    }
}

impl<P: MemoryProvider + TimingProvider> Inner<P> {
    fn read(&self) -> Result<MemoryMetrics> {
        let mut m = self.provider.memory_metrics()?;
        if !self.config.fragmentation_analysis {
            m.fragmentation_ratio = f32::NAN;
        }
        Ok(m)
    }

    pub(crate) fn sample(&self) -> Result<MemoryMetrics> {
        let now_us = self.provider.now_us();
        let m = match self.read() {
            Ok(m) => m,
            Err(e) => {
                self.with_state(|s| s.failed_samples = s.failed_samples.saturating_add(1));
                return Err(e);
            }
        };
        #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
        let live = (self.config.track_allocations && super::heap_stats().is_some())
            .then(super::live_by_size_class);
        self.with_state(|s| {
            s.samples = s.samples.saturating_add(1);
            s.first_us.get_or_insert(now_us);
            s.last_us = now_us;
            s.peak_heap_used = s.peak_heap_used.max(m.heap_used);
            if let Some(f) = m.fragmentation() {
                s.peak_fragmentation = Some(s.peak_fragmentation.map_or(f, |p| p.max(f)));
            }
            let closed = s.trend.push(now_us, m.heap_used);
            #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
            if let Some(live) = &live {
                s.sites.sample(live);
                if closed {
                    s.sites.close_window();
                }
            }
            let _ = closed;
            s.last = Some(m.clone());
        });
        Ok(m)
    }
}

impl<P: MemoryProvider + TimingProvider> MemoryAnalyzer<P> {
    /// Starts monitoring: takes a first sample and marks the analyzer running; on a host
    /// analyzer made by [`MemoryAnalyzer::new`] its background sampler starts. Elsewhere
    /// samples then come from [`MemoryAnalyzer::run`] (a task the application spawns),
    /// [`MemoryAnalyzer::tick`] (called from the application's loop) or
    /// [`MemoryAnalyzer::monitor_for`] (see [who samples](MemoryAnalyzer#who-samples)).
    /// Returns at once; calling it again while running does nothing.
    ///
    /// # Errors
    /// The provider's error from the first sample, or a sampler thread that cannot be
    /// created (the analyzer is then not running).
    pub async fn start_continuous_monitoring(&self) -> Result<()> {
        if self.is_running() {
            return Ok(());
        }
        self.sample()?;
        self.with_state(|s| {
            s.running = true;
            s.generation = s.generation.wrapping_add(1);
        });
        if let Some(launch) = self.background
            && let Err(e) = launch(self)
        {
            self.with_state(|s| s.running = false);
            return Err(e);
        }
        Ok(())
    }

    /// Stops sampling: the background sampler ends within 50 ms (it holds no more than a
    /// weak reference, so dropping the analyzer ends it too), [`MemoryAnalyzer::run`]
    /// after its current wait.
    pub fn stop(&self) {
        self.with_state(|s| s.running = false);
    }

    /// Whether monitoring is running.
    pub fn is_running(&self) -> bool {
        self.with_state(|s| s.running)
    }

    /// Waits one sampling interval of the provider's clock, then samples.
    ///
    /// # Errors
    /// The provider's error for this sample.
    pub async fn tick(&self) -> Result<MemoryMetrics> {
        let interval = self.with_state(|s| s.settings.sampling_interval_ms);
        self.inner.provider.delay_ms(interval).await;
        self.sample()
    }

    /// Samples every interval until [`MemoryAnalyzer::stop`]; failed readings are
    /// counted, not fatal. Run it as a task (Embassy, tokio, or a host thread).
    pub async fn run(&self) {
        while self.is_running() {
            let _ = self.tick().await;
        }
    }

    /// Samples every interval for `duration_ms` of the provider's clock; returns the
    /// number of successful samples.
    pub async fn monitor_for(&self, duration_ms: u64) -> u32 {
        let interval = u64::from(self.with_state(|s| s.settings.sampling_interval_ms));
        let mut ok = 0;
        for _ in 0..duration_ms / interval {
            if self.tick().await.is_ok() {
                ok += 1;
            }
        }
        ok
    }

    /// The leak detector's current evidence, without taking a sample; `None` before three
    /// windows are complete or when `detect_leaks` is off.
    pub fn leak_evidence(&self) -> Option<LeakEvidence> {
        if !self.inner.config.detect_leaks {
            return None;
        }
        self.with_state(|s| s.trend.evidence())
    }

    /// Takes a sample now and analyses everything sampled so far.
    ///
    /// # Errors
    /// The provider's error when no sample at all could be taken.
    pub async fn analyze_patterns(&self) -> Result<MemoryAnalysis> {
        let fresh = self.sample();
        let config = self.inner.config;
        #[cfg(feature = "alloc")]
        let allocations = config.track_allocations.then(super::heap_stats).flatten();
        let analysis = self.with_state(|s| {
            let current = s.last.clone()?;
            let evidence = config.detect_leaks.then(|| s.trend.evidence()).flatten();
            #[allow(unused_mut)]
            let mut peak_heap_used = s.peak_heap_used;
            #[cfg(feature = "alloc")]
            if let Some(a) = &allocations {
                peak_heap_used = peak_heap_used.max(a.peak_bytes);
            }
            Some(MemoryAnalysis {
                potential_leak_detected: evidence.is_some_and(|e| e.leak_suspected),
                leak_evidence: evidence,
                leak_detection: LeakDetectionStatus::new(
                    config.detect_leaks,
                    s.samples,
                    &s.settings,
                ),
                samples: s.samples,
                failed_samples: s.failed_samples,
                duration_ms: s.last_us.saturating_sub(s.first_us.unwrap_or(s.last_us)) / 1000,
                fragmentation_ratio: current.fragmentation(),
                current,
                peak_heap_used,
                peak_fragmentation_ratio: s.peak_fragmentation,
                #[cfg(feature = "alloc")]
                allocations,
                #[cfg(all(feature = "alloc", feature = "detailed-profiling"))]
                suspected_size_classes: allocations
                    .is_some()
                    .then(|| s.sites.growing(s.settings.min_windows)),
            })
        });
        match (analysis, fresh) {
            (Some(a), _) => Ok(a),
            (None, Err(e)) => Err(e),
            (None, Ok(_)) => Err(crate::Error::Provider {
                what: "memory analysis without samples",
            }),
        }
    }
}
