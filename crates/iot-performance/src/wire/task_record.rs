//! Per-task and per-handler rows (wire version 2): one row of the Embassy task table
//! (`embassy::tasks()`, feature `embassy`) or of one [`IsrStats`], cumulative since start,
//! as the library holds them, with the time it was read and the tick frequency of its
//! durations.

use serde::{Deserialize, Serialize};

use crate::interrupts::{IsrSnapshot, IsrStats};

/// One Embassy task with a borrowed name, as sent and decoded.
pub type TaskRecord<'a> = TaskEntry<&'a str>;

/// One Embassy task's figures (`embassy::TaskStats`), cumulative since it was spawned;
/// the name is `N` (`&str` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskEntry<N> {
    /// Provider clock when the row was read, in microseconds.
    pub timestamp_us: u64,
    /// The executor's id for the task (the low 32 bits of its address).
    pub id: u32,
    /// The name the task gave itself, `None` for an unnamed task.
    pub name: Option<N>,
    /// Times the task was polled.
    pub polls: u32,
    /// Ticks spent inside the task's polls (its busy time).
    pub busy_ticks: u64,
    /// Wake-ups followed by a poll (samples of the ready latency).
    pub wakeups: u32,
    /// Sum of ready-to-run latencies (woken to polled), in ticks.
    pub ready_latency_total_ticks: u64,
    /// Longest ready-to-run latency, in ticks.
    pub ready_latency_max_ticks: u32,
    /// Whether the task has ended.
    pub ended: bool,
    /// Frequency of the tick counter.
    pub ticks_per_second: u64,
}

/// One interrupt handler with a borrowed name, as sent and decoded.
pub type InterruptRecord<'a> = InterruptEntry<&'a str>;

/// One interrupt handler's figures ([`IsrSnapshot`]), cumulative since start; the name
/// is `N` (`&str` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InterruptEntry<N> {
    /// Provider clock when the row was read, in microseconds.
    pub timestamp_us: u64,
    /// The handler's name.
    pub name: N,
    /// Entries.
    pub count: u32,
    /// Entries whose duration was measured.
    pub timed: u32,
    /// Sum of measured durations, in ticks.
    pub total_ticks: u64,
    /// Longest measured duration, in ticks.
    pub max_ticks: u32,
    /// Frequency of the tick counter.
    pub ticks_per_second: u64,
}

impl<N> TaskEntry<N> {
    /// The same row with its name converted by `f` (e.g. `str::to_owned`).
    pub fn map_name<M>(self, f: impl FnOnce(N) -> M) -> TaskEntry<M> {
        TaskEntry {
            timestamp_us: self.timestamp_us,
            id: self.id,
            name: self.name.map(f),
            polls: self.polls,
            busy_ticks: self.busy_ticks,
            wakeups: self.wakeups,
            ready_latency_total_ticks: self.ready_latency_total_ticks,
            ready_latency_max_ticks: self.ready_latency_max_ticks,
            ended: self.ended,
            ticks_per_second: self.ticks_per_second,
        }
    }

    /// Ticks to microseconds at this row's frequency (0 when the frequency is unknown).
    pub fn ticks_to_us(&self, ticks: u64) -> f64 {
        super::record::ticks_to_us(ticks, self.ticks_per_second)
    }

    /// Mean ready-to-run latency in µs, `None` before the first wake-up.
    pub fn mean_ready_latency_us(&self) -> Option<f64> {
        (self.wakeups > 0)
            .then(|| self.ticks_to_us(self.ready_latency_total_ticks) / f64::from(self.wakeups))
    }
}

impl<N> InterruptEntry<N> {
    /// The same row with its name converted by `f` (e.g. `str::to_owned`).
    pub fn map_name<M>(self, f: impl FnOnce(N) -> M) -> InterruptEntry<M> {
        InterruptEntry {
            timestamp_us: self.timestamp_us,
            name: f(self.name),
            count: self.count,
            timed: self.timed,
            total_ticks: self.total_ticks,
            max_ticks: self.max_ticks,
            ticks_per_second: self.ticks_per_second,
        }
    }

    /// Ticks to microseconds at this row's frequency (0 when the frequency is unknown).
    pub fn ticks_to_us(&self, ticks: u64) -> f64 {
        super::record::ticks_to_us(ticks, self.ticks_per_second)
    }

    /// Mean measured duration in µs, `None` before the first timed entry.
    pub fn mean_us(&self) -> Option<f64> {
        (self.timed > 0).then(|| self.ticks_to_us(self.total_ticks) / f64::from(self.timed))
    }
}

#[cfg(feature = "embassy")]
impl TaskRecord<'static> {
    /// A row of the Embassy task table as read at `timestamp_us`, with the clock's
    /// frequency.
    pub fn from_stats(stats: &crate::embassy::TaskStats, timestamp_us: u64) -> Self {
        Self {
            timestamp_us,
            id: stats.id,
            name: stats.name,
            polls: stats.polls,
            busy_ticks: stats.busy_ticks,
            wakeups: stats.wakeups,
            ready_latency_total_ticks: stats.ready_latency_total_ticks,
            ready_latency_max_ticks: stats.ready_latency_max_ticks,
            ended: stats.ended,
            ticks_per_second: crate::timing::ticks_per_second(),
        }
    }
}

impl InterruptRecord<'static> {
    /// What `stats` has measured, read at `timestamp_us`, with the clock's frequency.
    pub fn from_stats(stats: &IsrStats, timestamp_us: u64) -> Self {
        Self::from_snapshot(&stats.snapshot(), timestamp_us)
    }

    /// An [`IsrSnapshot`] read at `timestamp_us`, with the clock's frequency.
    pub fn from_snapshot(snapshot: &IsrSnapshot, timestamp_us: u64) -> Self {
        Self {
            timestamp_us,
            name: snapshot.name,
            count: snapshot.count,
            timed: snapshot.timed,
            total_ticks: snapshot.total_ticks,
            max_ticks: snapshot.max_ticks,
            ticks_per_second: crate::timing::ticks_per_second(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_are_in_microseconds() {
        let isr = InterruptRecord {
            timestamp_us: 1,
            name: "SysTick",
            count: 5,
            timed: 4,
            total_ticks: 400,
            max_ticks: 150,
            ticks_per_second: 1_000_000,
        };
        assert_eq!(isr.mean_us(), Some(100.0));
        assert_eq!(
            InterruptRecord {
                timed: 0,
                ..isr.clone()
            }
            .mean_us(),
            None
        );
        let task = TaskRecord {
            timestamp_us: 1,
            id: 7,
            name: None,
            polls: 3,
            busy_ticks: 90,
            wakeups: 2,
            ready_latency_total_ticks: 50,
            ready_latency_max_ticks: 40,
            ended: false,
            ticks_per_second: 10_000_000,
        };
        assert_eq!(task.mean_ready_latency_us(), Some(2.5));
        assert_eq!(task.ticks_to_us(90), 9.0);
        assert_eq!(task.map_name(str::to_owned).name, None);
    }
}
