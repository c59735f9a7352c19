//! The scope hot path wherever `mcu_scope_path` is not set: hosts and other targets with
//! 64-bit atomics, and MCUs built with `detailed-profiling`. Both ends read the clock
//! function ([`clock::stamp`]); the exit also closes the nesting-stack frame (nothing
//! without `detailed-profiling`).

use super::ScopeGuard;
use crate::clock;
use crate::timing::registry::CallSite;

/// Nothing to carry from entry to exit: both ends read the clock function.
#[derive(Debug, Clone, Copy)]
pub(super) struct ExitClock;

impl ExitClock {
    /// Every guard's.
    pub(super) const GENERAL: ExitClock = ExitClock;

    /// The end of the scope.
    #[inline(always)]
    fn end(self) -> clock::Stamp {
        clock::stamp()
    }
}

impl ScopeGuard {
    /// Opens a scope for `site`; does nothing while profiling is disabled or when the
    /// registry had no room for the site (the call is then counted as dropped).
    ///
    /// Inline on hosts (speed); one shared copy on MCUs with `detailed-profiling`, whose
    /// entry (nesting stack) would otherwise be repeated at every call site.
    #[cfg_attr(target_has_atomic = "64", inline(always))]
    #[cfg_attr(not(target_has_atomic = "64"), inline(never))]
    pub fn enter(site: &'static CallSite) -> Self {
        Self::open(site)
    }

    /// Records the call of an armed scope.
    #[inline(always)]
    pub(super) fn close(&self) {
        let Some(slot) = self.slot else { return };
        let end = self.exit.end();
        #[cfg(feature = "trace")]
        crate::trace::scope_exit(slot, end);
        let ticks = clock::elapsed(self.start, end);
        slot.record_call(ticks);
        self.frame.exit(slot, ticks);
    }
}
