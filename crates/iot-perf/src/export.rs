//! Export to the monitoring systems fleets already run.
//!
//! - OpenMetrics text (Prometheus, Grafana Agent, a Pushgateway): the run's latest state,
//!   encoded by `prometheus-client`.
//! - InfluxDB line protocol: every snapshot and scope row as a point, written with
//!   `influxdb-line-protocol`. Device clocks are relative, so point times are the run's
//!   recording start (host wall clock) plus the device time since its first record.

use anyhow::{Context, Result};
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::db::{History, Run};

type Labels = Vec<(String, String)>;
type FloatGauge = Family<Labels, Gauge<f64, AtomicU64>>;
type FloatCounter = Family<Labels, Counter<f64, AtomicU64>>;

fn base_labels(run: &Run) -> Labels {
    vec![
        (
            "device".into(),
            run.device.clone().unwrap_or_else(|| "unknown".into()),
        ),
        ("run".into(), run.name.clone()),
    ]
}

fn gauge(registry: &mut Registry, name: &str, help: &str, labels: &Labels, value: f64) {
    let family = FloatGauge::default();
    family.get_or_create(labels).set(value);
    registry.register(name, help, family);
}

/// The latest state of `run` as OpenMetrics text.
pub fn openmetrics(history: &History, run: &str) -> Result<String> {
    let run = history.run(run)?;
    let labels = base_labels(&run);
    let mut registry = Registry::default();
    if let Some(s) = history.snapshots(run.id)?.last() {
        gauge(
            &mut registry,
            "iot_heap_used_bytes",
            "Heap bytes in use",
            &labels,
            s.heap_used as f64,
        );
        gauge(
            &mut registry,
            "iot_heap_total_bytes",
            "Heap size in bytes",
            &labels,
            s.heap_total as f64,
        );
        gauge(
            &mut registry,
            "iot_stack_used_bytes",
            "Stack bytes in use",
            &labels,
            s.stack_used as f64,
        );
        gauge(
            &mut registry,
            "iot_static_memory_bytes",
            "Static (.data+.bss) bytes",
            &labels,
            s.static_memory as f64,
        );
        gauge(
            &mut registry,
            "iot_cpu_utilization_ratio",
            "CPU busy share over the last window",
            &labels,
            f64::from(s.cpu_utilization) / 100.0,
        );
        gauge(
            &mut registry,
            "iot_uptime_seconds",
            "Time since boot",
            &labels,
            s.uptime_ms as f64 / 1000.0,
        );
        gauge(
            &mut registry,
            "iot_tasks",
            "Tasks (threads on a host)",
            &labels,
            f64::from(s.task_count),
        );
        if let Some(t) = s.temperature {
            gauge(
                &mut registry,
                "iot_temperature_celsius",
                "Die temperature",
                &labels,
                f64::from(t),
            );
        }
        if let Some(f) = s.fragmentation {
            gauge(
                &mut registry,
                "iot_heap_fragmentation_ratio",
                "1 - largest free block / free bytes",
                &labels,
                f64::from(f),
            );
        }
        let irq = FloatCounter::default();
        irq.get_or_create(&labels).inc_by(s.interrupt_count as f64);
        registry.register("iot_interrupts", "Interrupt handler entries", irq);
        let ctx = FloatCounter::default();
        ctx.get_or_create(&labels).inc_by(s.context_switches as f64);
        registry.register("iot_context_switches", "Task switches", ctx);
    }
    let scopes = history.scopes(run.id)?;
    let mut latest = std::collections::BTreeMap::new();
    for row in &scopes {
        latest.insert(row.name.clone(), row);
    }
    if !latest.is_empty() {
        let calls = FloatCounter::default();
        let time = FloatCounter::default();
        let max = FloatGauge::default();
        for (name, row) in &latest {
            let mut l = labels.clone();
            l.push(("scope".into(), name.clone()));
            calls.get_or_create(&l).inc_by(row.calls as f64);
            time.get_or_create(&l)
                .inc_by(row.ticks_to_us(row.total_ticks) / 1e6);
            max.get_or_create(&l)
                .set(row.ticks_to_us(row.max_ticks) / 1e6);
        }
        registry.register(
            "iot_scope_calls",
            "Completed calls of a profiled scope",
            calls,
        );
        registry.register(
            "iot_scope_time_seconds",
            "Time spent in a profiled scope",
            time,
        );
        registry.register(
            "iot_scope_max_seconds",
            "Longest call of a profiled scope",
            max,
        );
    }
    let frames = FloatCounter::default();
    let mut corrupt = labels.clone();
    corrupt.push(("reason".into(), "corrupt".into()));
    frames
        .get_or_create(&corrupt)
        .inc_by(run.corrupt_frames as f64);
    let mut dropped = labels;
    dropped.push(("reason".into(), "dropped_on_device".into()));
    frames
        .get_or_create(&dropped)
        .inc_by(run.dropped_on_device as f64);
    registry.register(
        "iot_frames_lost",
        "Frames lost between device and history",
        frames,
    );
    let mut out = String::new();
    encode(&mut out, &registry).context("encoding OpenMetrics")?;
    Ok(out)
}

/// Every snapshot and scope row of `run` as InfluxDB line protocol.
pub fn influx(history: &History, run: &str) -> Result<String> {
    let run = history.run(run)?;
    let device = run.device.clone().unwrap_or_else(|| "unknown".into());
    let snapshots = history.snapshots(run.id)?;
    let scopes = history.scopes(run.id)?;
    let t0 = snapshots
        .iter()
        .map(|s| s.timestamp_us)
        .chain(scopes.iter().map(|s| s.timestamp_us))
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
    let mut b = influxdb_line_protocol::LineProtocolBuilder::new();
    for s in &snapshots {
        let line = b
            .measurement("iot_system")
            .tag("device", &device)
            .tag("run", &run.name)
            .field("heap_used", s.heap_used)
            .field("heap_free", s.heap_free)
            .field("heap_total", s.heap_total)
            .field("stack_used", s.stack_used)
            .field("static_memory", s.static_memory)
            .field("cpu_utilization", f64::from(s.cpu_utilization))
            .field("uptime_ms", s.uptime_ms)
            .field("tasks", u64::from(s.task_count))
            .field("interrupts", s.interrupt_count)
            .field("context_switches", s.context_switches);
        let line = match s.temperature {
            Some(t) => line.field("temperature", f64::from(t)),
            None => line,
        };
        let line = match s.fragmentation {
            Some(f) => line.field("fragmentation", f64::from(f)),
            None => line,
        };
        b = line.timestamp(at(s.timestamp_us)).close_line();
    }
    for r in &scopes {
        b = b
            .measurement("iot_scope")
            .tag("device", &device)
            .tag("run", &run.name)
            .tag("scope", &r.name)
            .field("calls", r.calls)
            .field("total_us", r.ticks_to_us(r.total_ticks))
            .field("mean_us", r.mean_us().unwrap_or(0.0))
            .field("min_us", r.ticks_to_us(r.min_ticks))
            .field("max_us", r.ticks_to_us(r.max_ticks))
            .timestamp(at(r.timestamp_us))
            .close_line();
    }
    String::from_utf8(b.build()).context("line protocol is UTF-8")
}
