//! Per-task (Embassy) and per-interrupt-handler rows of a run, and their summaries for the
//! report: the last (cumulative) row of each task and handler, with durations in µs.

use std::collections::BTreeMap;

use iot_performance::wire::{InterruptEntry, TaskEntry};

/// A task row with an owned name; `ticks_to_us` and `mean_ready_latency_us` come with
/// the wire type.
pub type TaskRow = TaskEntry<String>;

/// An interrupt handler row with an owned name; `ticks_to_us` and `mean_us` come with
/// the wire type.
pub type InterruptRow = InterruptEntry<String>;

/// A run's task and interrupt handler rows, each in arrival order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskTables {
    /// Rows of the Embassy task table.
    pub tasks: Vec<TaskRow>,
    /// Rows of interrupt handler figures.
    pub interrupts: Vec<InterruptRow>,
}

/// One task as last reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TaskSummary {
    /// The task's name, or `task 0x<id>` for a task that gave itself none.
    pub name: String,
    /// The executor's id for the task.
    pub id: u32,
    /// Times polled.
    pub polls: u32,
    /// Time spent in its polls, µs.
    pub busy_us: f64,
    /// Busy time as a share of the device's uptime when the row was read, percent
    /// (`None` for a row read at time 0).
    pub busy_percent: Option<f64>,
    /// Mean poll, µs (`None` before the first poll).
    pub mean_poll_us: Option<f64>,
    /// Wake-ups followed by a poll.
    pub wakeups: u32,
    /// Mean ready-to-run latency (woken to polled), µs (`None` before the first wake-up).
    pub mean_ready_latency_us: Option<f64>,
    /// Longest ready-to-run latency, µs.
    pub max_ready_latency_us: f64,
    /// Whether the task had ended.
    pub ended: bool,
}

/// One interrupt handler as last reported.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct InterruptSummary {
    /// The handler's name.
    pub name: String,
    /// Entries.
    pub count: u32,
    /// Entries whose duration was measured.
    pub timed: u32,
    /// Sum of measured durations, µs.
    pub total_us: f64,
    /// Mean measured duration, µs (`None` before the first timed entry).
    pub mean_us: Option<f64>,
    /// Longest measured duration, µs.
    pub max_us: f64,
    /// Handler time as a share of the device's uptime when the row was read, percent
    /// (`None` for a row read at time 0).
    pub busy_percent: Option<f64>,
}

/// `part` as a percentage of `whole` µs, `None` when `whole` is 0.
fn share(part_us: f64, whole_us: u64) -> Option<f64> {
    (whole_us > 0).then(|| part_us * 100.0 / whole_us as f64)
}

/// The name a task is shown under.
fn task_name(row: &TaskRow) -> String {
    row.name
        .clone()
        .unwrap_or_else(|| format!("task {:#010x}", row.id))
}

/// Each task's last row (by id), most busy first.
pub fn task_summaries(rows: &[TaskRow]) -> Vec<TaskSummary> {
    let mut last: BTreeMap<u32, &TaskRow> = BTreeMap::new();
    for row in rows {
        last.insert(row.id, row);
    }
    let mut out: Vec<TaskSummary> = last
        .into_values()
        .map(|t| {
            let busy_us = t.ticks_to_us(t.busy_ticks);
            TaskSummary {
                name: task_name(t),
                id: t.id,
                polls: t.polls,
                busy_us,
                busy_percent: share(busy_us, t.timestamp_us),
                mean_poll_us: (t.polls > 0).then(|| busy_us / f64::from(t.polls)),
                wakeups: t.wakeups,
                mean_ready_latency_us: t.mean_ready_latency_us(),
                max_ready_latency_us: t.ticks_to_us(u64::from(t.ready_latency_max_ticks)),
                ended: t.ended,
            }
        })
        .collect();
    out.sort_by(|a, b| b.busy_us.total_cmp(&a.busy_us).then(a.name.cmp(&b.name)));
    out
}

/// Each handler's last row (by name), most time first.
pub fn interrupt_summaries(rows: &[InterruptRow]) -> Vec<InterruptSummary> {
    let mut last: BTreeMap<&str, &InterruptRow> = BTreeMap::new();
    for row in rows {
        last.insert(&row.name, row);
    }
    let mut out: Vec<InterruptSummary> = last
        .into_values()
        .map(|i| {
            let total_us = i.ticks_to_us(i.total_ticks);
            InterruptSummary {
                name: i.name.clone(),
                count: i.count,
                timed: i.timed,
                total_us,
                mean_us: i.mean_us(),
                max_us: i.ticks_to_us(u64::from(i.max_ticks)),
                busy_percent: share(total_us, i.timestamp_us),
            }
        })
        .collect();
    out.sort_by(|a, b| b.total_us.total_cmp(&a.total_us).then(a.name.cmp(&b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(id: u32, name: Option<&str>, at_us: u64, polls: u32, busy: u64) -> TaskRow {
        TaskRow {
            timestamp_us: at_us,
            id,
            name: name.map(str::to_owned),
            polls,
            busy_ticks: busy,
            wakeups: polls,
            ready_latency_total_ticks: u64::from(polls) * 10,
            ready_latency_max_ticks: 30,
            ended: false,
            ticks_per_second: 10_000_000,
        }
    }

    #[test]
    fn the_last_row_of_each_task_counts_in_microseconds() {
        let rows = [
            task(1, Some("sensor"), 1_000, 2, 1_000),
            task(2, None, 1_000, 1, 50_000),
            task(1, Some("sensor"), 200_000, 4, 100_000),
        ];
        let s = task_summaries(&rows);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "sensor");
        assert_eq!((s[0].polls, s[0].busy_us), (4, 10_000.0));
        assert_eq!(s[0].busy_percent, Some(5.0));
        assert_eq!(s[0].mean_poll_us, Some(2_500.0));
        assert_eq!(s[0].mean_ready_latency_us, Some(1.0));
        assert_eq!(s[0].max_ready_latency_us, 3.0);
        assert_eq!(s[1].name, "task 0x00000002");
    }

    #[test]
    fn handlers_are_summarised_by_name_most_time_first() {
        let isr = |name: &str, count: u32, total: u64| InterruptRow {
            timestamp_us: 1_000,
            name: name.into(),
            count,
            timed: count,
            total_ticks: total,
            max_ticks: 40,
            ticks_per_second: 1_000_000,
        };
        let s = interrupt_summaries(&[
            isr("UART0", 2, 10),
            isr("TIMER0", 5, 200),
            isr("UART0", 4, 20),
        ]);
        assert_eq!(
            s.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(),
            ["TIMER0", "UART0"]
        );
        assert_eq!(
            (s[1].count, s[1].total_us, s[1].mean_us),
            (4, 20.0, Some(5.0))
        );
        assert_eq!(s[0].busy_percent, Some(20.0));
        assert_eq!(s[0].max_us, 40.0);
    }
}
