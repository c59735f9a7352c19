//! Optimization insights: rules that turn measured numbers into what a firmware engineer
//! would do next, each with its evidence (metric, value, threshold).
//!
//! Rules read a plain [`InsightInput`], so they work with figures from any source: a
//! snapshot ([`InsightInput::from_snapshot`]), the timing profiler's scopes, ISR timing,
//! stack painting, a trend, a regression, a comparison against a baseline, or the frames
//! a wire link lost. The `iot-perf` host tool feeds its recorded runs through these same
//! rules and only renders what they decided.
//!
//! ```
//! use iot_performance::insights::{InsightInput, Rule, ScopeInput, analyze};
//!
//! let scopes = [
//!     ScopeInput { name: "sensor_fusion", busy_us: 800_000, calls: 100, p50_us: Some(7_900.0), p99_us: Some(8_400.0) },
//!     ScopeInput { name: "mqtt_publish", busy_us: 150_000, calls: 10, p50_us: Some(14_000.0), p99_us: Some(16_000.0) },
//! ];
//! let input = InsightInput { cpu_utilization: Some(97.0), scopes: &scopes, ..InsightInput::default() };
//! let insights = analyze(&input, &Default::default());
//! assert_eq!(insights.items[0].rule, Rule::CpuSaturation);
//! assert!(insights.items.iter().any(|i| i.rule == Rule::DominantScope && i.subject == Some("sensor_fusion")));
//! for insight in &insights.items {
//!     println!("{insight}");
//! }
//! ```

mod network;
mod rules;

use core::fmt;

use crate::PerformanceSnapshot;
use crate::WifiStats;
use crate::analysis::{MetricComparison, Trend, Unit};
use crate::memory::stack::{StackRegion, high_water_mark};
use crate::memory::{LeakEvidence, MemoryAnalysis};
use crate::regression::Regression;
use crate::ticks_to_us;
use crate::timing::ScopeStats;

pub use network::SMALL_PACKETS_MIN_COUNT;
pub use rules::analyze;

/// Heap figures.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct HeapInput {
    /// Bytes in use.
    pub used: usize,
    /// Size of the heap.
    pub total: usize,
    /// `1 − largest_free_block / total_free`, when the allocator reports it.
    pub fragmentation: Option<f32>,
}

/// One stack: its high-water mark and size.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StackInput {
    /// Task or stack name.
    pub name: &'static str,
    /// Deepest use seen (painted high-water mark), bytes.
    pub high_water: usize,
    /// Size of the stack, bytes.
    pub size: usize,
}

impl StackInput {
    /// The high-water mark and size of a painted stack region
    /// (see [`crate::memory::stack::paint`]).
    pub fn from_region(name: &'static str, region: &StackRegion) -> Self {
        Self {
            name,
            high_water: high_water_mark(region),
            size: region.size(),
        }
    }
}

/// One profiled scope or task.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScopeInput {
    /// Scope name.
    pub name: &'static str,
    /// Busy time in the window, µs (poll time for async scopes).
    pub busy_us: u64,
    /// Calls in the window.
    pub calls: u32,
    /// Median duration of a call, µs, when a histogram exists.
    pub p50_us: Option<f64>,
    /// 99th-percentile duration of a call, µs, when a histogram exists.
    pub p99_us: Option<f64>,
}

impl ScopeInput {
    /// The figures of a profiled scope since start-up (or the last `timing::reset()`):
    /// busy time (poll time for `async fn`s), calls, and under `detailed-profiling` the
    /// p50 / p99 of its log2 histogram (bucket upper bounds, so at most 2× high).
    pub fn from_stats(stats: &ScopeStats) -> Self {
        let hz = crate::timing::ticks_per_second();
        let us = |ticks: u64| ticks_to_us(ticks, hz) as f64;
        #[cfg(feature = "detailed-profiling")]
        let (p50_us, p99_us) = (
            stats.percentile_ticks(50.0).map(us),
            stats.percentile_ticks(99.0).map(us),
        );
        #[cfg(not(feature = "detailed-profiling"))]
        let (p50_us, p99_us) = (None, None);
        Self {
            name: stats.name,
            busy_us: us(stats.busy_ticks.unwrap_or(stats.total_ticks)) as u64,
            calls: u32::try_from(stats.calls).unwrap_or(u32::MAX),
            p50_us,
            p99_us,
        }
    }
}

/// One interrupt handler.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsrInput {
    /// Interrupt name.
    pub name: &'static str,
    /// Longest single run of the handler, µs.
    pub max_us: u64,
    /// Time spent in the handler over the window, µs.
    pub total_us: u64,
    /// Length of the window, µs.
    pub window_us: u64,
}

/// Everything the rules look at; leave what you do not have at its default (`None` or
/// empty) and the rules that need it stay silent.
#[derive(Debug, Clone, Copy, Default)]
pub struct InsightInput<'a> {
    /// Heap figures.
    pub heap: Option<HeapInput>,
    /// Trend of heap use (from [`crate::PerformanceAnalyzer`]).
    pub heap_trend: Option<Trend>,
    /// The heap floor's trend from [`crate::MemoryAnalyzer`]'s leak detector.
    pub leak: Option<LeakEvidence>,
    /// The main stack.
    pub main_stack: Option<StackInput>,
    /// Task stacks.
    pub task_stacks: &'a [StackInput],
    /// Profiled scopes and tasks.
    pub scopes: &'a [ScopeInput],
    /// Interrupt handlers.
    pub isrs: &'a [IsrInput],
    /// CPU utilization, %.
    pub cpu_utilization: Option<f32>,
    /// Regressions against a baseline.
    pub regressions: &'a [Regression],
    /// Static memory (`.data` + `.bss`), bytes.
    pub static_bytes: Option<usize>,
    /// RAM of the device, bytes (needed by the static-data rule).
    pub ram_bytes: Option<usize>,
    /// Metrics compared against a baseline ([`crate::PerformanceComparator`] or the
    /// bootstrap of `analysis::BootstrapComparator`); each regressed one is an insight.
    pub comparisons: &'a [MetricComparison],
    /// Frames the device's wire reporter dropped because its sink was full.
    pub dropped_frames: Option<u64>,
    /// Frames that arrived corrupt on the capture link (CRC or decoding failed).
    pub corrupt_frames: Option<u64>,
    /// Wi-Fi traffic totals ([`crate::PerformanceMonitor::wifi_stats`], or the tracker
    /// itself): round-trip latency and packet sizes.
    pub wifi: Option<WifiStats>,
}

impl InsightInput<'_> {
    /// Heap, main stack, CPU and static memory taken from a snapshot.
    pub fn from_snapshot(s: &PerformanceSnapshot) -> Self {
        let m = &s.memory;
        Self {
            heap: Some(HeapInput {
                used: m.heap_used,
                total: m.heap_total,
                fragmentation: m.fragmentation(),
            }),
            main_stack: (m.stack_used + m.stack_free > 0).then_some(StackInput {
                name: "main",
                high_water: m.stack_used,
                size: m.stack_used + m.stack_free,
            }),
            cpu_utilization: Some(s.system.cpu_utilization),
            static_bytes: Some(m.static_memory),
            ..Self::default()
        }
    }
}

impl<'a> InsightInput<'a> {
    /// Adds what a [`crate::MemoryAnalyzer`] found: heap use and size, fragmentation, the
    /// leak detector's evidence and static memory.
    pub fn with_memory_analysis(self, analysis: &MemoryAnalysis) -> Self {
        let m = &analysis.current;
        Self {
            heap: Some(HeapInput {
                used: m.heap_used,
                total: m.heap_total,
                fragmentation: analysis.fragmentation_ratio,
            }),
            leak: analysis.leak_evidence,
            static_bytes: Some(m.static_memory),
            ..self
        }
    }

    /// Adds Wi-Fi traffic totals (`None` leaves the Wi-Fi rules silent):
    ///
    /// ```
    /// use iot_performance::insights::{InsightInput, Rule, analyze};
    /// use iot_performance::WifiTracker;
    ///
    /// let wifi = WifiTracker::new();
    /// wifi.record_latency_us(1_800_000); // a 1.8 s round trip
    /// let input = InsightInput::default().with_wifi(Some(wifi.stats()));
    /// let insights = analyze(&input, &Default::default());
    /// assert_eq!(insights.items[0].rule, Rule::SlowNetwork);
    /// ```
    pub fn with_wifi(self, wifi: Option<WifiStats>) -> Self {
        Self { wifi, ..self }
    }
}

/// Which rule produced an insight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Rule {
    /// Free heap split into small pieces.
    HeapFragmentation,
    /// Heap use (or its floor) rising steadily.
    SuspectedLeak,
    /// A stack's high-water mark close to its size.
    StackNearLimit,
    /// One scope owns most of the busy time.
    DominantScope,
    /// An interrupt handler runs long or often.
    LongIsr,
    /// CPU close to 100 %.
    CpuSaturation,
    /// p99 far above p50.
    TimingJitter,
    /// Worse than the baseline.
    RegressionAgainstBaseline,
    /// Static data takes much of the RAM.
    OversizedStaticData,
    /// The device's reporter dropped frames (its sink was full).
    DroppedFrames,
    /// Frames arrived corrupt on the capture link.
    CorruptFrames,
    /// Wi-Fi round trips take long.
    SlowNetwork,
    /// Wi-Fi traffic goes out in many small packets.
    SmallRadioPackets,
}

impl Rule {
    /// What the rule saw, in a few words, e.g. `"suspected memory leak: the heap floor
    /// keeps rising"`.
    pub const fn finding(&self) -> &'static str {
        match self {
            Rule::HeapFragmentation => "the heap is fragmented",
            Rule::SuspectedLeak => "suspected memory leak: the heap floor keeps rising",
            Rule::StackNearLimit => "the stack is nearly exhausted",
            Rule::DominantScope => "one scope takes most of the profiled time",
            Rule::LongIsr => "an interrupt handler runs long or often",
            Rule::CpuSaturation => "the CPU is close to saturation",
            Rule::TimingJitter => "the slowest calls are far slower than the typical one",
            Rule::RegressionAgainstBaseline => "worse than the baseline",
            Rule::OversizedStaticData => "static data takes much of the RAM",
            Rule::DroppedFrames => "the device dropped frames because its sink was full",
            Rule::CorruptFrames => "corrupt frames arrived from the link",
            Rule::SlowNetwork => "network round trips are slow",
            Rule::SmallRadioPackets => "the radio sends many small packets",
        }
    }
}

/// How urgent an insight is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum InsightSeverity {
    /// Worth knowing.
    Info,
    /// Act on it soon.
    Warning,
    /// The device is at or past a limit.
    Critical,
}

impl InsightSeverity {
    /// `"info"`, `"warning"` or `"critical"`.
    pub const fn label(&self) -> &'static str {
        match self {
            InsightSeverity::Info => "info",
            InsightSeverity::Warning => "warning",
            InsightSeverity::Critical => "critical",
        }
    }
}

/// The numbers behind an insight.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Evidence {
    /// What was measured, e.g. `"fragmentation_ratio"`.
    pub metric: &'static str,
    /// Its value.
    pub value: f64,
    /// The threshold it crossed (for a comparison against a baseline: the baseline's
    /// mean, the comparison having judged the difference significant).
    pub threshold: f64,
    /// Unit of value and threshold.
    pub unit: Unit,
}

/// One recommendation.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Insight {
    /// The rule.
    pub rule: Rule,
    /// How urgent.
    pub severity: InsightSeverity,
    /// The scope, task, stack or interrupt concerned, if any.
    pub subject: Option<&'static str>,
    /// The numbers.
    pub evidence: Evidence,
    /// What to do.
    pub action: &'static str,
}

impl fmt::Display for Insight {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {:?}", self.severity.label(), self.rule)?;
        if let Some(s) = self.subject {
            write!(f, " `{s}`")?;
        }
        write!(f, ": {}. {}", self.evidence, self.action)
    }
}

impl fmt::Display for Evidence {
    /// `metric = value (threshold t)`, with readable units.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {} (threshold {})",
            self.metric,
            self.unit.quantity(self.value),
            self.unit.quantity(self.threshold)
        )
    }
}

/// When each rule fires.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct InsightThresholds {
    /// Fragmentation ratio for a warning (critical at the midpoint to 1.0).
    pub fragmentation: f32,
    /// Smallest heap growth, bytes per hour, that counts as a leak (the trend's whole
    /// 95 % interval must be above it).
    pub leak_bytes_per_hour: f64,
    /// Stack high-water share of its size for a warning (critical at 95 %).
    pub stack_fraction: f64,
    /// Share of all scopes' busy time that makes one scope dominant.
    pub dominant_share: f64,
    /// Longest acceptable single ISR run, µs.
    pub isr_max_us: u64,
    /// Largest acceptable share of time in one ISR.
    pub isr_share: f64,
    /// CPU % for a warning (critical at 98 %).
    pub cpu_percent: f32,
    /// p99 / p50 ratio that counts as jitter.
    pub jitter_ratio: f64,
    /// Share of RAM taken by static data for a warning.
    pub static_fraction: f64,
    /// Mean Wi-Fi round trip, µs, for a warning (critical at 4×).
    pub network_latency_us: u64,
    /// Mean size of a sent packet, bytes, below which packets count as small (judged
    /// from [`crate::insights::SMALL_PACKETS_MIN_COUNT`] packets on).
    pub small_packet_bytes: u64,
}

impl Default for InsightThresholds {
    /// Fragmentation 0.5, leak 64 B/h, stack 85 %, dominant 50 %, ISR 50 µs or 10 %,
    /// CPU 90 %, jitter 3×, static 50 % of RAM, Wi-Fi round trip 250 ms, small packets
    /// under 64 B.
    fn default() -> Self {
        Self {
            fragmentation: 0.5,
            leak_bytes_per_hour: 64.0,
            stack_fraction: 0.85,
            dominant_share: 0.5,
            isr_max_us: 50,
            isr_share: 0.10,
            cpu_percent: 90.0,
            jitter_ratio: 3.0,
            static_fraction: 0.5,
            network_latency_us: 250_000,
            small_packet_bytes: 64,
        }
    }
}

/// What [`analyze`] found, most urgent first.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Insights {
    /// The insights.
    pub items: heapless::Vec<Insight, 32>,
    /// Insights that did not fit (the least urgent are dropped).
    pub dropped: u32,
}
