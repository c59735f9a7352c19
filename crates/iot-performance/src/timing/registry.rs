//! The static scope registry: one slot per scope name, fixed capacity, overflow counted.
//!
//! Each call site owns a [`CallSite`] `static` that caches a pointer to its slot's counters
//! after the first call, so the hot path is one relaxed load and a null test. Registration (first call of a site, or every
//! call through a run-time name) takes a short critical section and never allocates. Two
//! call sites with the same name share one slot: a report is by name.

use core::cell::UnsafeCell;

use critical_section::Mutex;
// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU16, Ordering};

use super::counters::{AsyncCounters, SlotCounters};

include!(concat!(env!("OUT_DIR"), "/scope_capacity.rs"));

/// Names and kinds of the registered scopes, and what did not fit. Every field starts at
/// zero (`None` names), so the table lands in `.bss` and costs no flash. Reached only
/// through [`with_table`]; indexing is checked with `get`, so no access links a panic.
struct Table {
    names: [Option<&'static str>; SCOPE_CAPACITY],
    len: usize,
    /// The slot of each taken entry of `ASYNC_SLOTS`: the async scopes, in the order
    /// their first async call site registered.
    async_owners: [SlotIndex; ASYNC_SCOPE_CAPACITY],
    async_len: usize,
    dropped_sites: u32,
    dropped_calls: u64,
}

static TABLE: Mutex<UnsafeCell<Table>> = Mutex::new(UnsafeCell::new(Table {
    names: [None; SCOPE_CAPACITY],
    len: 0,
    async_owners: [0; ASYNC_SCOPE_CAPACITY],
    async_len: 0,
    dropped_sites: 0,
    dropped_calls: 0,
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
    /// The registered names, in slot order.
    fn registered(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.names.iter().take(self.len).flatten().copied()
    }

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

static SLOTS: [SlotCounters; SCOPE_CAPACITY] = [const { SlotCounters::new() }; SCOPE_CAPACITY];

/// Polls, busy time and cancellations of the async scopes (see `Table::async_owners`).
static ASYNC_SLOTS: [AsyncCounters; ASYNC_SCOPE_CAPACITY] =
    [const { AsyncCounters::new() }; ASYNC_SCOPE_CAPACITY];

/// One instrumented place in the code. `profile_block!` and `#[profile_function]` declare
/// one as a `static`; you rarely name this type yourself.
#[derive(Debug)]
pub struct CallSite {
    name: &'static str,
    is_async: bool,
    /// The counters of the site's slot once registered; null before, or when the registry
    /// was full.
    counters: AtomicPtr<SlotCounters>,
    /// The registry was full at the site's first call: its calls count as dropped.
    dropped: AtomicBool,
    /// An async site's entry in `ASYNC_SLOTS` once registered: [`ASYNC_UNKNOWN`] before
    /// (or not yet visible to this thread), [`ASYNC_NONE`] when the table was full, else
    /// the entry + 1. It fits in the padding after the two flags: the site is no bigger.
    async_slot: AtomicU16,
}

/// `CallSite::async_slot` before it is known: look the slot up in the table.
const ASYNC_UNKNOWN: u16 = 0;
/// `CallSite::async_slot` of an async site that found the async table full.
const ASYNC_NONE: u16 = u16::MAX;

impl CallSite {
    /// A site for a synchronous scope called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            is_async: false,
            counters: AtomicPtr::new(core::ptr::null_mut()),
            dropped: AtomicBool::new(false),
            async_slot: AtomicU16::new(ASYNC_UNKNOWN),
        }
    }

    /// A site for an `async fn` called `name` (its report adds busy time, wall time, polls).
    pub const fn new_async(name: &'static str) -> Self {
        Self {
            name,
            is_async: true,
            counters: AtomicPtr::new(core::ptr::null_mut()),
            dropped: AtomicBool::new(false),
            async_slot: AtomicU16::new(ASYNC_UNKNOWN),
        }
    }

    /// The scope's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The counters of the site's slot, registering on first use; `None` when the
    /// registry was full.
    #[inline(always)]
    pub(crate) fn counters(&self) -> Option<&'static SlotCounters> {
        self.cached_counters().or_else(|| self.counters_slow())
    }

    /// The cached counters, without registering on a miss.
    #[inline(always)]
    pub(crate) fn cached_counters(&self) -> Option<&'static SlotCounters> {
        let cached = self.counters.load(Ordering::Relaxed);
        // SAFETY: the only non-null value ever stored is `&SLOTS[i]` (in `counters_slow`),
        // a shared reference to a `static`, valid for `'static`.
        (!cached.is_null()).then(|| unsafe { &*cached })
    }

    /// The slot index, registering on first use; `None` when the registry was full.
    pub(crate) fn slot(&self) -> Option<usize> {
        self.counters().map(index_of)
    }

    /// The poll counters of the registered async slot `index` of this site: from the
    /// site's cache, or else from the table (then cached). `None` when the async table
    /// was full.
    pub(crate) fn async_counters(&self, index: usize) -> Option<&'static AsyncCounters> {
        match self.async_slot.load(Ordering::Relaxed) {
            ASYNC_NONE => None,
            ASYNC_UNKNOWN => {
                let entry = with_table(|t| t.async_entry(index));
                // Entries are below ASYNC_SCOPE_CAPACITY ≤ 4096: `entry + 1` fits and is
                // neither marker.
                let cached =
                    entry.map_or(ASYNC_NONE, |j| u16::try_from(j + 1).unwrap_or(ASYNC_NONE));
                self.async_slot.store(cached, Ordering::Relaxed);
                entry.and_then(|j| ASYNC_SLOTS.get(j))
            }
            entry => ASYNC_SLOTS.get(usize::from(entry) - 1),
        }
    }

    #[cold]
    #[inline(never)]
    fn counters_slow(&self) -> Option<&'static SlotCounters> {
        if self.dropped.load(Ordering::Relaxed) {
            count_dropped_call();
            return None;
        }
        let Some(found) = register(self.name, self.is_async, true).and_then(counters) else {
            self.dropped.store(true, Ordering::Relaxed);
            return None;
        };
        // A racing first call stores the same value: the slot of a name never changes.
        self.counters
            .store(core::ptr::from_ref(found).cast_mut(), Ordering::Relaxed);
        Some(found)
    }
}

/// The counters of slot `index` (an index returned by the registry).
#[inline(always)]
pub(crate) fn counters(index: usize) -> Option<&'static SlotCounters> {
    SLOTS.get(index)
}

/// The index of a slot's counters in the table.
#[inline]
pub(crate) fn index_of(counters: &'static SlotCounters) -> usize {
    let offset = core::ptr::from_ref(counters) as usize - SLOTS.as_ptr() as usize;
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
    let reference = address - SLOTS.as_ptr() as usize;
    reference as u32
}

/// The slot of a [`reference_of`]. (A reference recorded by another build of the
/// firmware, found in a ring kept across a reset, may name another slot or none.)
#[cfg(feature = "trace")]
pub(crate) fn index_at(reference: u32) -> u32 {
    #[cfg(target_pointer_width = "32")]
    let offset = reference.wrapping_sub(SLOTS.as_ptr() as usize as u32);
    #[cfg(not(target_pointer_width = "32"))]
    let offset = reference;
    offset / core::mem::size_of::<SlotCounters>().max(1) as u32
}

/// Finds or creates the slot for `name`. `new_site` says whether a failure counts as a
/// dropped call site (cached by the site) or only as a dropped call (run-time names).
pub(crate) fn register(name: &'static str, is_async: bool, new_site: bool) -> Option<usize> {
    with_table(|t| {
        let found = t.registered().position(|n| same_name(n, name));
        let index = found.or_else(|| {
            let len = t.len;
            let free = t.names.get_mut(len)?;
            *free = Some(name);
            t.len = len + 1;
            Some(len)
        });
        if let Some(i) = index {
            if is_async {
                t.make_async(i);
            }
            return Some(i);
        }
        if new_site {
            t.dropped_sites = t.dropped_sites.saturating_add(1);
        }
        t.dropped_calls = t.dropped_calls.saturating_add(1);
        None
    })
}

fn count_dropped_call() {
    with_table(|t| t.dropped_calls = t.dropped_calls.saturating_add(1));
}

/// Number of registered scopes.
pub(crate) fn len() -> usize {
    with_table(|t| t.len)
}

/// Name of slot `index` and its async counters (`None` for a synchronous scope, or an
/// async one that found `ASYNC_SLOTS` full), if registered.
pub(crate) fn entry(index: usize) -> Option<(&'static str, Option<&'static AsyncCounters>)> {
    with_table(|t| {
        let name = t
            .names
            .get(index)
            .filter(|_| index < t.len)
            .copied()
            .flatten()?;
        let async_counters = t.async_entry(index).and_then(|j| ASYNC_SLOTS.get(j));
        Some((name, async_counters))
    })
}

/// The slot index of an already registered name.
pub(crate) fn find(name: &str) -> Option<usize> {
    with_table(|t| t.registered().position(|n| same_name(n, name)))
}

/// What did not fit in the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Dropped {
    /// Call sites that found the registry full (a run-time name that finds it full is
    /// counted in `calls` only: it has no site to remember it).
    pub scopes: u32,
    /// Calls of those scopes, which were not measured.
    pub calls: u64,
}

/// Scopes and calls the full registry could not take since start-up (or the last reset).
pub fn dropped() -> Dropped {
    with_table(|t| Dropped {
        scopes: t.dropped_sites,
        calls: t.dropped_calls,
    })
}

/// Zeroes every scope's counters and the dropped-call count. Registrations stay (call
/// sites cache their slots), so the same names keep the same slots.
pub(crate) fn reset_counters() {
    let (len, async_len) = with_table(|t| {
        t.dropped_calls = 0;
        (t.len, t.async_len)
    });
    for slot in SLOTS.iter().take(len) {
        slot.reset();
    }
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
