//! [`TimeFnCell`]: a `fn() -> u64` clock read that can be swapped at run time.

// Load/store-only atomics come from `core` (see `clock.rs`).
use core::sync::atomic::{AtomicPtr, Ordering};

/// A clock function, or none, stored as a type-erased pointer so that installing and
/// reading it are single atomic stores and loads, from any context.
pub(super) struct TimeFnCell(AtomicPtr<()>);

impl TimeFnCell {
    /// No function.
    pub(super) const fn empty() -> Self {
        Self(AtomicPtr::new(core::ptr::null_mut()))
    }

    /// Installs `now`, or removes the function.
    pub(super) fn set(&self, now: Option<fn() -> u64>) {
        let erased = now.map_or(core::ptr::null_mut(), |f| f as *mut ());
        self.0.store(erased, Ordering::Release);
    }

    /// The installed function. Relaxed: the pointer is all that is read through it, and an
    /// acquire load costs a barrier (`dmb`) on every Cortex-M clock read.
    #[inline(always)]
    pub(super) fn get(&self) -> Option<fn() -> u64> {
        let erased = self.0.load(Ordering::Relaxed);
        // SAFETY: the only non-null values ever stored are `fn() -> u64` pointers cast to
        // `*mut ()` by `set`; casting back restores the same function.
        (!erased.is_null()).then(|| unsafe { core::mem::transmute::<*mut (), fn() -> u64>(erased) })
    }
}
