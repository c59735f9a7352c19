//! Names, units and directions of the metrics that baselines, regressions and trends talk about.

use core::fmt;

use crate::{MetricStats, PerformanceSnapshot, RunningStats};

/// One measured quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Metric {
    /// Heap in use, bytes.
    HeapUsed,
    /// Stack in use, bytes.
    StackUsed,
    /// Heap fragmentation ratio, 0–1.
    Fragmentation,
    /// CPU utilization, percent.
    CpuUtilization,
    /// Number of tasks.
    TaskCount,
    /// Die temperature, °C.
    Temperature,
    /// Duration of one call of a profiled scope or task, microseconds.
    Scope(&'static str),
}

/// Which threshold of [`crate::RegressionConfig`] applies to a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum MetricKind {
    /// Heap and stack: `memory_threshold_percent`.
    Memory,
    /// Scope and task durations: `timing_threshold_percent`.
    Timing,
    /// CPU utilization: `cpu_threshold_percent`.
    Cpu,
    /// Figures that are reported but never called a regression (task count, temperature,
    /// fragmentation: the insights rules judge those).
    Informational,
}

/// The unit a metric's values are in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize),
    serde(rename_all = "snake_case")
)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Unit {
    /// Bytes (printed as B, KiB or MiB).
    Bytes,
    /// Percent.
    Percent,
    /// A plain ratio.
    Ratio,
    /// A count.
    Count,
    /// Degrees Celsius.
    Celsius,
    /// Microseconds (printed as µs, ms or s).
    Micros,
}

impl Metric {
    /// The metrics every snapshot carries, in report order.
    pub const SNAPSHOT: [Metric; 6] = [
        Metric::HeapUsed,
        Metric::StackUsed,
        Metric::Fragmentation,
        Metric::CpuUtilization,
        Metric::TaskCount,
        Metric::Temperature,
    ];

    /// A short name, e.g. `"heap_used"`, or the scope's own name.
    pub const fn name(&self) -> &'static str {
        match self {
            Metric::HeapUsed => "heap_used",
            Metric::StackUsed => "stack_used",
            Metric::Fragmentation => "fragmentation_ratio",
            Metric::CpuUtilization => "cpu_utilization",
            Metric::TaskCount => "task_count",
            Metric::Temperature => "temperature",
            Metric::Scope(name) => name,
        }
    }

    /// The threshold family the metric belongs to.
    pub const fn kind(&self) -> MetricKind {
        match self {
            Metric::HeapUsed | Metric::StackUsed => MetricKind::Memory,
            Metric::CpuUtilization => MetricKind::Cpu,
            Metric::Scope(_) => MetricKind::Timing,
            Metric::Fragmentation | Metric::TaskCount | Metric::Temperature => {
                MetricKind::Informational
            }
        }
    }

    /// The unit of its values.
    pub const fn unit(&self) -> Unit {
        match self {
            Metric::HeapUsed | Metric::StackUsed => Unit::Bytes,
            Metric::Fragmentation => Unit::Ratio,
            Metric::CpuUtilization => Unit::Percent,
            Metric::TaskCount => Unit::Count,
            Metric::Temperature => Unit::Celsius,
            Metric::Scope(_) => Unit::Micros,
        }
    }

    /// True when a larger value is worse (everything but the task count).
    pub const fn higher_is_worse(&self) -> bool {
        !matches!(self, Metric::TaskCount)
    }

    /// The metric's value in one snapshot; `None` for scopes and for unmeasured values.
    pub fn value_in(&self, snapshot: &PerformanceSnapshot) -> Option<f64> {
        let (m, s) = (&snapshot.memory, &snapshot.system);
        let v = match self {
            Metric::HeapUsed => m.heap_used as f64,
            Metric::StackUsed => m.stack_used as f64,
            Metric::Fragmentation => f64::from(m.fragmentation()?),
            Metric::CpuUtilization => f64::from(s.cpu_utilization),
            Metric::TaskCount => s.task_count as f64,
            Metric::Temperature => f64::from(s.temperature?),
            Metric::Scope(_) => return None,
        };
        Some(v)
    }

    /// The metric's statistics in a [`MetricStats`]; `None` for scopes.
    pub fn stats_in<'a>(&self, stats: &'a MetricStats) -> Option<&'a RunningStats> {
        Some(match self {
            Metric::HeapUsed => &stats.heap_used,
            Metric::StackUsed => &stats.stack_used,
            Metric::Fragmentation => &stats.fragmentation_ratio,
            Metric::CpuUtilization => &stats.cpu_utilization,
            Metric::TaskCount => &stats.task_count,
            Metric::Temperature => &stats.temperature,
            Metric::Scope(_) => return None,
        })
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Unit {
    /// Picks a readable scale for values around `magnitude`: the factor to divide by and
    /// the suffix to print.
    pub fn scale_for(&self, magnitude: f64) -> (f64, &'static str) {
        let m = magnitude.abs();
        match self {
            Unit::Bytes if m >= 1024.0 * 1024.0 => (1024.0 * 1024.0, " MiB"),
            Unit::Bytes if m >= 1024.0 => (1024.0, " KiB"),
            Unit::Bytes => (1.0, " B"),
            Unit::Micros if m >= 1_000_000.0 => (1_000_000.0, " s"),
            Unit::Micros if m >= 1_000.0 => (1_000.0, " ms"),
            Unit::Micros => (1.0, " µs"),
            Unit::Percent => (1.0, " %"),
            Unit::Celsius => (1.0, " °C"),
            Unit::Ratio | Unit::Count => (1.0, ""),
        }
    }

    /// A value with its unit, e.g. `Quantity(Unit::Bytes, 1536.0)` prints `1.5 KiB`.
    pub const fn quantity(self, value: f64) -> Quantity {
        Quantity(self, value)
    }
}

/// A value that prints with a readable unit (see [`Unit::quantity`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quantity(pub Unit, pub f64);

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (factor, suffix) = self.0.scale_for(self.1);
        let v = self.1 / factor;
        match self.0 {
            Unit::Bytes if factor == 1.0 => write!(f, "{v:.0}{suffix}"),
            Unit::Ratio => write!(f, "{v:.3}{suffix}"),
            Unit::Count => write!(f, "{v:.1}{suffix}"),
            _ => write!(f, "{v:.1}{suffix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::ToString;

    #[test]
    fn quantities_read_like_a_person_writes_them() {
        assert_eq!(Unit::Bytes.quantity(1536.0).to_string(), "1.5 KiB");
        assert_eq!(Unit::Bytes.quantity(300.0).to_string(), "300 B");
        assert_eq!(Unit::Micros.quantity(2_500.0).to_string(), "2.5 ms");
        assert_eq!(Unit::Percent.quantity(45.0).to_string(), "45.0 %");
    }

    #[test]
    fn kinds_pick_the_right_threshold() {
        assert_eq!(Metric::HeapUsed.kind(), MetricKind::Memory);
        assert_eq!(Metric::Scope("rx").kind(), MetricKind::Timing);
        assert_eq!(Metric::Scope("rx").name(), "rx");
        assert_eq!(Metric::CpuUtilization.kind(), MetricKind::Cpu);
        assert!(!Metric::TaskCount.higher_is_worse());
    }
}
