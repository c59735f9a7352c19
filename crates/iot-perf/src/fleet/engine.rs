//! `fleet compare --from-engine URL`: a cohort read from VictoriaMetrics instead of the
//! history, for fleets whose heartbeats are spread over several ingest processes and
//! histories but forwarded to one engine.
//!
//! One `GET /api/v1/export` per cohort returns the raw samples (no step, no lookback: every
//! forwarded heartbeat counts once) of the series the forwarder writes
//! ([`crate::export::heartbeat_points`]) whose labels match the cohort:
//! `iot_heartbeat_latency_bucket` (one per non-empty bin; its `bin` and
//! `ticks_per_second` labels give the library's bin back exactly) and the heap, stack and
//! CPU figures. The histograms are summed per device and scope, like the history's, and
//! judged by the same function ([`super::compare::judge`]).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use super::compare::{Cohort, Grouped};
use crate::db::fleet::{DeviceFigures, HeartbeatFilter};
use crate::export::parse_bin_tag;

/// The series a cohort needs.
const SERIES: &str = "iot_heartbeat_(latency_bucket|heap_peak|stack_peak|cpu_mean_percent)";

/// A label value quoted for a series selector.
fn quoted(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The series selector of a cohort: the engine's labels are the heartbeat's identity
/// (`firmware`, `hardware`, `group`) and the `device` of its topic.
pub fn selector(filter: &HeartbeatFilter) -> String {
    let mut s = format!("{{__name__=~{}", quoted(SERIES));
    for (label, value) in [
        ("firmware", &filter.firmware),
        ("hardware", &filter.hardware),
        ("group", &filter.group),
        ("device", &filter.device),
    ] {
        if let Some(v) = value {
            s.push_str(&format!(",{label}={}", quoted(v)));
        }
    }
    s.push('}');
    s
}

/// One line of `/api/v1/export`.
#[derive(serde::Deserialize)]
struct Series {
    metric: BTreeMap<String, String>,
    values: Vec<f64>,
    timestamps: Vec<i64>,
}

/// A device's figures while they are read.
#[derive(Default)]
struct Figures {
    heap_peak: Option<f64>,
    stack_peak: Option<f64>,
    cpu: Vec<f64>,
}

/// Sums exported series into a cohort.
fn cohort_of(spec: &str, lines: &str) -> Result<Cohort> {
    let mut scopes = Grouped::new();
    let mut figures: BTreeMap<String, Figures> = BTreeMap::new();
    // (device, scope, timestamp): one heartbeat's scope.
    let mut rows: BTreeSet<(String, String, i64)> = BTreeSet::new();
    for line in lines.lines().filter(|l| !l.trim().is_empty()) {
        let s: Series = serde_json::from_str(line)
            .with_context(|| format!("an export line that is not a series: {line}"))?;
        let label = |k: &str| s.metric.get(k).map(String::as_str).unwrap_or_default();
        let device = label("device").to_owned();
        let peak = |slot: &mut Option<f64>| {
            let max = s.values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            *slot = Some(slot.map_or(max, |v| v.max(max)));
        };
        match label("__name__") {
            "iot_heartbeat_latency_bucket" => {
                let Some((sub_bits, bin)) = parse_bin_tag(label("bin")) else {
                    bail!(
                        "a latency bucket without a `bin` label (written by an older iot-perf?): {line}"
                    );
                };
                let tps: u64 = label("ticks_per_second").parse().with_context(|| {
                    format!("a latency bucket without `ticks_per_second`: {line}")
                })?;
                let scope = label("scope").to_owned();
                let total: f64 = s.values.iter().sum();
                scopes
                    .entry((scope.clone(), tps))
                    .or_default()
                    .entry(device.clone())
                    .or_default()
                    .add_bins(sub_bits, std::iter::once((bin, total.round() as u64)));
                rows.extend(
                    s.timestamps
                        .iter()
                        .map(|&t| (device.clone(), scope.clone(), t)),
                );
            }
            "iot_heartbeat_heap_peak" => peak(&mut figures.entry(device).or_default().heap_peak),
            "iot_heartbeat_stack_peak" => {
                peak(&mut figures.entry(device).or_default().stack_peak);
            }
            "iot_heartbeat_cpu_mean_percent" => {
                figures.entry(device).or_default().cpu.extend(&s.values);
            }
            _ => {}
        }
    }
    let devices: BTreeSet<&str> = rows.iter().map(|(d, _, _)| d.as_str()).collect();
    let devices = devices.len();
    let figures = figures
        .into_iter()
        .map(|(device, f)| DeviceFigures {
            device,
            heap_peak: f.heap_peak,
            stack_peak: f.stack_peak,
            cpu_mean_percent: (!f.cpu.is_empty())
                .then(|| f.cpu.iter().sum::<f64>() / f.cpu.len() as f64),
        })
        .collect();
    Ok(Cohort {
        spec: spec.to_owned(),
        scopes,
        figures,
        devices,
        scope_rows: rows.len(),
    })
}

/// Reads the cohort `filter` selects (and its `since..until`) from the VictoriaMetrics at
/// `base` (e.g. `http://127.0.0.1:8428`).
pub fn cohort(base: &str, spec: &str, filter: &HeartbeatFilter) -> Result<Cohort> {
    let base = base.trim_end_matches('/');
    let agent = crate::forward::agent(Duration::from_secs(120));
    let seconds = |ms: i64| format!("{:.3}", ms as f64 / 1000.0);
    let mut request = agent
        .get(&format!("{base}/api/v1/export"))
        .query("match[]", selector(filter))
        .query("start", seconds(filter.since_unix_ms.unwrap_or(0)));
    // The history's `until` is exclusive, the engine's `end` inclusive.
    if let Some(until) = filter.until_unix_ms {
        request = request.query("end", seconds(until - 1));
    }
    let body = request
        .call()
        .with_context(|| format!("querying {base}/api/v1/export"))?
        .body_mut()
        .with_config()
        .limit(u64::MAX)
        .read_to_string()
        .context("reading the engine's export")?;
    let cohort = cohort_of(spec, &body)?;
    if cohort.scopes.is_empty() {
        bail!("cohort {spec:?} has no heartbeat latency buckets in the engine at {base}");
    }
    Ok(cohort)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selector_quotes_label_values() {
        let f = HeartbeatFilter {
            firmware: Some("1.3.0".into()),
            group: Some("say \"hi\"".into()),
            ..HeartbeatFilter::default()
        };
        assert_eq!(
            selector(&f),
            "{__name__=~\"iot_heartbeat_(latency_bucket|heap_peak|stack_peak|cpu_mean_percent)\",firmware=\"1.3.0\",group=\"say \\\"hi\\\"\"}"
        );
    }

    #[test]
    fn exported_series_sum_per_device_and_scope() {
        let lines = r#"{"metric":{"__name__":"iot_heartbeat_latency_bucket","device":"a","scope":"s","bin":"3:40","ticks_per_second":"1000000"},"values":[2,3],"timestamps":[1,2]}
{"metric":{"__name__":"iot_heartbeat_latency_bucket","device":"a","scope":"s","bin":"3:41","ticks_per_second":"1000000"},"values":[1],"timestamps":[2]}
{"metric":{"__name__":"iot_heartbeat_latency_bucket","device":"b","scope":"s","bin":"2:20","ticks_per_second":"1000000"},"values":[4],"timestamps":[1]}
{"metric":{"__name__":"iot_heartbeat_heap_peak","device":"a"},"values":[100,300,200],"timestamps":[1,2,3]}
{"metric":{"__name__":"iot_heartbeat_cpu_mean_percent","device":"a"},"values":[10,20],"timestamps":[1,2]}
"#;
        let c = cohort_of("firmware=x", lines).unwrap();
        assert_eq!(c.devices, 2);
        assert_eq!(c.scope_rows, 3, "a at 1 and 2, b at 1");
        let s = &c.scopes[&("s".to_owned(), 1_000_000)];
        assert_eq!(s["a"].bins().collect::<Vec<_>>(), [(40, 5), (41, 1)]);
        assert_eq!(s["b"].sub_bits(), 2);
        assert_eq!(s["b"].count(), 4);
        let a = &c.figures[0];
        assert_eq!(a.heap_peak, Some(300.0));
        assert_eq!(a.cpu_mean_percent, Some(15.0));
        assert_eq!(a.stack_peak, None);
        assert!(cohort_of("x", "{\"metric\":{\"__name__\":\"iot_heartbeat_latency_bucket\"},\"values\":[1],\"timestamps\":[1]}").is_err());
    }
}
