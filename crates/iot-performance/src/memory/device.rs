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
                let heap = embedded_alloc::LlffHeap::empty();
                let mem = std::boxed::Box::leak(std::boxed::Box::new(
                    [MaybeUninit::<u8>::uninit(); SIZE],
                ));
                // SAFETY: leaked memory that nothing else uses, given to the heap once.
                unsafe { heap.init(mem.as_mut_ptr() as usize, SIZE) };
                let layout = Layout::from_size_align(1000, 8).unwrap();
                // SAFETY: non-zero layout; never freed (the heap is dropped with the test).
                let p = unsafe { heap.alloc(layout) };
                assert!(!p.is_null());

                let m = device_memory_metrics(&heap, SIZE, &stack).unwrap();
                assert_eq!(m.heap_total, SIZE);
                assert_eq!(m.heap_free, heap.free());
                assert!(m.heap_free <= SIZE - 1000);
                assert_eq!(m.heap_used, SIZE - m.heap_free); // no tracking allocator here
                assert_eq!(m.stack_used + m.stack_free, stack.size());
                assert!(m.stack_used > 0 && m.stack_used < 64 * 1024);
                assert!(m.static_memory > 0);
                // One block in use at the start, the rest free in one piece.
                assert!(m.fragmentation().unwrap() < 0.05);
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
