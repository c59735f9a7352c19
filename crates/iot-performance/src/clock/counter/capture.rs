//! Counters read through a capture task: the nRF51/nRF52 `TIMER`, whose count is only
//! readable after a write to `TASKS_CAPTURE[n]` copies it into `CC[n]`.
//!
//! ARMv6-M cores (Cortex-M0/M0+, the nRF51) have no DWT `CYCCNT`, and their SysTick is
//! read through a function that builds a 64-bit time in a critical section. A `TIMER` run
//! as a free-running 32-bit counter is the cheap alternative. On ARMv6-M every counter
//! reading writes 1 to the word [`TASK`] points at, then loads the register: the capture
//! task of an nRF `TIMER`, or a scratch word for a plain counter register — a store with
//! no branch (a test of the counter's kind at each reading costs more on this core).
//!
//! Compiled for ARMv6-M, where [`super::CounterRegister::nrf_timer`] exists, and for the
//! host's unit tests; elsewhere a counter register is one plain load.

use core::sync::atomic::{AtomicPtr, AtomicU32, Ordering};

/// Offset of `CC[0]` from an nRF `TIMER`'s base address.
pub(super) const CC0: usize = 0x540;
/// Offset of `TASKS_CAPTURE[0]` from the base address.
pub(super) const CAPTURE0: usize = 0x040;
/// Capture channels of an nRF `TIMER` (4 on the nRF51; the nRF52's `TIMER3/4` have 6).
#[cfg_attr(test, allow(dead_code))] // read by `nrf_timer`, which is ARMv6-M only
pub(super) const CHANNELS: usize = 6;

/// What a plain counter register's readings write to.
static SCRATCH: AtomicU32 = AtomicU32::new(0);
/// The word each reading writes 1 to first: the installed `TIMER`'s capture task, or
/// `SCRATCH`.
static TASK: AtomicPtr<u32> = AtomicPtr::new(SCRATCH.as_ptr());

/// Sets what readings trigger before loading the register: `Some(capture task)` for an
/// nRF `TIMER`, `None` for a plain counter register. Called before the register is
/// published, so a reading of the new register triggers its own task. (While a clock is
/// replaced, a reading of the old register may trigger the new task once: a scope that
/// spans the change measures garbage with any clock.)
pub(super) fn set_task(task: Option<*mut u32>) {
    TASK.store(task.unwrap_or(SCRATCH.as_ptr()), Ordering::Relaxed);
}

/// Triggers the capture (or writes the scratch word), then reads `register`. An
/// interrupt that captures in between leaves a later value, still a reading taken inside
/// this one.
#[inline(always)]
pub(super) fn read(register: *const u32) -> u32 {
    let task = TASK.load(Ordering::Relaxed);
    // SAFETY: `TASK` holds `SCRATCH` or the capture task given by
    // `CounterRegister::nrf_timer`, whose contract makes it writable from any context for
    // the whole program; `register` is a non-null installed counter register (see
    // `read_raw`).
    unsafe {
        task.write_volatile(1);
        register.read_volatile()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stand-in for a `TIMER` block.
    static BLOCK: [AtomicU32; 0x160] = [const { AtomicU32::new(0) }; 0x160];

    #[test]
    fn a_reading_triggers_the_capture_task_then_reads_the_register() {
        let channel = 2;
        let cc = &BLOCK[(CC0 + 4 * channel) / 4];
        cc.store(0xC0FF_EE00, Ordering::Relaxed);
        set_task(Some(BLOCK[(CAPTURE0 + 4 * channel) / 4].as_ptr()));
        assert_eq!(read(cc.as_ptr()), 0xC0FF_EE00);
        // Only TASKS_CAPTURE[2] (offset 0x48) was written, with 1.
        for (word, value) in BLOCK[..0x20].iter().enumerate() {
            let expected = u32::from(word * 4 == 0x48);
            assert_eq!(
                value.load(Ordering::Relaxed),
                expected,
                "task at {:#x}",
                word * 4
            );
        }
        // A plain register: the scratch word takes the write.
        set_task(None);
        BLOCK[0x48 / 4].store(0, Ordering::Relaxed);
        assert_eq!(read(cc.as_ptr()), 0xC0FF_EE00);
        assert_eq!(BLOCK[0x48 / 4].load(Ordering::Relaxed), 0);
        assert_eq!(SCRATCH.load(Ordering::Relaxed), 1);
    }
}
