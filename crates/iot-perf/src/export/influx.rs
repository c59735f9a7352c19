//! InfluxDB line protocol: every snapshot and scope row as a point, fields in table
//! order, points in time order (at one time: `iot_system`, then `iot_scope` by scope
//! name), written with `influxdb-line-protocol`.

use anyhow::{Context, Result};

use super::{Exported, SCOPE_METRICS, SYSTEM_METRICS, Value, device};
use iot_performance::wire::SnapshotRecord;

use crate::model::{LoadedRun, ScopeRow};

/// Integers as unsigned (`8192u`), measurements as floats.
impl influxdb_line_protocol::builder::FieldValue for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Int(v) => influxdb_line_protocol::builder::FieldValue::fmt(v, f),
            Value::Float(v) => influxdb_line_protocol::builder::FieldValue::fmt(v, f),
        }
    }
}

/// The fields of one point: every table entry that has a value, in table order.
fn fields<R>(table: &[Exported<R>], record: &R) -> Vec<(&'static str, Value)> {
    table
        .iter()
        .filter_map(|m| (m.read)(record).map(|v| (m.influx_field, v)))
        .collect()
}

/// Every snapshot and scope row of the run as InfluxDB line protocol.
pub fn influx(data: &LoadedRun) -> Result<String> {
    let run = &data.run;
    let t0 = data
        .snapshots
        .iter()
        .map(|s| s.timestamp_us)
        .chain(data.scopes.iter().map(|s| s.timestamp_us))
        .min()
        .unwrap_or(0);
    let start_ns = run.recorded_at_unix_ms.saturating_mul(1_000_000);
    let at = |us: u64| {
        start_ns.saturating_add(
            i64::try_from(us.saturating_sub(t0))
                .unwrap_or(i64::MAX)
                .saturating_mul(1000),
        )
    };
    let tags = [("device", device(data)), ("run", run.name.as_str())];
    points(&tags, &data.snapshots, &data.scopes, at)
}

/// Snapshots (measurement `iot_system`) and scope rows (`iot_scope`, tag `scope`) as
/// line protocol, each point tagged with `tags` and stamped `at(device time in µs)` (Unix
/// ns; tags with an empty value are left out); the one place that writes the forwarded and exported points.
pub fn points(
    tags: &[(&str, &str)],
    snapshots: &[SnapshotRecord],
    scopes: &[ScopeRow],
    at: impl Fn(u64) -> i64,
) -> Result<String> {
    type Builder = influxdb_line_protocol::LineProtocolBuilder<Vec<u8>>;
    let mut b = Builder::new();
    let mut points: Vec<_> = snapshots
        .iter()
        .map(|s| {
            (
                "iot_system",
                None,
                fields(&SYSTEM_METRICS, s),
                s.timestamp_us,
            )
        })
        .chain(scopes.iter().map(|r| {
            let scope = Some(r.name.as_str());
            (
                "iot_scope",
                scope,
                fields(&SCOPE_METRICS, r),
                r.timestamp_us,
            )
        }))
        .collect();
    // By time, the snapshot (no scope) first, then scopes by name; stable, so rows of one
    // scope at one time keep their arrival order.
    points.sort_by(|a, b| (a.3, a.1).cmp(&(b.3, b.1)));
    for (measurement, scope, fields, t_us) in points {
        let Some(((first, value), rest)) = fields.split_first() else {
            continue;
        };
        let mut tagged = b.measurement(measurement);
        for (key, value) in tags.iter().filter(|(_, v)| !v.is_empty()) {
            tagged = tagged.tag(key, value);
        }
        let tagged = match scope {
            Some(name) => tagged.tag("scope", name),
            None => tagged,
        };
        let mut line = tagged.field(first, *value);
        for (key, value) in rest {
            line = line.field(key, *value);
        }
        b = line.timestamp(at(t_us)).close_line();
    }
    String::from_utf8(b.build()).context("line protocol is UTF-8")
}
