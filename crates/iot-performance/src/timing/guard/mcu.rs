//! The scope hot path on MCUs (`mcu_scope_path`: no 64-bit atomics, no
//! `detailed-profiling`). The common case — profiling enabled, site registered, clock a
//! counter register — costs one pointer test at entry, two inline register reads and the
//! masked counter update; everything else goes to shared out-of-line functions, so that
//! the code repeated at each call site stays small.
//!
//! The guard carries the register's address from entry to exit ([`ExitClock`]): the exit
//! tests that one pointer (null: the general exit, which also handles a disarmed guard)
//! and reads the register the start was read from, with no global to load again.

use super::ScopeGuard;
use crate::clock;
use crate::timing::counters::SlotCounters;
use crate::timing::detail_fields::DetailFrame;
use crate::timing::registry::CallSite;

/// The counter register an armed scope's start was read from, or null: a disarmed
/// guard, or a scope timed by a function clock (both take the general exit).
#[derive(Debug, Clone, Copy)]
pub(super) struct ExitClock(*const u32);

// SAFETY: the address is null or comes from a `CounterRegister`, whose contract makes it
// valid for volatile reads from any context for the rest of the program; nothing else is
// reached through it.
unsafe impl Send for ExitClock {}
// SAFETY: as for `Send`: reading the register from several contexts is allowed.
unsafe impl Sync for ExitClock {}

impl ExitClock {
    /// The general exit: a disarmed guard, or a function clock.
    pub(super) const GENERAL: ExitClock = ExitClock(core::ptr::null());

    /// The start of a scope armed by the general path, and the clock its exit reads:
    /// the installed register, or the clock function (null).
    #[inline(always)]
    pub(super) fn start() -> (Self, clock::Stamp) {
        let counter = clock::register();
        if counter.is_null() {
            return (Self::GENERAL, clock::stamp_from_function_clock());
        }
        (ExitClock(counter), clock::read_raw(counter))
    }
}

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
                exit: ExitClock(counter),
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

    /// Records the call of an armed scope: one shared exit, given the guard's three
    /// words as arguments (in registers: a by-reference guard would be stored and loaded).
    #[inline(always)]
    pub(super) fn close(&self) {
        exit(self.exit, self.slot, self.start);
    }
}

/// A scope's exit. The common case tests the register's address, reads the register the
/// start was read from and calls nothing. (The nesting frame it closes is zero-sized
/// here: `mcu_scope_path` excludes `detailed-profiling`.)
#[inline(never)]
fn exit(clock: ExitClock, slot: Option<&'static SlotCounters>, start: clock::Stamp) {
    let counter = clock.0;
    if counter.is_null() {
        return exit_general(slot, start);
    }
    // SAFETY: a guard has a non-null `exit` only when armed (`enter`'s common case and
    // `ExitClock::start` both build it with `Some(slot)`), and its fields are private to
    // this module and `super`, which build no other.
    let slot = unsafe { slot.unwrap_unchecked() };
    let end = clock::read_raw(counter);
    slot.record_call(clock::elapsed(start, end));
    // Last: with a ring, a tail call (nothing to keep across it).
    #[cfg(feature = "trace")]
    crate::trace::scope_exit(slot, end);
}

/// A scope's exit with a function clock (MCUs without a counter register), or a
/// disarmed guard's (nothing to record).
#[cold]
#[inline(never)]
fn exit_general(slot: Option<&'static SlotCounters>, start: clock::Stamp) {
    let Some(slot) = slot else { return };
    let end = clock::stamp();
    #[cfg(feature = "trace")]
    crate::trace::scope_exit(slot, end);
    slot.record_call(clock::elapsed(start, end));
}
