//! Scope timing: `profile_block!`, `#[profile_function]` (sync and `async`), and reports.
//!
//! Every scope has one slot in a static registry, found by name the first time its call
//! site runs and cached in a per-site `static` afterwards. Entering and leaving a scope
//! reads the profiler clock ([`now`], set with [`set_clock`]) twice and adds to the slot's
//! counters: no allocation, no lock on hosts, a short critical section on MCUs without
//! 64-bit atomics — safe from interrupts and from several threads.
//!
//! ```
//! use iot_performance::timing::{self, ManualClock};
//! use iot_performance::{TimingProfiler, profile_block};
//!
//! ManualClock::install(1_000_000); // 1 tick = 1 µs, moved by hand
//! {
//!     let _outer = profile_block!("doc_handle_message");
//!     ManualClock::advance(300);
//!     {
//!         let _inner = profile_block!("doc_parse");
//!         ManualClock::advance(200);
//!     }
//! }
//! let outer = timing::scope("doc_handle_message").unwrap();
//! assert_eq!((outer.calls, outer.total_ticks), (1, 500));
//!
//! # futures_executor::block_on(async {
//! let report = TimingProfiler::new().generate_report().await?;
//! assert_eq!(report.get("doc_parse").unwrap().metrics.execution_time_us, 200);
//! # Ok::<(), iot_performance::Error>(())
//! # }).unwrap();
//! # timing::reset_clock();
//! ```
//!
//! ## On firmware
//! Give the profiler a clock once, at start-up (the platform backends do this in their
//! constructors: DWT `CYCCNT` on Cortex-M when it counts, else SysTick; `mtime` on RISC-V).
//! The cheapest is a free-running 32-bit counter register, read inline by every scope:
//! [`set_counter_clock`] with a [`CounterRegister`]. On chips without 64-bit atomics a
//! scope keeps a 32-bit start time and measures each call as a wrapping 32-bit difference
//! (exact for calls shorter than 2³² ticks); totals are 64-bit. Any other time source is a
//! function; a 32-bit one is extended to 64 bits with [`extend_u32`]:
//!
//! ```
//! use iot_performance::timing;
//!
//! # fn read_cycle_counter() -> u32 { 1234 }
//! // e.g. `cortex_m::peripheral::DWT::cycle_count()` on a 64 MHz Cortex-M4
//! fn now() -> u64 {
//!     timing::extend_u32(read_cycle_counter())
//! }
//! timing::set_clock(now, 64_000_000);
//! assert_eq!(timing::ticks_per_second(), 64_000_000);
//! # timing::reset_clock();
//! ```
//!
//! On chips without 64-bit atomics each slot update is one short critical section, so
//! scopes may be opened in interrupt handlers too.
//!
//! ## Async functions
//! `#[profile_function]` on an `async fn` records, per call, the *wall* time from first
//! poll to completion and, per poll, the *busy* time the poll kept the CPU, and counts
//! polls: a task that waits on a sensor shows a long wall time and a short busy time.
//!
//! ## Capacity
//! [`SCOPE_CAPACITY`] names fit (64 unless the build sets `IOT_PERF_MAX_SCOPES`, e.g.
//! `IOT_PERF_MAX_SCOPES=16 cargo build` for a small MCU, where a slot costs 24 bytes of
//! RAM, about 200 with `detailed-profiling`); further call sites are counted in [`dropped`] and
//! cost a load and a branch, nothing else. Slots already registered are never disturbed.
//! Of those, [`ASYNC_SCOPE_CAPACITY`] can be `async fn`s that count polls, busy time and
//! cancellations (24 bytes more each on an MCU; as many as scopes unless the build sets
//! `IOT_PERF_MAX_ASYNC_SCOPES`, which may be 0 when no `async fn` is profiled). An async
//! scope beyond it is timed like a synchronous one: calls and wall time, no poll figures
//! (its `polls` and `busy_ticks` are `None`).
//!
//! ## Switching off
//! [`set_enabled`]`(false)` (or `MonitorConfig { timing_profiling: false, .. }` on a
//! monitor) turns every scope into one relaxed load and a branch on hosts, and into a
//! load, a branch and a call of the shared slow path on MCUs (whose fast path tests the
//! switch and the counter clock as one pointer).

mod counters;
#[cfg(feature = "detailed-profiling")]
mod detail;
mod detail_fields;
#[cfg(feature = "embassy")]
pub mod embassy;
mod future;
mod guard;
pub mod histogram;
pub(crate) mod idle;
pub mod interrupts;
mod name_start;
mod registry;
mod report;
mod scope_stats;
#[cfg_attr(not(feature = "embassy"), allow(dead_code))]
mod task_table;

// The clock scopes read is the crate's one clock; these are its installers and readers,
// re-exported where profiling code looks for them.
pub use crate::clock::{
    CounterRegister, ManualClock, extend_u32, now, reset_clock, set_clock, set_counter_clock,
    ticks_per_second,
};
#[cfg(feature = "trace")]
pub(crate) use counters::SlotCounters;
#[cfg(feature = "detailed-profiling")]
pub use detail::{
    CriticalPath, DetailLosses, EDGE_CAPACITY, MAX_DEPTH, PathStep, critical_path, detail_losses,
};
pub use future::{ProfiledFuture, profile_future};
pub use guard::ScopeGuard;
pub use registry::{
    ASYNC_SCOPE_CAPACITY, AsyncCallSite, AsyncSiteCache, CallSite, Dropped, SCOPE_CAPACITY,
    SiteCache, dropped,
};
#[cfg(feature = "trace")]
pub(crate) use registry::{find as scope_slot, index_of as scope_slot_index};
#[cfg(feature = "trace")]
pub(crate) use registry::{index_at as scope_slot_at, reference_of as scope_slot_reference};
pub use report::{ScopeTiming, SortKey, TimingProfiler, TimingReport};
pub use scope_stats::{ScopeStats, scope, scopes};

/// Switches every scope on or off (on at start-up). Scopes already open when it changes
/// still record.
pub fn set_enabled(enabled: bool) {
    crate::clock::set_gate(enabled);
}

/// True while scopes record.
#[inline(always)]
pub fn is_enabled() -> bool {
    crate::clock::gate_open()
}

/// Zeroes every scope's counters and the dropped-call count; names stay registered.
pub fn reset() {
    registry::reset_counters();
}
