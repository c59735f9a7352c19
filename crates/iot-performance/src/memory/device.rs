//! [`device_memory_metrics`]: one [`MemoryMetrics`] reading from a firmware's own parts.
//!
//! A firmware backend's [`crate::MemoryProvider`] is usually this call: the heap it
//! installed (anything with [`HeapIntrospection`], e.g. an `embedded-alloc` heap, wrapped
//! or not in a [`super::TrackingAllocator`]), the stack it painted at start-up, and the
//! linker's static sections.
//!
//! ```ignore
//! // Firmware (Cortex-M, features `embedded-alloc`, `link-cortex-m-rt`):
//! #[global_allocator]
//! static HEAP: TrackingAllocator<LlffHeap> = TrackingAllocator::new(LlffHeap::empty());
//!
//! let stack = StackRegion::main_stack();
//! stack::paint(&stack)?;                 // first thing in main
//! // ... later, in the provider:
//! let metrics = device_memory_metrics(&HEAP, HEAP_SIZE, &stack)?;
//! ```
//!
//! The fragmentation figure probes the heap (see [`super::introspection`]): about
//! 2·log₂(free bytes) allocate/free pairs inside one critical section per reading.

use super::stack::{StackRegion, high_water_mark};
use super::{HeapIntrospection, static_memory};
use crate::{MemoryMetrics, Result};

/// Reads heap, stack and static memory of a device.
///
/// - heap in use: the tracking allocator's exact count when one is installed (`alloc`),
///   else `heap_size − total_free` (which then includes the allocator's block headers);
/// - heap free: the heap's own figure; heap total: `heap_size`;
/// - stack: the high-water mark of `stack` since it was painted;
/// - static memory: [`static_memory`];
/// - fragmentation: [`HeapIntrospection::fragmentation_ratio`], `NaN` where unknown.
///
/// # Errors
/// [`static_memory`]'s error where the static sections are unknown.
pub fn device_memory_metrics<H: HeapIntrospection + ?Sized>(
    heap: &H,
    heap_size: usize,
    stack: &StackRegion,
) -> Result<MemoryMetrics> {
    let heap_free = heap.total_free();
    let untracked = heap_size.saturating_sub(heap_free);
    #[cfg(feature = "alloc")]
    let heap_used = super::heap_stats().map_or(untracked, |s| s.bytes_in_use);
    #[cfg(not(feature = "alloc"))]
    let heap_used = untracked;
    Ok(device_reading(
        heap_used,
        heap_free,
        heap_size,
        heap.fragmentation_ratio().unwrap_or(f32::NAN),
        stack,
        static_memory()?,
    ))
}

/// Where a firmware backend reads its heap figures: nothing yet, a `(used, free)` reader,
/// or a heap that also measures its largest free block.
#[derive(Clone, Copy)]
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
pub(crate) enum HeapSource {
    /// No heap given: `0 / 0`, fragmentation unknown.
    Unknown,
    /// `(used, free)` bytes from the application: fragmentation unknown (`NaN`).
    Reader(fn() -> (usize, usize)),
    /// A heap with [`HeapIntrospection`]: fragmentation measured.
    Heap(&'static (dyn HeapIntrospection + Sync)),
}

impl core::fmt::Debug for HeapSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Unknown => "Unknown",
            Self::Reader(_) => "Reader",
            Self::Heap(_) => "Heap",
        })
    }
}

#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
impl HeapSource {
    /// `(used, free, total, fragmentation_ratio)` now; the ratio is `NaN` where the source
    /// cannot tell the largest free block.
    pub(crate) fn read(&self) -> (usize, usize, usize, f32) {
        match self {
            Self::Unknown => (0, 0, 0, f32::NAN),
            Self::Reader(read) => {
                let (used, free) = read();
                (used, free, used + free, f32::NAN)
            }
            Self::Heap(heap) => heap_figures(*heap),
        }
    }
}

/// `(used, free, total, fragmentation_ratio)` of `heap`.
#[cfg_attr(
    not(any(test, feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
fn heap_figures(heap: &(impl HeapIntrospection + ?Sized)) -> (usize, usize, usize, f32) {
    let used = heap.total_used();
    let free = heap.total_free();
    let ratio = heap.fragmentation_ratio().unwrap_or(f32::NAN);
    (used, free, used + free, ratio)
}

/// Assembles one device memory reading from the heap figures, a painted `stack` and the
/// static sections: what every firmware backend and [`device_memory_metrics`] report.
pub(crate) fn device_reading(
    heap_used: usize,
    heap_free: usize,
    heap_total: usize,
    fragmentation_ratio: f32,
    stack: &StackRegion,
    static_memory: usize,
) -> MemoryMetrics {
    let stack_used = high_water_mark(stack);
    MemoryMetrics {
        heap_used,
        heap_free,
        heap_total,
        stack_used,
        stack_free: stack.size().saturating_sub(stack_used),
        static_memory,
        fragmentation_ratio,
    }
}

#[cfg(test)]
mod source_tests {
    use super::*;
    use crate::mock::MockMetrics;

    fn used_free() -> (usize, usize) {
        (300, 700)
    }

    #[test]
    fn a_reader_gives_figures_without_fragmentation() {
        assert!(HeapSource::Unknown.read().3.is_nan());
        assert_eq!(HeapSource::Unknown.read().0, 0);
        let (used, free, total, ratio) = HeapSource::Reader(used_free).read();
        assert_eq!((used, free, total), (300, 700, 1000));
        assert!(ratio.is_nan());
    }

    #[test]
    fn an_introspected_heap_gives_its_fragmentation() {
        let mock = MockMetrics::new_with_defaults();
        mock.set_memory_usage(4_096, 8_192);
        mock.set_largest_free_block(2_048);
        let (used, free, total, ratio) = heap_figures(&mock);
        assert_eq!((used, free, total), (4_096, 8_192, 12_288));
        assert_eq!(ratio, 0.75);
    }
}

#[cfg(all(test, host_std, feature = "embedded-alloc", target_os = "linux"))]
#[allow(clippy::unwrap_used)] // test helpers fail loudly
mod tests {
    use core::alloc::{GlobalAlloc, Layout};
    use core::mem::MaybeUninit;

    use super::*;
    use crate::memory::stack::paint;

    #[test]
    fn an_llff_heap_and_a_painted_stack() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                const SIZE: usize = 4096;
                let stack = StackRegion::current_thread().unwrap();
                paint(&stack).unwrap();
                let heap: &'static embedded_alloc::LlffHeap =
                    std::boxed::Box::leak(std::boxed::Box::new(embedded_alloc::LlffHeap::empty()));
                let mem = std::boxed::Box::leak(std::boxed::Box::new(
                    [MaybeUninit::<u8>::uninit(); SIZE],
                ));
                // SAFETY: leaked memory that nothing else uses, given to the heap once.
                unsafe { heap.init(mem.as_mut_ptr() as usize, SIZE) };
                let layout = Layout::from_size_align(1000, 8).unwrap();
                // SAFETY: non-zero layout; never freed (the heap is dropped with the test).
                let p = unsafe { heap.alloc(layout) };
                assert!(!p.is_null());

                let m = device_memory_metrics(heap, SIZE, &stack).unwrap();
                assert_eq!(m.heap_total, SIZE);
                assert_eq!(m.heap_free, heap.free());
                assert!(m.heap_free <= SIZE - 1000);
                assert_eq!(m.heap_used, SIZE - m.heap_free); // no tracking allocator here
                assert_eq!(m.stack_used + m.stack_free, stack.size());
                assert!(m.stack_used > 0 && m.stack_used < 64 * 1024);
                assert!(m.static_memory > 0);
                // One block in use at the start, the rest free in one piece.
                assert!(m.fragmentation().unwrap() < 0.05);

                // What a firmware backend given `with_heap(&HEAP)` reports.
                let (used, free, total, ratio) = HeapSource::Heap(heap).read();
                assert_eq!((used, free), (heap.used(), heap.free()));
                assert_eq!(total, used + free);
                assert!(ratio < 0.05, "{ratio}");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
