//! What the firmware sends besides its scope table: a system snapshot per report, so a
//! capture fills the report's memory and CPU sections. This firmware has no heap (its heap
//! figures are zero, truthfully); the stack in use is read from the stack pointer, static
//! memory from cortex-m-rt's section symbols, and the CPU load from the share of each
//! report window the loop spent working instead of sleeping in `wfi`.

use iot_performance::wire::SnapshotRecord;

unsafe extern "C" {
    /// Top of the stack (cortex-m-rt's `link.x`).
    static _stack_start: u32;
    /// Start of `.data`.
    static __sdata: u32;
    /// End of `.bss`.
    static __ebss: u32;
}

/// Busy and total core cycles of one report window.
#[derive(Clone, Copy, Default)]
pub struct Window {
    /// Cycles spent working.
    pub busy: u64,
    /// Cycles in the window.
    pub total: u64,
}

/// The snapshot at `now_us`, after `interrupts` SysTick entries.
pub fn snapshot(now_us: u64, window: Window, interrupts: u32) -> SnapshotRecord {
    let top = (&raw const _stack_start) as u64;
    let statics_start = (&raw const __sdata) as u64;
    let statics_end = (&raw const __ebss) as u64;
    let sp = u64::from(cortex_m::register::msp::read());
    SnapshotRecord {
        timestamp_us: now_us,
        heap_used: 0,
        heap_free: 0,
        heap_total: 0,
        stack_used: top.saturating_sub(sp),
        stack_free: sp.saturating_sub(statics_end),
        static_memory: statics_end.saturating_sub(statics_start),
        fragmentation: None,
        cpu_utilization: if window.total == 0 {
            0.0
        } else {
            (window.busy as f64 * 100.0 / window.total as f64) as f32
        },
        uptime_ms: now_us / 1000,
        task_count: 1,
        interrupt_count: u64::from(interrupts),
        context_switches: 0,
        temperature: None,
    }
}
