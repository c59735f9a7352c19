//! Busy time from a decoded trace: per task, per interrupt handler and per interval.
//!
//! [`busy_time`] walks decoded events ([`super::TraceEvent`], oldest first) once:
//!
//! - a task's **busy time** is the sum of its polls, `PollEnd − PollBegin` (interrupts
//!   that preempted a poll included, as the Embassy task table counts it; the part spent in
//!   handlers is [`TaskBusy::isr_ticks`]);
//! - a handler's **time** is the sum of `IsrExit − IsrEnter` of its runs (nested handlers
//!   included in the outer one's time, as an [`crate::interrupts::IsrStats`] counts it);
//! - the **CPU load** of an interval is the part of it covered by a poll or a handler.
//!
//! A span still open at a gap (events lost, [`super::TraceEvent::lost`]) or at the end of
//! the trace has no known end: it is left out and counted in [`BusyTime::unclosed`]; an
//! exit without its entry (the entry was lost, or came before the first event) likewise.
//!
//! ```
//! use iot_performance::trace::{EventKind, TraceEvent, busy_time};
//!
//! let at = |kind, id, time| TraceEvent { kind: Some(kind), id, value: 0, time, lost: 0 };
//! let events = [
//!     at(EventKind::PollBegin, 1, 0),
//!     at(EventKind::IsrEnter, 0, 10),
//!     at(EventKind::IsrExit, 0, 15),
//!     at(EventKind::PollEnd, 1, 40),
//!     at(EventKind::IsrEnter, 0, 150),
//!     at(EventKind::IsrExit, 0, 160),
//! ];
//! let busy = busy_time(&events, 100);
//! assert_eq!((busy.tasks[0].id, busy.tasks[0].polls, busy.tasks[0].busy_ticks), (1, 1, 40));
//! assert_eq!(busy.tasks[0].isr_ticks, 5);
//! assert_eq!((busy.isrs[0].count, busy.isrs[0].busy_ticks), (2, 15));
//! assert_eq!(busy.intervals.len(), 2);
//! assert_eq!(busy.intervals[0].busy_ticks, 40); // the poll covers the handler's run
//! assert_eq!(busy.intervals[1].busy_ticks, 10);
//! // The last interval ends at the last event: 10 busy ticks of 60.
//! assert_eq!(busy.intervals[1].load(), 10.0 / 60.0);
//! ```

use alloc::vec::Vec;

use super::decode::TraceEvent;
use super::event::EventKind;

/// One task's polls in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct TaskBusy {
    /// The task's id in the trace (its task-table slot).
    pub id: u32,
    /// Completed polls (a `PollBegin` with its `PollEnd`).
    pub polls: u64,
    /// Sum of the polls' durations, in ticks (handlers that preempted them included).
    pub busy_ticks: u64,
    /// The part of `busy_ticks` spent in interrupt handlers.
    pub isr_ticks: u64,
    /// Times the task was made ready (`TaskReady` events).
    pub wakeups: u64,
}

/// One interrupt handler's runs in a trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IsrBusy {
    /// The handler's id in the trace (0: unnamed, the interrupt guards' id).
    pub id: u32,
    /// Completed runs (an `IsrEnter` with its `IsrExit`).
    pub count: u64,
    /// Sum of the runs' durations, in ticks.
    pub busy_ticks: u64,
    /// Longest run, in ticks.
    pub max_ticks: u64,
}

/// What ran during one interval of the trace.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct IntervalLoad {
    /// Start of the interval, in trace ticks (inclusive).
    pub start: u64,
    /// End of the interval (exclusive); the last interval ends at the trace's last event.
    pub end: u64,
    /// Ticks covered by a poll or an interrupt handler.
    pub busy_ticks: u64,
    /// Ticks spent in interrupt handlers.
    pub isr_ticks: u64,
    /// Busy ticks of each task polled in the interval, `(task id, ticks)`, by id.
    pub tasks: Vec<(u32, u64)>,
}

impl IntervalLoad {
    /// The interval's length in ticks.
    pub fn len_ticks(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }

    /// CPU load of the interval: busy ticks over its length, in `0.0..=1.0` (0 for an
    /// empty interval).
    pub fn load(&self) -> f64 {
        match self.len_ticks() {
            0 => 0.0,
            len => self.busy_ticks as f64 / len as f64,
        }
    }
}

/// Busy time reconstructed from a trace ([`busy_time`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct BusyTime {
    /// Time of the first event, in trace ticks.
    pub start: u64,
    /// Time of the last event.
    pub end: u64,
    /// The interval length asked for, in ticks.
    pub interval_ticks: u64,
    /// Every task seen, by id.
    pub tasks: Vec<TaskBusy>,
    /// Every interrupt handler seen, by id.
    pub isrs: Vec<IsrBusy>,
    /// Consecutive intervals from `start` to `end` (none for an empty trace).
    pub intervals: Vec<IntervalLoad>,
    /// Events lost in the trace's gaps.
    pub lost: u64,
    /// Spans left out: open at a gap or at the end, or ended without their start.
    pub unclosed: u64,
}

impl BusyTime {
    /// The task `id`, if the trace has it.
    pub fn task(&self, id: u32) -> Option<&TaskBusy> {
        self.tasks.iter().find(|t| t.id == id)
    }

    /// The interrupt handler `id`, if the trace has it.
    pub fn isr(&self, id: u32) -> Option<&IsrBusy> {
        self.isrs.iter().find(|i| i.id == id)
    }

    /// CPU load over the whole trace: busy ticks over its length (0 for an empty trace).
    pub fn load(&self) -> f64 {
        let busy: u64 = self.intervals.iter().map(|i| i.busy_ticks).sum();
        match self.end.saturating_sub(self.start) {
            0 => 0.0,
            len => busy as f64 / len as f64,
        }
    }
}

/// The sorted-by-id entry of `id` in `list`, created (from `id`) when missing.
fn entry<T: Default>(
    list: &mut Vec<T>,
    id: u32,
    id_of: impl Fn(&T) -> u32,
    set_id: impl FnOnce(&mut T),
) -> &mut T {
    let at = match list.binary_search_by_key(&id, id_of) {
        Ok(at) => at,
        Err(at) => {
            let mut new = T::default();
            set_id(&mut new);
            list.insert(at, new);
            at
        }
    };
    &mut list[at]
}

fn task_entry(tasks: &mut Vec<TaskBusy>, id: u32) -> &mut TaskBusy {
    entry(tasks, id, |t| t.id, |t| t.id = id)
}

/// A poll or handler run in progress.
#[derive(Clone, Copy)]
struct Span {
    id: u32,
    start: u64,
    /// Handler ticks inside it (polls only).
    isr_ticks: u64,
}

/// Pops the innermost span if it is `id`'s; counts it as unclosed otherwise.
fn close(stack: &mut Vec<Span>, id: u32, unclosed: &mut u64) -> Option<Span> {
    match stack.last() {
        Some(span) if span.id == id => stack.pop(),
        _ => {
            *unclosed += 1;
            None
        }
    }
}

/// The running state of the walk.
struct Walk {
    out: BusyTime,
    /// The polls in progress, innermost last.
    polls: Vec<Span>,
    /// The handlers in progress, innermost last.
    isrs: Vec<Span>,
    /// Since when a poll or handler has been running.
    busy_since: Option<u64>,
}

impl Walk {
    /// Adds `f(interval, ticks)` for the part of `[from, to)` in each interval.
    fn spread(&mut self, from: u64, to: u64, mut f: impl FnMut(&mut IntervalLoad, u64)) {
        let (origin, step) = (self.out.start, self.out.interval_ticks.max(1));
        let mut t = from;
        while t < to {
            let index = usize::try_from((t - origin) / step).unwrap_or(usize::MAX);
            let Some(interval) = self.out.intervals.get_mut(index) else {
                return;
            };
            let until = to.min(interval.end.max(t + 1));
            f(interval, until - t);
            t = until;
        }
    }

    fn busy_changed(&mut self, time: u64) {
        let busy = !self.polls.is_empty() || !self.isrs.is_empty();
        match (self.busy_since, busy) {
            (None, true) => self.busy_since = Some(time),
            (Some(since), false) => {
                self.busy_since = None;
                self.spread(since, time, |i, ticks| i.busy_ticks += ticks);
            }
            _ => {}
        }
    }

    /// Forgets the spans in progress (their ends are unknown).
    fn abandon(&mut self) {
        self.out.unclosed += (self.polls.len() + self.isrs.len()) as u64;
        self.polls.clear();
        self.isrs.clear();
        self.busy_since = None;
    }

    fn poll_end(&mut self, id: u32, time: u64) {
        let Some(poll) = close(&mut self.polls, id, &mut self.out.unclosed) else {
            return;
        };
        let task = task_entry(&mut self.out.tasks, id);
        task.polls += 1;
        task.busy_ticks += time - poll.start;
        task.isr_ticks += poll.isr_ticks;
        self.spread(poll.start, time, |i, ticks| {
            match i.tasks.binary_search_by_key(&id, |&(task, _)| task) {
                Ok(at) => i.tasks[at].1 += ticks,
                Err(at) => i.tasks.insert(at, (id, ticks)),
            }
        });
    }

    fn isr_exit(&mut self, id: u32, time: u64) {
        let Some(run) = close(&mut self.isrs, id, &mut self.out.unclosed) else {
            return;
        };
        let ticks = time - run.start;
        let isr = entry(&mut self.out.isrs, id, |i| i.id, |i| i.id = id);
        isr.count += 1;
        isr.busy_ticks += ticks;
        isr.max_ticks = isr.max_ticks.max(ticks);
        // Time in handlers counts once, at the outermost one.
        if self.isrs.is_empty() {
            if let Some(poll) = self.polls.last_mut() {
                poll.isr_ticks += ticks;
            }
            self.spread(run.start, time, |i, ticks| i.isr_ticks += ticks);
        }
    }

    fn event(&mut self, kind: EventKind, id: u32, time: u64) {
        let span = Span {
            id,
            start: time,
            isr_ticks: 0,
        };
        match kind {
            EventKind::PollBegin => self.polls.push(span),
            EventKind::PollEnd => self.poll_end(id, time),
            EventKind::TaskReady => task_entry(&mut self.out.tasks, id).wakeups += 1,
            EventKind::IsrEnter => self.isrs.push(span),
            EventKind::IsrExit => self.isr_exit(id, time),
            _ => return,
        }
        self.busy_changed(time);
    }
}

/// Per-task busy time, per-handler counts and time, and CPU load per `interval_ticks`
/// (intervals counted from the first event) of decoded `events`, oldest first.
///
/// Events out of time order (a corrupt trace) end the spans they would make negative: such
/// a span is counted as unclosed, never as a negative duration.
pub fn busy_time(events: &[TraceEvent], interval_ticks: u64) -> BusyTime {
    let start = events.first().map_or(0, |e| e.time);
    let end = events.iter().map(|e| e.time).max().unwrap_or(start);
    let step = interval_ticks.max(1);
    let mut intervals = Vec::new();
    let mut t = start;
    while !events.is_empty() && (t < end || intervals.is_empty()) {
        let next = t.saturating_add(step).min(end.max(t + 1));
        intervals.push(IntervalLoad {
            start: t,
            end: next,
            ..IntervalLoad::default()
        });
        t = next;
    }
    let mut walk = Walk {
        out: BusyTime {
            start,
            end,
            interval_ticks: step,
            intervals,
            ..BusyTime::default()
        },
        polls: Vec::new(),
        isrs: Vec::new(),
        busy_since: None,
    };
    let mut last = start;
    for event in events {
        match event.kind {
            None => {
                walk.out.lost += u64::from(event.lost);
                walk.abandon();
            }
            Some(_) if event.time < last => walk.abandon(),
            Some(kind) => walk.event(kind, event.id, event.time),
        }
        last = last.max(event.time);
    }
    walk.abandon();
    walk.out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: EventKind, id: u32, time: u64) -> TraceEvent {
        TraceEvent {
            kind: Some(kind),
            id,
            value: 0,
            time,
            lost: 0,
        }
    }

    fn gap(lost: u32, time: u64) -> TraceEvent {
        TraceEvent {
            kind: None,
            lost,
            ..at(EventKind::Marker, 0, time)
        }
    }

    use EventKind::{IsrEnter, IsrExit, PollBegin, PollEnd, TaskReady};

    #[test]
    fn polls_spread_over_intervals_and_nested_handlers_count_once() {
        let events = [
            at(TaskReady, 2, 0),
            at(PollBegin, 2, 5),
            at(IsrEnter, 0, 20),
            at(IsrEnter, 1, 22),
            at(IsrExit, 1, 24),
            at(IsrExit, 0, 30),
            at(PollEnd, 2, 25 + 100),
            at(PollBegin, 3, 150),
            at(PollEnd, 3, 160),
            at(IsrEnter, 0, 280),
            at(IsrExit, 0, 290),
        ];
        let busy = busy_time(&events, 100);
        assert_eq!(busy.start, 0);
        assert_eq!(busy.end, 290);
        let task2 = busy.task(2).unwrap();
        assert_eq!(
            (
                task2.polls,
                task2.busy_ticks,
                task2.isr_ticks,
                task2.wakeups
            ),
            (1, 120, 10, 1)
        );
        let task3 = busy.task(3).unwrap();
        assert_eq!((task3.polls, task3.busy_ticks, task3.isr_ticks), (1, 10, 0));
        let isr0 = busy.isr(0).unwrap();
        assert_eq!((isr0.count, isr0.busy_ticks, isr0.max_ticks), (2, 20, 10));
        assert_eq!(busy.isr(1).unwrap().busy_ticks, 2);
        let spans: Vec<(u64, u64)> = busy.intervals.iter().map(|i| (i.start, i.end)).collect();
        assert_eq!(spans, [(0, 100), (100, 200), (200, 290)]);
        let loads: Vec<(u64, u64)> = busy
            .intervals
            .iter()
            .map(|i| (i.busy_ticks, i.isr_ticks))
            .collect();
        assert_eq!(loads, [(95, 10), (35, 0), (10, 10)]);
        assert_eq!(busy.intervals[0].tasks, [(2, 95)]);
        assert_eq!(busy.intervals[1].tasks, [(2, 25), (3, 10)]);
        assert!(busy.intervals[2].tasks.is_empty());
        assert_eq!(busy.intervals[0].load(), 0.95);
        assert_eq!(busy.load(), 140.0 / 290.0);
        assert_eq!((busy.lost, busy.unclosed), (0, 0));
    }

    #[test]
    fn spans_across_a_gap_or_the_end_are_left_out_and_counted() {
        let events = [
            at(PollBegin, 1, 0),
            gap(7, 0),
            at(PollEnd, 1, 50),
            at(IsrEnter, 0, 60),
            at(IsrExit, 0, 70),
            at(PollBegin, 1, 80),
        ];
        let busy = busy_time(&events, 1000);
        assert_eq!(busy.lost, 7);
        // The poll open at the gap, the exit without its entry, the poll open at the end.
        assert_eq!(busy.unclosed, 3);
        assert_eq!(busy.task(1), None);
        assert_eq!(busy.isr(0).unwrap().count, 1);
        assert_eq!(busy.intervals.len(), 1);
        assert_eq!(busy.intervals[0].busy_ticks, 10);
    }

    #[test]
    fn out_of_order_and_empty_traces_give_no_negative_spans() {
        let events = [at(PollBegin, 1, 100), at(PollEnd, 1, 40)];
        let busy = busy_time(&events, 10);
        assert_eq!(busy.task(1), None);
        assert_eq!(busy.unclosed, 1);
        let empty = busy_time(&[], 10);
        assert!(empty.intervals.is_empty() && empty.tasks.is_empty());
        assert_eq!(empty.load(), 0.0);
    }
}
