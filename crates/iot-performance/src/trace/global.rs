//! The installed ring that the instrumentation writes to, and the emit functions.

use core::ptr;
use core::sync::atomic::fence;

use portable_atomic::{AtomicPtr, Ordering};

use super::event::EventKind;
use super::filter;
use super::ring::TraceBuffer;
use crate::timing::{SlotCounters, scope_slot_index};

/// The operations of one `TraceBuffer<N>`, for the installed ring whose `N` is erased.
struct Ops {
    write: fn(*const (), EventKind, u32, i32, u32),
    trigger: fn(*const (), u32),
}

/// The installed ring (null: tracing off); set once, never changed.
static RING: AtomicPtr<()> = AtomicPtr::new(ptr::null_mut());
/// Its operations; stored before `RING` is published.
static OPS: AtomicPtr<Ops> = AtomicPtr::new(ptr::null_mut());

fn write_erased<const N: usize>(ring: *const (), kind: EventKind, id: u32, value: i32, stamp: u32) {
    // SAFETY: `ring` is the `&'static TraceBuffer<N>` given to `install`, which stored this
    // very function (the same `N`) beside it; it lives forever and is only read through
    // atomics.
    let ring = unsafe { &*ring.cast::<TraceBuffer<N>>() };
    ring.write(kind, id, value, stamp);
}

fn trigger_erased<const N: usize>(ring: *const (), after: u32) {
    // SAFETY: as in `write_erased`.
    let ring = unsafe { &*ring.cast::<TraceBuffer<N>>() };
    ring.trigger(after);
}

struct OpsOf<const N: usize>;

impl<const N: usize> OpsOf<N> {
    const OPS: Ops = Ops {
        write: write_erased::<N>,
        trigger: trigger_erased::<N>,
    };
}

/// Makes `buffer` the ring the instrumentation writes to: scopes, Embassy hooks,
/// interrupt guards, markers and values. The first call wins (the ring never changes
/// afterwards, so a writer never sees half of a switch); false when a ring was installed
/// already.
pub fn install<const N: usize>(buffer: &'static TraceBuffer<N>) -> bool {
    critical_section::with(|_| {
        if !RING.load(Ordering::Relaxed).is_null() {
            return false;
        }
        let ops: &'static Ops = &OpsOf::<N>::OPS;
        OPS.store(ptr::from_ref(ops).cast_mut(), Ordering::Relaxed);
        RING.store(
            ptr::from_ref(buffer).cast::<()>().cast_mut(),
            Ordering::Release,
        );
        true
    })
}

/// True once a ring is installed.
pub fn is_installed() -> bool {
    !RING.load(Ordering::Relaxed).is_null()
}

#[inline(always)]
fn with_ring(f: impl FnOnce(*const (), &'static Ops)) {
    let ring = RING.load(Ordering::Relaxed);
    if ring.is_null() {
        return;
    }
    fence(Ordering::Acquire);
    let ops = OPS.load(Ordering::Relaxed);
    // SAFETY: `OPS` was set to a `&'static Ops` before `RING` was published (Release,
    // paired with the Acquire fence above) and neither changes afterwards.
    f(ring, unsafe { &*ops });
}

#[inline(always)]
fn emit(kind: EventKind, id: u32, value: i32, stamp: u32) {
    with_ring(|ring, ops| {
        if filter::kind_enabled(kind) {
            (ops.write)(ring, kind, id, value, stamp);
        }
    });
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
    scope_event(EventKind::ScopeEnter, slot, start as u32);
}

/// The scope of `slot` closed at `end`.
#[inline(always)]
#[allow(clippy::unnecessary_cast)] // u64 → u32 on hosts, u32 → u32 on MCUs
pub(crate) fn scope_exit(slot: &'static SlotCounters, end: crate::clock::Stamp) {
    scope_event(EventKind::ScopeExit, slot, end as u32);
}

/// Inline at every scope: one load and a branch while no ring is installed; the rest is
/// one shared function (so that the scope's own code, its drop included, stays small).
#[inline(always)]
fn scope_event(kind: EventKind, slot: &'static SlotCounters, stamp: u32) {
    if RING.load(Ordering::Relaxed).is_null() {
        return;
    }
    scope_event_installed(kind, slot, stamp);
}

#[inline(never)]
fn scope_event_installed(kind: EventKind, slot: &'static SlotCounters, stamp: u32) {
    let index = scope_slot_index(slot) as u32;
    if filter::scope_enabled(index) {
        emit(kind, index, 0, stamp);
    }
}

#[cfg(feature = "embassy")]
/// An Embassy task event for task-table slot `index` (none: a task the table does not follow).
pub(crate) fn task_event(kind: EventKind, index: Option<usize>) {
    if kind == EventKind::PollBegin {
        filter::idle_closes();
    }
    let Some(index) = index else { return };
    let index = index as u32;
    if filter::task_enabled(index) {
        emit(kind, index, 0, stamp());
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
    with_ring(|ring, ops| (ops.trigger)(ring, after));
}
