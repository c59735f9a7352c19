//! The static scope registry: one slot per scope name, fixed capacity, overflow counted.
//!
//! Each call site owns a [`CallSite`] `static` (in flash) and a cache (in RAM) that holds
//! a pointer to its slot's counters after the first call, so the hot path is one relaxed
//! load and a null test. Registration (first call of a site, or every call through a
//! run-time name) takes a short critical section and never allocates. Two call sites with
//! the same name share one slot: a report is by name.
//!
//! A site that finds the registry full caches the sink instead: counters like a slot's
//! that no report shows, whose call count is the number of calls not measured
//! ([`dropped`]). The hot path needs no test for it, and counts those calls for free.

mod names;
mod site;

use core::cell::UnsafeCell;

use critical_section::Mutex;

use super::counters::{AsyncCounters, SlotCounters};
use names::Names;

pub use site::{AsyncCallSite, AsyncSiteCache, CallSite, SiteCache};

include!(concat!(env!("OUT_DIR"), "/scope_capacity.rs"));

/// Names and kinds of the registered scopes, and what did not fit. Every field starts at
/// zero, so the table lands in `.bss` and costs no flash. Reached only through
/// [`with_table`]; indexing is checked with `get`, so no access links a panic.
struct Table {
    names: Names<SCOPE_CAPACITY>,
    /// The slot of each taken entry of `ASYNC_SLOTS`: the async scopes, in the order
    /// their first async call site registered.
    async_owners: [SlotIndex; ASYNC_SCOPE_CAPACITY],
    async_len: usize,
    /// Call sites that found the registry full (their calls are the sink's).
    dropped_sites: u32,
}

static TABLE: Mutex<UnsafeCell<Table>> = Mutex::new(UnsafeCell::new(Table {
    names: Names::new(),
    async_owners: [0; ASYNC_SCOPE_CAPACITY],
    async_len: 0,
    dropped_sites: 0,
}));

/// Runs `f` on the table inside a critical section. An `UnsafeCell` rather than a
/// `RefCell`: no borrow flag to test and no panic path to link.
fn with_table<R>(f: impl FnOnce(&mut Table) -> R) -> R {
    critical_section::with(|cs| {
        // SAFETY: the cell is only reached here, inside a critical section, and no `f`
        // passed by this module calls back into `with_table`: no two references to the
        // table exist at once, on any core or in any interrupt.
        f(unsafe { &mut *TABLE.borrow(cs).get() })
    })
}

impl Table {
    /// The entry of `ASYNC_SLOTS` that slot `index` owns, if any.
    fn async_entry(&self, index: usize) -> Option<usize> {
        owned_entry(&self.async_owners[..], self.async_len, index)
    }

    /// Gives slot `index` async counters if it has none and one is free.
    fn make_async(&mut self, index: usize) {
        take_entry(&mut self.async_owners[..], &mut self.async_len, index);
    }
}

/// The entry among the first `len` of `owners` that slot `index` owns.
fn owned_entry(owners: &[SlotIndex], len: usize, index: usize) -> Option<usize> {
    owners
        .iter()
        .take(len)
        .position(|&owner| usize::from(owner) == index)
}

/// Makes slot `index` the owner of the next free entry of `owners` (the first `len` are
/// taken), unless it owns one already or none is free.
fn take_entry(owners: &mut [SlotIndex], len: &mut usize, index: usize) {
    if owned_entry(owners, *len, index).is_some() {
        return;
    }
    let (Ok(owner), Some(free)) = (SlotIndex::try_from(index), owners.get_mut(*len)) else {
        return;
    };
    *free = owner;
    *len += 1;
}

/// Whether two scope names are equal: the same literal (the usual case, one pointer
/// test), or the same bytes. A byte loop rather than `==`, which links `memcmp` for
/// names that are a few bytes long.
fn same_name(a: &str, b: &str) -> bool {
    core::ptr::eq(a, b) || (a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y))
}

/// The scopes' counters, and the sink after them.
#[repr(C)]
struct Slots {
    named: [SlotCounters; SCOPE_CAPACITY],
    /// Counts the calls of every scope that did not fit ([`dropped`]); never reported. It
    /// follows the named slots, so its index is [`SCOPE_CAPACITY`]: no slot.
    sink: SlotCounters,
}

static SLOTS: Slots = Slots {
    named: [const { SlotCounters::new() }; SCOPE_CAPACITY],
    sink: SlotCounters::new(),
};

/// Whether `counters` are a scope's (not the sink of the scopes that did not fit).
#[inline]
pub(crate) fn is_measured(counters: &SlotCounters) -> bool {
    !core::ptr::eq(counters, &SLOTS.sink)
}

/// Polls, busy time and cancellations of the async scopes (see `Table::async_owners`).
static ASYNC_SLOTS: [AsyncCounters; ASYNC_SCOPE_CAPACITY] =
    [const { AsyncCounters::new() }; ASYNC_SCOPE_CAPACITY];

/// The counters of slot `index` (an index returned by the registry).
#[inline(always)]
pub(crate) fn counters(index: usize) -> Option<&'static SlotCounters> {
    SLOTS.named.get(index)
}

/// The index of a slot's counters in the table ([`SCOPE_CAPACITY`] for the sink).
#[inline]
pub(crate) fn index_of(counters: &'static SlotCounters) -> usize {
    let offset = core::ptr::from_ref(counters) as usize - SLOTS.named.as_ptr() as usize;
    offset / core::mem::size_of::<SlotCounters>().max(1)
}

/// A 32-bit reference to a slot's counters that costs nothing to take: their address on
/// 32-bit targets, their byte offset in the table elsewhere. The trace records it on its
/// hot path and [`index_at`] turns it into the slot when the event is read (so the writer
/// never divides by the slot size: 24 bytes on MCUs, not a power of two).
#[cfg(feature = "trace")]
#[inline(always)]
pub(crate) fn reference_of(counters: &'static SlotCounters) -> u32 {
    let address = core::ptr::from_ref(counters) as usize;
    #[cfg(target_pointer_width = "32")]
    let reference = address;
    // The table is far smaller than 4 GiB: the offset fits.
    #[cfg(not(target_pointer_width = "32"))]
    let reference = address - SLOTS.named.as_ptr() as usize;
    reference as u32
}

/// The slot of a [`reference_of`] ([`SCOPE_CAPACITY`] for the sink: no slot). (A
/// reference recorded by another build of the firmware, found in a ring kept across a
/// reset, may name another slot or none.)
#[cfg(feature = "trace")]
pub(crate) fn index_at(reference: u32) -> u32 {
    #[cfg(target_pointer_width = "32")]
    let offset = reference.wrapping_sub(SLOTS.named.as_ptr() as usize as u32);
    #[cfg(not(target_pointer_width = "32"))]
    let offset = reference;
    offset / core::mem::size_of::<SlotCounters>().max(1) as u32
}

/// The counters of `name`'s slot, found or created; the sink when the registry is full.
/// `new_site` says whether that counts a dropped call site (which then caches the sink)
/// or not (a run-time name: it has no site to remember it). Calls into the sink count as
/// dropped calls.
pub(crate) fn register(
    name: &'static str,
    is_async: bool,
    new_site: bool,
) -> &'static SlotCounters {
    let index = with_table(|t| {
        let found = t.names.iter().position(|n| same_name(n, name));
        let index = found.or_else(|| t.names.push(name));
        match index {
            Some(i) if is_async => t.make_async(i),
            Some(_) => {}
            None if new_site => t.dropped_sites = t.dropped_sites.saturating_add(1),
            None => {}
        }
        index
    });
    index.and_then(counters).unwrap_or(&SLOTS.sink)
}

/// Number of registered scopes.
pub(crate) fn len() -> usize {
    with_table(|t| t.names.len())
}

/// Name of slot `index` and its async counters (`None` for a synchronous scope, or an
/// async one that found `ASYNC_SLOTS` full), if registered.
pub(crate) fn entry(index: usize) -> Option<(&'static str, Option<&'static AsyncCounters>)> {
    with_table(|t| {
        let name = t.names.get(index)?;
        let async_counters = t.async_entry(index).and_then(|j| ASYNC_SLOTS.get(j));
        Some((name, async_counters))
    })
}

/// The slot index of an already registered name.
pub(crate) fn find(name: &str) -> Option<usize> {
    with_table(|t| t.names.iter().position(|n| same_name(n, name)))
}

/// What did not fit in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dropped {
    /// Call sites that found the registry full, or whose name is longer than 65 535
    /// bytes (a run-time name that does not fit is counted in `calls` only: it has no
    /// site to remember it).
    pub scopes: u32,
    /// Calls of those scopes, which were not measured.
    pub calls: u64,
}

/// Scopes and calls the full registry could not take since start-up (or the last reset).
pub fn dropped() -> Dropped {
    Dropped {
        scopes: with_table(|t| t.dropped_sites),
        calls: SLOTS.sink.totals().calls,
    }
}

/// Zeroes every scope's counters and the dropped-call count. Registrations stay (call
/// sites cache their slots), so the same names keep the same slots.
pub(crate) fn reset_counters() {
    let (len, async_len) = with_table(|t| (t.names.len(), t.async_len));
    for slot in SLOTS.named.iter().take(len) {
        slot.reset();
    }
    SLOTS.sink.reset();
    for slot in ASYNC_SLOTS.iter().take(async_len) {
        slot.reset();
    }
    #[cfg(feature = "detailed-profiling")]
    super::detail::reset();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn async_entries_are_taken_once_per_slot_until_full() {
        let mut owners: [SlotIndex; 2] = [0; 2];
        let mut len = 0;
        take_entry(&mut owners, &mut len, 5);
        take_entry(&mut owners, &mut len, 5);
        take_entry(&mut owners, &mut len, 0);
        assert_eq!((owners, len), ([5, 0], 2));
        // Full: a third async slot gets no entry, the others keep theirs.
        take_entry(&mut owners, &mut len, 9);
        assert_eq!(len, 2);
        assert_eq!(owned_entry(&owners, len, 9), None);
        assert_eq!(owned_entry(&owners, len, 5), Some(0));
        assert_eq!(owned_entry(&owners, len, 0), Some(1));
        // Entries past `len` are free, whatever they hold.
        assert_eq!(owned_entry(&owners, 1, 0), None);
    }

    #[test]
    fn names_match_by_pointer_or_by_bytes() {
        let owned = "stage.01";
        let bytes = *b"stage.01";
        let copy = core::str::from_utf8(&bytes).unwrap_or_default();
        assert!(!core::ptr::eq(owned, copy));
        assert!(same_name(owned, owned));
        assert!(same_name(owned, copy));
        assert!(!same_name(owned, "stage.02"));
        assert!(!same_name(owned, "stage.0"));
    }
}
