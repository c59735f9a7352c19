//! Stack painting: fill the unused stack with a pattern, later find how deep it was used.
//!
//! [`paint`] writes [`PAINT_WORD`] from the bottom of a stack up to just below the
//! current stack pointer. Whatever runs afterwards overwrites the pattern where its
//! frames reach; [`high_water_mark`] scans up from the bottom for the first overwritten
//! word and reports the deepest use since painting, in bytes from the top.
//!
//! Regions:
//! - `StackRegion::main_stack()`: the main stack of firmware linked with `cortex-m-rt`
//!   (feature `link-cortex-m-rt`, bounds `_stack_end`..`_stack_start`) or `riscv-rt`
//!   (feature `link-riscv-rt`, bounds `__estack`..`_stack_start`; hart 0 of a single-hart
//!   build). Paint it early in `main`; interrupt handlers run on the same stack and are
//!   included in the mark.
//! - `StackRegion::current_thread` (host, Linux, feature `std`): the calling thread's stack from
//!   `pthread_getattr_np`, guard page excluded. The process's main thread is refused: its
//!   stack is mapped on demand, so its lower part cannot be written.
//! - [`StackRegion::from_bounds`]: any other stack (an RTOS task, esp-hal's linker
//!   symbols), on the caller's word that the memory is that stack.
//!
//! ```
//! use iot_performance::memory::stack::{high_water_mark, paint, StackRegion};
//!
//! #[inline(never)]
//! fn parse_frame() -> u8 {
//!     let buffer = std::hint::black_box([7u8; 16 * 1024]); // a 16 KiB stack frame
//!     std::hint::black_box(&buffer)[0]
//! }
//!
//! std::thread::Builder::new()
//!     .stack_size(256 * 1024)
//!     .spawn(|| {
//!         let stack = StackRegion::current_thread()?;
//!         paint(&stack)?;
//!         let before = high_water_mark(&stack);
//!         parse_frame();
//!         assert!(high_water_mark(&stack) >= before + 16 * 1024);
//!         Ok::<(), iot_performance::Error>(())
//!     })
//!     .unwrap()
//!     .join()
//!     .unwrap()?;
//! # Ok::<(), iot_performance::Error>(())
//! ```

use crate::{Error, Result};

#[cfg(all(feature = "link-cortex-m-rt", feature = "link-riscv-rt"))]
compile_error!(
    "features `link-cortex-m-rt` and `link-riscv-rt` exclude each other: enable the one for the runtime your firmware links"
);

#[cfg(host_std)]
std::thread_local! {
    static PAINTED: core::cell::Cell<Option<StackRegion>> = const { core::cell::Cell::new(None) };
}

/// The region [`paint`] last painted on the calling thread (host only).
#[cfg(host_std)]
pub(crate) fn painted_on_this_thread() -> Option<StackRegion> {
    PAINTED.with(|p| p.get())
}

/// The word written into unused stack.
pub const PAINT_WORD: u32 = 0x5AC3_A53C;

/// Bytes below the stack pointer that [`paint`] leaves alone: its own frame, and the
/// red zone that leaf functions may use without moving the stack pointer.
pub const PAINT_MARGIN: usize = 512;

/// A downward-growing stack: `bottom` is its lowest address, `top` one past its highest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StackRegion {
    bottom: usize,
    top: usize,
}

impl StackRegion {
    /// A region from its bounds (rounded inwards to whole words).
    ///
    /// # Safety
    /// `bottom..top` must be readable and writable memory that is either the stack of the
    /// context that will call [`paint`], or memory nothing else uses, for as long as the
    /// region is painted and scanned.
    pub const unsafe fn from_bounds(bottom: usize, top: usize) -> Self {
        const W: usize = core::mem::size_of::<u32>();
        let bottom = bottom.div_ceil(W) * W;
        let top = top / W * W;
        let top = if top < bottom { bottom } else { top };
        Self { bottom, top }
    }

    /// Lowest address of the stack.
    pub const fn bottom(&self) -> usize {
        self.bottom
    }

    /// One past the highest address of the stack.
    pub const fn top(&self) -> usize {
        self.top
    }

    /// Size in bytes.
    pub const fn size(&self) -> usize {
        self.top - self.bottom
    }

    /// Whether `addr` lies in the region.
    pub const fn contains(&self, addr: usize) -> bool {
        self.bottom <= addr && addr < self.top
    }

    /// The main stack, from the runtime's linker symbols.
    #[cfg(feature = "link-cortex-m-rt")]
    pub fn main_stack() -> Self {
        unsafe extern "C" {
            static _stack_end: u8;
            static _stack_start: u8;
        }
        // SAFETY: cortex-m-rt's linker script defines both symbols as the bounds of the
        // main stack (`_stack_end` below `_stack_start`); only their addresses are taken.
        unsafe {
            Self::from_bounds(
                &raw const _stack_end as usize,
                &raw const _stack_start as usize,
            )
        }
    }

    /// The main stack, from the runtime's linker symbols.
    #[cfg(all(feature = "link-riscv-rt", not(feature = "link-cortex-m-rt")))]
    pub fn main_stack() -> Self {
        unsafe extern "C" {
            static __estack: u8;
            static _stack_start: u8;
        }
        // SAFETY: riscv-rt's linker script places the `.stack` section between `__estack`
        // and `_stack_start`; only the symbols' addresses are taken.
        unsafe {
            Self::from_bounds(
                &raw const __estack as usize,
                &raw const _stack_start as usize,
            )
        }
    }

    /// The calling thread's stack, guard page excluded.
    ///
    /// # Errors
    /// [`Error::Unsupported`] on the process's main thread (mapped on demand);
    /// [`Error::Provider`] when the OS does not report the bounds.
    #[cfg(all(host_std, target_os = "linux"))]
    pub fn current_thread() -> Result<Self> {
        // SAFETY: getpid and gettid take no arguments and cannot fail.
        if unsafe { libc::getpid() == libc::gettid() } {
            return Err(Error::Unsupported {
                metric: "painting the main thread's stack on the host (it is mapped on demand)",
            });
        }
        let (bottom, top, guard) = crate::host::thread_stack_bounds()?;
        // SAFETY: the OS reports bottom..top as this thread's stack; the guard page, which
        // is not accessible, is skipped whether or not the bounds include it.
        Ok(unsafe { Self::from_bounds(bottom + guard, top) })
    }
}

/// Address just below the caller's frame (an approximation of the stack pointer).
#[inline(always)]
fn stack_pointer() -> usize {
    let marker = 0u8;
    core::hint::black_box(&marker) as *const u8 as usize
}

/// Paints `region` from its bottom up to [`PAINT_MARGIN`] below the current stack
/// pointer; returns the bytes painted.
///
/// # Errors
/// [`Error::InvalidConfig`] when the calling code does not run on `region` (painting
/// another context's live stack would corrupt it).
//
// The check is inlined into the caller (any address of its frame tells which stack it runs
// on): a caller that drops the error then keeps neither its text nor its construction
// (`cargo xtask size`). The painting is out of line, below its own small frame.
#[inline]
pub fn paint(region: &StackRegion) -> Result<usize> {
    if !region.contains(stack_pointer()) {
        return Err(Error::InvalidConfig {
            field: "region",
            reason: "must be the stack the caller runs on",
        });
    }
    Ok(paint_below_own_frame(region))
}

/// Paints `region` up to [`PAINT_MARGIN`] below this function's frame, which lies just below
/// its caller's, on `region` (checked by [`paint`]). Out of line, so that the frame measured
/// is the innermost one: an inlined marker could sit more than the margin above the stack
/// pointer in a large caller frame, whose live part would then be painted.
#[inline(never)]
fn paint_below_own_frame(region: &StackRegion) -> usize {
    // Below the caller's frame, hence below the region's top: every word painted is in the
    // region.
    let end = stack_pointer().saturating_sub(PAINT_MARGIN);
    // Word by word with a plain address (an iterator of addresses compiled to more code).
    let mut word = region.bottom;
    while word + 4 <= end {
        // SAFETY: `word` is in `region` (from `from_bounds`' contract, writable stack memory)
        // and below the live frames of the calling context, which grow down towards it.
        unsafe { (word as *mut u32).write_volatile(PAINT_WORD) };
        word += 4;
    }
    #[cfg(host_std)]
    PAINTED.with(|p| p.set(Some(*region)));
    word - region.bottom
}

/// Deepest use of `region` since it was painted, in bytes from its top. A region never
/// painted reports its whole size.
pub fn high_water_mark(region: &StackRegion) -> usize {
    // The first word from the bottom that is no longer paint; everything above it was used.
    let mut word = region.bottom;
    // SAFETY: `word` is in `region` (below its top), readable by `from_bounds`' contract.
    while word < region.top && unsafe { (word as *const u32).read_volatile() } == PAINT_WORD {
        word += 4;
    }
    region.top - word
}

/// Bytes of `region` never reached since painting (`size − high_water_mark`).
pub fn unused(region: &StackRegion) -> usize {
    region.size() - high_water_mark(region)
}

#[cfg(all(test, host_std, target_os = "linux"))]
mod tests {
    use super::*;

    #[inline(never)]
    fn big_frame() -> u8 {
        let buffer = core::hint::black_box([0x11u8; 48 * 1024]);
        core::hint::black_box(&buffer)[100]
    }

    #[test]
    fn a_large_frame_raises_the_mark_by_its_size() {
        std::thread::Builder::new()
            .stack_size(512 * 1024)
            .spawn(|| {
                let stack = StackRegion::current_thread().unwrap();
                let painted = paint(&stack).unwrap();
                assert!(painted > 256 * 1024, "{painted}");
                let before = high_water_mark(&stack);
                assert!(before < 64 * 1024, "{before}");
                assert_eq!(big_frame(), 0x11);
                let after = high_water_mark(&stack);
                assert!(after >= before + 48 * 1024, "{before} -> {after}");
                assert_eq!(unused(&stack), stack.size() - after);
            })
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn refuses_a_region_it_does_not_run_on() {
        let mut other = [0u32; 64];
        let addr = other.as_mut_ptr() as usize;
        // SAFETY: a local array is readable and writable, and nothing else uses it.
        let region = unsafe { StackRegion::from_bounds(addr, addr + 256) };
        assert!(paint(&region).is_err());
        assert_eq!(high_water_mark(&region), 256);
    }
}
