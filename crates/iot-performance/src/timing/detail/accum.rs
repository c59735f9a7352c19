//! A 64-bit sum that several contexts add to: a lock-free atomic where the target has
//! 64-bit atomics, a critical section around a plain `u64` elsewhere.

#[cfg(target_has_atomic = "64")]
pub(crate) struct Accum(portable_atomic::AtomicU64);

#[cfg(target_has_atomic = "64")]
impl Accum {
    pub(crate) const fn new() -> Self {
        Self(portable_atomic::AtomicU64::new(0))
    }

    #[inline(always)]
    pub(crate) fn add(&self, v: u64) {
        self.0.fetch_add(v, portable_atomic::Ordering::Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(portable_atomic::Ordering::Relaxed)
    }

    pub(crate) fn clear(&self) {
        self.0.store(0, portable_atomic::Ordering::Relaxed);
    }
}

#[cfg(not(target_has_atomic = "64"))]
pub(crate) struct Accum(critical_section::Mutex<core::cell::Cell<u64>>);

#[cfg(not(target_has_atomic = "64"))]
impl Accum {
    pub(crate) const fn new() -> Self {
        Self(critical_section::Mutex::new(core::cell::Cell::new(0)))
    }

    #[inline(always)]
    pub(crate) fn add(&self, v: u64) {
        critical_section::with(|cs| {
            let c = self.0.borrow(cs);
            c.set(c.get().wrapping_add(v));
        });
    }

    pub(crate) fn get(&self) -> u64 {
        critical_section::with(|cs| self.0.borrow(cs).get())
    }

    pub(crate) fn clear(&self) {
        critical_section::with(|cs| self.0.borrow(cs).set(0));
    }
}
