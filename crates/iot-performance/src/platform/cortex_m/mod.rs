//! The Cortex-M backend (feature `cortex-m`).
//!
//! | metric | source |
//! |---|---|
//! | clock | DWT `CYCCNT` extended to 64 bits when it advances; otherwise SysTick (value + wraps accounted by [`on_systick`] or by the read that sees them first) — QEMU emulates no DWT counter |
//! | profiler clock | with DWT, scopes read `CYCCNT` itself ([`crate::timing::set_counter_clock`]); otherwise the SysTick clock. On nRF51-class parts (ARMv6-M), `CortexMMetrics::use_nrf_timer` makes an nRF `TIMER`, read through its capture task, the profiler clock (52 instructions per scope under QEMU against SysTick's 185). A board with another free-running 32-bit up-counter can install it the same way |
//! | ticks per second | the core clock: `(SYST_RVR + 1) × systick_frequency` |
//! | stack | high-water mark of the main stack, painted at creation, from cortex-m-rt's `_stack_end`/`_stack_start` |
//! | static memory | `.data` + `.bss` from cortex-m-rt's `__sdata`…`__ebss` |
//! | heap | the heap given to [`CortexMMetrics::with_heap`] (fragmentation measured) or the reader given to [`CortexMMetrics::with_heap_reader`]; zero until one is given |
//! | CPU | idle time from the Embassy hooks or [`wait_for_interrupt`]; `NaN` if nothing reports idle time |
//! | tasks, context switches | Embassy hooks (feature `embassy`); otherwise 1 and 0 |
//! | interrupts | [`crate::interrupts`] |
//! | temperature | `None`: the core has no sensor |
//! | MPU (`mpu_monitoring`) | regions from the MPU registers; MemManage faults counted by the library's handler (feature `mpu-fault-handler`: record, then reset) or by [`record_memmanage_fault`] from yours — see [`MpuStatus`] |
//!
//! ## The fault handler and its policy
//! With feature `mpu-fault-handler` the library defines the `MemoryManagement` exception
//! handler (cortex-m-rt's vector entry), and [`CortexMMetrics::new`] with
//! `mpu_monitoring: true` enables the MemManage exception (`SHCSR.MEMFAULTENA`), so a
//! fault lands there instead of escalating to HardFault. The application writes no
//! handler. A MemManage fault means code touched memory the MPU forbids (a stack running
//! into a guard region, a wild pointer): returning would run the faulting instruction
//! again, so the handler
//!
//! 1. records the fault — count, fault address (`MMFAR`, when valid) and status
//!    (`MMFSR`) — in a record kept in `.uninit` RAM, which a reset does not clear;
//! 2. resets the device (`SCB::sys_reset`).
//!
//! After the reboot, [`CortexMMetrics::mpu_status`] reports the faults recorded
//! across resets (until power is lost), and the application decides what to report.
//! An application that defines its own `MemoryManagement` handler leaves the feature off
//! (both definitions would fail the link as a duplicate symbol) and calls
//! [`record_memmanage_fault`] from it, keeping its own policy.
//!
//! ARMv6-M cores have no MemManage exception: there the count stays at what
//! [`record_memmanage_fault`] was told.
//!
//! SysTick must already run at `systick_frequency` (your time driver or RTOS sets it up)
//! and its handler must call [`on_systick`] first thing: see [`CortexMMetrics`] for a
//! start-up example.

// Register-free: the SysTick wrap protocol and its timer model, compiled and tested everywhere.
#[cfg_attr(not(feature = "cortex-m"), allow(dead_code))]
mod systick;

#[cfg(feature = "cortex-m")]
mod backend;
#[cfg(feature = "cortex-m")]
mod clock;
#[cfg(feature = "cortex-m")]
mod mpu;

#[cfg(feature = "cortex-m")]
pub use backend::{CortexMConfig, CortexMMetrics, on_systick, wait_for_interrupt};
#[cfg(feature = "cortex-m")]
pub use clock::{ClockSource, now_ticks};
#[cfg(feature = "cortex-m")]
pub use mpu::{MpuStatus, record_memmanage_fault};

#[cfg(feature = "cortex-m")]
pub use crate::platform::firmware::HeapReader;
