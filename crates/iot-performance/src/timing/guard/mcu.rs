//! The scope hot path on MCUs (`mcu_scope_path`: no 64-bit atomics, no
//! `detailed-profiling`). The common case — profiling enabled, site registered, clock a
//! counter register — costs one pointer test at entry, two inline register reads and the
//! masked counter update; everything else goes to shared out-of-line functions, so that
//! the code repeated at each call site stays small.
//!
//! On Arm the guard carries the register's address from entry to exit ([`ExitClock`]):
//! the exit tests that one pointer (null: a disarmed guard, or the general exit) and
//! reads the register the start was read from, with no global to load again. The exit
//! takes the guard's words as arguments, in registers.

use super::ScopeGuard;
use crate::clock;
use crate::timing::counters::SlotCounters;
use crate::timing::detail_fields::DetailFrame;
use crate::timing::registry::CallSite;

/// What an exit needs beyond the slot and the start to take the fast path: on Arm the
/// counter register the start was read from, or null — a disarmed guard (nothing to
/// record), or one armed by the general path (the general exit, which reads the clock
/// function or the register through [`clock::stamp`], as the general entry did).
///
/// Elsewhere (RISC-V) nothing: the exit loads the installed register again and tests
/// the slot. A third word kept across the scope's body takes one more saved register
/// there, which costs more flash at every call site (≈ 14 bytes on riscv32imc) than the
/// shared exit's three instructions; on Arm it is one more register in the same `push`.
#[cfg(target_arch = "arm")]
#[derive(Debug, Clone, Copy)]
pub(super) struct ExitClock(*const u32);

/// See the Arm variant.
#[cfg(not(target_arch = "arm"))]
#[derive(Debug, Clone, Copy)]
pub(super) struct ExitClock;

// SAFETY: the address is null or comes from a `CounterRegister`, whose contract makes it
// valid for volatile reads from any context for the rest of the program; nothing else is
// reached through it.
#[cfg(target_arch = "arm")]
unsafe impl Send for ExitClock {}
// SAFETY: as for `Send`: reading the register from several contexts is allowed.
#[cfg(target_arch = "arm")]
unsafe impl Sync for ExitClock {}

impl ExitClock {
    /// The general exit.
    #[cfg(target_arch = "arm")]
    pub(super) const GENERAL: ExitClock = ExitClock(core::ptr::null());
    /// The general exit (decided at the exit).
    #[cfg(not(target_arch = "arm"))]
    pub(super) const GENERAL: ExitClock = ExitClock;

    /// The exit of a scope whose start was read from `counter` (non-null).
    #[inline(always)]
    fn fast(counter: *const u32) -> Self {
        #[cfg(target_arch = "arm")]
        return ExitClock(counter);
        #[cfg(not(target_arch = "arm"))]
        {
            let _ = counter;
            ExitClock
        }
    }

    /// The slot and the register of the fast exit, or `None` for the general one.
    #[inline(always)]
    fn fast_exit(
        self,
        slot: Option<&'static SlotCounters>,
    ) -> Option<(&'static SlotCounters, *const u32)> {
        #[cfg(target_arch = "arm")]
        {
            if self.0.is_null() {
                return None;
            }
            // SAFETY: only `enter`'s common case builds a guard with a non-null
            // `ExitClock`, and it builds it with `Some(slot)`; the guard's fields are
            // private to this module and `super`, which build no other.
            Some((unsafe { slot.unwrap_unchecked() }, self.0))
        }
        #[cfg(not(target_arch = "arm"))]
        {
            let slot = slot?;
            let counter = clock::register();
            (!counter.is_null()).then_some((slot, counter))
        }
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
                exit: ExitClock::fast(counter),
                frame: DetailFrame::UNTRACKED,
            };
            #[cfg(feature = "trace")]
            crate::trace::scope_enter(slot, guard.start);
            return guard;
        }
        let (slot, start) = Self::enter_general(site);
        Self {
            slot,
            start,
            exit: ExitClock::GENERAL,
            frame: DetailFrame::UNTRACKED,
        }
    }

    /// Everything but the common case, shared by every call site. It returns the two
    /// words that vary (in registers; a whole guard would be returned through memory),
    /// the call site adds the general exit.
    #[cold]
    #[inline(never)]
    fn enter_general(site: &'static CallSite) -> (Option<&'static SlotCounters>, clock::Stamp) {
        // Not dropped: its parts go on in the caller's guard (the nesting frame is
        // zero-sized here and untracked).
        let guard = core::mem::ManuallyDrop::new(Self::open(site));
        (guard.slot, guard.start)
    }

    /// Records the call of an armed scope: one shared exit, given the guard's words as
    /// arguments (in registers: a by-reference guard would be stored and loaded).
    #[inline(always)]
    pub(super) fn close(&self) {
        exit(self.slot, self.start, self.exit, self.frame);
    }
}

/// A scope's exit. The common case tests the register's address, reads the register the
/// start was read from and calls nothing. (The nesting frame it closes is zero-sized
/// here: `mcu_scope_path` excludes `detailed-profiling`.)
#[inline(never)]
fn exit(
    slot: Option<&'static SlotCounters>,
    start: clock::Stamp,
    clock: ExitClock,
    frame: DetailFrame,
) {
    let Some((slot, counter)) = clock.fast_exit(slot) else {
        // A disarmed guard (profiling disabled) returns here, without a second call.
        if let Some(slot) = slot {
            exit_general(slot, start, frame);
        }
        return;
    };
    let end = clock::read_raw(counter);
    let ticks = clock::elapsed(start, end);
    slot.record_call(ticks);
    frame.exit(slot, ticks);
    // Last: with a ring, a tail call (nothing to keep across it).
    #[cfg(feature = "trace")]
    crate::trace::scope_exit(slot, end);
}

/// The exit of a scope armed by the general path: a function clock (MCUs without a
/// counter register), or the first call of a call site.
#[cold]
#[inline(never)]
fn exit_general(slot: &'static SlotCounters, start: clock::Stamp, frame: DetailFrame) {
    let end = clock::stamp();
    #[cfg(feature = "trace")]
    crate::trace::scope_exit(slot, end);
    // The counter update timed interrupts share (the fast exit keeps its own copy inline:
    // a call there would add to every scope's cost).
    slot.record_span(start, end);
    frame.exit(slot, clock::elapsed(start, end));
}
