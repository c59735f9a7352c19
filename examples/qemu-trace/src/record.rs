//! The run as `iot-perf record` stores it: wire frames on semihosting **stdout** (the
//! session, the streamed trace, the scope, task and interrupt tables and a snapshot),
//! while the check lines go to stderr. So
//! `iot-perf record --exec qemu-system-arm … -kernel qemu-trace` keeps the trace with the
//! run, and `iot-perf export --format perfetto` / `iot-perf report --format html` show it.

use iot_performance::memory::stack::{self, StackRegion};
use iot_performance::wire::{ByteSink, Reporter, SinkFull, SnapshotRecord};
use iot_performance::{clock, embassy, interrupts};
use semihosting::io::Write as _;

use crate::{HEAP, TIMER_ISR};

unsafe extern "C" {
    /// Start of `.data` (cortex-m-rt's and riscv-rt's `link.x`).
    static __sdata: u8;
    /// End of `.bss`.
    static __ebss: u8;
}

/// Semihosting stdout as a frame sink; a failed write counts as a dropped frame.
pub struct Stdout(semihosting::io::Stdout);

impl ByteSink for Stdout {
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
        self.0.write_all(frame).map_err(|_| SinkFull)
    }
}

/// The reporter on stdout, after the session record; `None` without a semihosting stdout.
pub fn start(device: &str) -> Option<Reporter<Stdout>> {
    // The stack's deepest use, measured from here on (for the snapshot).
    stack::paint(&StackRegion::main_stack()).ok()?;
    let mut reporter = Reporter::new(Stdout(semihosting::io::stdout().ok()?));
    reporter.session(
        device,
        concat!("qemu-trace ", env!("CARGO_PKG_VERSION")),
        clock::ticks_per_second(),
    );
    Some(reporter)
}

/// Sends the tables the host names the trace with — scope slots, task slots, interrupt
/// handlers — and a snapshot with the traced run's CPU load (0–1).
pub fn tables_and_snapshot(reporter: &mut Reporter<Stdout>, cpu_load: f64) {
    let now_us = clock::ticks_to_us(clock::now(), clock::ticks_per_second());
    reporter.scope_table(now_us);
    reporter.task_table(now_us);
    reporter.interrupt_table(now_us, [&TIMER_ISR]);
    let region = StackRegion::main_stack();
    let used = stack::high_water_mark(&region);
    // Only the linker symbols' addresses are taken.
    let (data, bss_end) = (&raw const __sdata as u64, &raw const __ebss as u64);
    let executor = embassy::executor_summary();
    reporter.snapshot_record(&SnapshotRecord {
        timestamp_us: now_us,
        heap_used: HEAP.used() as u64,
        heap_free: HEAP.free() as u64,
        heap_total: crate::HEAP_SIZE as u64,
        stack_used: used as u64,
        stack_free: (region.size() - used) as u64,
        static_memory: bss_end.saturating_sub(data),
        fragmentation: None,
        cpu_utilization: (cpu_load * 100.0) as f32,
        uptime_ms: now_us / 1000,
        task_count: u32::try_from(executor.task_count).unwrap_or(u32::MAX),
        interrupt_count: interrupts::total(),
        context_switches: executor.context_switches,
        temperature: None,
    });
}
