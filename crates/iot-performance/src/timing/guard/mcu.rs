//! The scope hot path on MCUs (`mcu_scope_path`: no 64-bit atomics, no
//! `detailed-profiling`). The common case — profiling enabled, site registered, clock a
//! counter register — costs one pointer test at entry, two inline register reads and the
//! masked counter update; everything else goes to shared out-of-line functions, so that
//! the code repeated at each call site stays small.

use super::ScopeGuard;
use crate::clock;
use crate::timing::counters::SlotCounters;
use crate::timing::detail_fields::DetailFrame;
use crate::timing::registry::CallSite;

impl ScopeGuard {
    /// Opens a scope for `site`; does nothing while profiling is disabled or when the
    /// registry had no room for the site (the call is then counted as dropped).
    ///
    /// On MCUs (no 64-bit atomics) the common case — enabled, site registered,
    /// counter-register clock — tests one pointer for the first two and reads the
    /// register; it is inline (≈ 28 bytes per call site), everything else (disabled
    /// included) goes to one shared out-of-line path. The `compact-scopes` feature makes
    /// the entry one shared function instead: a call per scope (≈ 6 instructions more)
    /// for ≈ 28 bytes less per call site.
    #[cfg_attr(not(feature = "compact-scopes"), inline(always))]
    #[cfg_attr(feature = "compact-scopes", inline(never))]
    pub fn enter(site: &'static CallSite) -> Self {
        // Null while profiling is disabled or without a counter-register clock.
        let counter = clock::fast_register();
        if let Some(slot) = site.cached_counters()
            && !counter.is_null()
        {
            let guard = Self {
                slot: Some(slot),
                start: clock::read_raw(counter),
                frame: DetailFrame::UNTRACKED,
            };
            #[cfg(feature = "trace")]
            crate::trace::scope_enter(slot, guard.start);
            return guard;
        }
        Self::enter_general(site)
    }

    /// Everything but the common case, shared by every call site.
    #[cold]
    #[inline(never)]
    fn enter_general(site: &'static CallSite) -> Self {
        Self::open(site)
    }

    /// Records the armed scope's call into `slot`. The common case reads the counter
    /// register and calls nothing. (The nesting frame it closes is zero-sized here:
    /// `mcu_scope_path` excludes `detailed-profiling`.)
    #[inline(always)]
    pub(super) fn close(&self, slot: &'static SlotCounters) {
        let counter = clock::register();
        if counter.is_null() {
            return exit_general(slot, self.start, self.frame);
        }
        let end = clock::read_raw(counter);
        let ticks = clock::elapsed(self.start, end);
        slot.record_call(ticks);
        self.frame.exit(slot, ticks);
        // Last: with a ring, a tail call (nothing to keep across it).
        #[cfg(feature = "trace")]
        crate::trace::scope_exit(slot, end);
    }
}

/// A scope's exit with a function clock (MCUs without a counter register).
#[cold]
#[inline(never)]
fn exit_general(slot: &'static SlotCounters, start: clock::Stamp, frame: DetailFrame) {
    let end = clock::stamp();
    #[cfg(feature = "trace")]
    crate::trace::scope_exit(slot, end);
    let ticks = clock::elapsed(start, end);
    slot.record_call(ticks);
    frame.exit(slot, ticks);
}
