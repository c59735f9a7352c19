//! The task table behind the Embassy trace hooks: plain data, no registers, no globals,
//! so that every transition is tested on the host.

include!(concat!(env!("OUT_DIR"), "/task_capacity.rs"));

use super::name_start::NameStart;

/// What the hooks measured for one task.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaskStats {
    /// The executor's id for the task: the low 32 bits of its address, unique while it lives.
    pub id: u32,
    /// Name given with [`super::embassy::set_current_task_name`], if any.
    pub name: Option<&'static str>,
    /// Times the task was polled.
    pub polls: u32,
    /// Ticks spent inside the task's polls (its busy time).
    pub busy_ticks: u64,
    /// Wake-ups that were followed by a poll (samples of the ready latency).
    pub wakeups: u32,
    /// Sum of ready-to-run latencies: from being woken to being polled, in ticks.
    pub ready_latency_total_ticks: u64,
    /// Longest ready-to-run latency, in ticks.
    pub ready_latency_max_ticks: u32,
    /// Whether the task has ended (its slot is reused if its id comes back).
    pub ended: bool,
}

impl TaskStats {
    /// Mean ready-to-run latency in ticks, `None` before the first wake-up.
    pub fn mean_ready_latency_ticks(&self) -> Option<u64> {
        (self.wakeups > 0).then(|| self.ready_latency_total_ticks / u64::from(self.wakeups))
    }
}

/// Executor-wide figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ExecutorSummary {
    /// Tasks spawned and not ended (tracked or not).
    pub task_count: usize,
    /// Task polls started: each is a switch into a task.
    pub context_switches: u64,
    /// Tasks spawned while the table was full: counted, not followed.
    pub untracked_tasks: u32,
}

/// A 64-bit count kept as two 32-bit halves: the row stays 4-byte aligned (no padding
/// before a `u64`) and an addition is a 32-bit add and a carry.
#[derive(Debug, Clone, Copy)]
struct Wide {
    low: u32,
    high: u32,
}

impl Wide {
    const ZERO: Self = Self { low: 0, high: 0 };

    fn add(&mut self, value: u32) {
        let (low, carry) = self.low.overflowing_add(value);
        self.low = low;
        self.high = self.high.wrapping_add(u32::from(carry));
    }

    fn get(self) -> u64 {
        u64::from(self.high) << 32 | u64::from(self.low)
    }
}

/// The row is in use (an all-zero row is an unused one, so the table is in `.bss`).
const USED: u8 = 1;
/// The task has ended; its row is reused if its id comes back.
const ENDED: u8 = 2;
/// The task was woken and waits to run since `ready_since`.
const READY: u8 = 4;

/// One row of the table: [`TaskStats`] in 4-byte fields and a 6-byte name (48 bytes on
/// 32-bit MCUs, where `TaskStats` with the two stamps and an `Option` would take 56).
#[derive(Debug, Clone, Copy)]
struct Slot {
    id: u32,
    /// The name's start and length (`NameStart::split`); `NameStart::NONE`: no name.
    name: NameStart,
    name_len: u16,
    polls: u32,
    wakeups: u32,
    ready_latency_max_ticks: u32,
    /// Low 32 bits of the clock when the task was woken, while `READY` is set.
    ready_since: u32,
    /// Low 32 bits of the clock when the current poll began.
    poll_started: u32,
    busy_ticks: Wide,
    ready_latency_total_ticks: Wide,
    flags: u8,
}

// The figure in the module docs of `embassy`.
#[cfg(target_pointer_width = "32")]
const _: () = assert!(core::mem::size_of::<Slot>() == 48);

impl Slot {
    const UNUSED: Self = Self::new(0, 0);

    const fn new(id: u32, flags: u8) -> Self {
        Self {
            id,
            name: NameStart::NONE,
            name_len: 0,
            polls: 0,
            wakeups: 0,
            ready_latency_max_ticks: 0,
            ready_since: 0,
            poll_started: 0,
            busy_ticks: Wide::ZERO,
            ready_latency_total_ticks: Wide::ZERO,
            flags,
        }
    }

    /// Whether this row follows the live task `id`.
    fn follows(&self, id: u32) -> bool {
        self.flags & (USED | ENDED) == USED && self.id == id
    }

    /// The task's name, if it has one.
    fn name(&self) -> Option<&'static str> {
        // SAFETY: `name` and `name_len` are only written together, from one
        // `NameStart::split`, or `name` is `NONE`.
        unsafe { self.name.join(self.name_len) }
    }

    fn stats(&self) -> TaskStats {
        TaskStats {
            id: self.id,
            name: self.name(),
            polls: self.polls,
            busy_ticks: self.busy_ticks.get(),
            wakeups: self.wakeups,
            ready_latency_total_ticks: self.ready_latency_total_ticks.get(),
            ready_latency_max_ticks: self.ready_latency_max_ticks,
            ended: self.flags & ENDED != 0,
        }
    }
}

/// Per-task bookkeeping of one or more executors (ids are task addresses, so executors
/// cannot collide).
#[derive(Debug)]
pub(crate) struct TaskTable {
    slots: [Slot; TASK_CAPACITY],
    /// The task being polled, for naming it; 0 between polls (a task's id is its
    /// address, never 0).
    current: u32,
    live: u32,
    untracked_tasks: u32,
    context_switches: Wide,
}

impl TaskTable {
    pub(crate) const fn new() -> Self {
        Self {
            slots: [Slot::UNUSED; TASK_CAPACITY],
            current: 0,
            live: 0,
            untracked_tasks: 0,
            context_switches: Wide::ZERO,
        }
    }

    /// Out of line: one search loop shared by the hooks rather than one in each.
    #[inline(never)]
    fn slot(&mut self, id: u32) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|slot| slot.follows(id))
    }

    /// The table slot of the live task `id` (its id in trace events).
    #[cfg(feature = "trace")]
    pub(crate) fn index(&self, id: u32) -> Option<usize> {
        self.slots.iter().position(|slot| slot.follows(id))
    }

    pub(crate) fn task_new(&mut self, id: u32) {
        self.live = self.live.wrapping_add(1);
        let free = self
            .slots
            .iter_mut()
            .find(|slot| slot.flags & USED == 0 || slot.flags & ENDED != 0 || slot.id == id);
        match free {
            // Field by field, leaving the two stamps (read only after they are set): the
            // compiler then writes the row inline instead of linking a second `memclr`.
            Some(entry) => {
                entry.id = id;
                entry.name = NameStart::NONE;
                entry.polls = 0;
                entry.wakeups = 0;
                entry.ready_latency_max_ticks = 0;
                entry.busy_ticks = Wide::ZERO;
                entry.ready_latency_total_ticks = Wide::ZERO;
                entry.flags = USED;
            }
            None => self.untracked_tasks = self.untracked_tasks.saturating_add(1),
        }
    }

    pub(crate) fn task_end(&mut self, id: u32) {
        self.live = self.live.saturating_sub(1);
        if let Some(slot) = self.slot(id) {
            slot.flags |= ENDED;
        }
    }

    pub(crate) fn ready(&mut self, id: u32, now: u64) {
        if let Some(slot) = self.slot(id)
            && slot.flags & READY == 0
        {
            slot.flags |= READY;
            // Truncation intended: latencies are wrapping 32-bit differences.
            slot.ready_since = now as u32;
        }
    }

    pub(crate) fn exec_begin(&mut self, id: u32, now: u64) {
        self.context_switches.add(1);
        self.current = id;
        // Truncation intended: durations are wrapping 32-bit differences.
        let now32 = now as u32;
        if let Some(slot) = self.slot(id) {
            slot.polls = slot.polls.saturating_add(1);
            slot.poll_started = now32;
            if slot.flags & READY != 0 {
                slot.flags &= !READY;
                let latency = now32.wrapping_sub(slot.ready_since);
                slot.wakeups = slot.wakeups.saturating_add(1);
                slot.ready_latency_total_ticks.add(latency);
                slot.ready_latency_max_ticks = slot.ready_latency_max_ticks.max(latency);
            }
        }
    }

    pub(crate) fn exec_end(&mut self, id: u32, now: u64) {
        self.current = 0;
        if let Some(slot) = self.slot(id) {
            let busy = (now as u32).wrapping_sub(slot.poll_started);
            slot.busy_ticks.add(busy);
        }
    }

    /// The row of the task being polled now, if the table follows it.
    fn running_slot(&mut self) -> Option<&mut Slot> {
        match self.current {
            0 => None,
            id => self.slot(id),
        }
    }

    /// Names the task being polled now `name`; false outside a poll, for a task the
    /// table does not follow, or for a name longer than 65 535 bytes.
    pub(crate) fn name_current(&mut self, name: &'static str) -> bool {
        match (self.running_slot(), NameStart::split(name)) {
            (Some(slot), Some(name)) => {
                (slot.name, slot.name_len) = name;
                true
            }
            _ => false,
        }
    }

    /// Names the task being polled now `name` unless it has a name already; true when the
    /// running task is (now) called `name`.
    pub(crate) fn name_current_if_unnamed(&mut self, name: &'static str) -> bool {
        match self.running_slot() {
            Some(slot) => match slot.name() {
                Some(existing) => existing == name,
                None => NameStart::split(name).is_some_and(|new| {
                    (slot.name, slot.name_len) = new;
                    true
                }),
            },
            None => false,
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<TaskStats> {
        self.slots
            .iter()
            .filter(|slot| slot.flags & USED != 0)
            .nth(index)
            .map(Slot::stats)
    }

    pub(crate) fn summary(&self) -> ExecutorSummary {
        ExecutorSummary {
            task_count: self.live as usize,
            context_switches: self.context_switches.get(),
            untracked_tasks: self.untracked_tasks,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn busy_time_polls_and_latency() {
        let mut table = TaskTable::new();
        table.task_new(0x2000_0100);
        table.ready(0x2000_0100, 10);
        table.exec_begin(0x2000_0100, 25);
        assert!(table.name_current("sensor"));
        table.ready(0x2000_0100, 30); // woken during its own poll
        table.exec_end(0x2000_0100, 40);
        table.exec_begin(0x2000_0100, 70);
        table.exec_end(0x2000_0100, 75);
        let stats = table.get(0).unwrap();
        assert_eq!(stats.name, Some("sensor"));
        assert_eq!((stats.polls, stats.busy_ticks), (2, 20));
        assert_eq!(stats.wakeups, 2);
        assert_eq!(stats.ready_latency_total_ticks, 15 + 40);
        assert_eq!(stats.ready_latency_max_ticks, 40);
        assert_eq!(stats.mean_ready_latency_ticks(), Some(27));
        assert_eq!(table.summary().context_switches, 2);
        assert!(!table.name_current("nobody runs"));
        assert!(!table.name_current_if_unnamed("nobody runs"));
    }

    #[test]
    fn a_running_task_is_named_once() {
        let mut table = TaskTable::new();
        table.task_new(7);
        table.task_new(8);
        table.exec_begin(7, 1);
        assert!(table.name_current_if_unnamed("sensor_task"));
        assert!(table.name_current_if_unnamed("sensor_task"));
        // Another name for the same task: the first one stays.
        assert!(!table.name_current_if_unnamed("other"));
        table.exec_end(7, 2);
        table.exec_begin(8, 3);
        table.name_current("named_by_app");
        assert!(!table.name_current_if_unnamed("sensor_task"));
        assert_eq!(table.get(0).unwrap().name, Some("sensor_task"));
        assert_eq!(table.get(1).unwrap().name, Some("named_by_app"));
    }

    #[test]
    fn durations_survive_the_32_bit_wrap() {
        let mut table = TaskTable::new();
        table.task_new(1);
        let start = u64::from(u32::MAX) - 5;
        table.exec_begin(1, start);
        table.exec_end(1, start + 16);
        assert_eq!(table.get(0).unwrap().busy_ticks, 16);
    }

    #[test]
    fn busy_time_and_latency_totals_carry_past_32_bits() {
        let mut table = TaskTable::new();
        table.task_new(1);
        let long = u64::from(u32::MAX) - 1;
        let mut now = 0;
        for _ in 0..3 {
            table.ready(1, now);
            now += long;
            table.exec_begin(1, now);
            now += long;
            table.exec_end(1, now);
        }
        let stats = table.get(0).unwrap();
        assert_eq!(stats.busy_ticks, 3 * long);
        assert_eq!(stats.ready_latency_total_ticks, 3 * long);
        assert_eq!(stats.ready_latency_max_ticks, u32::MAX - 1);
        assert_eq!(table.summary().context_switches, 3);
    }

    #[test]
    fn full_table_counts_untracked_tasks_and_keeps_the_others() {
        let mut table = TaskTable::new();
        for id in 0..TASK_CAPACITY as u32 + 3 {
            table.task_new(id);
        }
        let summary = table.summary();
        assert_eq!(summary.task_count, TASK_CAPACITY + 3);
        assert_eq!(summary.untracked_tasks, 3);
        table.exec_begin(99, 0); // untracked: counted as a switch only
        table.exec_end(99, 10);
        assert_eq!(table.summary().context_switches, 1);
        assert_eq!(
            table.get(TASK_CAPACITY - 1).unwrap().id,
            TASK_CAPACITY as u32 - 1
        );
    }

    #[test]
    fn ended_slot_is_reused() {
        let mut table = TaskTable::new();
        for id in 0..TASK_CAPACITY as u32 {
            table.task_new(id);
        }
        table.task_end(3);
        assert!(table.get(3).unwrap().ended);
        table.task_new(42);
        assert_eq!(table.get(3).unwrap().id, 42);
        assert_eq!(table.summary().task_count, TASK_CAPACITY);
        assert_eq!(table.summary().untracked_tasks, 0);
    }
}
