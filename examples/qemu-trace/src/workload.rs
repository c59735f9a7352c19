//! Three Embassy tasks, the aggregate counters taken around the traced run, and the
//! comparison of those counters with what `trace::busy_time` reconstructs from the trace.

use embassy_executor::Spawner;
use embassy_time::Timer;
use iot_performance::embassy as tasks;
use iot_performance::trace::{self, TraceEvent, busy_time};
use semihosting::eprintln as println;

use crate::TIMER_ISR;

/// The three tasks: name, period (ms), work per poll (loop iterations), and the name of
/// the check that compares its busy time.
const TASKS: [(&str, u64, u32, &str); 3] = [
    ("sensor", 2, 3_000, "task_busy_time_matches_sensor"),
    ("filter", 3, 5_000, "task_busy_time_matches_filter"),
    ("report", 5, 1_500, "task_busy_time_matches_report"),
];

/// Busy work that the optimiser keeps.
fn work(iterations: u32) -> u32 {
    let mut acc = 0u32;
    for i in 0..iterations {
        acc = core::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    acc
}

#[embassy_executor::task(pool_size = 3)]
async fn periodic(which: usize) {
    let (name, period_ms, iterations, _) = TASKS[which];
    tasks::set_current_task_name(name);
    let mut rounds = 0i32;
    loop {
        Timer::after_millis(period_ms).await;
        let _scope = match which {
            0 => iot_performance::profile_block!("sensor.read"),
            1 => iot_performance::profile_block!("filter.run"),
            _ => iot_performance::profile_block!("report.send"),
        };
        core::hint::black_box(work(iterations));
        rounds += 1;
        if which == 2 {
            trace::value(1, rounds);
        }
    }
}

/// Spawns the three tasks.
pub fn spawn_all(spawner: Spawner) {
    for which in 0..TASKS.len() {
        match periodic(which) {
            Ok(token) => spawner.spawn(token),
            Err(_) => println!("cannot spawn task {which}"),
        }
    }
}

/// One task's aggregate counters: its task-table slot (its id in the trace), polls and
/// busy ticks.
#[derive(Clone, Copy, Default, Debug)]
pub struct TaskCount {
    pub slot: Option<usize>,
    pub polls: u64,
    pub busy_ticks: u64,
}

/// The aggregate counters at one moment.
#[derive(Clone, Copy, Default, Debug)]
pub struct Counters {
    tasks: [TaskCount; 3],
    isr_count: u64,
    isr_ticks: u64,
}

impl Counters {
    /// The task table's and the timer's `IsrStats` figures now.
    pub fn now() -> Self {
        let mut counters = Self::default();
        for (slot, stats) in (0..tasks::TASK_CAPACITY).map_while(tasks::task).enumerate() {
            if let Some(which) = TASKS.iter().position(|t| Some(t.0) == stats.name) {
                counters.tasks[which] = TaskCount {
                    slot: Some(slot),
                    polls: u64::from(stats.polls),
                    busy_ticks: stats.busy_ticks,
                };
            }
        }
        let isr = TIMER_ISR.snapshot();
        counters.isr_count = u64::from(isr.count);
        counters.isr_ticks = isr.total_ticks;
        counters
    }
}

/// Within 1 % of `expected` (and both non-zero).
fn within_one_percent(reconstructed: u64, expected: u64) -> bool {
    expected > 0 && reconstructed.abs_diff(expected) * 100 <= expected
}

/// Checks the reconstruction from `events` against the counters' change from `before`
/// to `after`, and prints per-task busy time, handler figures and CPU load; returns the
/// CPU load over the run (0–1).
pub fn compare(
    events: &[TraceEvent],
    before: &Counters,
    after: &Counters,
    check: fn(&str, bool, core::fmt::Arguments<'_>),
) -> f64 {
    let tick_hz = iot_performance::clock::ticks_per_second();
    let busy = busy_time(events, tick_hz / 1000);
    println!(
        "trace: {} events, {} lost, {} spans without an end (the recording's edges)",
        events.len(),
        busy.lost,
        busy.unclosed
    );
    check(
        "trace_lost_nothing",
        busy.lost == 0,
        format_args!("{} events lost", busy.lost),
    );
    for (which, &(name, _, _, check_name)) in TASKS.iter().enumerate() {
        let (b, a) = (before.tasks[which], after.tasks[which]);
        let (polls, ticks) = (a.polls - b.polls, a.busy_ticks - b.busy_ticks);
        let traced = a.slot.and_then(|slot| busy.task(slot as u32));
        let (t_polls, t_ticks) = traced.map_or((0, 0), |t| (t.polls, t.busy_ticks));
        println!(
            "trace: task {name}: {t_polls} polls, {t_ticks} busy ticks from the trace; {polls} polls, {ticks} busy ticks in the task table"
        );
        check(
            check_name,
            within_one_percent(t_polls, polls) && within_one_percent(t_ticks, ticks),
            format_args!("trace {t_polls} polls / {t_ticks} ticks vs table {polls} / {ticks}"),
        );
    }
    let (count, ticks) = (
        after.isr_count - before.isr_count,
        after.isr_ticks - before.isr_ticks,
    );
    let (t_count, t_ticks) = busy.isr(0).map_or((0, 0), |i| (i.count, i.busy_ticks));
    println!(
        "trace: timer interrupt: {t_count} runs, {t_ticks} ticks from the trace; {count} runs, {ticks} ticks in IsrStats"
    );
    check(
        "isr_count_and_time_match",
        within_one_percent(t_count, count) && within_one_percent(t_ticks, ticks),
        format_args!("trace {t_count} / {t_ticks} vs IsrStats {count} / {ticks}"),
    );
    semihosting::eprint!(
        "trace: cpu load {:.1} % over {} intervals of 1 ms; the first five:",
        busy.load() * 100.0,
        busy.intervals.len()
    );
    for interval in busy.intervals.iter().take(5) {
        semihosting::eprint!(" {:.1} %", interval.load() * 100.0);
    }
    println!();
    check(
        "cpu_load_per_interval",
        busy.intervals.len() as u64 >= crate::RUN_MS - 1
            && busy
                .intervals
                .iter()
                .all(|i| (0.0..=1.0).contains(&i.load()))
            && busy.load() > 0.0,
        format_args!("{} intervals, load {}", busy.intervals.len(), busy.load()),
    );
    busy.load()
}
