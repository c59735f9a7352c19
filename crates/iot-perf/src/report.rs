//! A run's report, as one serializable structure rendered to text, JSON or HTML.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;

use crate::analysis::{LeakSuspicion, ScopeSummary, leak_suspicion, scope_series, snapshot_series};
use crate::compare::{GateConfig, MetricComparison, Verdict, compare_runs, metric_samples};
use crate::db::{History, Run};
use crate::recommend::{Facts, Recommendation, recommend};

/// Version of the JSON report's layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Heap growth below this rate is not called a leak (bytes per second).
const LEAK_MIN_RATE: f64 = 64.0;

/// Minimum, mean, maximum and last value of a series.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Stat {
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
    fn of(values: impl Iterator<Item = f64>) -> Option<Self> {
        let v: Vec<f64> = values.collect();
        let last = *v.last()?;
        Some(Self {
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
    /// Device time covered, seconds.
    pub duration_s: f64,
    /// Heap in use, bytes.
    pub heap_used: Option<Stat>,
    /// Stack in use, bytes.
    pub stack_used: Option<Stat>,
    /// CPU utilization, percent.
    pub cpu_utilization: Option<Stat>,
    /// Temperature, °C (`None` without a sensor).
    pub temperature: Option<Stat>,
}

/// A comparison against a baseline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ComparisonSection {
    /// Baseline name.
    pub baseline: String,
    /// The run it points to.
    pub baseline_run: String,
    /// Noise threshold used (relative).
    pub noise_threshold: f64,
    /// Confidence level used.
    pub confidence: f64,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Per metric.
    pub metrics: Vec<MetricComparison>,
    /// Whether any metric regressed.
    pub regressed: bool,
}

/// Time series for charts.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    /// Heap in use, `(s, bytes)`.
    pub heap_used: Vec<(f64, f64)>,
    /// CPU, `(s, %)`.
    pub cpu_utilization: Vec<(f64, f64)>,
    /// Mean call time per interval, per scope, `(s, µs)`.
    pub scope_means: BTreeMap<String, Vec<(f64, f64)>>,
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
    /// Suspected leak.
    pub leak: Option<LeakSuspicion>,
    /// Comparison against a baseline.
    pub comparison: Option<ComparisonSection>,
    /// What to do.
    pub recommendations: Vec<Recommendation>,
    /// Chart data.
    pub series: Series,
}

/// Builds the report of `run`, compared against `baseline` when given.
pub fn build(
    history: &History,
    run: &str,
    baseline: Option<&str>,
    gate: &GateConfig,
) -> Result<RunReport> {
    let run = history.run(run)?;
    let snapshots = history.snapshots(run.id)?;
    let scopes = history.scopes(run.id)?;
    let scope_data = scope_series(&scopes);
    let heap = snapshot_series(&snapshots, |s| s.heap_used as f64);
    let cpu = snapshot_series(&snapshots, |s| f64::from(s.cpu_utilization));
    let leak = leak_suspicion(&heap, LEAK_MIN_RATE);
    let comparison = match baseline {
        None => None,
        Some(name) => {
            let base_run = history.baseline_run(name)?;
            let base = metric_samples(
                &history.snapshots(base_run.id)?,
                &history.scopes(base_run.id)?,
            );
            let metrics = compare_runs(&base, &metric_samples(&snapshots, &scopes), gate);
            Some(ComparisonSection {
                baseline: name.to_owned(),
                baseline_run: base_run.name,
                noise_threshold: gate.noise_threshold,
                confidence: gate.confidence,
                seed: gate.seed,
                regressed: metrics.iter().any(|m| m.verdict == Verdict::Regression),
                metrics,
            })
        }
    };
    let system = SystemSummary {
        samples: snapshots.len(),
        duration_s: heap.last().map_or(0.0, |p| p.0),
        heap_used: Stat::of(heap.iter().map(|p| p.1)),
        stack_used: Stat::of(snapshots.iter().map(|s| s.stack_used as f64)),
        cpu_utilization: Stat::of(cpu.iter().map(|p| p.1)),
        temperature: Stat::of(
            snapshots
                .iter()
                .filter_map(|s| s.temperature.map(f64::from)),
        ),
    };
    let recommendations = recommend(&Facts {
        run: &run,
        snapshots: &snapshots,
        scopes: &scope_data.summaries,
        leak: leak.as_ref(),
        comparison: comparison.as_ref().map(|c| c.metrics.as_slice()),
    });
    Ok(RunReport {
        schema_version: SCHEMA_VERSION,
        generator: concat!("iot-perf ", env!("CARGO_PKG_VERSION")).to_owned(),
        run,
        system,
        scopes: scope_data.summaries,
        leak,
        comparison,
        recommendations,
        series: Series {
            heap_used: heap,
            cpu_utilization: cpu,
            scope_means: scope_data.interval_means,
        },
    })
}

/// The comparison table as text.
pub fn comparison_text(c: &ComparisonSection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "Compared with baseline {:?} (run {}), noise threshold {:.1} %, {:.0} % bootstrap CI, seed {:#x}:",
        c.baseline,
        c.baseline_run,
        c.noise_threshold * 100.0,
        c.confidence * 100.0,
        c.seed
    );
    let _ = writeln!(
        s,
        "  {:<32} {:>12} {:>12} {:>9} {:>21}  verdict",
        "metric", "baseline", "run", "change", "CI"
    );
    for m in &c.metrics {
        let _ = writeln!(
            s,
            "  {:<32} {:>12.3} {:>12.3} {:>8.1}% {:>9.1}%..{:>9.1}%  {}",
            m.metric,
            m.baseline_mean,
            m.run_mean,
            m.change * 100.0,
            m.interval.0 * 100.0,
            m.interval.1 * 100.0,
            match m.verdict {
                Verdict::Regression => "REGRESSION",
                Verdict::Improvement => "improvement",
                Verdict::NoChange => "no change",
                Verdict::Insufficient => "insufficient data",
            }
        );
    }
    s
}

/// The report as plain text.
pub fn text(r: &RunReport) -> String {
    let mut s = String::new();
    let run = &r.run;
    let _ = writeln!(
        s,
        "Run {} (#{}) from {} — device {}, firmware {}",
        run.name,
        run.id,
        run.source,
        run.device.as_deref().unwrap_or("?"),
        run.firmware.as_deref().unwrap_or("?")
    );
    let _ = writeln!(
        s,
        "{} snapshots over {:.1} s; {} corrupt frames skipped; {} frames dropped on the device",
        r.system.samples, r.system.duration_s, run.corrupt_frames, run.dropped_on_device
    );
    let stat = |name: &str, st: &Option<Stat>, scale: f64, unit: &str| match st {
        Some(st) => format!(
            "  {name:<14} min {:>10.1}  mean {:>10.1}  max {:>10.1}  last {:>10.1} {unit}\n",
            st.min / scale,
            st.mean / scale,
            st.max / scale,
            st.last / scale
        ),
        None => format!("  {name:<14} not measured\n"),
    };
    s.push_str(&stat("heap used", &r.system.heap_used, 1024.0, "KiB"));
    s.push_str(&stat("stack used", &r.system.stack_used, 1.0, "B"));
    s.push_str(&stat("CPU", &r.system.cpu_utilization, 1.0, "%"));
    s.push_str(&stat("temperature", &r.system.temperature, 1.0, "°C"));
    if !r.scopes.is_empty() {
        let _ = writeln!(
            s,
            "\n  {:<28} {:>10} {:>12} {:>10} {:>10} {:>10} {:>7}",
            "scope", "calls", "total ms", "mean µs", "min µs", "max µs", "share"
        );
        for sc in &r.scopes {
            let _ = writeln!(
                s,
                "  {:<28} {:>10} {:>12.2} {:>10.2} {:>10.2} {:>10.2} {:>6.1}%",
                sc.name,
                sc.calls,
                sc.total_us / 1000.0,
                sc.mean_us.unwrap_or(0.0),
                sc.min_us,
                sc.max_us,
                sc.share_percent
            );
        }
    }
    if let Some(c) = &r.comparison {
        s.push('\n');
        s.push_str(&comparison_text(c));
    }
    if r.recommendations.is_empty() {
        s.push_str("\nRecommendations: none — nothing above the rules' thresholds.\n");
    } else {
        s.push_str("\nRecommendations:\n");
        for rec in &r.recommendations {
            let _ = writeln!(
                s,
                "  [{}] {}\n      evidence: {}\n      action:   {}",
                rec.severity, rec.finding, rec.evidence, rec.action
            );
        }
    }
    s
}
