//! Heap fragmentation: [`HeapIntrospection`] and where it can be measured.
//!
//! `fragmentation_ratio = 1 − largest_free_block / total_free`: 0.0 when all free memory
//! is one block, approaching 1.0 as it splits into small pieces that cannot serve a large
//! request even though the total would.
//!
//! | heap | total free | largest free block |
//! |---|---|---|
//! | `embedded-alloc` `LlffHeap` / `TlsfHeap` (feature `embedded-alloc`) | `Heap::free()` | measured by probing, see below |
//! | `esp-alloc` `EspHeap` (feature `esp32c3`; the ESP32-C3 backend reads `esp_alloc::HEAP` by default) | `EspHeap::free()` | measured by probing |
//! | [`crate::mock::MockMetrics`] | `heap_free` | set by the test |
//! | host system allocator (glibc) | `mallinfo2` | **not available**: glibc reports no largest block, and probing is meaningless where the allocator maps fresh pages on demand; the ratio is `NaN` |
//!
//! The firmware backends read such a heap given to their `with_heap(&HEAP)` (Cortex-M,
//! RISC-V, ESP32-C3), so every snapshot carries the measured ratio.
//!
//! `embedded-alloc` 0.7 reports only `used()` and `free()`; its free lists are private. So
//! the largest block is measured the way an application would find it: the largest
//! request that succeeds, found by a binary search of allocate-and-free pairs inside one
//! critical section ([`largest_allocatable_block`], about 2·log₂(free) heap operations).
//! That is exactly "the biggest buffer I could allocate right now".
//!
//! **`TlsfHeap` alignment.** `embedded-alloc` 0.7's `TlsfHeap::free()` walks the heap's
//! blocks over the length given to `init`, while the allocator itself trimmed the region
//! to its granularity (4 × `usize`: 16 bytes on 32-bit chips, 32 on 64-bit hosts). When
//! the heap's start or end is not a multiple of that, the walk overflows: a panic in
//! debug builds, a wrong figure in release. Give a `TlsfHeap` memory aligned to 16 (32 on
//! 64-bit) with a size that is a multiple of it, e.g. a `#[repr(align(16))]` wrapper
//! around the `static` array. `LlffHeap` has no such requirement.
//!
//! ```
//! use iot_performance::memory::{fragmentation_ratio, HeapIntrospection};
//! use iot_performance::mock::MockMetrics;
//!
//! let mock = MockMetrics::new_with_defaults();
//! mock.set_memory_usage(16_384, 8_192);
//! mock.set_largest_free_block(2_048);
//! assert_eq!(mock.total_free(), 8_192);
//! assert_eq!(mock.fragmentation_ratio(), Some(0.75));
//! assert_eq!(fragmentation_ratio(4_096, 4_096), 0.0);
//! ```

use core::alloc::{GlobalAlloc, Layout};

use crate::MemoryProvider;
use crate::mock::MockMetrics;

/// A heap that can say how much of it is used and how its free memory is split.
pub trait HeapIntrospection {
    /// Bytes in use (as the heap counts them).
    fn total_used(&self) -> usize;

    /// Free bytes in the heap.
    fn total_free(&self) -> usize;

    /// The largest single block the heap could hand out now, or `None` where the heap
    /// cannot tell (then fragmentation is unknown, never guessed).
    fn largest_free_block(&self) -> Option<usize>;

    /// `1 − largest_free_block / total_free`, or `None` when the largest block is unknown.
    fn fragmentation_ratio(&self) -> Option<f32> {
        let largest = self.largest_free_block()?;
        Some(fragmentation_ratio(largest, self.total_free()))
    }
}

/// `1 − largest_free_block / total_free`, clamped to 0.0–1.0. A heap with nothing free is
/// not fragmented (0.0): there is nothing to split.
pub fn fragmentation_ratio(largest_free_block: usize, total_free: usize) -> f32 {
    if total_free == 0 {
        return 0.0;
    }
    // f32 arithmetic: no f64 division (soft-float) on firmware.
    (1.0 - largest_free_block as f32 / total_free as f32).clamp(0.0, 1.0)
}

/// The largest block of `usize` alignment that `heap` can allocate now, at most
/// `upper_bound` bytes: a binary search of allocate-and-free pairs, run inside one
/// critical section so that interrupts do not allocate in between.
///
/// Meant for fixed-size heaps (firmware); on an allocator that maps memory on demand it
/// would measure the operating system, not fragmentation.
pub fn largest_allocatable_block<A: GlobalAlloc + ?Sized>(heap: &A, upper_bound: usize) -> usize {
    let align = core::mem::align_of::<usize>();
    let fits = |size: usize| -> bool {
        let Ok(layout) = Layout::from_size_align(size, align) else {
            return false;
        };
        // SAFETY: `size` is at least 1 (the search never probes 0), so the layout has a
        // non-zero size as `alloc` requires.
        let ptr = unsafe { heap.alloc(layout) };
        if ptr.is_null() {
            return false;
        }
        // SAFETY: `ptr` was just returned by `heap.alloc` with this very layout.
        unsafe { heap.dealloc(ptr, layout) };
        true
    };
    critical_section::with(|_| {
        // Invariant: `lo` fits (0 trivially), `hi + 1` does not or is beyond the bound.
        let (mut lo, mut hi) = (0usize, upper_bound);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    })
}

#[cfg(feature = "alloc")]
impl<A: HeapIntrospection> HeapIntrospection for super::TrackingAllocator<A> {
    fn total_used(&self) -> usize {
        self.inner().total_used()
    }
    fn total_free(&self) -> usize {
        self.inner().total_free()
    }
    fn largest_free_block(&self) -> Option<usize> {
        self.inner().largest_free_block()
    }
}

impl<T: HeapIntrospection + ?Sized> HeapIntrospection for &T {
    fn total_used(&self) -> usize {
        (**self).total_used()
    }
    fn total_free(&self) -> usize {
        (**self).total_free()
    }
    fn largest_free_block(&self) -> Option<usize> {
        (**self).largest_free_block()
    }
}

/// `HeapIntrospection` for a fixed-size heap with inherent `used()` and `free()`: the
/// largest block is probed ([`largest_allocatable_block`]).
macro_rules! probed_heap {
    ($(#[$meta:meta])* $heap:ty) => {
        $(#[$meta])*
        impl HeapIntrospection for $heap {
            fn total_used(&self) -> usize {
                self.used()
            }
            fn total_free(&self) -> usize {
                self.free()
            }
            fn largest_free_block(&self) -> Option<usize> {
                Some(largest_allocatable_block(self, self.free()))
            }
        }
    };
}

probed_heap!(
    #[cfg(feature = "embedded-alloc")]
    embedded_alloc::LlffHeap
);
probed_heap!(
    #[cfg(feature = "embedded-alloc")]
    embedded_alloc::TlsfHeap
);
probed_heap!(
    /// `esp-alloc`'s heap (all its regions): what esp-hal applications allocate from. A
    /// request is served from one region, so the probe finds the largest block of any.
    #[cfg(feature = "esp32c3")]
    esp_alloc::EspHeap
);

/// The mock's heap: `heap_free` is the total free, and the largest block follows the
/// fragmentation ratio the test set (unknown while that ratio is `NaN`).
impl HeapIntrospection for MockMetrics {
    fn total_used(&self) -> usize {
        self.memory_metrics().map_or(0, |m| m.heap_used)
    }

    fn total_free(&self) -> usize {
        self.memory_metrics().map_or(0, |m| m.heap_free)
    }

    fn largest_free_block(&self) -> Option<usize> {
        let m = self.memory_metrics().ok()?;
        let ratio = m.fragmentation()?;
        Some(libm::round((1.0 - f64::from(ratio)) * m.heap_free as f64) as usize)
    }
}

impl MockMetrics {
    /// Plays a heap whose largest free block is `bytes` (of the current `heap_free`): sets
    /// the fragmentation ratio to match.
    pub fn set_largest_free_block(&self, bytes: usize) {
        let free = self.total_free();
        self.set_fragmentation_ratio(fragmentation_ratio(bytes, free));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_bounds() {
        assert_eq!(fragmentation_ratio(0, 0), 0.0);
        assert_eq!(fragmentation_ratio(100, 100), 0.0);
        assert_eq!(fragmentation_ratio(25, 100), 0.75);
        assert_eq!(fragmentation_ratio(200, 100), 0.0);
    }

    #[test]
    fn mock_without_ratio_reports_unknown() {
        let mock = MockMetrics::new_with_defaults();
        mock.set_fragmentation_ratio(f32::NAN);
        assert_eq!(mock.largest_free_block(), None);
        assert_eq!(HeapIntrospection::fragmentation_ratio(&mock), None);
    }
}

#[cfg(all(test, feature = "embedded-alloc"))]
#[allow(clippy::unwrap_used)] // test helpers fail loudly
mod embedded_alloc_tests {
    use core::mem::MaybeUninit;

    use super::*;

    const HEAP: usize = 8 * 1024;
    const BLOCK: usize = 128;

    /// Leaked memory for one heap, aligned as `TlsfHeap::free()` needs (module docs).
    fn memory() -> (usize, usize) {
        #[repr(C, align(64))]
        struct Aligned([MaybeUninit<u8>; HEAP]);
        let mem =
            std::boxed::Box::leak(std::boxed::Box::new(Aligned([MaybeUninit::uninit(); HEAP])));
        (mem.0.as_mut_ptr() as usize, HEAP)
    }

    /// Allocates up to `count` blocks (fewer if the heap fills), frees those `free`
    /// picks, returns the measured fragmentation.
    fn ratio_after<H: GlobalAlloc + HeapIntrospection>(
        heap: &H,
        count: usize,
        free: impl Fn(usize, usize) -> bool,
    ) -> f32 {
        let layout = Layout::from_size_align(BLOCK, 8).unwrap();
        let mut blocks = std::vec::Vec::new();
        while blocks.len() < count {
            // SAFETY: non-zero layout.
            let p = unsafe { heap.alloc(layout) };
            if p.is_null() {
                break;
            }
            blocks.push(p);
        }
        assert!(blocks.len() > 16, "{}", blocks.len());
        let n = blocks.len();
        for (i, p) in blocks.iter().enumerate() {
            if free(i, n) {
                // SAFETY: allocated above with this layout, freed once.
                unsafe { heap.dealloc(*p, layout) };
            }
        }
        let largest = heap.largest_free_block().unwrap();
        assert!(largest <= heap.total_free());
        // The probe's answer is allocatable, one word more is not.
        let fits = Layout::from_size_align(largest, 8).unwrap();
        // SAFETY: non-zero layout; freed right away.
        unsafe {
            let p = heap.alloc(fits);
            assert!(!p.is_null());
            heap.dealloc(p, fits);
            assert!(
                heap.alloc(Layout::from_size_align(largest + 8, 8).unwrap())
                    .is_null()
            );
        }
        let ratio = heap.fragmentation_ratio().unwrap();
        for (i, p) in blocks.iter().enumerate() {
            if !free(i, n) {
                // SAFETY: allocated above with this layout and not freed yet.
                unsafe { heap.dealloc(*p, layout) };
            }
        }
        ratio
    }

    /// Both scenarios on one heap, freeing everything in between.
    fn compact_then_fragmented<H: GlobalAlloc + HeapIntrospection>(
        heap: &H,
        count: usize,
    ) -> (f32, f32) {
        let compact = ratio_after(heap, count, |i, n| i >= n / 2);
        let fragmented = ratio_after(heap, count, |i, _| i % 2 == 0);
        (compact, fragmented)
    }

    #[test]
    fn alternating_frees_fragment_an_llff_heap() {
        let heap = embedded_alloc::LlffHeap::empty();
        let (start, size) = memory();
        // SAFETY: the heap gets leaked memory nothing else uses, once.
        unsafe { heap.init(start, size) };
        // Filled to exhaustion: every hole left by an alternating free is one block.
        let (compact, fragmented) = compact_then_fragmented(&heap, usize::MAX);
        assert!(compact < 0.05, "{compact}");
        assert!(fragmented > 0.9, "{fragmented}");
    }

    #[test]
    fn alternating_frees_fragment_a_tlsf_heap() {
        let heap = embedded_alloc::TlsfHeap::empty();
        let (start, size) = memory();
        // SAFETY: the heap gets leaked memory nothing else uses, once.
        unsafe { heap.init(start, size) };
        // 40 blocks of 128 B in 8 KiB: the free tail stays the largest block.
        let (compact, fragmented) = compact_then_fragmented(&heap, 40);
        assert!(compact < 0.05, "{compact}");
        assert!(
            fragmented > compact + 0.3,
            "compact {compact}, fragmented {fragmented}"
        );
    }
}
