//! `fleet compare`: two cohorts of devices, each scope's percentiles judged by the
//! library's [`FleetComparator`].

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use iot_performance::analysis::fleet::{FleetComparator, MergedHistogram, PercentileComparison};
use iot_performance::analysis::{Metric, MetricComparison, Verdict};
use serde::Serialize;

use crate::db::History;
use crate::db::fleet::{DeviceFigures, HeartbeatFilter, StoredScope};

/// Version of the JSON [`FleetReport`]'s layout.
pub const FLEET_REPORT_SCHEMA: u32 = 1;

/// A cohort as given on the command line: `firmware=1.3.0`, `hardware=revB`,
/// `group=canary`, `device=node-7`, several joined by commas.
pub fn parse_cohort(spec: &str) -> Result<HeartbeatFilter, String> {
    let mut filter = HeartbeatFilter::default();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((key, value)) = part.split_once('=') else {
            return Err(format!("{part:?} is not KEY=VALUE (e.g. firmware=1.3.0)"));
        };
        let slot = match key.trim() {
            "firmware" => &mut filter.firmware,
            "hardware" => &mut filter.hardware,
            "group" => &mut filter.group,
            "device" => &mut filter.device,
            other => {
                return Err(format!(
                    "unknown cohort key {other:?}: use firmware=, hardware=, group= or device="
                ));
            }
        };
        *slot = Some(value.trim().to_owned());
    }
    if filter == HeartbeatFilter::default() {
        return Err("an empty cohort: give e.g. firmware=1.3.0".into());
    }
    Ok(filter)
}

/// One cohort as reported.
#[derive(Debug, Clone, Serialize)]
pub struct CohortSummary {
    /// The cohort as given.
    pub spec: String,
    /// Devices with at least one heartbeat in it.
    pub devices: usize,
    /// Heartbeat scope rows read.
    pub scope_rows: usize,
}

/// One scope's percentiles, A vs B, in microseconds.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeComparison {
    /// Scope name.
    pub scope: String,
    /// Tick frequency the devices reported this scope in.
    pub ticks_per_second: u64,
    /// The library's comparison per percentile (figures in ticks).
    pub percentiles: Vec<PercentileComparison>,
}

impl ScopeComparison {
    /// Ticks as microseconds at this scope's tick frequency.
    pub fn us(&self, ticks: f64) -> f64 {
        ticks * 1e6 / self.ticks_per_second.max(1) as f64
    }
}

/// A per-device figure (heap peak, stack peak, CPU) compared between the cohorts by the
/// library's bootstrap over devices.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceMetric {
    /// `heap_peak`, `stack_peak` or `cpu_mean`.
    pub metric: &'static str,
    /// `bytes` or `percent`.
    pub unit: &'static str,
    /// Devices in A and in B that measured it.
    pub devices: (u64, u64),
    /// Mean over A's devices.
    pub mean_a: f64,
    /// Mean over B's devices.
    pub mean_b: f64,
    /// `(B − A) / A`, percent.
    pub change_percent: Option<f64>,
    /// Bootstrap interval of the change, percent.
    pub change_interval_percent: Option<(f64, f64)>,
    /// The verdict.
    pub verdict: Verdict,
}

impl DeviceMetric {
    fn of(metric: &'static str, unit: &'static str, c: &MetricComparison) -> Self {
        Self {
            metric,
            unit,
            devices: c.samples,
            mean_a: c.mean_a,
            mean_b: c.mean_b,
            change_percent: c.change_percent,
            change_interval_percent: c.change_interval_percent,
            verdict: c.verdict,
        }
    }
}

/// Heap peak, stack peak and CPU of both cohorts, compared per device.
fn device_metrics(
    a: &[DeviceFigures],
    b: &[DeviceFigures],
    settings: &FleetComparator,
) -> Vec<DeviceMetric> {
    type Pick = fn(&DeviceFigures) -> Option<f64>;
    let figures: [(&str, &str, Metric, Pick); 3] = [
        ("heap_peak", "bytes", Metric::HeapUsed, |d| d.heap_peak),
        ("stack_peak", "bytes", Metric::StackUsed, |d| d.stack_peak),
        ("cpu_mean", "percent", Metric::CpuUtilization, |d| {
            d.cpu_mean_percent
        }),
    ];
    figures
        .into_iter()
        .filter_map(|(name, unit, metric, pick)| {
            let xs: Vec<f64> = a.iter().filter_map(pick).collect();
            let ys: Vec<f64> = b.iter().filter_map(pick).collect();
            (!xs.is_empty() && !ys.is_empty()).then(|| {
                DeviceMetric::of(name, unit, &settings.gate.compare_samples(metric, &xs, &ys))
            })
        })
        .collect()
}

/// What `fleet compare` found.
#[derive(Debug, Clone, Serialize)]
pub struct FleetReport {
    /// [`FLEET_REPORT_SCHEMA`].
    pub schema_version: u32,
    /// Cohort A (before) and B (after).
    pub cohorts: [CohortSummary; 2],
    /// The comparison's settings.
    pub settings: FleetComparator,
    /// Scopes both cohorts reported, by name.
    pub scopes: Vec<ScopeComparison>,
    /// Heap and stack peaks and CPU per device.
    pub device_metrics: Vec<DeviceMetric>,
    /// Scopes only one cohort reported: not compared.
    pub unmatched_scopes: Vec<String>,
    /// Whether any percentile regressed.
    pub regressed: bool,
}

/// Per (scope, tick frequency), per device, the merged histogram.
pub type Grouped = BTreeMap<(String, u64), BTreeMap<String, MergedHistogram>>;

/// One cohort's data, from the history or from a time-series engine: what the judgement
/// needs, whichever the source.
#[derive(Debug, Clone)]
pub struct Cohort {
    /// The cohort as given.
    pub spec: String,
    /// Each scope's histograms, one per device.
    pub scopes: Grouped,
    /// Each device's heap and stack peaks and CPU.
    pub figures: Vec<DeviceFigures>,
    /// Devices with at least one heartbeat scope.
    pub devices: usize,
    /// Heartbeat scope rows read.
    pub scope_rows: usize,
}

fn group(rows: &[StoredScope]) -> Grouped {
    let mut out = Grouped::new();
    for r in rows {
        out.entry((r.name.clone(), r.ticks_per_second))
            .or_default()
            .entry(r.device.clone())
            .or_default()
            .add(&r.histogram);
    }
    out
}

/// Loads a cohort from `history` (limited to the filter's `since..until`).
pub fn from_history(history: &History, spec: &str, filter: &HeartbeatFilter) -> Result<Cohort> {
    let rows = history.heartbeat_scopes(filter)?;
    if rows.is_empty() {
        bail!(
            "cohort {spec:?} has no heartbeat with scopes in the history{} (import some: `iot-perf fleet import FILE`)",
            if history.heartbeat_count()? == 0 {
                ", which holds no heartbeats at all"
            } else {
                ""
            }
        );
    }
    let mut devices: Vec<&str> = rows.iter().map(|r| r.device.as_str()).collect();
    devices.sort_unstable();
    devices.dedup();
    Ok(Cohort {
        spec: spec.to_owned(),
        scopes: group(&rows),
        figures: history.device_figures(filter)?,
        devices: devices.len(),
        scope_rows: rows.len(),
    })
}

/// Compares cohort A (before) with B (after): each scope both reported by the library's
/// [`FleetComparator`], the device figures by its bootstrap. The one judgement of both
/// sources (history and engine).
pub fn judge(a: &Cohort, b: &Cohort, settings: &FleetComparator) -> FleetReport {
    let (ga, gb) = (&a.scopes, &b.scopes);
    let mut scopes = Vec::new();
    let mut unmatched = Vec::new();
    for (key, da) in ga {
        let Some(db) = gb.get(key) else {
            unmatched.push(key.0.clone());
            continue;
        };
        let da: Vec<MergedHistogram> = da.values().cloned().collect();
        let db: Vec<MergedHistogram> = db.values().cloned().collect();
        scopes.push(ScopeComparison {
            scope: key.0.clone(),
            ticks_per_second: key.1,
            percentiles: settings.compare(&da, &db),
        });
    }
    unmatched.extend(
        gb.keys()
            .filter(|k| !ga.contains_key(*k))
            .map(|k| k.0.clone()),
    );
    unmatched.sort();
    unmatched.dedup();
    let device_metrics = device_metrics(&a.figures, &b.figures, settings);
    let regressed = scopes
        .iter()
        .flat_map(|s| &s.percentiles)
        .map(|p| p.verdict)
        .chain(device_metrics.iter().map(|m| m.verdict))
        .any(|v| v == Verdict::Regressed);
    let summary = |c: &Cohort| CohortSummary {
        spec: c.spec.clone(),
        devices: c.devices,
        scope_rows: c.scope_rows,
    };
    FleetReport {
        schema_version: FLEET_REPORT_SCHEMA,
        cohorts: [summary(a), summary(b)],
        settings: settings.clone(),
        scopes,
        device_metrics,
        unmatched_scopes: unmatched,
        regressed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cohort_specs_parse_and_errors_say_what_to_write() {
        let f = parse_cohort("firmware=1.3.0, hardware=revB").unwrap();
        assert_eq!(f.firmware.as_deref(), Some("1.3.0"));
        assert_eq!(f.hardware.as_deref(), Some("revB"));
        assert_eq!(
            parse_cohort("group=canary").unwrap().group.as_deref(),
            Some("canary")
        );
        assert!(
            parse_cohort("colour=red")
                .unwrap_err()
                .contains("unknown cohort key")
        );
        assert!(parse_cohort("firmware").unwrap_err().contains("KEY=VALUE"));
        assert!(parse_cohort("").is_err());
    }
}
