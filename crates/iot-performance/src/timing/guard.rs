//! [`ScopeGuard`]: measures from its creation to its drop; and the `profile_block!` macro.

use super::counters::SlotCounters;
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
    ($name:expr $(,)?) => {{
        static __IOT_PERF_SITE: $crate::timing::CallSite = $crate::timing::CallSite::new($name);
        $crate::timing::ScopeGuard::enter(&__IOT_PERF_SITE)
    }};
}

/// An open timing scope: created by [`crate::profile_block!`],
/// [`crate::PerformanceMonitor::profile_block`] or `#[profile_function]`; records the
/// elapsed ticks into its scope when dropped.
#[must_use = "the scope ends when the guard is dropped: bind it with `let _timer = ...`"]
#[derive(Debug)]
pub struct ScopeGuard {
    slot: Option<&'static SlotCounters>,
    start: clock::Stamp,
    #[cfg(feature = "detailed-profiling")]
    frame: super::detail::nesting::Frame,
    #[cfg(feature = "detailed-profiling")]
    index: usize,
}

impl ScopeGuard {
    const DISARMED: ScopeGuard = ScopeGuard {
        slot: None,
        start: 0,
        #[cfg(feature = "detailed-profiling")]
        frame: super::detail::nesting::Frame::UNTRACKED,
        #[cfg(feature = "detailed-profiling")]
        index: 0,
    };

    /// Opens a scope for `site`; does nothing while profiling is disabled or when the
    /// registry had no room for the site (the call is then counted as dropped).
    ///
    /// Inline on hosts (speed); one shared copy on MCUs with `detailed-profiling`, whose
    /// entry (nesting stack) would otherwise be repeated at every call site.
    #[cfg(not(mcu_scope_path))]
    #[cfg_attr(target_has_atomic = "64", inline(always))]
    #[cfg_attr(not(target_has_atomic = "64"), inline(never))]
    pub fn enter(site: &'static CallSite) -> Self {
        Self::enter_general(site)
    }

    /// Opens a scope for `site`; does nothing while profiling is disabled or when the
    /// registry had no room for the site (the call is then counted as dropped).
    ///
    /// On MCUs (no 64-bit atomics) the common case — enabled, site registered,
    /// counter-register clock — tests one pointer for the first two and reads the
    /// register; it is inline (≈ 28 bytes per call site), everything else (disabled
    /// included) goes to one shared out-of-line path. The `compact-scopes` feature makes
    /// the entry one shared function instead: a call per scope (≈ 6 instructions more)
    /// for ≈ 28 bytes less per call site.
    #[cfg(mcu_scope_path)]
    #[cfg_attr(not(feature = "compact-scopes"), inline(always))]
    #[cfg_attr(feature = "compact-scopes", inline(never))]
    pub fn enter(site: &'static CallSite) -> Self {
        let counter = clock::fast_register();
        if let Some(slot) = site.cached_counters()
            && !counter.is_null()
        {
            return Self {
                slot: Some(slot),
                start: clock::read_raw(counter),
            };
        }
        Self::enter_general(site)
    }

    #[cfg_attr(mcu_scope_path, cold, inline(never))]
    #[cfg_attr(not(mcu_scope_path), inline(always))]
    fn enter_general(site: &'static CallSite) -> Self {
        if !is_enabled() {
            return Self::DISARMED;
        }
        match site.counters() {
            Some(slot) => Self::arm(slot),
            None => Self::DISARMED,
        }
    }

    /// Opens a scope by a run-time name: a lookup over the registered names on every call
    /// (prefer `profile_block!` in tight loops).
    pub fn enter_named(name: &'static str) -> Self {
        if !is_enabled() {
            return Self::DISARMED;
        }
        match registry::register(name, false, false).and_then(registry::counters) {
            Some(slot) => Self::arm(slot),
            None => Self::DISARMED,
        }
    }

    #[inline(always)]
    fn arm(slot: &'static SlotCounters) -> Self {
        #[cfg(feature = "detailed-profiling")]
        let index = registry::index_of(slot);
        Self {
            slot: Some(slot),
            #[cfg(feature = "detailed-profiling")]
            frame: super::detail::nesting::enter(index),
            #[cfg(feature = "detailed-profiling")]
            index,
            start: clock::stamp(),
        }
    }

    /// True when this guard will record a measurement.
    pub fn is_recording(&self) -> bool {
        self.slot.is_some()
    }
}

impl Drop for ScopeGuard {
    #[inline(always)]
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            #[cfg(mcu_scope_path)]
            {
                // The common case on MCUs reads the counter register and calls nothing.
                let counter = clock::register();
                if counter.is_null() {
                    return exit_general(slot, self.start);
                }
                let end = clock::read_raw(counter);
                slot.record_call(clock::elapsed(self.start, end));
            }
            #[cfg(not(mcu_scope_path))]
            {
                let ticks = clock::elapsed(self.start, clock::stamp());
                slot.record_call(ticks);
                #[cfg(feature = "detailed-profiling")]
                super::detail::nesting::exit(self.frame, self.index, slot, ticks);
            }
        }
    }
}

/// A scope's exit with a function clock (MCUs without a counter register).
#[cfg(mcu_scope_path)]
#[cold]
#[inline(never)]
fn exit_general(slot: &'static SlotCounters, start: clock::Stamp) {
    slot.record_call(clock::elapsed(start, clock::stamp()));
}
