//! The CI gate: is a run slower or bigger than its baseline, beyond noise?
//!
//! For each metric, the relative change of the mean (run vs baseline) is bootstrapped with
//! a seeded generator (so the gate gives the same answer for the same data). A metric is a
//! *regression* only when the whole confidence interval of the change lies above the noise
//! threshold, an *improvement* when it lies wholly below its negative, and otherwise
//! unchanged. All metrics compared here are lower-is-better (time, memory, CPU).

use std::collections::BTreeMap;

use iot_performance::wire::SnapshotRecord;

use crate::analysis::{scope_series, snapshot_series};
use crate::model::ScopeRow;

/// Settings of the gate.
#[derive(Debug, Clone, Copy)]
pub struct GateConfig {
    /// Relative change treated as noise (0.05 = 5 %).
    pub noise_threshold: f64,
    /// Confidence level of the interval (0.95).
    pub confidence: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Generator seed.
    pub seed: u64,
}

impl Default for GateConfig {
    fn default() -> Self {
        Self {
            noise_threshold: 0.05,
            confidence: 0.95,
            resamples: 2000,
            seed: 0x0107_5eed,
        }
    }
}

/// What the gate concluded for one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval is past +threshold.
    Regression,
    /// The whole interval is past −threshold.
    Improvement,
    /// The interval touches the noise band.
    NoChange,
    /// Too few samples on one side (fewer than 2) or a zero baseline.
    Insufficient,
}

/// One metric's comparison.
#[derive(Debug, Clone, serde::Serialize)]
pub struct MetricComparison {
    /// Metric name (`scope:<name>`, `heap_used_bytes`, `cpu_utilization_percent`).
    pub metric: String,
    /// Unit of the means.
    pub unit: &'static str,
    /// Samples in the baseline and in the run.
    pub samples: (usize, usize),
    /// Baseline mean.
    pub baseline_mean: f64,
    /// Run mean.
    pub run_mean: f64,
    /// Relative change of the mean (0.1 = 10 % higher).
    pub change: f64,
    /// Confidence interval of the change.
    pub interval: (f64, f64),
    /// Confidence level of the interval.
    pub confidence: f64,
    /// The conclusion.
    pub verdict: Verdict,
}

/// Samples of every comparable metric of a run.
pub fn metric_samples(
    snapshots: &[SnapshotRecord],
    scopes: &[ScopeRow],
) -> BTreeMap<String, (&'static str, Vec<f64>)> {
    let mut out = BTreeMap::new();
    for (name, points) in scope_series(scopes).interval_means {
        out.insert(
            format!("scope:{name}"),
            ("µs/call", points.into_iter().map(|p| p.1).collect()),
        );
    }
    let heap = snapshot_series(snapshots, |s| s.heap_used as f64);
    if !heap.is_empty() {
        out.insert(
            "heap_used_bytes".into(),
            ("B", heap.into_iter().map(|p| p.1).collect()),
        );
        let cpu = snapshot_series(snapshots, |s| f64::from(s.cpu_utilization));
        out.insert(
            "cpu_utilization_percent".into(),
            ("%", cpu.into_iter().map(|p| p.1).collect()),
        );
    }
    out
}

fn mean(xs: &[f64]) -> f64 {
    xs.iter().sum::<f64>() / xs.len() as f64
}

fn resample_mean(xs: &[f64], rng: &mut fastrand::Rng) -> f64 {
    let mut sum = 0.0;
    for _ in 0..xs.len() {
        sum += xs[rng.usize(..xs.len())];
    }
    sum / xs.len() as f64
}

/// Bootstraps the relative change of the mean from `base` to `run`.
pub fn compare_metric(
    metric: &str,
    unit: &'static str,
    base: &[f64],
    run: &[f64],
    config: &GateConfig,
    rng: &mut fastrand::Rng,
) -> MetricComparison {
    let mut result = MetricComparison {
        metric: metric.to_owned(),
        unit,
        samples: (base.len(), run.len()),
        baseline_mean: if base.is_empty() {
            f64::NAN
        } else {
            mean(base)
        },
        run_mean: if run.is_empty() { f64::NAN } else { mean(run) },
        change: f64::NAN,
        interval: (f64::NAN, f64::NAN),
        confidence: config.confidence,
        verdict: Verdict::Insufficient,
    };
    if base.len() < 2 || run.len() < 2 || result.baseline_mean <= 0.0 {
        return result;
    }
    result.change = result.run_mean / result.baseline_mean - 1.0;
    let mut changes: Vec<f64> = (0..config.resamples.max(100))
        .filter_map(|_| {
            let b = resample_mean(base, rng);
            (b > 0.0).then(|| resample_mean(run, rng) / b - 1.0)
        })
        .collect();
    if changes.is_empty() {
        return result;
    }
    changes.sort_by(f64::total_cmp);
    let tail = (1.0 - config.confidence.clamp(0.5, 0.999)) / 2.0;
    let at = |q: f64| {
        let i = ((changes.len() - 1) as f64 * q).round() as usize;
        changes[i.min(changes.len() - 1)]
    };
    result.interval = (at(tail), at(1.0 - tail));
    result.verdict = if result.interval.0 > config.noise_threshold {
        Verdict::Regression
    } else if result.interval.1 < -config.noise_threshold {
        Verdict::Improvement
    } else {
        Verdict::NoChange
    };
    result
}

/// Compares every metric present in both runs, in name order.
pub fn compare_runs(
    base: &BTreeMap<String, (&'static str, Vec<f64>)>,
    run: &BTreeMap<String, (&'static str, Vec<f64>)>,
    config: &GateConfig,
) -> Vec<MetricComparison> {
    let mut rng = fastrand::Rng::with_seed(config.seed);
    let mut names: Vec<&String> = base.keys().chain(run.keys()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            let empty = ("", Vec::new());
            let (unit, b) = base.get(name).unwrap_or(&empty);
            let (unit2, r) = run.get(name).unwrap_or(&empty);
            let unit = if unit.is_empty() { unit2 } else { unit };
            compare_metric(name, unit, b, r, config, &mut rng)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn noisy(mean: f64, n: usize, seed: u64) -> Vec<f64> {
        let mut rng = fastrand::Rng::with_seed(seed);
        (0..n)
            .map(|_| mean * (1.0 + 0.04 * (rng.f64() - 0.5)))
            .collect()
    }

    #[test]
    fn identical_samples_are_no_change_and_slow_ones_regress() {
        let config = GateConfig::default();
        let mut rng = fastrand::Rng::with_seed(1);
        let base = noisy(100.0, 30, 7);
        let same = compare_metric("m", "µs", &base, &base, &config, &mut rng);
        assert_eq!(same.verdict, Verdict::NoChange);
        let slow = noisy(130.0, 30, 8);
        let slower = compare_metric("m", "µs", &base, &slow, &config, &mut rng);
        assert_eq!(slower.verdict, Verdict::Regression, "{slower:?}");
        assert!(slower.interval.0 > 0.2 && slower.interval.1 < 0.4);
        let fast = compare_metric("m", "µs", &slow, &base, &config, &mut rng);
        assert_eq!(fast.verdict, Verdict::Improvement);
        // A 3 % change stays inside a 5 % noise band.
        let near = noisy(103.0, 30, 9);
        assert_eq!(
            compare_metric("m", "µs", &base, &near, &config, &mut rng).verdict,
            Verdict::NoChange
        );
    }

    #[test]
    fn seeded_gate_is_reproducible_and_small_samples_are_insufficient() {
        let config = GateConfig::default();
        let base = noisy(100.0, 10, 1);
        let run = noisy(104.0, 10, 2);
        let a = compare_metric(
            "m",
            "",
            &base,
            &run,
            &config,
            &mut fastrand::Rng::with_seed(5),
        );
        let b = compare_metric(
            "m",
            "",
            &base,
            &run,
            &config,
            &mut fastrand::Rng::with_seed(5),
        );
        assert_eq!(a.interval, b.interval);
        let one = compare_metric(
            "m",
            "",
            &base[..1],
            &run,
            &config,
            &mut fastrand::Rng::with_seed(5),
        );
        assert_eq!(one.verdict, Verdict::Insufficient);
    }
}
