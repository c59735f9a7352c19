//! [`CallSite`]: what one instrumented place in the code keeps, split by mutability.
//!
//! The immutable part — the name, and where the site's caches are — is a `static` with
//! no interior mutability, so it lands in flash (`.rodata`) and costs no RAM; the
//! optimiser folds loads from it, so the hot path reaches the cache directly. The
//! mutable part is a [`SiteCache`] of one pointer (plus an [`AsyncSiteCache`] of two
//! bytes for an `async fn`), zero before the first call, so it lands in `.bss`: 4 bytes
//! of RAM per site on a 32-bit MCU, and no flash. [`call_site!`](crate::call_site)
//! declares all of them.

use core::sync::atomic::{AtomicPtr, AtomicU16, Ordering};

use super::{ASYNC_SLOTS, register, with_table};
use crate::timing::counters::{AsyncCounters, SlotCounters};

/// A call site's cache of its slot's counters: null before its first call, then the
/// registered slot, or the registry's never-reported sink when it was full. Declared
/// by [`call_site!`](crate::call_site); you never use it yourself.
#[derive(Debug)]
pub struct SiteCache(AtomicPtr<SlotCounters>);

impl SiteCache {
    /// An empty cache (all zero: a `static` of it lands in `.bss`).
    #[allow(clippy::new_without_default)] // only ever a `static`'s initialiser
    pub const fn new() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }
}

/// An `async fn` site's cache of its entry in the async counters (its polls, busy time
/// and cancellations): unknown before its first call, then the entry or "none free".
/// Declared by [`call_site!`](crate::call_site); you never use it yourself.
#[derive(Debug)]
pub struct AsyncSiteCache(
    /// `ASYNC_UNKNOWN`, `ASYNC_NONE` when the async table was full, else the entry + 1.
    AtomicU16,
);

impl AsyncSiteCache {
    /// An empty cache (all zero: a `static` of it lands in `.bss`).
    #[allow(clippy::new_without_default)] // only ever a `static`'s initialiser
    pub const fn new() -> Self {
        Self(AtomicU16::new(ASYNC_UNKNOWN))
    }
}

/// `AsyncSiteCache` before the entry is known: look it up in the table.
const ASYNC_UNKNOWN: u16 = 0;
/// `AsyncSiteCache` of an async site that found the async table full.
const ASYNC_NONE: u16 = u16::MAX;

/// One instrumented place in the code: its scope's name and its cache.
/// [`profile_block!`](crate::profile_block) and `#[profile_function]` declare one with
/// [`call_site!`](crate::call_site); you rarely name this type yourself.
#[derive(Debug)]
pub struct CallSite {
    name: &'static str,
    cache: &'static SiteCache,
}

impl CallSite {
    /// A site for a scope called `name`, caching its slot in `cache` (a `static` of its
    /// own: see [`call_site!`](crate::call_site)).
    pub const fn new(name: &'static str, cache: &'static SiteCache) -> Self {
        Self { name, cache }
    }

    /// The scope's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The counters of the site's slot, registering on first use: the registry's sink
    /// (see [`super::is_measured`]) when it was full.
    #[inline(always)]
    pub(crate) fn counters(&self) -> &'static SlotCounters {
        match self.cached_counters() {
            Some(found) => found,
            None => self.counters_slow(false),
        }
    }

    /// The cached counters, without registering on a miss.
    #[inline(always)]
    pub(crate) fn cached_counters(&self) -> Option<&'static SlotCounters> {
        let cached = self.cache.0.load(Ordering::Relaxed);
        // SAFETY: the only non-null value ever stored is a shared reference to the
        // registry's counters (in `counters_slow`), a `static`, valid for `'static`.
        (!cached.is_null()).then(|| unsafe { &*cached })
    }

    /// Registers the site (as an `async fn`'s when `is_async`) and caches its slot.
    #[cold]
    #[inline(never)]
    fn counters_slow(&self, is_async: bool) -> &'static SlotCounters {
        let found = register(self.name, is_async, true);
        // A racing first call stores the same value: the slot of a name never changes,
        // and a site that found the registry full keeps the sink.
        self.cache
            .0
            .store(core::ptr::from_ref(found).cast_mut(), Ordering::Relaxed);
        found
    }
}

/// The [`CallSite`] of an `async fn`, whose report adds busy time, wall time and polls:
/// `#[profile_function]` declares one with [`call_site!`](crate::call_site)`(async ..)`
/// for [`profile_future`](crate::timing::profile_future).
#[derive(Debug)]
pub struct AsyncCallSite {
    site: CallSite,
    async_cache: &'static AsyncSiteCache,
}

impl AsyncCallSite {
    /// A site for an `async fn` called `name`, caching its slot in `cache` and its poll
    /// counters in `async_cache` (`static`s of their own: see
    /// [`call_site!`](crate::call_site)).
    pub const fn new(
        name: &'static str,
        cache: &'static SiteCache,
        async_cache: &'static AsyncSiteCache,
    ) -> Self {
        Self {
            site: CallSite::new(name, cache),
            async_cache,
        }
    }

    /// The scope's name.
    pub const fn name(&self) -> &'static str {
        self.site.name
    }

    /// The counters of the site's slot, registering it as async on first use (the sink
    /// when the registry was full).
    pub(crate) fn counters(&self) -> &'static SlotCounters {
        match self.site.cached_counters() {
            Some(found) => found,
            None => self.site.counters_slow(true),
        }
    }

    /// The poll counters of the registered async slot `index` of this site: from the
    /// site's cache, or else from the table (then cached). `None` when the async table
    /// was full (or `index` is the sink's).
    pub(crate) fn async_counters(&self, index: usize) -> Option<&'static AsyncCounters> {
        let cache = &self.async_cache.0;
        match cache.load(Ordering::Relaxed) {
            ASYNC_NONE => None,
            ASYNC_UNKNOWN => {
                let entry = with_table(|t| t.async_entry(index));
                // Entries are below ASYNC_SCOPE_CAPACITY ≤ 4096: `entry + 1` fits and is
                // neither marker.
                let cached =
                    entry.map_or(ASYNC_NONE, |j| u16::try_from(j + 1).unwrap_or(ASYNC_NONE));
                cache.store(cached, Ordering::Relaxed);
                entry.and_then(|j| ASYNC_SLOTS.get(j))
            }
            entry => ASYNC_SLOTS.get(usize::from(entry) - 1),
        }
    }
}

/// Declares a call site and its caches as `static`s and evaluates to a reference to it:
/// `call_site!("name")`, a `&'static CallSite`, for a block or a synchronous function;
/// `call_site!(async "name")`, a `&'static AsyncCallSite`, for an `async fn`. [`profile_block!`](crate::profile_block)
/// and `#[profile_function]` use it; call it yourself to time a future you did not
/// write with [`profile_future`](crate::timing::profile_future).
///
/// The site itself is immutable and lands in flash (12 bytes on a 32-bit MCU, 16 for an
/// `async fn`); its caches start at zero and land in `.bss` (4 bytes of RAM, 2 more for
/// an `async fn`).
///
/// ```
/// use iot_performance::{call_site, timing};
///
/// let site: &'static timing::CallSite = call_site!("doc_site");
/// assert_eq!(site.name(), "doc_site");
/// ```
#[macro_export]
macro_rules! call_site {
    (async $name:expr $(,)?) => {{
        static __IOT_PERF_CACHE: $crate::timing::SiteCache = $crate::timing::SiteCache::new();
        static __IOT_PERF_ASYNC_CACHE: $crate::timing::AsyncSiteCache =
            $crate::timing::AsyncSiteCache::new();
        static __IOT_PERF_SITE: $crate::timing::AsyncCallSite =
            $crate::timing::AsyncCallSite::new($name, &__IOT_PERF_CACHE, &__IOT_PERF_ASYNC_CACHE);
        &__IOT_PERF_SITE
    }};
    ($name:expr $(,)?) => {{
        static __IOT_PERF_CACHE: $crate::timing::SiteCache = $crate::timing::SiteCache::new();
        static __IOT_PERF_SITE: $crate::timing::CallSite =
            $crate::timing::CallSite::new($name, &__IOT_PERF_CACHE);
        &__IOT_PERF_SITE
    }};
}
