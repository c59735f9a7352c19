//! Per-task busy shares for heartbeats, from the Embassy task table (feature `embassy`).

use super::heartbeat::{MAX_HEARTBEAT_TASKS, TaskShare};

/// Each followed task's busy ticks at the previous heartbeat, and when that was.
#[derive(Debug)]
pub(crate) struct TaskMarks {
    busy: heapless::Vec<(u32, u64), MAX_HEARTBEAT_TASKS>,
    since: u64,
}

impl TaskMarks {
    pub(crate) fn new() -> Self {
        Self {
            busy: heapless::Vec::new(),
            since: crate::clock::now(),
        }
    }

    /// The share of the time since the previous call each live task spent in its polls
    /// (the first [`MAX_HEARTBEAT_TASKS`] tasks); `None` when no time passed.
    pub(crate) fn shares(
        &mut self,
    ) -> Option<heapless::Vec<TaskShare<'static>, MAX_HEARTBEAT_TASKS>> {
        let now = crate::clock::now();
        let elapsed = now.saturating_sub(core::mem::replace(&mut self.since, now));
        let mut shares = heapless::Vec::new();
        let mut marks = heapless::Vec::new();
        for task in crate::embassy::tasks().filter(|t| !t.ended) {
            let before = self
                .busy
                .iter()
                .find(|(id, _)| *id == task.id)
                .map_or(0, |&(_, b)| b);
            let busy = task.busy_ticks.saturating_sub(before);
            let share = TaskShare {
                name: task.name.unwrap_or(""),
                busy_percent: (busy as f64 * 100.0 / elapsed.max(1) as f64) as f32,
            };
            if shares.push(share).is_err() {
                break;
            }
            let _ = marks.push((task.id, task.busy_ticks));
        }
        self.busy = marks;
        (elapsed > 0).then_some(shares)
    }
}
