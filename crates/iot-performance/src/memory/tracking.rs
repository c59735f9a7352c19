//! [`TrackingAllocator`]: exact heap bookkeeping around any [`GlobalAlloc`].
//!
//! Wrap the allocator you already use and install the wrapper as the global allocator;
//! every allocation then updates a handful of atomic counters (no locks, no allocation,
//! safe from interrupts) that [`heap_stats`] reads at any time.
//!
//! ```
//! use std::alloc::System;
//! use iot_performance::memory::{heap_stats, TrackingAllocator};
//!
//! // In a real program: `#[global_allocator] static ALLOC: ... = ...;`
//! static ALLOC: TrackingAllocator<System> = TrackingAllocator::new(System);
//! # let _ = &ALLOC;
//!
//! // `None` until a tracking allocator has served its first allocation.
//! if let Some(stats) = heap_stats() {
//!     println!("{} B in use, peak {} B", stats.bytes_in_use, stats.peak_bytes);
//! }
//! ```
//!
//! ## What is counted
//! Bytes are the sizes the program *requested* (`Layout::size`), not the allocator's
//! block headers or rounding. The counters are process-wide: they belong to the one
//! `#[global_allocator]`, and a second `TrackingAllocator` would add to the same totals.
//! Counts are `usize`, so on 32-bit chips the allocation and free counts wrap after
//! 2³² events (byte figures cannot, they are bounded by the address space).
//!
//! ## Firmware
//! Over `embedded-alloc` (the heap we recommend, see [`super::introspection`]):
//!
//! ```ignore
//! use embedded_alloc::LlffHeap;
//! use iot_performance::memory::TrackingAllocator;
//!
//! #[global_allocator]
//! static HEAP: TrackingAllocator<LlffHeap> = TrackingAllocator::new(LlffHeap::empty());
//!
//! // in main, before the first allocation:
//! unsafe { HEAP.inner().init(heap_start, HEAP_SIZE) }
//! ```
//!
//! On chips without compare-and-swap (`thumbv6m`, `riscv32imc`) the counters need
//! `portable-atomic`'s emulation, which the application enables (see the crate docs).

use core::alloc::{GlobalAlloc, Layout};

use portable_atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// A [`GlobalAlloc`] that forwards to `A` and counts what passes through.
#[derive(Debug)]
pub struct TrackingAllocator<A> {
    inner: A,
}

impl<A> TrackingAllocator<A> {
    /// Wraps `inner`. `const`, so that it can initialise a `static`.
    pub const fn new(inner: A) -> Self {
        Self { inner }
    }

    /// The wrapped allocator (e.g. to initialise an `embedded-alloc` heap). Allocating
    /// through it directly bypasses the counters.
    pub const fn inner(&self) -> &A {
        &self.inner
    }

    /// The counters so far (the same figures as [`heap_stats`]).
    pub fn stats(&self) -> HeapStats {
        COUNTERS.snapshot()
    }
}

/// Heap bookkeeping of the tracking allocator, in requested bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct HeapStats {
    /// Bytes allocated and not yet freed.
    pub bytes_in_use: usize,
    /// Highest `bytes_in_use` seen.
    pub peak_bytes: usize,
    /// Successful allocations (`alloc` and `alloc_zeroed`).
    pub allocations: usize,
    /// Frees.
    pub deallocations: usize,
    /// Successful reallocations (each moves one live block to a new size).
    pub reallocations: usize,
    /// Allocations and reallocations the inner allocator refused.
    pub failed_allocations: usize,
    /// Largest single request seen, successful or not.
    pub largest_request: usize,
}

impl HeapStats {
    /// Blocks currently allocated: `allocations − deallocations`.
    pub fn live_allocations(&self) -> usize {
        self.allocations.wrapping_sub(self.deallocations)
    }
}

/// The counters of whatever tracking allocator is installed; `None` while no tracking
/// allocator has served an allocation (none is installed, or nothing allocated yet).
pub fn heap_stats() -> Option<HeapStats> {
    COUNTERS.active.load(Relaxed).then(|| COUNTERS.snapshot())
}

struct Counters {
    active: AtomicBool,
    in_use: AtomicUsize,
    peak: AtomicUsize,
    allocations: AtomicUsize,
    deallocations: AtomicUsize,
    reallocations: AtomicUsize,
    failed: AtomicUsize,
    largest_request: AtomicUsize,
}

static COUNTERS: Counters = Counters {
    active: AtomicBool::new(false),
    in_use: AtomicUsize::new(0),
    peak: AtomicUsize::new(0),
    allocations: AtomicUsize::new(0),
    deallocations: AtomicUsize::new(0),
    reallocations: AtomicUsize::new(0),
    failed: AtomicUsize::new(0),
    largest_request: AtomicUsize::new(0),
};

impl Counters {
    #[inline]
    fn request(&self, size: usize) {
        if !self.active.load(Relaxed) {
            self.active.store(true, Relaxed);
        }
        // A plain load first: the read-modify-write is needed only for a new record.
        if size > self.largest_request.load(Relaxed) {
            self.largest_request.fetch_max(size, Relaxed);
        }
    }

    #[inline]
    fn grow(&self, bytes: usize) {
        let now = self.in_use.fetch_add(bytes, Relaxed).wrapping_add(bytes);
        if now > self.peak.load(Relaxed) {
            self.peak.fetch_max(now, Relaxed);
        }
    }

    #[inline]
    fn shrink(&self, bytes: usize) {
        self.in_use.fetch_sub(bytes, Relaxed);
    }

    fn snapshot(&self) -> HeapStats {
        HeapStats {
            bytes_in_use: self.in_use.load(Relaxed),
            peak_bytes: self.peak.load(Relaxed),
            allocations: self.allocations.load(Relaxed),
            deallocations: self.deallocations.load(Relaxed),
            reallocations: self.reallocations.load(Relaxed),
            failed_allocations: self.failed.load(Relaxed),
            largest_request: self.largest_request.load(Relaxed),
        }
    }

    #[inline]
    fn allocated(&self, ptr: *mut u8, size: usize) -> *mut u8 {
        if ptr.is_null() {
            self.failed.fetch_add(1, Relaxed);
        } else {
            self.allocations.fetch_add(1, Relaxed);
            self.grow(size);
            #[cfg(feature = "detailed-profiling")]
            super::size_classes::LIVE.add(size);
        }
        ptr
    }
}

// SAFETY: every method forwards to `A` with the caller's arguments unchanged and returns
// its result unchanged; the counters only observe, so `A`'s guarantees carry over.
unsafe impl<A: GlobalAlloc> GlobalAlloc for TrackingAllocator<A> {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNTERS.request(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract for `layout`.
        let ptr = unsafe { self.inner.alloc(layout) };
        COUNTERS.allocated(ptr, layout.size())
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        COUNTERS.request(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc_zeroed`'s contract for `layout`.
        let ptr = unsafe { self.inner.alloc_zeroed(layout) };
        COUNTERS.allocated(ptr, layout.size())
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller guarantees `ptr` was allocated by this allocator (hence by
        // `inner`) with `layout`.
        unsafe { self.inner.dealloc(ptr, layout) };
        COUNTERS.deallocations.fetch_add(1, Relaxed);
        COUNTERS.shrink(layout.size());
        #[cfg(feature = "detailed-profiling")]
        super::size_classes::LIVE.remove(layout.size());
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNTERS.request(new_size);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract; `ptr` came from
        // `inner` because every block of this allocator does.
        let new = unsafe { self.inner.realloc(ptr, layout, new_size) };
        if new.is_null() {
            // The old block is still allocated, unchanged.
            COUNTERS.failed.fetch_add(1, Relaxed);
            return new;
        }
        COUNTERS.reallocations.fetch_add(1, Relaxed);
        let old_size = layout.size();
        if new_size >= old_size {
            COUNTERS.grow(new_size - old_size);
        } else {
            COUNTERS.shrink(old_size - new_size);
        }
        #[cfg(feature = "detailed-profiling")]
        {
            super::size_classes::LIVE.remove(old_size);
            super::size_classes::LIVE.add(new_size);
        }
        new
    }
}
