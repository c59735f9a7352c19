//! Statically allocated memory: `.data` + `.bss`.
//!
//! | platform | source |
//! |---|---|
//! | firmware with `link-cortex-m-rt` / `link-riscv-rt` | the runtime's `__sdata`/`__edata` and `__sbss`/`__ebss` linker symbols |
//! | host (Linux, `std`) | the executable's writable loaded segments (`dl_iterate_phdr`): `.data`, `.bss` and the relocation data the loader writes |
//! | anything else | [`crate::Error::Unsupported`] |
//!
//! ```
//! # #[cfg(target_os = "linux")] {
//! let bytes = iot_performance::memory::static_memory()?;
//! assert!(bytes > 0);
//! # }
//! # Ok::<(), iot_performance::Error>(())
//! ```

use crate::Result;

/// Bytes of statically allocated memory (`.data` + `.bss`).
///
/// # Errors
/// [`crate::Error::Unsupported`] where neither linker symbols nor the OS tell;
/// [`crate::Error::Provider`] when the host cannot read its own segments.
pub fn static_memory() -> Result<usize> {
    imp::static_memory()
}

#[cfg(any(feature = "link-cortex-m-rt", feature = "link-riscv-rt"))]
mod imp {
    use crate::Result;

    pub(super) fn static_memory() -> Result<usize> {
        unsafe extern "C" {
            static __sdata: u8;
            static __edata: u8;
            static __sbss: u8;
            static __ebss: u8;
        }
        // cortex-m-rt's and riscv-rt's linker scripts define these four symbols as the
        // bounds of `.data` and `.bss`; only their addresses are taken, never their values.
        let (sdata, edata, sbss, ebss) = (
            &raw const __sdata as usize,
            &raw const __edata as usize,
            &raw const __sbss as usize,
            &raw const __ebss as usize,
        );
        Ok(edata.saturating_sub(sdata) + ebss.saturating_sub(sbss))
    }
}

#[cfg(all(
    not(any(feature = "link-cortex-m-rt", feature = "link-riscv-rt")),
    host_std,
    target_os = "linux"
))]
mod imp {
    use core::ffi::c_int;

    use crate::{Error, Result};

    /// Sum of the executable's writable `PT_LOAD` segments in memory.
    pub(super) fn static_memory() -> Result<usize> {
        unsafe extern "C" fn first_object(
            info: *mut libc::dl_phdr_info,
            _size: libc::size_t,
            data: *mut libc::c_void,
        ) -> c_int {
            // SAFETY: the loader passes a valid info record for the duration of the call,
            // and `data` is the `&mut usize` given to dl_iterate_phdr below.
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
        // SAFETY: the callback only reads the records it is given and writes `total`,
        // which outlives the call.
        unsafe { libc::dl_iterate_phdr(Some(first_object), (&mut total as *mut usize).cast()) };
        if total == 0 {
            return Err(Error::Provider {
                what: "reading the executable's segments",
            });
        }
        Ok(total)
    }
}

#[cfg(not(any(
    feature = "link-cortex-m-rt",
    feature = "link-riscv-rt",
    all(host_std, target_os = "linux")
)))]
mod imp {
    use crate::{Error, Result};

    pub(super) fn static_memory() -> Result<usize> {
        Err(Error::Unsupported {
            metric: "static memory without runtime linker symbols (enable `link-cortex-m-rt` or `link-riscv-rt`)",
        })
    }
}

#[cfg(all(test, host_std, target_os = "linux"))]
mod tests {
    #[test]
    fn static_memory_covers_a_large_static() {
        static mut BSS: [u8; 1 << 20] = [0; 1 << 20];
        core::hint::black_box(core::ptr::addr_of!(BSS));
        assert!(super::static_memory().unwrap() >= 1 << 20);
    }
}
