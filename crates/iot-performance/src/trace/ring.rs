//! [`TraceBuffer`]: the ring the events go into, safe from interrupts and threads.
//!
//! **On firmware** (`target_os = "none"`) a writer stores the whole event inside one
//! critical section of about fifteen instructions (on a single-core MCU: interrupts
//! masked, never waiting for anything), marking the slot *busy* while it writes: the
//! cheapest interrupt-safe write there is, and no event is ever dropped for a half-written
//! slot.
//!
//! **Elsewhere** (threads on a host) the write is lock-free: a writer reserves an index
//! with one `fetch_add` on the head, claims the slot with a compare-and-swap on its `meta`
//! word (the index's lap tag with the busy bit), stores the stamp and argument, and
//! publishes the slot with a plain release store (only the claimant writes a claimed
//! slot). No writer waits for another: one that finds its slot still busy (a writer it
//! preempted a whole lap earlier, or a thread on another core) drops its event; the
//! preempted writer, seeing on publication that the ring has lapped it, leaves a
//! *tombstone* with the newest lap's tag instead, so that the reader reports both events
//! as lost and never stalls on them.
//!
//! A reader takes no lock: it checks `meta` before and after copying a slot (a per-slot
//! sequence lock), so a slot overwritten while it was read is counted as lost, never
//! returned torn. On chips without compare-and-swap the atomics are `portable-atomic`'s,
//! configured by the application (its `critical-section` or `unsafe-assume-single-core`
//! feature).
//!
//! Every field is an atomic integer, so any bit pattern is a valid `TraceBuffer`: it may
//! live in a `.uninit` section and be read back after a reset ([`TraceBuffer::recover`]).

use core::sync::atomic::{Ordering, fence};

use portable_atomic::{AtomicBool, AtomicU32};

use super::codec::ChunkEncoder;
use super::event::{EventKind, RawEvent};

const BUSY: u32 = 1 << 15;
/// In a scope event's `meta`: its argument is a reference to the scope's counters (their
/// address on MCUs), not yet its slot: the reader turns it into the slot
/// (`timing::scope_slot_at`), so that the writer never divides by the slot size. Bit 8:
/// a value's id bits (8..=14) are free in a scope event, and the constant stays small
/// (an immediate operand on RISC-V).
pub(super) const SCOPE_REF: u32 = 1 << 8;
const KIND_MASK: u32 = 0xFF;
/// The kind of a tombstone: the index's event was dropped by its writer.
const TOMBSTONE: u32 = 0xFF;
/// Written by [`TraceBuffer::start_fresh`]; a recovered buffer must carry it.
const MAGIC: u32 = 0x5452_4331; // "TRC1"

/// One event in the ring: 12 bytes.
#[derive(Debug)]
struct Slot {
    /// `lap tag << 16 | busy << 15 | kind`; kind 0: never written.
    meta: AtomicU32,
    stamp: AtomicU32,
    /// The id, or the value of a [`EventKind::Value`] (its id then in `meta` bits 8..=14).
    arg: AtomicU32,
}

#[allow(clippy::declare_interior_mutable_const)] // an initialiser, copied per slot
const EMPTY_SLOT: Slot = Slot {
    meta: AtomicU32::new(0),
    stamp: AtomicU32::new(0),
    arg: AtomicU32::new(0),
};

/// A trace ring of `N` events (`N` a power of two from 2 to 32768): 12 bytes per event
/// and 36 bytes of bookkeeping.
///
/// Events overwrite the oldest ones; a reader takes them either as they come
/// ([`TraceBuffer::drain`], streaming) or all those still kept
/// ([`TraceBuffer::dump`], post-mortem). [`TraceBuffer::trigger`] freezes the ring a set
/// number of events later, keeping the events around a condition.
#[derive(Debug)]
#[repr(C)]
pub struct TraceBuffer<const N: usize> {
    /// Its bookkeeping, first: the installed ring is written through it alone.
    pub(super) core: Core,
    slots: [Slot; N],
}

/// The bookkeeping of a [`TraceBuffer`]: followed in memory by its slots (`repr(C)`).
#[derive(Debug)]
#[repr(C)]
pub(super) struct Core {
    pub(super) magic: AtomicU32,
    /// Indices reserved so far (wrapping).
    head: AtomicU32,
    /// Events writers dropped (also reported as lost by the reader).
    dropped: AtomicU32,
    /// The streaming reader's next index.
    cursor: AtomicU32,
    /// Set by a trigger: no index at or after `limit` is written.
    frozen: AtomicBool,
    limit: AtomicU32,
    /// The ring's [`Shape`] while installed (`trace::install` sets it; zero before: a
    /// writer then uses the first slot only, still inside the ring). Kept here so that a
    /// writer reads it beside the head instead of from two more globals.
    shift: AtomicU32,
    mask: AtomicU32,
}

/// A `core` view of a portable-atomic word, for plain loads and stores: portable-atomic's
/// fallback on chips without compare-and-swap (riscv32imc) takes a critical section for
/// each, while every supported target loads and stores 32-bit words natively.
#[inline(always)]
pub(super) fn native(word: &AtomicU32) -> &core::sync::atomic::AtomicU32 {
    // SAFETY: `as_ptr` points at the word's `u32`, aligned to 4 (portable-atomic's
    // `AtomicU32` has the layout of `u32` with alignment 4, as `core`'s); the view lives
    // as long as `word`, and all accesses to the word are atomic: portable-atomic's
    // read-modify-writes on such chips run in a critical section, which a native load or
    // store never splits.
    unsafe { core::sync::atomic::AtomicU32::from_ptr(word.as_ptr()) }
}

/// [`native`] for a flag.
#[inline(always)]
pub(super) fn native_bool(flag: &AtomicBool) -> &core::sync::atomic::AtomicBool {
    // SAFETY: as in `native`: `as_ptr` points at the flag's `bool` (alignment 1 for both
    // types), which lives as long as `flag`; every access to it is atomic.
    unsafe { core::sync::atomic::AtomicBool::from_ptr(flag.as_ptr()) }
}

/// The lap tag of `index` in a ring of `1 << shift` slots.
#[inline(always)]
fn tag(index: u32, shift: u32) -> u32 {
    (index >> shift) & 0xFFFF
}

/// The size of a ring: `1 << shift` slots, `mask = (1 << shift) - 1`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Shape {
    pub(super) shift: u32,
    pub(super) mask: u32,
}

impl Core {
    /// Sets the shape the installed ring is written with (before it is installed).
    pub(super) fn set_shape(&self, shape: Shape) {
        self.shift.store(shape.shift, Ordering::Relaxed);
        self.mask.store(shape.mask, Ordering::Relaxed);
    }

    /// The shape set by [`Core::set_shape`]: two native loads beside the head.
    #[inline(always)]
    pub(super) fn shape(&self) -> Shape {
        Shape {
            shift: native(&self.shift).load(Ordering::Relaxed),
            mask: native(&self.mask).load(Ordering::Relaxed),
        }
    }

    /// The `meta` bits of an event besides tag and busy bit, and its argument word.
    #[inline(always)]
    pub(super) fn encode(kind: EventKind, id: u32, value: i32) -> (u32, u32) {
        if kind == EventKind::Value {
            // The series id (7 bits) beside the kind; larger ones keep their low 7 bits.
            (u32::from(kind.code()) | (id & 0x7F) << 8, value as u32)
        } else {
            (u32::from(kind.code()), id)
        }
    }

    /// The slot of `index`.
    ///
    /// `shape.mask` must be at most the `N - 1` of the `TraceBuffer<N>` this `Core` heads
    /// (a smaller one only uses fewer of its slots).
    #[inline(always)]
    fn slot(&self, shape: Shape, index: u32) -> &Slot {
        let mask = shape.mask;
        // SAFETY: a `Core` exists only as the first field of a `#[repr(C)]`
        // `TraceBuffer<N>` (its fields are private to this module and only
        // `TraceBuffer::new` builds one), whose `[Slot; N]` follows it with no padding
        // (asserted in `TraceBuffer::SHIFT`); `index & mask <= mask <= N - 1`, so the
        // pointer stays inside that array, and the reference lives as long as `self`.
        unsafe {
            &*core::ptr::from_ref(self)
                .add(1)
                .cast::<Slot>()
                .add((index & mask) as usize)
        }
    }

    /// Records the event `bits` (kind, value id) with `arg` and `stamp` into the ring of
    /// `1 << shift` slots this heads: on firmware (`target_os = "none"`) with interrupts
    /// masked ([`Core::write_masked`]), elsewhere lock-free ([`Core::write_lock_free`]).
    #[inline(always)]
    pub(super) fn write(&self, shape: Shape, bits: u32, arg: u32, stamp: u32) {
        #[cfg(target_os = "none")]
        self.write_masked(shape, bits, arg, stamp);
        #[cfg(not(target_os = "none"))]
        self.write_lock_free(shape, bits, arg, stamp, || {});
    }

    /// The firmware write: the whole event in one critical section of about fifteen
    /// instructions (on a single-core MCU, interrupts masked; the application's
    /// `critical-section` implementation decides). No writer is ever preempted half-way,
    /// so no slot is ever found busy and nothing is dropped; readers, which take no
    /// critical section, still see the busy bit while the event is written (a reader on
    /// another core).
    #[inline(always)]
    #[cfg_attr(not(target_os = "none"), allow(dead_code))] // host tests call it
    pub(super) fn write_masked(&self, shape: Shape, bits: u32, arg: u32, stamp: u32) {
        // SAFETY: released below on every path; nothing in between can panic or unwind
        // (index arithmetic wraps, the slot index is masked), and no other critical
        // section is entered meanwhile. (`critical_section::with` is the same pair, but
        // its closure is not always inlined: a call and a captured frame per event.)
        let restore = unsafe { critical_section::acquire() };
        // Native loads and stores: the critical section already excludes every other
        // writer, so none needs portable-atomic's own (one per access on riscv32imc).
        let head = native(&self.head);
        let index = head.load(Ordering::Relaxed);
        // Inline (no call: the function stays a leaf that saves no registers).
        let refused = native_bool(&self.frozen).load(Ordering::Relaxed)
            && index.wrapping_sub(native(&self.limit).load(Ordering::Relaxed)) as i32 >= 0;
        if !refused {
            head.store(index.wrapping_add(1), Ordering::Relaxed);
            let slot = self.slot(shape, index);
            debug_assert!(shape.shift < 16);
            // SAFETY: `shape.shift` is at most 15: every `Shape` is a `TraceBuffer::SHAPE`
            // (N ≤ 1 << 15, asserted in `TraceBuffer::SHIFT`), given here directly or
            // stored by `Core::set_shape` before the ring is installed (and zero before).
            // (`tag` would mask the shift: one instruction more per event on Cortex-M.)
            let lap = unsafe { index.unchecked_shr(shape.shift) } & 0xFFFF;
            let published = lap << 16 | bits;
            native(&slot.meta).store(published | BUSY, Ordering::Relaxed);
            fence(Ordering::Release);
            native(&slot.stamp).store(stamp, Ordering::Relaxed);
            native(&slot.arg).store(arg, Ordering::Relaxed);
            native(&slot.meta).store(published, Ordering::Release);
        }
        // SAFETY: the state `acquire` returned above, released once.
        unsafe { critical_section::release(restore) };
    }

    /// The lock-free write (threads on a host; any context); `preempted` runs between
    /// the claim and the publication (tests stand an interrupt there).
    #[inline(always)]
    #[cfg_attr(target_os = "none", allow(dead_code))]
    pub(super) fn write_lock_free(
        &self,
        shape: Shape,
        bits: u32,
        arg: u32,
        stamp: u32,
        preempted: impl FnOnce(),
    ) {
        let index = self.head.fetch_add(1, Ordering::Relaxed);
        if self.frozen.load(Ordering::Relaxed) && self.past_limit(index) {
            return;
        }
        let slot = self.slot(shape, index);
        let tag = tag(index, shape.shift);
        let claim = tag << 16 | BUSY | bits;
        let current = slot.meta.load(Ordering::Relaxed);
        // Free: never written, or published (or tombstoned) by an earlier lap.
        let earlier = (tag.wrapping_sub(current >> 16) & 0xFFFF) as u16 as i16 > 0;
        let free = current & BUSY == 0 && (earlier || current & KIND_MASK == 0);
        if !free
            || slot
                .meta
                .compare_exchange(current, claim, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            // Lapped before it started, or the slot's writer of an earlier lap is still at
            // it (it leaves a tombstone when it publishes): the reader counts this as lost.
            return self.drop_one();
        }
        // The claim is visible before the data (the reader's second check sees it).
        fence(Ordering::Release);
        slot.stamp.store(stamp, Ordering::Relaxed);
        slot.arg.store(arg, Ordering::Relaxed);
        preempted();
        // Only the claimant writes a claimed slot: a plain store publishes it.
        slot.meta.store(claim & !BUSY, Ordering::Release);
        if self.head.load(Ordering::Relaxed).wrapping_sub(index) > shape.mask.wrapping_add(1) {
            self.lapped(shape, index, claim & !BUSY);
        }
    }

    /// True when the ring is frozen at or before `index` (the write is refused).
    #[cfg_attr(target_os = "none", allow(dead_code))]
    #[cold]
    #[inline(never)]
    fn past_limit(&self, index: u32) -> bool {
        self.frozen.load(Ordering::Acquire)
            && index.wrapping_sub(self.limit.load(Ordering::Relaxed)) as i32 >= 0
    }

    #[cfg_attr(target_os = "none", allow(dead_code))]
    #[cold]
    #[inline(never)]
    fn drop_one(&self) {
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The ring lapped the event of `index` while it was written: a later writer of its
    /// slot may have found it busy and dropped its own event. The slot then says "lost"
    /// for the newest index that fell on it, so that the reader neither stalls there nor
    /// returns this older event in its place.
    #[cfg_attr(target_os = "none", allow(dead_code))]
    #[cold]
    #[inline(never)]
    fn lapped(&self, shape: Shape, index: u32, published: u32) {
        let head = self.head.load(Ordering::Relaxed);
        let laps = head.wrapping_sub(1).wrapping_sub(index) >> shape.shift;
        let newest = index.wrapping_add(laps << shape.shift);
        let tombstone = tag(newest, shape.shift) << 16 | TOMBSTONE;
        let slot = self.slot(shape, index);
        if slot
            .meta
            .compare_exchange(published, tombstone, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.drop_one();
        }
    }

    /// Freezes the ring after `after` more events (see [`TraceBuffer::trigger`]).
    pub(super) fn trigger(&self, after: u32) {
        if self.frozen.load(Ordering::Acquire) {
            return;
        }
        let limit = self.head.load(Ordering::Relaxed).wrapping_add(after);
        self.limit.store(limit, Ordering::Relaxed);
        self.frozen.store(true, Ordering::Release);
    }
}

/// What a read put into a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ChunkInfo {
    /// Bytes written (0 when the buffer could not hold the chunk header).
    pub len: usize,
    /// Events in the chunk.
    pub events: u32,
    /// Events lost before them (the chunk's header says so too).
    pub lost: u32,
}

/// Reading one slot.
enum Read {
    Event(RawEvent),
    /// Not written yet (or its writer is still at it).
    Pending,
    /// Overwritten by a later lap before it was read.
    Lost,
}

impl<const N: usize> Default for TraceBuffer<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> TraceBuffer<N> {
    pub(super) const SHIFT: u32 = {
        assert!(
            N.is_power_of_two() && N >= 2 && N <= 1 << 15,
            "TraceBuffer: N must be a power of two from 2 to 32768"
        );
        // The slots follow the bookkeeping with no padding: `Core::slot` relies on it.
        assert!(core::mem::offset_of!(Self, slots) == core::mem::size_of::<Core>());
        N.trailing_zeros()
    };

    /// This ring's [`Shape`].
    pub(super) const SHAPE: Shape = Shape {
        shift: Self::SHIFT,
        mask: N as u32 - 1,
    };

    /// An empty ring (for a `static`).
    pub const fn new() -> Self {
        let _ = Self::SHIFT;
        Self {
            core: Core {
                // Zero, like every field: a `static` ring goes to `.bss` (no flash for
                // its image). `start_fresh` writes the magic word.
                magic: AtomicU32::new(0),
                head: AtomicU32::new(0),
                dropped: AtomicU32::new(0),
                cursor: AtomicU32::new(0),
                frozen: AtomicBool::new(false),
                limit: AtomicU32::new(0),
                shift: AtomicU32::new(0),
                mask: AtomicU32::new(0),
            },
            slots: [EMPTY_SLOT; N],
        }
    }

    /// How many events the ring keeps.
    pub const fn capacity(&self) -> usize {
        N
    }

    fn tag(index: u32) -> u32 {
        tag(index, Self::SHIFT)
    }

    fn slot(&self, index: u32) -> &Slot {
        &self.slots[index as usize & (N - 1)]
    }

    /// Empties the ring and unfreezes it (not while another context writes to it).
    pub fn start_fresh(&self) {
        for slot in &self.slots {
            slot.meta.store(0, Ordering::Relaxed);
        }
        for field in [&self.core.head, &self.core.dropped, &self.core.cursor] {
            field.store(0, Ordering::Relaxed);
        }
        self.core.frozen.store(false, Ordering::Relaxed);
        self.core.magic.store(MAGIC, Ordering::Release);
    }

    /// Keeps what a buffer in a `.uninit` section held before a reset: true when it carries
    /// the ring's magic word (written by [`TraceBuffer::start_fresh`] and by this function
    /// when it empties a buffer), false when it was garbage — or never started — and was
    /// emptied. Call it once at start-up, before anything writes to the ring.
    pub fn recover(&self) -> bool {
        if self.core.magic.load(Ordering::Acquire) == MAGIC {
            true
        } else {
            self.start_fresh();
            false
        }
    }

    /// Records one event; never blocks, never fails (a dropped event is counted).
    #[inline]
    pub fn write(&self, kind: EventKind, id: u32, value: i32, stamp: u32) {
        let (bits, arg) = Core::encode(kind, id, value);
        self.core.write(Self::SHAPE, bits, arg, stamp);
    }

    /// The bookkeeping the installed ring is written through ([`Core::write`] with
    /// [`TraceBuffer::SHIFT`]).
    pub(super) fn core(&'static self) -> &'static Core {
        &self.core
    }

    /// [`TraceBuffer::write`] with `preempted` run between claim and publication.
    #[cfg(test)]
    pub(super) fn write_preempted(
        &self,
        kind: EventKind,
        id: u32,
        stamp: u32,
        preempted: impl FnOnce(),
    ) {
        self.core
            .write_lock_free(Self::SHAPE, u32::from(kind.code()), id, stamp, preempted);
    }

    fn read(&self, index: u32) -> Read {
        let slot = self.slot(index);
        let tag = Self::tag(index);
        let before = slot.meta.load(Ordering::Acquire);
        let diff = ((before >> 16).wrapping_sub(tag) & 0xFFFF) as u16 as i16;
        if before & KIND_MASK == 0 || diff < 0 || (diff == 0 && before & BUSY != 0) {
            return Read::Pending;
        }
        if diff > 0 || before & KIND_MASK == TOMBSTONE {
            return Read::Lost;
        }
        let stamp = slot.stamp.load(Ordering::Relaxed);
        let arg = slot.arg.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        if slot.meta.load(Ordering::Relaxed) != before {
            return Read::Lost;
        }
        let Some(kind) = EventKind::from_code((before & KIND_MASK) as u8) else {
            return Read::Lost; // garbage recovered from a `.uninit` buffer
        };
        let (id, value) = if kind == EventKind::Value {
            ((before >> 8) & 0x7F, arg as i32)
        } else if before & SCOPE_REF != 0 {
            (crate::timing::scope_slot_at(arg), 0)
        } else {
            (arg, 0)
        };
        Read::Event(RawEvent {
            kind,
            id,
            value,
            stamp,
        })
    }

    /// The index after the last event a reader may take: the head, or the trigger's limit.
    fn end(&self) -> u32 {
        let head = self.core.head.load(Ordering::Acquire);
        if self.core.frozen.load(Ordering::Acquire) {
            let limit = self.core.limit.load(Ordering::Relaxed);
            if head.wrapping_sub(limit) as i32 > 0 {
                return limit;
            }
        }
        head
    }

    /// Encodes events from `*next` on into `out`; returns what the chunk holds and
    /// advances `*next` past them.
    fn read_into(&self, next: &mut u32, out: &mut [u8]) -> ChunkInfo {
        let end = self.end();
        let behind = end.wrapping_sub(*next);
        let mut lost = 0u32;
        if behind > N as u32 {
            lost = lost.wrapping_add(behind - N as u32);
            *next = end.wrapping_sub(N as u32);
        }
        let Some(mut chunk) = ChunkEncoder::new(out, lost) else {
            return ChunkInfo::default();
        };
        while *next != end {
            match self.read(*next) {
                Read::Event(event) => {
                    if !chunk.push(&event) {
                        break;
                    }
                }
                // A loss after the first event starts the next chunk (it carries the count).
                Read::Lost if chunk.is_empty() => {
                    lost = lost.wrapping_add(1);
                    chunk = match ChunkEncoder::new(chunk.into_buffer(), lost) {
                        Some(c) => c,
                        None => return ChunkInfo::default(),
                    };
                }
                Read::Lost | Read::Pending => break,
            }
            *next = next.wrapping_add(1);
        }
        ChunkInfo {
            len: chunk.len(),
            events: chunk.events(),
            lost,
        }
    }

    /// Streaming: encodes the events written since the last drain (as many as fit in
    /// `out`) into one chunk, whose lost count says how many were overwritten or dropped
    /// before them. Never blocks; call it from one context at a time (a reporter task).
    pub fn drain(&self, out: &mut [u8]) -> ChunkInfo {
        let mut next = self.core.cursor.load(Ordering::Relaxed);
        let info = self.read_into(&mut next, out);
        if info.len != 0 {
            self.core.cursor.store(next, Ordering::Relaxed);
        }
        info
    }

    /// Post-mortem: encodes the events still kept, oldest first, from the `skip`-th on,
    /// into one chunk (as many as fit) without consuming them; call again with `skip`
    /// increased by the events returned for the rest. Writers should be stopped (a
    /// panic or fault handler, after [`TraceBuffer::trigger`], or before they start).
    pub fn dump(&self, skip: u32, out: &mut [u8]) -> ChunkInfo {
        let end = self.end();
        let kept = end.min(N as u32);
        let mut next = end.wrapping_sub(kept).wrapping_add(skip.min(kept));
        self.read_into(&mut next, out)
    }

    /// Freezes the ring after `after` more events: what happened up to the trigger (and
    /// shortly after) is kept. A second trigger before [`TraceBuffer::start_fresh`] is
    /// ignored. Safe from any context.
    pub fn trigger(&self, after: u32) {
        self.core.trigger(after);
    }

    /// True once a trigger has fired.
    pub fn is_triggered(&self) -> bool {
        self.core.frozen.load(Ordering::Acquire)
    }

    /// Events offered to the ring so far (wrapping), whether kept or not.
    pub fn written(&self) -> u32 {
        self.core.head.load(Ordering::Relaxed)
    }

    /// Events writers dropped (wrapping): lapped before they started, or their slot was
    /// still busy; the reader reports each as lost too.
    pub fn dropped(&self) -> u32 {
        self.core.dropped.load(Ordering::Relaxed)
    }
}
