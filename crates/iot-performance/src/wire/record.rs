//! The records a frame can carry.
//!
//! Plain data with fixed-size integers, so that the encoding is identical on 32-bit firmware
//! and a 64-bit host. Names are borrowed: the device sends `&'static str`s without copying,
//! the host decodes them as slices of its frame buffer. The records that carry names are
//! generic over the name's type ([`SessionEntry`], [`ScopeEntry`]), so that a host keeping
//! them past the frame buffer stores the same fields with owned `String`s.

use serde::{Deserialize, Serialize};

use super::task_record::{InterruptRecord, TaskRecord};
use crate::PerformanceSnapshot;

/// Longest scope, device or firmware name sent; longer names are cut at a character boundary.
pub const MAX_NAME_LEN: usize = 64;

/// One record on the wire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Record<'a> {
    /// Who is sending, sent once at start (and again after a reconnect).
    #[serde(borrow)]
    Session(SessionRecord<'a>),
    /// One reading of every system metric.
    Snapshot(SnapshotRecord),
    /// One row of the scope (profiling) table.
    #[serde(borrow)]
    Scope(ScopeRecord<'a>),
    /// Frames the reporter had to drop because its sink was full, since it started.
    Dropped(DroppedRecord),
    /// One row of the Embassy task table (since version 2).
    #[serde(borrow)]
    Task(TaskRecord<'a>),
    /// One interrupt handler's figures (since version 2).
    #[serde(borrow)]
    Interrupt(InterruptRecord<'a>),
}

/// Identifies the device and its firmware, as decoded from a frame.
pub type SessionRecord<'a> = SessionEntry<&'a str>;

/// Identifies the device and its firmware; names are `N` (`&str` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry<N> {
    /// Device name or id, as the firmware calls itself.
    pub device: N,
    /// Firmware name and version.
    pub firmware: N,
    /// Frequency of the clock that scope ticks are counted in.
    pub ticks_per_second: u64,
}

/// A [`PerformanceSnapshot`] in fixed-width fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRecord {
    /// Provider clock, in microseconds.
    pub timestamp_us: u64,
    /// Bytes allocated on the heap.
    pub heap_used: u64,
    /// Bytes the heap can still hand out.
    pub heap_free: u64,
    /// Size of the heap.
    pub heap_total: u64,
    /// Stack bytes in use.
    pub stack_used: u64,
    /// Stack bytes left.
    pub stack_free: u64,
    /// `.data` + `.bss` bytes.
    pub static_memory: u64,
    /// Heap fragmentation 0.0–1.0; `None` where the allocator cannot tell.
    pub fragmentation: Option<f32>,
    /// CPU busy share over the last window, 0–100 %.
    pub cpu_utilization: f32,
    /// Milliseconds since boot.
    pub uptime_ms: u64,
    /// Tasks (threads on a host).
    pub task_count: u32,
    /// Interrupt handler entries.
    pub interrupt_count: u64,
    /// Task switches.
    pub context_switches: u64,
    /// Die temperature in °C, `None` without a sensor.
    pub temperature: Option<f32>,
}

impl From<&PerformanceSnapshot> for SnapshotRecord {
    fn from(s: &PerformanceSnapshot) -> Self {
        let m = &s.memory;
        Self {
            timestamp_us: s.timestamp_us,
            heap_used: m.heap_used as u64,
            heap_free: m.heap_free as u64,
            heap_total: m.heap_total as u64,
            stack_used: m.stack_used as u64,
            stack_free: m.stack_free as u64,
            static_memory: m.static_memory as u64,
            fragmentation: m.fragmentation(),
            cpu_utilization: s.system.cpu_utilization,
            uptime_ms: s.system.uptime_ms,
            task_count: u32::try_from(s.system.task_count).unwrap_or(u32::MAX),
            interrupt_count: s.system.interrupt_count,
            context_switches: s.system.context_switches,
            temperature: s.system.temperature,
        }
    }
}

/// One profiled scope with a borrowed name, as sent and decoded.
pub type ScopeRecord<'a> = ScopeEntry<&'a str>;

/// One profiled scope (function, block or async function), cumulative since start; the
/// name is `N` (`&str` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeEntry<N> {
    /// Provider clock when the row was read, in microseconds.
    pub timestamp_us: u64,
    /// The scope's name.
    pub name: N,
    /// Completed calls (for async functions: completed futures).
    pub calls: u64,
    /// Sum of all call durations, in ticks.
    pub total_ticks: u64,
    /// Shortest call, in ticks (0 without calls).
    pub min_ticks: u64,
    /// Longest call, in ticks.
    pub max_ticks: u64,
    /// Time excluding nested scopes, where the profiler tracks nesting.
    pub self_ticks: Option<u64>,
    /// Async only: sum of poll durations.
    pub busy_ticks: Option<u64>,
    /// Async only: first poll to completion, summed.
    pub wall_ticks: Option<u64>,
    /// Async only: number of polls.
    pub polls: Option<u64>,
    /// Frequency of the tick counter.
    pub ticks_per_second: u64,
}

impl<N> SessionEntry<N> {
    /// The same session with its names converted by `f` (e.g. `str::to_owned`).
    pub fn map_names<M>(self, mut f: impl FnMut(N) -> M) -> SessionEntry<M> {
        SessionEntry {
            device: f(self.device),
            firmware: f(self.firmware),
            ticks_per_second: self.ticks_per_second,
        }
    }
}

impl<N> ScopeEntry<N> {
    /// The same row with its name converted by `f` (e.g. `str::to_owned`).
    pub fn map_name<M>(self, f: impl FnOnce(N) -> M) -> ScopeEntry<M> {
        ScopeEntry {
            timestamp_us: self.timestamp_us,
            name: f(self.name),
            calls: self.calls,
            total_ticks: self.total_ticks,
            min_ticks: self.min_ticks,
            max_ticks: self.max_ticks,
            self_ticks: self.self_ticks,
            busy_ticks: self.busy_ticks,
            wall_ticks: self.wall_ticks,
            polls: self.polls,
            ticks_per_second: self.ticks_per_second,
        }
    }

    /// Ticks to microseconds at this row's frequency (0 when the frequency is unknown).
    pub fn ticks_to_us(&self, ticks: u64) -> f64 {
        ticks_to_us(ticks, self.ticks_per_second)
    }

    /// Mean call duration in µs, `None` without calls.
    pub fn mean_us(&self) -> Option<f64> {
        (self.calls > 0).then(|| self.ticks_to_us(self.total_ticks) / self.calls as f64)
    }
}

impl ScopeRecord<'static> {
    /// A row of the profiler's scope table ([`crate::timing::scopes`]) as read at
    /// `timestamp_us`, with the profiler clock's frequency.
    pub fn from_stats(stats: &crate::timing::ScopeStats, timestamp_us: u64) -> Self {
        Self {
            timestamp_us,
            name: stats.name,
            calls: stats.calls,
            total_ticks: stats.total_ticks,
            min_ticks: stats.min_ticks.unwrap_or(0),
            max_ticks: stats.max_ticks,
            self_ticks: stats.self_ticks,
            busy_ticks: stats.busy_ticks,
            wall_ticks: stats.wall_ticks,
            polls: stats.polls,
            ticks_per_second: crate::timing::ticks_per_second(),
        }
    }
}

/// Count of frames the reporter dropped since it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DroppedRecord {
    /// Frames dropped (sink full or record too large).
    pub frames: u32,
}

/// `ticks` at `ticks_per_second` in microseconds (0 when the frequency is unknown).
pub(crate) fn ticks_to_us(ticks: u64, ticks_per_second: u64) -> f64 {
    if ticks_per_second == 0 {
        return 0.0;
    }
    ticks as f64 * 1e6 / ticks_per_second as f64
}

/// `name` cut to at most [`MAX_NAME_LEN`] bytes, at a character boundary.
pub(crate) fn clip_name(name: &str) -> &str {
    if name.len() <= MAX_NAME_LEN {
        return name;
    }
    let mut end = MAX_NAME_LEN;
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_clipped_on_char_boundaries() {
        assert_eq!(clip_name("short"), "short");
        let long = "é".repeat(40); // 80 bytes
        let clipped = clip_name(&long);
        assert!(clipped.len() <= MAX_NAME_LEN);
        assert_eq!(clipped.chars().count(), 32);
    }
}
