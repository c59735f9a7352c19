//! The static scope registry: one slot per scope name, fixed capacity, overflow counted.
//!
//! Each call site owns a [`CallSite`] `static` that caches a pointer to its slot's counters
//! after the first call, so the hot path is one relaxed load and a null test. Registration (first call of a site, or every
//! call through a run-time name) takes a short critical section and never allocates. Two
//! call sites with the same name share one slot: a report is by name.

use core::cell::RefCell;

use critical_section::Mutex;
// Load/store-only atomics come from `core`: every target has them natively
// (`target_has_atomic_load_store`), while portable-atomic on a core without
// compare-and-swap (riscv32imc, thumbv6m) wraps even a plain load in a critical section.
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};

use super::counters::SlotCounters;

include!(concat!(env!("OUT_DIR"), "/scope_capacity.rs"));

/// Names and kinds of the registered scopes, and what did not fit. Every field starts at
/// zero (`None` names), so the table lands in `.bss` and costs no flash.
struct Table {
    names: [Option<&'static str>; SCOPE_CAPACITY],
    is_async: [bool; SCOPE_CAPACITY],
    len: usize,
    dropped_sites: u32,
    dropped_calls: u64,
}

static TABLE: Mutex<RefCell<Table>> = Mutex::new(RefCell::new(Table {
    names: [None; SCOPE_CAPACITY],
    is_async: [false; SCOPE_CAPACITY],
    len: 0,
    dropped_sites: 0,
    dropped_calls: 0,
}));

static SLOTS: [SlotCounters; SCOPE_CAPACITY] = [const { SlotCounters::new() }; SCOPE_CAPACITY];

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
}

impl CallSite {
    /// A site for a synchronous scope called `name`.
    pub const fn new(name: &'static str) -> Self {
        Self {
            name,
            is_async: false,
            counters: AtomicPtr::new(core::ptr::null_mut()),
            dropped: AtomicBool::new(false),
        }
    }

    /// A site for an `async fn` called `name` (its report adds busy time, wall time, polls).
    pub const fn new_async(name: &'static str) -> Self {
        Self {
            name,
            is_async: true,
            counters: AtomicPtr::new(core::ptr::null_mut()),
            dropped: AtomicBool::new(false),
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

/// Finds or creates the slot for `name`. `new_site` says whether a failure counts as a
/// dropped call site (cached by the site) or only as a dropped call (run-time names).
pub(crate) fn register(name: &'static str, is_async: bool, new_site: bool) -> Option<usize> {
    critical_section::with(|cs| {
        let mut t = TABLE.borrow_ref_mut(cs);
        let len = t.len;
        if let Some(i) = t.names[..len]
            .iter()
            .position(|n| n.is_some_and(|n| core::ptr::eq(n, name) || n == name))
        {
            t.is_async[i] |= is_async;
            return Some(i);
        }
        if len < SCOPE_CAPACITY {
            t.names[len] = Some(name);
            t.is_async[len] = is_async;
            t.len = len + 1;
            return Some(len);
        }
        if new_site {
            t.dropped_sites = t.dropped_sites.saturating_add(1);
        }
        t.dropped_calls = t.dropped_calls.saturating_add(1);
        None
    })
}

fn count_dropped_call() {
    critical_section::with(|cs| {
        let mut t = TABLE.borrow_ref_mut(cs);
        t.dropped_calls = t.dropped_calls.saturating_add(1);
    });
}

/// Number of registered scopes.
pub(crate) fn len() -> usize {
    critical_section::with(|cs| TABLE.borrow_ref(cs).len)
}

/// Name and kind of slot `index`, if registered.
pub(crate) fn entry(index: usize) -> Option<(&'static str, bool)> {
    critical_section::with(|cs| {
        let t = TABLE.borrow_ref(cs);
        let name = t.names[..t.len].get(index).copied().flatten()?;
        Some((name, t.is_async[index]))
    })
}

/// The slot index of an already registered name.
pub(crate) fn find(name: &str) -> Option<usize> {
    critical_section::with(|cs| {
        let t = TABLE.borrow_ref(cs);
        t.names[..t.len].iter().position(|n| *n == Some(name))
    })
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
    critical_section::with(|cs| {
        let t = TABLE.borrow_ref(cs);
        Dropped {
            scopes: t.dropped_sites,
            calls: t.dropped_calls,
        }
    })
}

/// Zeroes every scope's counters and the dropped-call count. Registrations stay (call
/// sites cache their slots), so the same names keep the same slots.
pub(crate) fn reset_counters() {
    let len = len();
    for slot in &SLOTS[..len] {
        slot.reset();
    }
    critical_section::with(|cs| TABLE.borrow_ref_mut(cs).dropped_calls = 0);
    #[cfg(feature = "detailed-profiling")]
    super::detail::reset();
}
