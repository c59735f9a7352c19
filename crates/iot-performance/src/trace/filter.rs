//! Run-time filters: which kinds, scopes and tasks are traced, and idle coalescing.
//!
//! Everything is on by default. A filtered event costs its check and nothing else: it
//! takes no slot in the ring, so tracing a few tasks of a busy system does not overflow it.
//! The checks are native loads: no critical section per check on chips
//! without compare-and-swap.

use portable_atomic::{AtomicBool, AtomicU32, Ordering};

use super::event::EventKind;
use super::ring::{native, native_bool};
use crate::timing::SCOPE_CAPACITY;
#[cfg(feature = "embassy")]
use crate::timing::embassy::TASK_CAPACITY;
#[cfg(not(feature = "embassy"))]
const TASK_CAPACITY: usize = 1;

/// Bit per kind code; set = traced.
static KINDS: AtomicU32 = AtomicU32::new(u32::MAX);

/// Set bit = this scope is *not* traced.
static SCOPES_OFF: [AtomicU32; SCOPE_CAPACITY.div_ceil(32)] =
    [const { AtomicU32::new(0) }; SCOPE_CAPACITY.div_ceil(32)];

/// Set once any scope was turned off: until then the scope check is this one load.
static SOME_SCOPE_OFF: AtomicBool = AtomicBool::new(false);

/// Set bit = this task is *not* traced.
static TASKS_OFF: [AtomicU32; TASK_CAPACITY.div_ceil(32)] =
    [const { AtomicU32::new(0) }; TASK_CAPACITY.div_ceil(32)];

/// True after an idle event until the next poll: further idle calls are not recorded.
static IDLE_OPEN: AtomicBool = AtomicBool::new(false);

/// Traces only the kinds whose [`EventKind::bit`] is set in `mask`.
///
/// ```
/// use iot_performance::trace::{self, EventKind};
///
/// trace::set_kind_mask(!EventKind::Idle.bit()); // everything but idle
/// assert!(!trace::kind_enabled(EventKind::Idle));
/// assert!(trace::kind_enabled(EventKind::PollBegin));
/// trace::set_kind_mask(u32::MAX);
/// ```
pub fn set_kind_mask(mask: u32) {
    KINDS.store(mask, Ordering::Relaxed);
}

/// Turns one kind on or off.
pub fn set_kind_enabled(kind: EventKind, on: bool) {
    if on {
        KINDS.fetch_or(kind.bit(), Ordering::Relaxed);
    } else {
        KINDS.fetch_and(!kind.bit(), Ordering::Relaxed);
    }
}

/// True when events of `kind` are traced.
#[inline(always)]
pub fn kind_enabled(kind: EventKind) -> bool {
    native(&KINDS).load(Ordering::Relaxed) & kind.bit() != 0
}

fn set_bit(set: &[AtomicU32], index: usize, off: bool) -> bool {
    let Some(word) = set.get(index / 32) else {
        return false;
    };
    let bit = 1 << (index % 32);
    if off {
        word.fetch_or(bit, Ordering::Relaxed);
    } else {
        word.fetch_and(!bit, Ordering::Relaxed);
    }
    true
}

#[inline(always)]
fn bit_clear(set: &[AtomicU32], index: u32) -> bool {
    match set.get(index as usize / 32) {
        Some(word) => native(word).load(Ordering::Relaxed) & (1 << (index % 32)) == 0,
        None => true,
    }
}

/// Traces the scope in registry slot `index` or not (see [`crate::trace::scope_index`]);
/// false when the index is past [`SCOPE_CAPACITY`].
pub fn set_scope_enabled(index: usize, on: bool) -> bool {
    if !on {
        SOME_SCOPE_OFF.store(true, Ordering::Relaxed);
    }
    set_bit(&SCOPES_OFF, index, !on)
}

/// False until a scope was turned off (then [`scope_enabled`] decides).
#[inline(always)]
pub(super) fn some_scope_off() -> bool {
    native_bool(&SOME_SCOPE_OFF).load(Ordering::Relaxed)
}

/// Traces the Embassy task in task-table slot `index` or not; false when the index is past
/// the table.
pub fn set_task_enabled(index: usize, on: bool) -> bool {
    set_bit(&TASKS_OFF, index, !on)
}

#[inline(always)]
pub(super) fn scope_enabled(index: u32) -> bool {
    bit_clear(&SCOPES_OFF, index)
}

#[cfg(feature = "embassy")]
#[inline(always)]
pub(super) fn task_enabled(index: u32) -> bool {
    bit_clear(&TASKS_OFF, index)
}

#[cfg(feature = "embassy")]
/// True when this idle event opens an idle period (the previous executor event was no idle).
pub(super) fn idle_opens() -> bool {
    !IDLE_OPEN.swap(true, Ordering::Relaxed)
}

#[cfg(feature = "embassy")]
/// A poll ends the idle period.
pub(super) fn idle_closes() {
    IDLE_OPEN.store(false, Ordering::Relaxed);
}

/// Every filter back to its default (everything traced).
pub fn reset_filters() {
    KINDS.store(u32::MAX, Ordering::Relaxed);
    SOME_SCOPE_OFF.store(false, Ordering::Relaxed);
    for word in SCOPES_OFF.iter().chain(TASKS_OFF.iter()) {
        word.store(0, Ordering::Relaxed);
    }
    IDLE_OPEN.store(false, Ordering::Relaxed);
}
