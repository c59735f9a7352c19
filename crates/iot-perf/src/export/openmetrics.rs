//! OpenMetrics text (Prometheus, Grafana Agent, a Pushgateway): the run's latest state,
//! one family per metric of the table, scopes in name order, written directly so that
//! the order is the table's (`prometheus-client` keeps a family's label sets in a hash
//! map).

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Kind, SCOPE_METRICS, SYSTEM_METRICS, device};
use crate::model::{LoadedRun, ScopeRow};

/// An OpenMetrics label value, escaped.
fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes one family: its HELP and TYPE lines, then one sample per `(labels, value)`.
fn family(out: &mut String, name: &str, help: &str, kind: Kind, samples: &[(String, f64)]) {
    if samples.is_empty() {
        return;
    }
    let (type_name, suffix) = match kind {
        Kind::Gauge => ("gauge", ""),
        Kind::Counter => ("counter", "_total"),
    };
    let _ = writeln!(out, "# HELP {name} {help}.\n# TYPE {name} {type_name}");
    for (labels, value) in samples {
        let _ = writeln!(out, "{name}{suffix}{{{labels}}} {value}");
    }
}

/// The latest state of the run as OpenMetrics text.
pub fn openmetrics(data: &LoadedRun) -> String {
    openmetrics_runs(std::slice::from_ref(data))
}

/// The latest state of each run as one OpenMetrics exposition: each family once, with
/// one sample per run (and scope), runs in the order given.
pub fn openmetrics_runs(runs: &[LoadedRun]) -> String {
    let bases: Vec<String> = runs
        .iter()
        .map(|data| {
            format!(
                "device=\"{}\",run=\"{}\"",
                label_value(device(data)),
                label_value(&data.run.name)
            )
        })
        .collect();
    let mut out = String::new();
    for m in &SYSTEM_METRICS {
        let samples: Vec<(String, f64)> = runs
            .iter()
            .zip(&bases)
            .filter_map(|(data, base)| {
                let s = data.snapshots.last()?;
                (m.read)(s).map(|v| (base.clone(), v.as_f64() / m.openmetrics_divisor))
            })
            .collect();
        family(&mut out, m.family, m.help, m.kind, &samples);
    }
    let latest: Vec<BTreeMap<&str, &ScopeRow>> = runs
        .iter()
        .map(|data| {
            let mut latest = BTreeMap::new();
            for row in &data.scopes {
                latest.insert(row.name.as_str(), row);
            }
            latest
        })
        .collect();
    for m in &SCOPE_METRICS {
        let samples: Vec<(String, f64)> = latest
            .iter()
            .zip(&bases)
            .flat_map(|(latest, base)| {
                latest.iter().filter_map(move |(name, row)| {
                    let labels = format!("{base},scope=\"{}\"", label_value(name));
                    (m.read)(row).map(|v| (labels, v.as_f64() / m.openmetrics_divisor))
                })
            })
            .collect();
        family(&mut out, m.family, m.help, m.kind, &samples);
    }
    let lost: Vec<(String, f64)> = runs
        .iter()
        .zip(&bases)
        .flat_map(|(data, base)| {
            [
                ("corrupt", data.run.corrupt_frames),
                ("dropped_on_device", data.run.dropped_on_device),
            ]
            .map(|(reason, n)| (format!("{base},reason=\"{reason}\""), n as f64))
        })
        .collect();
    family(
        &mut out,
        "iot_frames_lost",
        "Frames lost between device and history",
        Kind::Counter,
        &lost,
    );
    out.push_str("# EOF\n");
    out
}
