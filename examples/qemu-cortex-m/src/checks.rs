//! What the firmware measures on QEMU, printed as a report and checked. Shared by the
//! Cortex-M and RISC-V examples (the RISC-V one includes this file by path).
//!
//! Every check prints `test <name> ... ok` or `test <name> ... FAILED (<why>)`; the
//! runner (`cargo xtask qemu`) counts those lines.

use embassy_executor::Spawner;
use embassy_time::{Instant, Timer};
use iot_performance::interrupts::IsrStats;
use iot_performance::{PerformanceMonitor, PlatformMetrics, embassy as tasks};
use semihosting::println;

use crate::workload;

/// Tallies checks.
pub struct Report {
    passed: u32,
    failed: u32,
}

impl Report {
    pub const fn new() -> Self {
        Self {
            passed: 0,
            failed: 0,
        }
    }

    pub fn check(&mut self, name: &str, ok: bool, detail: core::fmt::Arguments<'_>) {
        if ok {
            self.passed += 1;
            println!("test {name} ... ok");
        } else {
            self.failed += 1;
            println!("test {name} ... FAILED ({detail})");
        }
    }

    pub fn finish(self) -> u32 {
        println!("result: {} passed, {} failed", self.passed, self.failed);
        self.failed
    }
}

/// Uses about `depth` × 512 bytes of stack.
#[inline(never)]
fn deep(depth: u32) -> u32 {
    let buffer = core::hint::black_box([depth as u8; 512]);
    if depth == 0 {
        u32::from(buffer[7])
    } else {
        deep(depth - 1) + u32::from(buffer[depth as usize % 512])
    }
}

/// Instructions per call of `body`: `count_instructions` before and after 10 000 calls,
/// minus the same loop with only the loop counter kept alive. Inlined into each caller,
/// so that the measured loop holds `body` and nothing else.
#[inline(always)]
fn per_run_overhead(count_instructions: impl Fn() -> u64, body: impl Fn(u64)) -> u64 {
    const N: u64 = 10_000;
    let start = count_instructions();
    for i in 0..N {
        core::hint::black_box(i);
    }
    let baseline = count_instructions() - start;
    let start = count_instructions();
    for i in 0..N {
        body(i);
    }
    let measured = count_instructions() - start;
    measured.saturating_sub(baseline) / N
}

/// Instructions per `profile_block!` enter+exit, over empty scopes.
#[inline(never)]
pub fn profile_block_overhead(count_instructions: impl Fn() -> u64) -> u64 {
    per_run_overhead(count_instructions, |i| {
        let _scope = iot_performance::profile_block!("overhead.empty");
        core::hint::black_box(i);
    })
}

/// Instructions per timed interrupt handler run (`IsrStats::enter` and the timer's drop),
/// on a handler-sized body called directly.
/// (Not built for the micro:bit, which does not run it: see `main.rs`.)
#[cfg(not(all(target_arch = "arm", not(target_has_atomic = "32"))))]
#[inline(never)]
pub fn isr_timing_overhead(count_instructions: impl Fn() -> u64) -> u64 {
    static OVERHEAD_ISR: IsrStats = IsrStats::new("overhead.isr");
    per_run_overhead(count_instructions, |i| {
        let _timing = OVERHEAD_ISR.enter();
        core::hint::black_box(i);
    })
}

/// With a trace ring installed: instructions per trace event (a scope's enter+exit pair
/// counts as two, over `untraced` per scope measured before the ring was installed), per
/// marker (its clock read included), and bytes per event of the scopes' chunk.
#[cfg(feature = "trace")]
pub fn trace_costs(count_instructions: impl Fn() -> u64, untraced: u64) {
    use iot_performance::trace::{self, TraceBuffer};
    static RING: TraceBuffer<256> = TraceBuffer::new();
    trace::install(&RING);
    let traced = profile_block_overhead(&count_instructions);
    let mut chunk = [0u8; 256 * 4];
    let info = RING.dump(0, &mut chunk);
    fn one_marker() -> u64 {
        trace::marker(3);
        0
    }
    let markers = clock_read_cost(&count_instructions, one_marker);
    println!(
        "trace: {} instructions per event (scope enter+exit {traced}, untraced {untraced})",
        traced.saturating_sub(untraced) / 2
    );
    println!("trace: {markers} instructions per event (marker, clock read included)");
    println!(
        "trace: {} bytes for {} scope events ({}.{:02} bytes per event, chunk header included)",
        info.len,
        info.events,
        info.len / info.events.max(1) as usize,
        info.len * 100 / info.events.max(1) as usize % 100
    );
}

/// Instructions per call of `read_clock`, measured like [`profile_block_overhead`].
#[inline(never)]
pub fn clock_read_cost(count_instructions: impl Fn() -> u64, read_clock: fn() -> u64) -> u64 {
    const N: u64 = 10_000;
    let start = count_instructions();
    for i in 0..N {
        core::hint::black_box(i);
    }
    let baseline = count_instructions() - start;
    let start = count_instructions();
    for _ in 0..N {
        core::hint::black_box(read_clock());
    }
    let measured = count_instructions() - start;
    measured.saturating_sub(baseline) / N
}

/// Runs the workload with the monitor attached and checks what it measured. `stack_hwm`
/// reads the backend's stack high-water mark.
pub async fn run<P: PlatformMetrics + 'static>(
    spawner: Spawner,
    provider: P,
    stack_hwm: impl Fn(&P) -> usize,
    tick_isr: &IsrStats,
    mut report: Report,
) -> u32 {
    let tps = provider.ticks_per_second();
    let Ok(monitor) = PerformanceMonitor::with_provider(provider).await else {
        report.check(
            "monitor_starts",
            false,
            format_args!("with_provider failed"),
        );
        return report.finish();
    };
    let provider = monitor.provider();
    let first = monitor.snapshot().await;

    // Clock against embassy-time (driven by the timer interrupt).
    let (t0, i0) = (provider.now_ticks(), Instant::now());
    Timer::after_millis(100).await;
    let (t1, i1) = (provider.now_ticks(), Instant::now());
    let measured_us = (t1 - t0) * 1_000_000 / tps;
    let expected_us = (i1 - i0).as_micros();
    report.check(
        "clock_agrees_with_timer",
        measured_us.abs_diff(expected_us) <= 1_000,
        format_args!("{measured_us} us vs {expected_us} us"),
    );

    // The provider's wait (embassy-time under the `embassy` feature).
    let before = Instant::now();
    provider.delay_ms(10).await;
    let waited = (Instant::now() - before).as_millis();
    report.check(
        "delay_ms_waits",
        (10..=11).contains(&waited),
        format_args!("waited {waited} ms"),
    );

    // Stack: a known-depth call (six frames of 512 B and more below this one) raises the
    // painted high-water mark by at least four of them: the mark so far may already lie
    // up to a frame or two below this call (the backend's own deepest reading, e.g. a heap
    // probe), and by at most eight.
    let before = stack_hwm(provider);
    core::hint::black_box(deep(5));
    let after = stack_hwm(provider);
    println!("stack high-water mark: {before} B -> {after} B");
    report.check(
        "stack_high_water_mark",
        after >= before + 4 * 512 && after < before + 8 * 512,
        format_args!("{before} -> {after}"),
    );

    // The workload, then the figures it produced.
    workload::spawn_all(spawner);
    let ms0 = Instant::now();
    let isr0 = tick_isr.snapshot().count;
    Timer::after_millis(workload::RUN_MS).await;
    let elapsed_ms = (Instant::now() - ms0).as_millis();
    let isr = tick_isr.snapshot();
    let Ok(snap) = monitor.snapshot().await else {
        report.check("snapshot", false, format_args!("snapshot failed"));
        return report.finish();
    };

    println!("--- report ---");
    // Ticks as counted, and in µs at the clock's rate.
    let us = |ticks: u64| ticks as f64 * 1e6 / tps.max(1) as f64;
    println!("clock: {tps} ticks/s");
    println!(
        "memory: heap {}/{} B, stack {} B used, {} B free, static {} B",
        snap.memory.heap_used,
        snap.memory.heap_total,
        snap.memory.stack_used,
        snap.memory.stack_free,
        snap.memory.static_memory
    );
    println!(
        "system: cpu {:.1} %, uptime {} ms, tasks {}, switches {}, interrupts {}",
        snap.system.cpu_utilization,
        snap.system.uptime_ms,
        snap.system.task_count,
        snap.system.context_switches,
        snap.system.interrupt_count
    );
    println!(
        "isr {}: {} entries, mean {} ticks ({:.2} µs), max {} ticks ({:.2} µs)",
        isr.name,
        isr.count,
        isr.mean_ticks().unwrap_or(0),
        us(isr.mean_ticks().unwrap_or(0)),
        isr.max_ticks,
        us(u64::from(isr.max_ticks))
    );
    for task in tasks::tasks() {
        println!(
            "task {:>5}: polls {:>4}, busy {:>9} ticks ({:.0} µs), ready latency mean {} max {} ticks ({:.2} µs)",
            task.name.unwrap_or("?"),
            task.polls,
            task.busy_ticks,
            us(task.busy_ticks),
            task.mean_ready_latency_ticks().unwrap_or(0),
            task.ready_latency_max_ticks,
            us(u64::from(task.ready_latency_max_ticks))
        );
    }
    println!("--- checks ---");

    let now_ms = Instant::now().as_millis();
    report.check(
        "uptime_matches_timer",
        snap.system.uptime_ms.abs_diff(now_ms) <= 2,
        format_args!("uptime {} ms, timer {now_ms} ms", snap.system.uptime_ms),
    );
    let ticks = isr.count - isr0;
    report.check(
        "isr_count_matches_elapsed_ms",
        u64::from(ticks).abs_diff(elapsed_ms) <= 1 && isr.timed == isr.count,
        format_args!("{ticks} SysTick entries in {elapsed_ms} ms"),
    );
    report.check(
        "interrupt_count_reported",
        snap.system.interrupt_count >= u64::from(isr.count),
        format_args!("{} < {}", snap.system.interrupt_count, isr.count),
    );
    if let Some(busy) = tasks::task_by_name("busy") {
        let scopes: heapless_counts::Counts = crate::stages::NAMES
            .iter()
            .map(|name| iot_performance::timing::scope(name))
            .collect();
        report.check(
            "sixteen_scopes_called_once_per_busy_poll",
            scopes.all_called(u64::from(busy.polls)),
            format_args!("calls {:?} vs {} polls", scopes.calls(), busy.polls),
        );
        report.check(
            "scope_durations_follow_work",
            scopes.longest_is_last(),
            format_args!("totals {:?}", scopes.totals()),
        );
        for (name, calls, total, max) in scopes.rows() {
            println!(
                "scope {name}: {calls} calls, total {total} ticks ({:.1} µs), max {max} ticks ({:.2} µs)",
                us(total),
                us(max)
            );
        }
    }
    let summary = tasks::executor_summary();
    report.check(
        "task_count",
        snap.system.task_count == 4 && summary.untracked_tasks == 0,
        format_args!("{} tasks", snap.system.task_count),
    );
    let busy = tasks::task_by_name("busy");
    let idle = tasks::task_by_name("idle");
    match (busy, idle) {
        (Some(busy), Some(idle)) => {
            report.check(
                "busy_task_busier_than_idle_task",
                busy.busy_ticks > 20 * idle.busy_ticks.max(1),
                format_args!("busy {} vs idle {} ticks", busy.busy_ticks, idle.busy_ticks),
            );
            let expected_idle_polls = workload::RUN_MS / workload::IDLE_PERIOD_MS + 1;
            report.check(
                "idle_task_polls",
                u64::from(idle.polls).abs_diff(expected_idle_polls) <= 1,
                format_args!("{} polls, expected {expected_idle_polls}", idle.polls),
            );
            report.check(
                "ready_latency_measured",
                idle.wakeups + 1 >= idle.polls && idle.ready_latency_max_ticks > 0,
                format_args!(
                    "{} wakeups, max {}",
                    idle.wakeups, idle.ready_latency_max_ticks
                ),
            );
        }
        _ => report.check(
            "tasks_named",
            false,
            format_args!("busy or idle task not found"),
        ),
    }
    report.check(
        "context_switches_counted",
        snap.system.context_switches >= tasks::tasks().map(|t| u64::from(t.polls)).sum(),
        format_args!("{}", snap.system.context_switches),
    );
    let cpu = snap.system.cpu_utilization;
    report.check(
        "cpu_utilization_from_idle_time",
        cpu > 1.0 && cpu < 99.0,
        format_args!("{cpu}"),
    );
    let heap_grew = first
        .as_ref()
        .map(|f| {
            snap.memory.heap_used >= f.memory.heap_used + workload::MAX_BLOCKS * workload::HEAP_STEP
        })
        .unwrap_or(false);
    report.check(
        "heap_growth_seen",
        heap_grew,
        format_args!("heap used {}", snap.memory.heap_used),
    );
    // The backend was given the heap itself (`with_heap(&HEAP)`): the ratio is measured
    // by probing its largest allocatable block: a number in 0..=1, never NaN.
    let fragmentation = snap.memory.fragmentation();
    report.check(
        "heap_fragmentation_measured",
        fragmentation.is_some_and(|f| (0.0..=1.0).contains(&f)) && snap.memory.heap_free > 0,
        format_args!(
            "fragmentation {:?}, heap free {} B",
            fragmentation, snap.memory.heap_free
        ),
    );
    report.check(
        "static_memory_from_linker",
        snap.memory.static_memory > crate::HEAP_SIZE,
        format_args!("{} B", snap.memory.static_memory),
    );
    report.finish()
}

/// The 16 stage scopes' figures, without a heap.
mod heapless_counts {
    use iot_performance::timing::ScopeStats;

    use crate::stages::STAGES;

    pub struct Counts {
        rows: [(&'static str, u64, u64, u64); STAGES],
        len: usize,
        missing: bool,
    }

    impl FromIterator<Option<ScopeStats>> for Counts {
        fn from_iter<I: IntoIterator<Item = Option<ScopeStats>>>(iter: I) -> Self {
            let mut counts = Counts {
                rows: [("", 0, 0, 0); STAGES],
                len: 0,
                missing: false,
            };
            for stats in iter {
                match stats {
                    Some(s) if counts.len < STAGES => {
                        counts.rows[counts.len] = (s.name, s.calls, s.total_ticks, s.max_ticks);
                        counts.len += 1;
                    }
                    _ => counts.missing = true,
                }
            }
            counts
        }
    }

    impl Counts {
        pub fn all_called(&self, times: u64) -> bool {
            !self.missing && self.len == STAGES && self.rows.iter().all(|r| r.1 == times)
        }
        pub fn longest_is_last(&self) -> bool {
            let last = self.rows[STAGES - 1].2;
            !self.missing && self.rows[..STAGES - 1].iter().all(|r| r.2 < last)
        }
        pub fn calls(&self) -> [u64; STAGES] {
            self.rows.map(|r| r.1)
        }
        pub fn totals(&self) -> [u64; STAGES] {
            self.rows.map(|r| r.2)
        }
        pub fn rows(&self) -> impl Iterator<Item = (&'static str, u64, u64, u64)> + '_ {
            self.rows[..self.len].iter().copied()
        }
    }
}
