//! Stack high-water mark by painting, and static memory, from the regions the runtime's
//! linker script defines (cortex-m-rt, riscv-rt).
//!
//! At start-up the backend fills the unused part of the stack (from its lowest address up
//! to a little below the current stack pointer) with a known word. Later, the first word
//! from the bottom that no longer holds it marks the deepest point the stack ever reached.
//! Interrupt frames count too: they are pushed on the same stack.

/// The word painted over unused stack.
const PAINT: u32 = 0x5AA5_C33C;

/// Bytes kept unpainted below the current stack pointer, for the painting function's own
/// callees and any interrupt that arrives while it runs.
#[cfg_attr(test, allow(dead_code))]
const MARGIN: usize = 256;

/// A stack occupying `[bottom, top)`: it grows down from `top`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StackBounds {
    pub(crate) bottom: usize,
    pub(crate) top: usize,
}

impl StackBounds {
    /// Size of the stack in bytes.
    pub(crate) fn size(&self) -> usize {
        self.top.saturating_sub(self.bottom)
    }

    /// Fills the unused part of the stack below the caller with the paint word.
    ///
    /// # Safety
    /// `[bottom, top)` must be the stack the caller runs on, valid for writes, with
    /// nothing but dead frames below the current stack pointer.
    // Not exercised on the host: it writes below the stack pointer; the QEMU suites run it.
    // Never inlined: the marker must sit in this function's own frame, below every frame
    // of its callers (an inlined marker could land above live locals of a large caller
    // frame, such as an async fn's poll function).
    #[cfg_attr(test, allow(dead_code))]
    #[inline(never)]
    pub(crate) unsafe fn paint(&self) {
        let marker = 0u8;
        let sp = core::ptr::addr_of!(marker) as usize;
        let end = sp.saturating_sub(MARGIN) & !3;
        let mut at = (self.bottom + 3) & !3;
        while at + 4 <= end {
            // SAFETY: `at` is word-aligned, inside `[bottom, sp - MARGIN)` of the current
            // stack (caller's contract), below every live frame.
            unsafe { core::ptr::write_volatile(at as *mut u32, PAINT) };
            at += 4;
        }
    }

    /// Deepest use of the stack since [`StackBounds::paint`], in bytes from the top.
    ///
    /// # Safety
    /// `[bottom, top)` must be valid for reads.
    pub(crate) unsafe fn high_water_mark(&self) -> usize {
        let mut at = (self.bottom + 3) & !3;
        while at + 4 <= self.top {
            // SAFETY: `at` is word-aligned and inside `[bottom, top)`, readable by contract.
            let word = unsafe { core::ptr::read_volatile(at as *const u32) };
            if word != PAINT {
                break;
            }
            at += 4;
        }
        self.top.saturating_sub(at)
    }
}

/// Bytes of `.data` plus `.bss` given their bounds.
pub(crate) fn static_bytes(sdata: usize, edata: usize, sbss: usize, ebss: usize) -> usize {
    edata.saturating_sub(sdata) + ebss.saturating_sub(sbss)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unpainted_region_is_fully_used_and_painted_is_measured() {
        let mut buffer = [0u32; 64];
        let bottom = buffer.as_mut_ptr() as usize;
        let stack = StackBounds {
            bottom,
            top: bottom + 256,
        };
        // SAFETY: the buffer is valid for reads.
        assert_eq!(unsafe { stack.high_water_mark() }, 256);
        buffer[..40].fill(PAINT);
        // SAFETY: as above.
        assert_eq!(unsafe { stack.high_water_mark() }, 256 - 160);
        assert_eq!(stack.size(), 256);
    }

    #[test]
    fn static_bytes_sum_and_saturate() {
        assert_eq!(static_bytes(0x100, 0x180, 0x180, 0x400), 0x80 + 0x280);
        assert_eq!(static_bytes(0x200, 0x100, 0, 0), 0);
    }
}
