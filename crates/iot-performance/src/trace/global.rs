//! The installed ring that the instrumentation writes to, and the emit functions.

use core::ptr;

// `core`'s atomics: these are only loaded and stored, which every target does natively
// (portable-atomic's fallback on chips without compare-and-swap would take a critical
// section per load).
use core::sync::atomic::{AtomicPtr, Ordering};

use super::event::EventKind;
use super::filter;
use super::ring::{Core, SCOPE_REF, TraceBuffer};
use crate::timing::{SlotCounters, scope_slot_index, scope_slot_reference};

/// The installed ring's bookkeeping (null: tracing off); set once, never changed. Its
/// slots follow it in memory (`TraceBuffer` is `repr(C)`).
static RING: AtomicPtr<Core> = AtomicPtr::new(ptr::null_mut());

/// Makes `buffer` the ring the instrumentation writes to: scopes, Embassy hooks,
/// interrupt guards, markers and values. The first call wins (the ring never changes
/// afterwards, so a writer never sees half of a switch); false when a ring was installed
/// already.
pub fn install<const N: usize>(buffer: &'static TraceBuffer<N>) -> bool {
    critical_section::with(|_| {
        if !RING.load(Ordering::Relaxed).is_null() {
            return false;
        }
        // The shape first: a writer that sees the ring but an older mask 0 uses its
        // first slot only (still inside it).
        buffer.core().set_shape(TraceBuffer::<N>::SHAPE);
        RING.store(ptr::from_ref(buffer.core()).cast_mut(), Ordering::Release);
        true
    })
}

/// True once a ring is installed.
pub fn is_installed() -> bool {
    !RING.load(Ordering::Relaxed).is_null()
}

/// The installed ring, if any: one load and a branch.
#[inline(always)]
fn ring() -> Option<&'static Core> {
    // SAFETY: `RING` is null or was set once, by `install`, to the bookkeeping of a
    // `&'static TraceBuffer`, which lives forever and is only accessed through atomics
    // (every bit pattern of it is valid, so even a stale view of it is sound).
    unsafe { RING.load(Ordering::Relaxed).as_ref() }
}

/// Writes an event of `kind` into `ring` unless its kind is filtered out.
#[inline(always)]
fn write(ring: &Core, kind: EventKind, id: u32, value: i32, stamp: u32) {
    if filter::kind_enabled(kind) {
        let (bits, arg) = Core::encode(kind, id, value);
        ring.write(ring.shape(), bits, arg, stamp);
    }
}

#[inline(always)]
fn emit(kind: EventKind, id: u32, value: i32, stamp: u32) {
    if let Some(ring) = ring() {
        write(ring, kind, id, value, stamp);
    }
}

/// The 32-bit stamp events carry (the low word of the one clock).
#[inline(always)]
pub(crate) fn stamp() -> u32 {
    // Truncation intended: events carry the low 32 bits, deltas wrap.
    #[allow(clippy::unnecessary_cast)] // u64 → u32 on hosts, u32 → u32 on MCUs
    let stamp = crate::clock::stamp() as u32;
    stamp
}

/// The scope of `slot` opened at `start` (the scope's own stamp).
#[inline(always)]
#[allow(clippy::unnecessary_cast)] // u64 → u32 on hosts, u32 → u32 on MCUs
pub(crate) fn scope_enter(slot: &'static SlotCounters, start: crate::clock::Stamp) {
    // Inline at every scope: one load and a branch while no ring is installed; the rest
    // is one shared, out-of-line function per kind (the kind a constant in it), so that
    // the scope's own code, its drop included, stays small.
    if let Some(ring) = ring() {
        scope_event::<{ EventKind::ScopeEnter as u8 }>(ring, slot, start as u32);
    }
}

/// The scope of `slot` closed at `end`.
#[inline(always)]
#[allow(clippy::unnecessary_cast)] // u64 → u32 on hosts, u32 → u32 on MCUs
pub(crate) fn scope_exit(slot: &'static SlotCounters, end: crate::clock::Stamp) {
    if let Some(ring) = ring() {
        scope_event::<{ EventKind::ScopeExit as u8 }>(ring, slot, end as u32);
    }
}

/// A scope event of kind code `KIND` into the installed `ring`.
#[inline(never)]
fn scope_event<const KIND: u8>(ring: &'static Core, slot: &'static SlotCounters, stamp: u32) {
    let kind = if KIND == EventKind::ScopeEnter as u8 {
        EventKind::ScopeEnter
    } else {
        EventKind::ScopeExit
    };
    // A reference to the slot that costs nothing to take (its counters' address on
    // MCUs), flagged: the reader turns it into the slot, not every event.
    if filter::kind_enabled(kind) && (!filter::some_scope_off() || scope_enabled(slot)) {
        let bits = u32::from(KIND) | SCOPE_REF;
        ring.write(ring.shape(), bits, scope_slot_reference(slot), stamp);
    }
}

/// The scope filter's verdict (only asked once a scope was turned off).
#[cold]
#[inline(never)]
fn scope_enabled(slot: &'static SlotCounters) -> bool {
    filter::scope_enabled(scope_slot_index(slot) as u32)
}

#[cfg(feature = "embassy")]
/// An Embassy task event for task-table slot `index` (none: a task the table does not
/// follow) at `time`, the very reading the task table used (so the two agree exactly).
pub(crate) fn task_event(kind: EventKind, index: Option<usize>, time: u64) {
    if kind == EventKind::PollBegin {
        filter::idle_closes();
    }
    let Some(index) = index else { return };
    let index = index as u32;
    if filter::task_enabled(index) {
        // Truncation intended: events carry the low 32 bits of the clock.
        emit(kind, index, 0, time as u32);
    }
}

#[cfg(feature = "embassy")]
/// The executor went idle; repeated idle calls until the next poll are coalesced.
pub(crate) fn idle() {
    if filter::idle_opens() {
        emit(EventKind::Idle, 0, 0, stamp());
    }
}

/// An interrupt handler `id` starts (the interrupt guards of [`crate::interrupts`] use 0).
#[inline]
pub fn isr_enter(id: u32) {
    emit(EventKind::IsrEnter, id, 0, stamp());
}

/// An interrupt event of handler 0 at `time`, the reading an [`crate::interrupts::IsrStats`]
/// timed the handler with (so the two agree exactly), or now when it had none.
#[inline]
pub(crate) fn isr_at(kind: EventKind, time: Option<u64>) {
    // Truncation intended: events carry the low 32 bits of the clock.
    let stamp = time.map_or_else(stamp, |t| t as u32);
    emit(kind, 0, 0, stamp);
}

/// An interrupt handler `id` ends.
#[inline]
pub fn isr_exit(id: u32) {
    emit(EventKind::IsrExit, id, 0, stamp());
}

/// A user marker `id` (a point in time worth finding on the timeline).
#[inline]
pub fn marker(id: u32) {
    emit(EventKind::Marker, id, 0, stamp());
}

/// A user value of series `id` (0..=127): a counter or a sensor reading plotted over time.
#[inline]
pub fn value(id: u8, value: i32) {
    emit(EventKind::Value, u32::from(id), value, stamp());
}

/// Freezes the installed ring now: the events before the trigger are kept for a dump.
pub fn trigger() {
    trigger_after(0);
}

/// Freezes the installed ring after `after` more events (the events around a condition).
pub fn trigger_after(after: u32) {
    if let Some(ring) = ring() {
        ring.trigger(after);
    }
}
