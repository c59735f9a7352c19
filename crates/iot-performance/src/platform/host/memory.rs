//! Heap, stack and static memory of the host process.

use crate::memory::stack;
use crate::{Error, MemoryMetrics, Result};

pub(super) fn read() -> Result<MemoryMetrics> {
    let heap = heap()?;
    let (stack_used, stack_free) = thread_stack()?;
    Ok(MemoryMetrics {
        heap_used: heap.used,
        heap_free: heap.free,
        heap_total: heap.total,
        stack_used,
        stack_free,
        static_memory: crate::memory::static_memory()?,
        fragmentation_ratio: f32::NAN,
    })
}

struct Heap {
    used: usize,
    free: usize,
    total: usize,
}

/// The C allocator's accounting: `uordblks` in use and `fordblks` free inside its arenas,
/// plus `hblkhd` for blocks it mapped directly. When a `TrackingAllocator` is installed
/// its exact count of requested bytes replaces the in-use figure.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap() -> Result<Heap> {
    // SAFETY: mallinfo2 takes no arguments, only reads the allocator's counters under its
    // own locks, and returns a plain struct by value.
    let info = unsafe { libc::mallinfo2() };
    let used = match crate::memory::heap_stats() {
        Some(tracked) => tracked.bytes_in_use,
        None => info.uordblks + info.hblkhd,
    };
    Ok(Heap {
        used,
        free: info.fordblks,
        total: (info.arena + info.hblkhd).max(used),
    })
}

/// Without glibc only a tracking allocator can tell; the free space is unknown.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap() -> Result<Heap> {
    match crate::memory::heap_stats() {
        Some(tracked) => Ok(Heap {
            used: tracked.bytes_in_use,
            free: 0,
            total: tracked.bytes_in_use,
        }),
        None => Err(Error::Unsupported {
            metric: "heap usage without glibc or a TrackingAllocator",
        }),
    }
}

/// Stack of the calling thread: the high-water mark when this thread painted its stack
/// (see [`crate::memory::stack`]), its current depth otherwise.
fn thread_stack() -> Result<(usize, usize)> {
    if let Some(region) = stack::painted_on_this_thread() {
        let used = stack::high_water_mark(&region);
        return Ok((used, region.size() - used));
    }
    current_depth()
}

/// This thread's stack as (lowest address, one past the highest, guard size).
#[cfg(target_os = "linux")]
pub(crate) fn thread_stack_bounds() -> Result<(usize, usize, usize)> {
    let failed = Error::Provider {
        what: "reading the thread's stack bounds",
    };
    let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: pthread_getattr_np initialises `attr` for the calling thread when it returns 0.
    let rc = unsafe { libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) };
    if rc != 0 {
        return Err(failed);
    }
    let mut base: *mut libc::c_void = core::ptr::null_mut();
    let mut size: libc::size_t = 0;
    let mut guard: libc::size_t = 0;
    // SAFETY: `attr` was initialised above; base, size and guard are valid out-pointers.
    let rc = unsafe {
        libc::pthread_attr_getstack(attr.as_ptr(), &mut base, &mut size)
            | libc::pthread_attr_getguardsize(attr.as_ptr(), &mut guard)
    };
    // SAFETY: `attr` was initialised by pthread_getattr_np and is destroyed exactly once.
    unsafe { libc::pthread_attr_destroy(attr.as_mut_ptr()) };
    if rc != 0 {
        return Err(failed);
    }
    Ok((base as usize, base as usize + size, guard))
}

/// Depth of the calling thread's stack and what is left of it.
#[cfg(target_os = "linux")]
fn current_depth() -> Result<(usize, usize)> {
    let (bottom, top, _) = thread_stack_bounds()?;
    // The stack grows down from its top; a local's address is the current depth.
    let marker = 0u8;
    let here = core::hint::black_box(&marker) as *const u8 as usize;
    let used = top.saturating_sub(here);
    Ok((used, (top - bottom).saturating_sub(used)))
}

#[cfg(not(target_os = "linux"))]
fn current_depth() -> Result<(usize, usize)> {
    Err(Error::Unsupported {
        metric: "stack bounds on this OS",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deeper_call_uses_more_stack() {
        #[inline(never)]
        fn nested(depth: usize) -> usize {
            let pad = core::hint::black_box([0u8; 1024]);
            if depth == 0 {
                current_depth().unwrap().0
            } else {
                nested(depth - 1) + usize::from(pad[0])
            }
        }
        let shallow = current_depth().unwrap().0;
        let deep = nested(16);
        assert!(
            deep >= shallow + 16 * 1024,
            "shallow {shallow}, deep {deep}"
        );
    }

    #[test]
    fn a_painted_thread_reports_its_high_water_mark() {
        std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| {
                let region = stack::StackRegion::current_thread().unwrap();
                stack::paint(&region).unwrap();
                let (used, free) = thread_stack().unwrap();
                assert_eq!(used, stack::high_water_mark(&region));
                assert_eq!(used + free, region.size());
            })
            .unwrap()
            .join()
            .unwrap();
    }
}
