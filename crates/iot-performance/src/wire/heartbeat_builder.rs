//! Building a device's heartbeat from what the library already holds (see [`HeartbeatBuilder`]).

use super::heartbeat::{
    CpuFigures, DeviceIdentity, Heartbeat, MAX_HEARTBEAT_SCOPES, ResetInfo, ScopeHeartbeat,
    WifiFigures,
};
use crate::PerformanceSnapshot;
use crate::timing::histogram::{DEFAULT_SUB_BITS, LatencyHistogram, bin_upper};

/// A scope's registry totals at the previous heartbeat.
#[derive(Debug, Clone)]
struct Mark {
    name: &'static str,
    calls: u64,
    total: u64,
    /// The registry's longest call since boot, then.
    max: u64,
    #[cfg(feature = "detailed-profiling")]
    buckets: [u32; crate::timing::histogram::HISTOGRAM_WINDOW],
}

/// Building a device's heartbeat from what the library already holds (`no_std`, no heap).
///
/// [`HeartbeatBuilder`] watches one interval: the monitor's snapshots give heap and stack
/// peaks and the CPU ([`HeartbeatBuilder::observe`]); at the end
/// ([`HeartbeatBuilder::finish`]) the scope registry gives each scope's calls and time in
/// the interval (the difference from the previous heartbeat), the Embassy task table each
/// task's busy share (feature `embassy`), and the latency histograms come from
/// [`HeartbeatBuilder::record`] (fine bins, 8 per power of two) or, under
/// `detailed-profiling`, from the registry's log2 buckets.
///
/// Each scope's `max_ticks` is the interval's longest call: exact when it set a new
/// maximum since boot (the registry's maximum grew) or when the calls were passed to
/// [`HeartbeatBuilder::record`]; otherwise an upper bound, the top of the interval's
/// highest histogram bin (or, without a histogram, the maximum since boot).
///
/// RAM (thumbv7em, measured with `size_of`): a builder is 3 608 bytes (6 168 with
/// `detailed-profiling`, which keeps the registry's 40 buckets of 16 scopes at the
/// previous heartbeat); up to 16 recorded histograms of 168 bytes are most of it. The
/// `Heartbeat` that [`HeartbeatBuilder::finish`] returns is 3 472 bytes: keep builder and
/// heartbeat in the reporting task's state (or a `static`), not in a small stack.
///
/// ```
/// use iot_performance::wire::{DeviceIdentity, HeartbeatBuilder, ResetInfo, ResetReason};
///
/// let identity = DeviceIdentity { device: "node-7", firmware: "1.3.0", hardware: "revB", group: "" };
/// let reset = ResetInfo { count: 3, reason: ResetReason::Watchdog };
/// let mut builder = HeartbeatBuilder::new(identity, reset).interval_ms(60_000);
/// for d in [900, 1_000, 1_100] {
///     builder.record("read_sensor", d); // where the application times its own call
/// }
/// let hb = builder.finish(60_000, 0);
/// let row = hb.scope("read_sensor").unwrap();
/// assert_eq!(row.histogram.count(), 3);
/// assert_eq!(hb.reset.reason, ResetReason::Watchdog);
/// ```
#[derive(Debug)]
pub struct HeartbeatBuilder<'a> {
    identity: DeviceIdentity<'a>,
    reset: ResetInfo,
    interval_ms: u32,
    sequence: u32,
    heap_peak: Option<u64>,
    stack_peak: Option<u64>,
    cpu_sum: f32,
    cpu_max: f32,
    cpu_samples: u32,
    wifi: Option<WifiFigures>,
    marks: heapless::Vec<Mark, MAX_HEARTBEAT_SCOPES>,
    recorded: heapless::Vec<Recorded, MAX_HEARTBEAT_SCOPES>,
    #[cfg(feature = "embassy")]
    tasks: super::heartbeat_tasks::TaskMarks,
}

/// The calls of one scope that [`HeartbeatBuilder::record`] saw in the interval.
#[derive(Debug, Clone)]
struct Recorded {
    name: &'static str,
    histogram: LatencyHistogram,
    /// The longest of them, ticks.
    max: u64,
}

impl<'a> HeartbeatBuilder<'a> {
    /// A builder for `identity`, which started for `reset` (one-hour interval).
    pub fn new(identity: DeviceIdentity<'a>, reset: ResetInfo) -> Self {
        Self {
            identity,
            reset,
            interval_ms: 3_600_000,
            sequence: 0,
            heap_peak: None,
            stack_peak: None,
            cpu_sum: 0.0,
            cpu_max: 0.0,
            cpu_samples: 0,
            wifi: None,
            marks: heapless::Vec::new(),
            recorded: heapless::Vec::new(),
            #[cfg(feature = "embassy")]
            tasks: super::heartbeat_tasks::TaskMarks::new(),
        }
    }

    /// Sets the interval the heartbeats say they cover (the application sends them).
    pub fn interval_ms(mut self, interval_ms: u32) -> Self {
        self.interval_ms = interval_ms;
        self
    }

    /// Takes one of the monitor's snapshots into the interval's peaks and CPU figures.
    pub fn observe(&mut self, snapshot: &PerformanceSnapshot) {
        let m = &snapshot.memory;
        let peak = |old: Option<u64>, v: usize| Some(old.unwrap_or(0).max(v as u64));
        self.heap_peak = peak(self.heap_peak, m.heap_used);
        self.stack_peak = peak(self.stack_peak, m.stack_used);
        let cpu = snapshot.system.cpu_utilization;
        if cpu.is_finite() {
            self.cpu_sum += cpu;
            self.cpu_max = self.cpu_max.max(cpu);
            self.cpu_samples += 1;
        }
    }

    /// Records one call of `scope` that took `ticks` into its fine histogram; false when
    /// [`MAX_HEARTBEAT_SCOPES`] other scopes are recorded already (the call is not).
    pub fn record(&mut self, scope: &'static str, ticks: u64) -> bool {
        if let Some(r) = self.recorded.iter_mut().find(|r| r.name == scope) {
            r.histogram.record(ticks);
            r.max = r.max.max(ticks);
            return true;
        }
        let mut histogram = LatencyHistogram::new(DEFAULT_SUB_BITS);
        histogram.record(ticks);
        self.recorded
            .push(Recorded {
                name: scope,
                histogram,
                max: ticks,
            })
            .is_ok()
    }

    /// Sets the Wi-Fi figures to send (e.g. `esp32c3::WIFI.stats().into()`).
    pub fn set_wifi(&mut self, wifi: WifiFigures) {
        self.wifi = Some(wifi);
    }

    /// The heartbeat of the interval that ends now, `uptime_ms` after boot, with the
    /// publisher's dropped-message count; starts the next interval.
    pub fn finish(&mut self, uptime_ms: u64, messages_dropped: u32) -> Heartbeat<'a> {
        self.sequence = self.sequence.wrapping_add(1);
        let mut hb = Heartbeat::new(self.identity);
        hb.sequence = self.sequence;
        hb.uptime_ms = uptime_ms;
        hb.interval_ms = self.interval_ms;
        hb.reset = self.reset;
        hb.ticks_per_second = crate::timing::ticks_per_second();
        hb.heap_peak = self.heap_peak.take();
        hb.stack_peak = self.stack_peak.take();
        hb.cpu = (self.cpu_samples > 0).then(|| CpuFigures {
            mean_percent: self.cpu_sum / self.cpu_samples as f32,
            max_percent: self.cpu_max,
        });
        (self.cpu_sum, self.cpu_max, self.cpu_samples) = (0.0, 0.0, 0);
        hb.wifi = self.wifi;
        hb.messages_dropped = messages_dropped;
        #[cfg(feature = "embassy")]
        {
            hb.tasks = self.tasks.shares();
        }
        self.registry_rows(&mut hb);
        for r in &mut self.recorded {
            if r.histogram.count() > 0 && hb.scope(r.name).is_none() {
                let mut row = ScopeHeartbeat::from_histogram(r.name, r.histogram.clone());
                row.max_ticks = r.max;
                if hb.scopes.push(row).is_err() {
                    hb.scopes_omitted = hb.scopes_omitted.saturating_add(1);
                }
            }
            r.histogram.clear();
            r.max = 0;
        }
        hb
    }

    /// One row per registry scope with calls in the interval, first registered first.
    fn registry_rows(&mut self, hb: &mut Heartbeat<'a>) {
        for stats in crate::timing::scopes() {
            let at = match self.marks.iter().position(|m| m.name == stats.name) {
                Some(at) => at,
                None => {
                    let fresh = Mark {
                        name: stats.name,
                        calls: 0,
                        total: 0,
                        max: 0,
                        #[cfg(feature = "detailed-profiling")]
                        buckets: [0; crate::timing::histogram::HISTOGRAM_WINDOW],
                    };
                    if self.marks.push(fresh).is_err() {
                        hb.scopes_omitted = hb.scopes_omitted.saturating_add(1);
                        continue;
                    }
                    self.marks.len() - 1
                }
            };
            let mark = &mut self.marks[at];
            // The registry may have been reset since: then everything counts.
            let reset = stats.calls < mark.calls;
            let (calls, total) = if !reset {
                (
                    stats.calls - mark.calls,
                    stats.total_ticks.wrapping_sub(mark.total),
                )
            } else {
                (stats.calls, stats.total_ticks)
            };
            let from_registry = registry_histogram(&stats, mark);
            let recorded = self
                .recorded
                .iter()
                .find(|r| r.name == stats.name && r.histogram.count() > 0);
            let mut histogram = recorded.map_or(from_registry, |r| r.histogram.clone());
            histogram.trim();
            let new_max = reset || stats.max_ticks > mark.max;
            mark.calls = stats.calls;
            mark.total = stats.total_ticks;
            mark.max = stats.max_ticks;
            if calls == 0 {
                continue;
            }
            let max_ticks = if new_max {
                // A new longest call since boot: it happened in this interval.
                stats.max_ticks
            } else if let Some(r) = recorded {
                r.max
            } else {
                // At most the top of the highest bin, and never above the boot maximum.
                let s = histogram.sub_bits();
                histogram.bins().last().map_or(stats.max_ticks, |(b, _)| {
                    bin_upper(b, s).saturating_sub(1).min(stats.max_ticks)
                })
            };
            let row = ScopeHeartbeat {
                name: stats.name,
                calls,
                total_ticks: total,
                max_ticks,
                histogram,
            };
            if hb.scopes.push(row).is_err() {
                hb.scopes_omitted = hb.scopes_omitted.saturating_add(1);
            }
        }
    }
}

/// The interval's log2 buckets (the difference from the mark), updating the mark.
#[cfg(feature = "detailed-profiling")]
fn registry_histogram(stats: &crate::timing::ScopeStats, mark: &mut Mark) -> LatencyHistogram {
    let mut delta = [0u32; crate::timing::histogram::HISTOGRAM_WINDOW];
    for ((d, &now), before) in delta
        .iter_mut()
        .zip(stats.histogram())
        .zip(&mut mark.buckets)
    {
        *d = now.saturating_sub(*before);
        *before = now;
    }
    LatencyHistogram::from_log2_buckets(&delta)
}

/// Without `detailed-profiling` the registry keeps no histogram.
#[cfg(not(feature = "detailed-profiling"))]
fn registry_histogram(_: &crate::timing::ScopeStats, _: &mut Mark) -> LatencyHistogram {
    LatencyHistogram::new(0)
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;
    use crate::wire::ResetReason;

    fn identity() -> DeviceIdentity<'static> {
        DeviceIdentity {
            device: "d",
            firmware: "1",
            hardware: "h",
            group: "",
        }
    }

    #[test]
    fn peaks_cpu_and_recorded_histograms_cover_one_interval() {
        let mut b = HeartbeatBuilder::new(
            identity(),
            ResetInfo {
                count: 2,
                reason: ResetReason::Brownout,
            },
        );
        let mut snap = PerformanceSnapshot {
            timestamp_us: 0,
            memory: crate::MemoryMetrics {
                heap_used: 0,
                heap_free: 0,
                heap_total: 0,
                stack_used: 512,
                stack_free: 0,
                static_memory: 0,
                fragmentation_ratio: f32::NAN,
            },
            system: crate::SystemMetrics {
                cpu_utilization: 0.0,
                uptime_ms: 0,
                task_count: 1,
                interrupt_count: 0,
                context_switches: 0,
                temperature: None,
            },
        };
        for (heap, cpu) in [(1_000, 10.0), (3_000, 30.0), (2_000, 20.0)] {
            snap.memory.heap_used = heap;
            snap.system.cpu_utilization = cpu;
            b.observe(&snap);
        }
        for t in 0..100 {
            assert!(b.record("hb_builder_only_recorded", 1_000 + t));
        }
        let hb = b.finish(10, 4);
        assert_eq!(
            (hb.sequence, hb.heap_peak, hb.messages_dropped),
            (1, Some(3_000), 4)
        );
        let cpu = hb.cpu.unwrap();
        assert_eq!((cpu.mean_percent, cpu.max_percent), (20.0, 30.0));
        let row = hb.scope("hb_builder_only_recorded").unwrap();
        assert_eq!(
            (row.calls, row.histogram.sub_bits()),
            (100, DEFAULT_SUB_BITS)
        );
        assert_eq!(
            row.max_ticks, 1_099,
            "the longest recorded call, not a bin edge"
        );
        // The next interval starts empty, and its longest call is its own.
        assert!(b.record("hb_builder_only_recorded_2", 500));
        let next = b.finish(15, 4);
        assert_eq!(
            next.scope("hb_builder_only_recorded_2").unwrap().max_ticks,
            500
        );
        let next = b.finish(20, 4);
        assert_eq!((next.sequence, next.heap_peak, next.cpu), (3, None, None));
        assert!(next.scope("hb_builder_only_recorded").is_none());
    }
}
