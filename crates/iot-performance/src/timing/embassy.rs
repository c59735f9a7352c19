//! Embassy task metrics from the executor's `trace` hooks.
//!
//! With this module's feature (`embassy`) and the application's `embassy-executor/trace`
//! feature, the executor calls the `_embassy_trace_*` functions this module defines. They
//! keep, per task: polls, busy time (the sum of poll durations), and ready-to-run latency
//! (from being woken to being polled); executor-wide: live tasks, context switches (task
//! polls) and idle time. Idle time runs from the moment the executor finds nothing more to
//! run until it next polls a task, so an executor that spins (QEMU's `WFE` is a no-op) is
//! still idle while it finds nothing to do. The firmware backends turn idle time into
//! `cpu_utilization` and report `task_count` and `context_switches` from here.
//!
//! The executor gives tasks no names through these hooks; a task names itself once with
//! [`set_current_task_name`].
//!
//! ```no_run
//! # async fn sensor_read() {}
//! // The body of an `#[embassy_executor::task]`:
//! async fn sensor() {
//!     iot_performance::embassy::set_current_task_name("sensor");
//!     loop {
//!         sensor_read().await;
//!     }
//! }
//!
//! // Later, from any task: what the hooks measured.
//! if let Some(task) = iot_performance::embassy::task_by_name("sensor") {
//!     let _ = (task.polls, task.busy_ticks, task.mean_ready_latency_ticks());
//! }
//! let summary = iot_performance::embassy::executor_summary();
//! let _ = (summary.task_count, summary.context_switches);
//! ```
//!
//! Durations are in ticks of the clock the firmware backend registered when it was
//! created; before that, hooks count polls but measure nothing. Each hook is a short
//! critical section.
//!
//! The table follows [`TASK_CAPACITY`] tasks at once (8, 48 bytes of RAM each on 32-bit MCUs, in
//! `.bss`); set `IOT_PERF_MAX_TASKS` at build time to size it for your firmware
//! (`IOT_PERF_MAX_TASKS=4 cargo build --release`). Tasks beyond it are counted in
//! [`ExecutorSummary::untracked_tasks`] and in `task_count`, not followed.

use core::cell::UnsafeCell;

use critical_section::Mutex;

use super::task_table::TaskTable;
pub use super::task_table::{ExecutorSummary, TASK_CAPACITY, TaskStats};

use super::idle;

static TABLE: Mutex<UnsafeCell<TaskTable>> = Mutex::new(UnsafeCell::new(TaskTable::new()));

/// Runs `f` on the table inside a critical section. An `UnsafeCell` rather than a
/// `RefCell`: no borrow flag to test and no panic path to link into every hook.
fn with_table<R>(f: impl FnOnce(&mut TaskTable) -> R) -> R {
    critical_section::with(|cs| f(table(cs)))
}

/// The table, for the length of the critical section `cs`.
#[allow(clippy::mut_from_ref)]
fn table(cs: critical_section::CriticalSection<'_>) -> &mut TaskTable {
    // SAFETY: the cell is only reached here, inside a critical section, and every caller
    // uses the reference only inside its `critical_section::with` closure, which calls
    // nothing that comes back here (the trace hooks only write to the event ring): no two
    // references to the table exist at once, on any core or in any interrupt.
    unsafe { &mut *TABLE.borrow(cs).get() }
}

/// Names the task that is being polled now. Returns `false` when called outside a task,
/// for a task the table does not follow (it was full), or for a name longer than 65 535
/// bytes (the table keeps its length in 16 bits).
pub fn set_current_task_name(name: &'static str) -> bool {
    with_table(|t| t.name_current(name))
}

/// Names the task that is being polled now `name` unless the application named it already;
/// true when the running task is called `name` afterwards. How
/// `validate_task_performance("sensor_task")`, called inside that task, finds it.
pub(crate) fn name_current_task_if_unnamed(name: &'static str) -> bool {
    with_table(|t| t.name_current_if_unnamed(name))
}

/// The figures of the `index`-th followed task (in spawn order, ended tasks included until
/// their slot is reused); `None` past the last.
pub fn task(index: usize) -> Option<TaskStats> {
    with_table(|t| t.get(index))
}

/// Iterates over the followed tasks (a copy of each, taken one at a time).
pub fn tasks() -> impl Iterator<Item = TaskStats> {
    (0..TASK_CAPACITY).map_while(task)
}

/// The followed task named `name`, if any.
pub fn task_by_name(name: &str) -> Option<TaskStats> {
    tasks().find(|t| t.name == Some(name))
}

/// Executor-wide figures.
pub fn executor_summary() -> ExecutorSummary {
    with_table(|t| t.summary())
}

/// Ticks per second of the durations in [`TaskStats`], `None` before a backend registered
/// its clock.
pub fn ticks_per_second() -> Option<u64> {
    let hz = crate::clock::ticks_per_second();
    (hz != 0).then_some(hz)
}

/// The time the hooks record (0 before a backend registered a clock). Out of line: one
/// copy of the clock test for every hook.
#[inline(never)]
fn now() -> u64 {
    crate::clock::try_now().unwrap_or(0)
}

// The hooks. embassy-executor declares them `extern "Rust"` and calls them when its
// `trace` feature is on; their names and signatures are its contract.

#[unsafe(no_mangle)]
fn _embassy_trace_poll_start(_executor_id: u32) {}

#[unsafe(no_mangle)]
fn _embassy_trace_executor_idle(_executor_id: u32) {
    idle::begin(now());
    #[cfg(feature = "trace")]
    crate::trace::idle();
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_new(_executor_id: u32, task_id: u32) {
    with_table(|t| t.task_new(task_id));
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_end(_executor_id: u32, task_id: u32) {
    with_table(|t| t.task_end(task_id));
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_exec_begin(_executor_id: u32, task_id: u32) {
    let now = now();
    // One critical section for the idle period's end and the poll's start.
    critical_section::with(|cs| {
        idle::end_in(cs, now);
        let t = table(cs);
        t.exec_begin(task_id, now);
        #[cfg(feature = "trace")]
        crate::trace::task_event(crate::trace::EventKind::PollBegin, t.index(task_id), now);
    });
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_exec_end(_executor_id: u32, task_id: u32) {
    let now = now();
    with_table(|t| {
        t.exec_end(task_id, now);
        #[cfg(feature = "trace")]
        crate::trace::task_event(crate::trace::EventKind::PollEnd, t.index(task_id), now);
    });
}

#[unsafe(no_mangle)]
fn _embassy_trace_task_ready_begin(_executor_id: u32, task_id: u32) {
    let now = now();
    with_table(|t| {
        t.ready(task_id, now);
        #[cfg(feature = "trace")]
        crate::trace::task_event(crate::trace::EventKind::TaskReady, t.index(task_id), now);
    });
}

#[cfg(all(test, feature = "wire"))]
mod wire_tests {
    use crate::wire::{FnSink, Record, Reporter, SliceSink, decode_frame};

    #[test]
    fn the_reporter_sends_one_row_per_task_and_counts_what_a_full_sink_drops() {
        const ID: u32 = 0x5EED_0001;
        super::_embassy_trace_task_new(0, ID);
        super::_embassy_trace_task_ready_begin(0, ID);
        super::_embassy_trace_task_exec_begin(0, ID);
        assert!(super::set_current_task_name("wire_task_table_test"));
        super::_embassy_trace_task_exec_end(0, ID);
        let followed = super::tasks().count();

        let mut buf = [0u8; 1024];
        let mut reporter = Reporter::new(SliceSink::new(&mut buf));
        assert_eq!(reporter.task_table(11), followed);
        let mut bytes = reporter.sink().as_bytes().to_vec();
        let row = bytes
            .split_mut(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .filter_map(|f| match decode_frame(f) {
                Ok(Record::Task(t)) if t.id == ID => Some((
                    t.name == Some("wire_task_table_test"),
                    t.polls,
                    t.wakeups,
                    t.timestamp_us,
                )),
                _ => None,
            })
            .next();
        assert_eq!(row, Some((true, 1, 1, 11)));

        let mut full = Reporter::new(FnSink(|_: &[u8]| false));
        assert_eq!(full.task_table(11), 0);
        assert_eq!(full.dropped() as usize, followed);
    }
}
