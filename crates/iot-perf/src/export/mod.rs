//! Export to the monitoring systems fleets already run, both from one table of metrics
//! ([`SYSTEM_METRICS`], [`SCOPE_METRICS`]) in its order, so the two formats always carry
//! the same figures and the output is byte-for-byte reproducible.
//!
//! - OpenMetrics text (Prometheus, Grafana Agent, a Pushgateway): the run's latest state,
//!   one family per metric, scopes in name order.
//! - InfluxDB line protocol: every snapshot and scope row as a point, in time order
//!   (then measurement, then scope name), written with `influxdb-line-protocol`. Device clocks are relative, so point times are the run's
//!   recording start (host wall clock) plus the device time since its first record.

mod heartbeat_influx;
mod influx;
mod openmetrics;
pub mod perfetto;

pub use heartbeat_influx::{heartbeat_points, parse_bin_tag};
pub use influx::{influx, points as influx_points};
pub use openmetrics::{openmetrics, openmetrics_runs};

use iot_performance::wire::SnapshotRecord;

use crate::model::{LoadedRun, ScopeRow};

/// A figure as read: an integer count or a measurement.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Value {
    Int(u64),
    Float(f64),
}

impl Value {
    fn as_f64(self) -> f64 {
        match self {
            Value::Int(v) => v as f64,
            Value::Float(v) => v,
        }
    }
}

/// OpenMetrics type of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Gauge,
    Counter,
}

/// One exported metric: its InfluxDB field, its OpenMetrics family (in base units: the
/// value is divided by `openmetrics_divisor`, e.g. ms → s) and how to read it.
struct Exported<R> {
    influx_field: &'static str,
    family: &'static str,
    help: &'static str,
    kind: Kind,
    openmetrics_divisor: f64,
    read: fn(&R) -> Option<Value>,
}

const fn metric<R>(
    influx_field: &'static str,
    family: &'static str,
    help: &'static str,
    kind: Kind,
    openmetrics_divisor: f64,
    read: fn(&R) -> Option<Value>,
) -> Exported<R> {
    Exported {
        influx_field,
        family,
        help,
        kind,
        openmetrics_divisor,
        read,
    }
}

use Kind::{Counter, Gauge};

/// The figures of a snapshot (measurement `iot_system`).
const SYSTEM_METRICS: [Exported<SnapshotRecord>; 12] = [
    metric(
        "heap_used",
        "iot_heap_used_bytes",
        "Heap bytes in use",
        Gauge,
        1.0,
        |s| Some(Value::Int(s.heap_used)),
    ),
    metric(
        "heap_free",
        "iot_heap_free_bytes",
        "Heap bytes free",
        Gauge,
        1.0,
        |s| Some(Value::Int(s.heap_free)),
    ),
    metric(
        "heap_total",
        "iot_heap_total_bytes",
        "Heap size in bytes",
        Gauge,
        1.0,
        |s| Some(Value::Int(s.heap_total)),
    ),
    metric(
        "stack_used",
        "iot_stack_used_bytes",
        "Stack bytes in use",
        Gauge,
        1.0,
        |s| Some(Value::Int(s.stack_used)),
    ),
    metric(
        "static_memory",
        "iot_static_memory_bytes",
        "Static (.data+.bss) bytes",
        Gauge,
        1.0,
        |s| Some(Value::Int(s.static_memory)),
    ),
    metric(
        "cpu_utilization",
        "iot_cpu_utilization_ratio",
        "CPU busy share over the last window",
        Gauge,
        100.0,
        |s| Some(Value::Float(f64::from(s.cpu_utilization))),
    ),
    metric(
        "uptime_ms",
        "iot_uptime_seconds",
        "Time since boot",
        Gauge,
        1e3,
        |s| Some(Value::Int(s.uptime_ms)),
    ),
    metric(
        "tasks",
        "iot_tasks",
        "Tasks (threads on a host)",
        Gauge,
        1.0,
        |s| Some(Value::Int(u64::from(s.task_count))),
    ),
    metric(
        "interrupts",
        "iot_interrupts",
        "Interrupt handler entries",
        Counter,
        1.0,
        |s| Some(Value::Int(s.interrupt_count)),
    ),
    metric(
        "context_switches",
        "iot_context_switches",
        "Task switches",
        Counter,
        1.0,
        |s| Some(Value::Int(s.context_switches)),
    ),
    metric(
        "temperature",
        "iot_temperature_celsius",
        "Die temperature",
        Gauge,
        1.0,
        |s| s.temperature.map(|t| Value::Float(f64::from(t))),
    ),
    metric(
        "fragmentation",
        "iot_heap_fragmentation_ratio",
        "1 - largest free block / free bytes",
        Gauge,
        1.0,
        |s| s.fragmentation.map(|f| Value::Float(f64::from(f))),
    ),
];

/// The figures of a scope row (measurement `iot_scope`, label/tag `scope`).
const SCOPE_METRICS: [Exported<ScopeRow>; 5] = [
    metric(
        "calls",
        "iot_scope_calls",
        "Completed calls of a profiled scope",
        Counter,
        1.0,
        |r| Some(Value::Int(r.calls)),
    ),
    metric(
        "total_us",
        "iot_scope_time_seconds",
        "Time spent in a profiled scope",
        Counter,
        1e6,
        |r| Some(Value::Float(r.ticks_to_us(r.total_ticks))),
    ),
    metric(
        "mean_us",
        "iot_scope_mean_seconds",
        "Mean call of a profiled scope",
        Gauge,
        1e6,
        |r| Some(Value::Float(r.mean_us().unwrap_or(0.0))),
    ),
    metric(
        "min_us",
        "iot_scope_min_seconds",
        "Shortest call of a profiled scope",
        Gauge,
        1e6,
        |r| Some(Value::Float(r.ticks_to_us(r.min_ticks))),
    ),
    metric(
        "max_us",
        "iot_scope_max_seconds",
        "Longest call of a profiled scope",
        Gauge,
        1e6,
        |r| Some(Value::Float(r.ticks_to_us(r.max_ticks))),
    ),
];

fn device(data: &LoadedRun) -> &str {
    data.run.device.as_deref().unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Run;

    fn data(scopes: &[&str]) -> LoadedRun {
        LoadedRun {
            run: Run {
                id: 1,
                name: "r\"1".into(),
                source: "test".into(),
                recorded_at_unix_ms: 1_000,
                device: Some("dev".into()),
                firmware: None,
                corrupt_frames: 2,
                dropped_on_device: 0,
            },
            snapshots: vec![SnapshotRecord {
                timestamp_us: 5_000,
                heap_used: 100,
                heap_free: 50,
                heap_total: 150,
                stack_used: 10,
                stack_free: 20,
                static_memory: 30,
                fragmentation: None,
                cpu_utilization: 25.0,
                uptime_ms: 2_000,
                task_count: 3,
                interrupt_count: 7,
                context_switches: 9,
                temperature: Some(40.0),
            }],
            scopes: scopes
                .iter()
                .map(|name| ScopeRow {
                    timestamp_us: 5_000,
                    name: (*name).into(),
                    calls: 4,
                    total_ticks: 8,
                    min_ticks: 1,
                    max_ticks: 3,
                    self_ticks: None,
                    busy_ticks: None,
                    wall_ticks: None,
                    polls: None,
                    ticks_per_second: 1_000_000,
                })
                .collect(),
            tasks: Default::default(),
        }
    }

    #[test]
    fn both_formats_carry_the_tables_metrics_in_table_order() {
        let d = data(&["b", "a"]);
        let om = openmetrics(&d);
        let families: Vec<&str> = om
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap_or(""))
            .collect();
        // Every system metric with a value (no fragmentation here), every scope metric,
        // and the lost frames, in table order.
        assert_eq!(families.len(), 11 + 5 + 1, "{om}");
        assert_eq!(families[0], "iot_heap_used_bytes");
        assert_eq!(families[5], "iot_cpu_utilization_ratio");
        assert!(om.contains("iot_cpu_utilization_ratio{device=\"dev\",run=\"r\\\"1\"} 0.25\n"));
        assert!(om.contains("iot_uptime_seconds{device=\"dev\",run=\"r\\\"1\"} 2\n"));
        // Scopes in name order, whatever order they arrived in.
        let a = om.find("scope=\"a\"").unwrap();
        let b = om.find("scope=\"b\"").unwrap();
        assert!(a < b);
        assert!(om.contains(
            "iot_frames_lost_total{device=\"dev\",run=\"r\\\"1\",reason=\"corrupt\"} 2\n"
        ));
        assert!(om.ends_with("# EOF\n"));
        assert_eq!(om, openmetrics(&data(&["b", "a"])), "deterministic");

        let lines: Vec<String> = influx(&d).unwrap().lines().map(str::to_owned).collect();
        assert_eq!(lines.len(), 3);
        let snapshot_fields = lines[0].split(' ').nth(1).unwrap();
        let keys: Vec<&str> = snapshot_fields
            .split(',')
            .map(|f| f.split('=').next().unwrap())
            .collect();
        let table: Vec<&str> = SYSTEM_METRICS
            .iter()
            .map(|m| m.influx_field)
            .filter(|f| *f != "fragmentation")
            .collect();
        assert_eq!(keys, table);
        assert!(lines[0].contains("heap_used=100u,"), "{}", lines[0]);
        assert!(
            lines[1].contains(",scope=a calls=4u,total_us=8,"),
            "scopes by name at one time: {}",
            lines[1]
        );
        assert!(lines[2].contains(",scope=b "), "{}", lines[2]);
    }
}
