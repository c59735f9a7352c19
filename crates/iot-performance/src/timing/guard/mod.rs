//! [`ScopeGuard`]: measures from its creation to its drop; and the `profile_block!` macro.
//!
//! What every target shares is here: the guard, opening a scope by site or by name, and
//! the drop that hands an armed guard to `close`. The hot path itself — `enter` and
//! `close` — has two variants, chosen once below by `cfg(mcu_scope_path)` (set by
//! `build.rs` for targets without 64-bit atomics when `detailed-profiling` is off):
//!
//! - `host.rs`: read the clock function, record, and split self time under
//!   `detailed-profiling` (hosts, 64-bit chips, and MCUs with that feature);
//! - `mcu.rs`: test one cached pointer and read the counter register inline, keep the
//!   register's address in the guard for the exit, with everything else on one shared
//!   out-of-line path (≈ 28 instructions per scope on a Cortex-M3).

#[cfg(not(mcu_scope_path))]
mod host;
#[cfg(mcu_scope_path)]
mod mcu;

#[cfg(not(mcu_scope_path))]
use host::ExitClock;
#[cfg(mcu_scope_path)]
use mcu::ExitClock;

use super::counters::SlotCounters;
use super::detail_fields::DetailFrame;
use super::is_enabled;
use super::registry::{self, CallSite};
use crate::clock;

/// Opens a named timing scope that lasts until the returned guard is dropped.
///
/// The name must be a string literal or another `&'static str` constant: each call site
/// registers once and then caches its slot, so a scope costs two clock reads and a few
/// relaxed atomic adds, or one load and a branch while profiling is disabled.
///
/// ```
/// use iot_performance::{profile_block, timing};
///
/// fn read_sensor() -> u16 { 21 }
///
/// let value = {
///     let _timer = profile_block!("doc_sensor_reading");
///     read_sensor()
/// };
/// assert_eq!(value, 21);
/// assert_eq!(timing::scope("doc_sensor_reading").unwrap().calls, 1);
/// ```
#[macro_export]
macro_rules! profile_block {
    ($name:expr $(,)?) => {{ $crate::timing::ScopeGuard::enter($crate::call_site!($name)) }};
}

/// An open timing scope: created by [`crate::profile_block!`],
/// [`crate::PerformanceMonitor::profile_block`] or `#[profile_function]`; records the
/// elapsed ticks into its scope when dropped.
#[must_use = "the scope ends when the guard is dropped: bind it with `let _timer = ...`"]
#[derive(Debug)]
pub struct ScopeGuard {
    slot: Option<&'static SlotCounters>,
    start: clock::Stamp,
    /// What the exit reads the clock through (MCUs: the counter register `start` was
    /// read from, or null for the general exit; zero-sized elsewhere).
    exit: ExitClock,
    /// The scope's nesting-stack frame (`detailed-profiling`; zero-sized without it).
    frame: DetailFrame,
}

impl ScopeGuard {
    const DISARMED: ScopeGuard = ScopeGuard {
        slot: None,
        start: 0,
        exit: ExitClock::GENERAL,
        frame: DetailFrame::UNTRACKED,
    };

    /// Opens a scope for `site` by the general path: tests the switch, registers the
    /// site on its first call, reads the clock function.
    #[inline(always)]
    fn open(site: &'static CallSite) -> Self {
        if !is_enabled() {
            return Self::DISARMED;
        }
        Self::arm(site.counters())
    }

    /// Opens a scope by a run-time name: a lookup over the registered names on every call
    /// (prefer `profile_block!` in tight loops).
    pub fn enter_named(name: &'static str) -> Self {
        if !is_enabled() {
            return Self::DISARMED;
        }
        Self::arm(registry::register(name, false, false))
    }

    #[inline(always)]
    fn arm(slot: &'static SlotCounters) -> Self {
        let guard = Self {
            slot: Some(slot),
            frame: DetailFrame::enter(registry::index_of(slot)),
            start: clock::stamp(),
            exit: ExitClock::GENERAL,
        };
        #[cfg(feature = "trace")]
        crate::trace::scope_enter(slot, guard.start);
        guard
    }

    /// True when this guard will record a measurement (not while profiling is disabled,
    /// nor for a scope the full registry could not take: its call is only counted).
    pub fn is_recording(&self) -> bool {
        self.slot.is_some_and(registry::is_measured)
    }
}

impl Drop for ScopeGuard {
    #[inline(always)]
    fn drop(&mut self) {
        self.close();
    }
}
