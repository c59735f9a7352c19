//! Heap, stack and static memory of the host process.

use std::ffi::c_int;

use crate::{Error, MemoryMetrics, Result};

pub(super) fn read() -> Result<MemoryMetrics> {
    let heap = heap()?;
    let (stack_used, stack_free) = current_stack()?;
    Ok(MemoryMetrics {
        heap_used: heap.used,
        heap_free: heap.free,
        heap_total: heap.total,
        stack_used,
        stack_free,
        static_memory: static_memory()?,
        fragmentation_ratio: f32::NAN,
    })
}

struct Heap {
    used: usize,
    free: usize,
    total: usize,
}

/// The C allocator's accounting: `uordblks` in use and `fordblks` free inside its arenas,
/// plus `hblkhd` for blocks it mapped directly.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn heap() -> Result<Heap> {
    // SAFETY: mallinfo2 takes no arguments, only reads the allocator's counters under its
    // own locks, and returns a plain struct by value.
    let info = unsafe { libc::mallinfo2() };
    Ok(Heap {
        used: info.uordblks + info.hblkhd,
        free: info.fordblks,
        total: info.arena + info.hblkhd,
    })
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn heap() -> Result<Heap> {
    Err(Error::Unsupported {
        metric: "heap usage without glibc or a TrackingAllocator",
    })
}

/// Depth of the calling thread's stack and what is left of it.
#[cfg(target_os = "linux")]
fn current_stack() -> Result<(usize, usize)> {
    let mut attr = core::mem::MaybeUninit::<libc::pthread_attr_t>::uninit();
    // SAFETY: pthread_getattr_np initialises `attr` for the calling thread when it returns 0.
    let rc = unsafe { libc::pthread_getattr_np(libc::pthread_self(), attr.as_mut_ptr()) };
    if rc != 0 {
        return Err(Error::Provider {
            what: "reading the thread's stack bounds",
        });
    }
    let mut base: *mut libc::c_void = core::ptr::null_mut();
    let mut size: libc::size_t = 0;
    // SAFETY: `attr` was initialised above; base and size are valid out-pointers.
    let rc = unsafe { libc::pthread_attr_getstack(attr.as_ptr(), &mut base, &mut size) };
    // SAFETY: `attr` was initialised by pthread_getattr_np and is destroyed exactly once.
    unsafe { libc::pthread_attr_destroy(attr.as_mut_ptr()) };
    if rc != 0 {
        return Err(Error::Provider {
            what: "reading the thread's stack bounds",
        });
    }
    // The stack grows down from base + size; a local's address is the current depth.
    let marker = 0u8;
    let here = core::hint::black_box(&marker) as *const u8 as usize;
    let top = base as usize + size;
    let used = top.saturating_sub(here);
    Ok((used, size.saturating_sub(used)))
}

#[cfg(not(target_os = "linux"))]
fn current_stack() -> Result<(usize, usize)> {
    Err(Error::Unsupported {
        metric: "stack bounds on this OS",
    })
}

/// Sum of the executable's writable `PT_LOAD` segments in memory (`.data`, `.bss` and the
/// relocation tables the loader writes): the host's counterpart of `.data + .bss`.
#[cfg(target_os = "linux")]
fn static_memory() -> Result<usize> {
    unsafe extern "C" fn first_object(
        info: *mut libc::dl_phdr_info,
        _size: libc::size_t,
        data: *mut libc::c_void,
    ) -> c_int {
        // SAFETY: the loader passes a valid info record for the duration of the call, and
        // `data` is the `&mut usize` given to dl_iterate_phdr below.
        let (info, total) = unsafe { (&*info, &mut *(data as *mut usize)) };
        let count = usize::from(info.dlpi_phnum);
        if !info.dlpi_phdr.is_null() && count > 0 {
            // SAFETY: dlpi_phdr points at dlpi_phnum program headers owned by the loader.
            let headers = unsafe { core::slice::from_raw_parts(info.dlpi_phdr, count) };
            *total = headers
                .iter()
                .filter(|h| h.p_type == libc::PT_LOAD && h.p_flags & libc::PF_W != 0)
                .map(|h| h.p_memsz as usize)
                .sum();
        }
        1 // the first object is the executable itself: stop there
    }
    let mut total = 0usize;
    // SAFETY: the callback only reads the records it is given and writes `total`, which
    // outlives the call.
    unsafe { libc::dl_iterate_phdr(Some(first_object), (&mut total as *mut usize).cast()) };
    if total == 0 {
        return Err(Error::Provider {
            what: "reading the executable's segments",
        });
    }
    Ok(total)
}

#[cfg(not(target_os = "linux"))]
fn static_memory() -> Result<usize> {
    Err(Error::Unsupported {
        metric: "static memory on this OS",
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
                current_stack().unwrap().0
            } else {
                nested(depth - 1) + usize::from(pad[0])
            }
        }
        let shallow = current_stack().unwrap().0;
        let deep = nested(16);
        assert!(
            deep >= shallow + 16 * 1024,
            "shallow {shallow}, deep {deep}"
        );
    }

    #[test]
    fn static_memory_covers_a_large_static() {
        static BIG: [u8; 1 << 20] = [1; 1 << 20];
        static mut BSS: [u8; 1 << 20] = [0; 1 << 20];
        core::hint::black_box(&BIG);
        core::hint::black_box(core::ptr::addr_of!(BSS));
        // BIG is read-only data, BSS is writable: at least the megabyte of .bss is counted.
        assert!(static_memory().unwrap() >= 1 << 20);
    }
}
