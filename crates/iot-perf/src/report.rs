//! A run's report: one serializable structure, built by a pure function of loaded runs
//! and rendered to text (`text.rs`), JSON or HTML (`html.rs`).

use std::collections::BTreeMap;

use iot_performance::analysis::{BootstrapComparator, MetricComparison, Verdict};
use iot_performance::insights::Insight;
use iot_performance::memory::LeakEvidence;
use serde::ser::{SerializeSeq as _, Serializer};

use crate::analysis::{ScopeSummary, leak_evidence, leak_floors, scope_series, snapshot_series};
use crate::compare::{compare_runs, label, unit};
use crate::model::{LoadedRun, Run};
use crate::recommend::recommend;
use crate::tasks::{InterruptSummary, TaskSummary, interrupt_summaries, task_summaries};
use iot_performance::wire::SnapshotRecord;

/// Version of the JSON report's layout; bumped on any incompatible change (2: verdicts,
/// leak evidence and recommendations are the library's, changes are in percent; 3: every
/// statistic and series names its unit, the gate's settings are all in percent, and the
/// baseline's series come with a comparison; 4: per-task and per-interrupt-handler tables).
pub const SCHEMA_VERSION: u32 = 4;

/// Minimum, mean, maximum and last value of a series, in `unit`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stat {
    /// Unit of the four figures (`B`, `%`, `°C`, `tasks`, `/s`).
    pub unit: &'static str,
    /// Smallest.
    pub min: f64,
    /// Mean.
    pub mean: f64,
    /// Largest.
    pub max: f64,
    /// Last.
    pub last: f64,
}

impl Stat {
    fn of(unit: &'static str, values: impl Iterator<Item = f64>) -> Option<Self> {
        let v: Vec<f64> = values.collect();
        let last = *v.last()?;
        Some(Self {
            unit,
            min: v.iter().copied().fold(f64::INFINITY, f64::min),
            mean: v.iter().sum::<f64>() / v.len() as f64,
            max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            last,
        })
    }
}

/// System figures over the run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SystemSummary {
    /// Snapshots stored.
    pub samples: usize,
    /// Device time covered by snapshots and scope rows, seconds.
    pub duration_s: f64,
    /// Heap in use, bytes.
    pub heap_used: Option<Stat>,
    /// Stack in use, bytes.
    pub stack_used: Option<Stat>,
    /// CPU utilization, percent.
    pub cpu_utilization: Option<Stat>,
    /// Temperature, °C (`None` without a sensor).
    pub temperature: Option<Stat>,
    /// Tasks (threads on a host), count.
    pub tasks: Option<Stat>,
    /// Interrupt handler entries per second between snapshots.
    pub interrupts_per_s: Option<Stat>,
    /// Task switches per second between snapshots.
    pub context_switches_per_s: Option<Stat>,
}

/// Per second between consecutive snapshots, of a counter that only grows (a drop, from a
/// restart, is skipped).
fn rate(snapshots: &[SnapshotRecord], counter: fn(&SnapshotRecord) -> u64) -> Vec<f64> {
    snapshots
        .windows(2)
        .filter_map(|w| {
            let dt = w[1].timestamp_us.checked_sub(w[0].timestamp_us)?;
            let dn = counter(&w[1]).checked_sub(counter(&w[0]))?;
            (dt > 0).then(|| dn as f64 * 1e6 / dt as f64)
        })
        .collect()
}

/// A comparison against a baseline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComparisonSection {
    /// Baseline name.
    pub baseline: String,
    /// The run it points to.
    pub baseline_run: String,
    /// The bootstrap's settings.
    pub gate: GateSettings,
    /// Per metric, in label order.
    #[serde(serialize_with = "serialize_comparisons")]
    pub metrics: Vec<MetricComparison>,
    /// Whether any metric regressed.
    pub regressed: bool,
}

impl ComparisonSection {
    /// The metrics the gate called regressed.
    pub fn regressions(&self) -> impl Iterator<Item = &MetricComparison> {
        self.metrics
            .iter()
            .filter(|m| m.verdict == Verdict::Regressed)
    }
}

/// The bootstrap's settings as the command line takes them: percentages in percent.
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct GateSettings {
    /// Changes within ± this many percent are noise.
    pub noise_threshold_percent: f64,
    /// Confidence level of the interval, percent.
    pub confidence_percent: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// The generator's seed (decimal, as `--seed` takes it).
    pub seed: u64,
}

impl From<&BootstrapComparator> for GateSettings {
    fn from(g: &BootstrapComparator) -> Self {
        Self {
            noise_threshold_percent: g.noise_threshold_percent,
            confidence_percent: g.confidence * 100.0,
            resamples: g.resamples,
            seed: g.seed,
        }
    }
}

/// Each comparison as `{metric, unit, samples, baseline_mean, run_mean, change_percent,
/// interval_percent, verdict}`, the metric by its report label.
fn serialize_comparisons<S: Serializer>(
    metrics: &[MetricComparison],
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(serde::Serialize)]
    struct Row {
        metric: String,
        unit: &'static str,
        samples: (u64, u64),
        baseline_mean: f64,
        run_mean: f64,
        change_percent: Option<f64>,
        interval_percent: Option<(f64, f64)>,
        verdict: Verdict,
    }
    let mut seq = s.serialize_seq(Some(metrics.len()))?;
    for m in metrics {
        seq.serialize_element(&Row {
            metric: label(&m.metric),
            unit: unit(&m.metric),
            samples: m.samples,
            baseline_mean: m.mean_a,
            run_mean: m.mean_b,
            change_percent: m.change_percent,
            interval_percent: m.change_interval_percent,
            verdict: m.verdict,
        })?;
    }
    seq.end()
}

/// One chart series: `(x, y)` points and the unit of each coordinate.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Points {
    /// Unit of x: seconds since the run's first record.
    pub x_unit: &'static str,
    /// Unit of y.
    pub y_unit: &'static str,
    /// The points.
    pub points: Vec<(f64, f64)>,
}

impl Points {
    fn over_time(y_unit: &'static str, points: Vec<(f64, f64)>) -> Self {
        Self {
            x_unit: "s",
            y_unit,
            points,
        }
    }
}

/// Time series for charts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    /// Heap in use, bytes over seconds.
    pub heap_used: Points,
    /// The heap floors the leak rule fitted, one per window, bytes over seconds.
    pub heap_floors: Points,
    /// CPU utilization, percent over seconds.
    pub cpu_utilization: Points,
    /// Mean call time per interval, per scope, µs over seconds.
    pub scope_means: BTreeMap<String, Points>,
}

impl Series {
    /// The chart series of `data`.
    fn of(data: &LoadedRun) -> Self {
        let snapshots = &data.snapshots;
        Self {
            heap_used: Points::over_time("B", snapshot_series(snapshots, |s| s.heap_used as f64)),
            heap_floors: Points::over_time("B", leak_floors(data)),
            cpu_utilization: Points::over_time(
                "%",
                snapshot_series(snapshots, |s| f64::from(s.cpu_utilization)),
            ),
            scope_means: scope_series(&data.scopes)
                .interval_means
                .into_iter()
                .map(|(name, points)| (name, Points::over_time("µs", points)))
                .collect(),
        }
    }
}

/// Everything a report shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RunReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Tool and version that wrote it.
    pub generator: String,
    /// The run.
    pub run: Run,
    /// System figures.
    pub system: SystemSummary,
    /// Scopes, most time first.
    pub scopes: Vec<ScopeSummary>,
    /// Embassy tasks as last reported, most busy first.
    pub tasks: Vec<TaskSummary>,
    /// Interrupt handlers as last reported, most time first.
    pub interrupts: Vec<InterruptSummary>,
    /// The library's leak rule over the heap (`leak_suspected` says whether it fired).
    pub leak: Option<LeakEvidence>,
    /// Comparison against a baseline.
    pub comparison: Option<ComparisonSection>,
    /// What the library's insight rules advise, most urgent first.
    pub recommendations: Vec<Insight>,
    /// Chart data.
    pub series: Series,
    /// The baseline run's chart data, when comparing.
    pub baseline_series: Option<Series>,
}

/// A baseline to compare against: its name and its loaded run.
pub struct BaselineRun<'a> {
    /// The baseline's name.
    pub name: &'a str,
    /// The run it points to.
    pub data: &'a LoadedRun,
}

/// The report of `data`, compared against `baseline` when given.
pub fn build(
    data: &LoadedRun,
    baseline: Option<BaselineRun<'_>>,
    gate: &BootstrapComparator,
) -> RunReport {
    let snapshots = &data.snapshots;
    let scope_data = scope_series(&data.scopes);
    let series = Series::of(data);
    let leak = leak_evidence(data);
    let baseline_series = baseline.as_ref().map(|base| Series::of(base.data));
    let comparison = baseline.map(|base| {
        let metrics = compare_runs(base.data, data, gate);
        ComparisonSection {
            baseline: base.name.to_owned(),
            baseline_run: base.data.run.name.clone(),
            gate: GateSettings::from(gate),
            regressed: metrics.iter().any(|m| m.verdict == Verdict::Regressed),
            metrics,
        }
    });
    let heap = &series.heap_used.points;
    let system = SystemSummary {
        samples: snapshots.len(),
        duration_s: heap
            .iter()
            .chain(series.scope_means.values().flat_map(|p| p.points.iter()))
            .map(|p| p.0)
            .fold(0.0, f64::max),
        heap_used: Stat::of("B", heap.iter().map(|p| p.1)),
        stack_used: Stat::of("B", snapshots.iter().map(|s| s.stack_used as f64)),
        cpu_utilization: Stat::of("%", series.cpu_utilization.points.iter().map(|p| p.1)),
        temperature: Stat::of(
            "°C",
            snapshots
                .iter()
                .filter_map(|s| s.temperature.map(f64::from)),
        ),
        tasks: Stat::of("tasks", snapshots.iter().map(|s| f64::from(s.task_count))),
        interrupts_per_s: Stat::of("/s", rate(snapshots, |s| s.interrupt_count).into_iter()),
        context_switches_per_s: Stat::of("/s", rate(snapshots, |s| s.context_switches).into_iter()),
    };
    let recommendations = recommend(
        data,
        &scope_data.summaries,
        leak,
        comparison.as_ref().map_or(&[], |c| c.metrics.as_slice()),
    );
    RunReport {
        schema_version: SCHEMA_VERSION,
        generator: concat!("iot-perf ", env!("CARGO_PKG_VERSION")).to_owned(),
        run: data.run.clone(),
        system,
        scopes: scope_data.summaries,
        tasks: task_summaries(&data.tasks.tasks),
        interrupts: interrupt_summaries(&data.tasks.interrupts),
        leak,
        comparison,
        recommendations,
        series,
        baseline_series,
    }
}
