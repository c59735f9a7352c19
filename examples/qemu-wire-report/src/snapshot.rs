//! What the firmware sends besides its tables: a system snapshot per report, so a capture
//! fills the report's memory and CPU sections. This firmware has no heap (its heap figures
//! are zero, truthfully); the stack in use is read from the stack pointer, static memory
//! from cortex-m-rt's section symbols, the CPU load from the busy time the Embassy hooks
//! measured in every task's polls over the report window, and the task count, task
//! switches and interrupt entries from the library's counters.

use iot_performance::wire::SnapshotRecord;
use iot_performance::{embassy, interrupts};

unsafe extern "C" {
    /// Top of the stack (cortex-m-rt's `link.x`).
    static _stack_start: u32;
    /// Start of `.data`.
    static __sdata: u32;
    /// End of `.bss`.
    static __ebss: u32;
}

/// Busy ticks of every followed task, summed.
fn busy_ticks() -> u64 {
    embassy::tasks().map(|t| t.busy_ticks).sum()
}

/// One report window: where it started in core cycles and in task busy time.
pub struct Window {
    start: u64,
    busy_at_start: u64,
}

impl Window {
    /// A window starting at `cycles`.
    pub fn start(cycles: u64) -> Self {
        Self {
            start: cycles,
            busy_at_start: busy_ticks(),
        }
    }

    /// The snapshot at `now_us` (`now` in core cycles); starts the next window.
    pub fn snapshot(&mut self, now_us: u64, now: u64) -> SnapshotRecord {
        let busy = busy_ticks();
        let total = now.saturating_sub(self.start);
        let cpu = if total == 0 {
            0.0
        } else {
            (busy.saturating_sub(self.busy_at_start) as f64 * 100.0 / total as f64) as f32
        };
        *self = Self {
            start: now,
            busy_at_start: busy,
        };
        let top = (&raw const _stack_start) as u64;
        let statics_start = (&raw const __sdata) as u64;
        let statics_end = (&raw const __ebss) as u64;
        let sp = u64::from(cortex_m::register::msp::read());
        let executor = embassy::executor_summary();
        SnapshotRecord {
            timestamp_us: now_us,
            heap_used: 0,
            heap_free: 0,
            heap_total: 0,
            stack_used: top.saturating_sub(sp),
            stack_free: sp.saturating_sub(statics_end),
            static_memory: statics_end.saturating_sub(statics_start),
            fragmentation: None,
            cpu_utilization: cpu,
            uptime_ms: now_us / 1000,
            task_count: u32::try_from(executor.task_count).unwrap_or(u32::MAX),
            interrupt_count: interrupts::total(),
            context_switches: executor.context_switches,
            temperature: None,
        }
    }
}
