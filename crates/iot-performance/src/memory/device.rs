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

/// Heap figures: `(used, free, total, fragmentation_ratio)`, the ratio `NaN` where the
/// source cannot tell the largest free block.
pub(crate) type HeapFigures = (usize, usize, usize, f32);

/// Where a firmware backend reads its heap figures: nothing yet, a `(used, free)` reader,
/// or a heap that also measures its largest free block.
///
/// One word of context and one read function, so that a firmware links the code of the
/// kind of heap it gives and nothing else.
#[derive(Clone, Copy)]
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
pub(crate) struct HeapSource {
    /// What `read` reads: 0, the reader's address, or the heap's address.
    context: usize,
    read: fn(usize) -> HeapFigures,
}

impl core::fmt::Debug for HeapSource {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("HeapSource").finish_non_exhaustive()
    }
}

#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
impl HeapSource {
    /// No heap given: `0 / 0`, fragmentation unknown.
    pub(crate) const UNKNOWN: Self = Self {
        context: 0,
        read: |_| (0, 0, 0, f32::NAN),
    };

    /// `(used, free)` bytes from the application: fragmentation unknown (`NaN`).
    pub(crate) fn reader(reader: fn() -> (usize, usize)) -> Self {
        Self {
            context: reader as usize,
            read: |context| {
                // SAFETY: `context` is the address of a `fn() -> (usize, usize)`: this
                // closure is only ever paired with the context set just above.
                let reader: fn() -> (usize, usize) = unsafe { core::mem::transmute(context) };
                let (used, free) = reader();
                (used, free, used + free, f32::NAN)
            },
        }
    }

    /// A heap with [`HeapIntrospection`]: fragmentation measured.
    pub(crate) fn heap<H: HeapIntrospection + Sync>(heap: &'static H) -> Self {
        Self {
            context: core::ptr::from_ref(heap) as usize,
            read: read_heap::<H>,
        }
    }

    /// The figures now.
    pub(crate) fn read(&self) -> HeapFigures {
        (self.read)(self.context)
    }
}

/// The read function of [`HeapSource::heap`].
#[cfg_attr(
    not(any(feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
fn read_heap<H: HeapIntrospection>(context: usize) -> HeapFigures {
    // SAFETY: `HeapSource::heap` is the only pairing of this function with a context, and
    // there the context is the address of a `&'static H`: valid for the whole program.
    let heap = unsafe { &*(context as *const H) };
    heap_figures(heap)
}

/// `(used, free, total, fragmentation_ratio)` of `heap`.
#[cfg_attr(
    not(any(test, feature = "cortex-m", feature = "riscv", feature = "esp32c3")),
    allow(dead_code)
)]
fn heap_figures(heap: &(impl HeapIntrospection + ?Sized)) -> HeapFigures {
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
        assert!(HeapSource::UNKNOWN.read().3.is_nan());
        assert_eq!(HeapSource::UNKNOWN.read().0, 0);
        let (used, free, total, ratio) = HeapSource::reader(used_free).read();
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

    /// A heap of fixed figures: 1 KiB used, 3 KiB free, the largest block 1 KiB of it.
    struct FixedHeap;

    impl HeapIntrospection for FixedHeap {
        fn total_used(&self) -> usize {
            1_024
        }
        fn total_free(&self) -> usize {
            3_072
        }
        fn largest_free_block(&self) -> Option<usize> {
            Some(1_024)
        }
    }

    static FIXED: FixedHeap = FixedHeap;

    #[test]
    fn a_heap_source_reads_the_heap_it_was_given() {
        let (used, free, total, ratio) = HeapSource::heap(&FIXED).read();
        assert_eq!((used, free, total), (1_024, 3_072, 4_096));
        assert!((ratio - 2.0 / 3.0).abs() < 1e-6, "{ratio}");
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
                let (used, free, total, ratio) = HeapSource::heap(heap).read();
                assert_eq!((used, free), (heap.used(), heap.free()));
                assert_eq!(total, used + free);
                assert!(ratio < 0.05, "{ratio}");
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
