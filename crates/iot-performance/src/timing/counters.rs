//! One scope's live counters, updated from the hot path.
//!
//! Two implementations with one API, chosen by what the target's atomics can do:
//! - with native 64-bit atomics (hosts, 64-bit chips): lock-free `fetch_add`s, and min/max
//!   that only touch the cache line when they change;
//! - without them (Cortex-M, 32-bit RISC-V): one short critical section per update, which
//!   on a single-core MCU is a few cycles of masked interrupts and cheaper than several
//!   emulated 64-bit atomics. It is also what makes the update safe from interrupts.
//!
//! Both store the minimum bit-inverted (`!min`, so "no call yet" is 0 and the minimum is
//! a maximum of inverted values): every counter starts at zero, the slot table is
//! zero-initialised and lands in `.bss`, and costs no flash for an initial image.

/// A log2 histogram: bucket `i` counts durations `d` with `ilog2(d) == i - 1`, bucket 0
/// counts `d == 0`; the last bucket also takes everything longer.
#[cfg(feature = "detailed-profiling")]
pub(crate) const HISTOGRAM_BUCKETS: usize = 40;

/// The bucket of a duration.
#[cfg(feature = "detailed-profiling")]
#[inline(always)]
pub(crate) fn bucket_of(ticks: u64) -> usize {
    let b = (u64::BITS - ticks.leading_zeros()) as usize;
    if b >= HISTOGRAM_BUCKETS {
        HISTOGRAM_BUCKETS - 1
    } else {
        b
    }
}

/// A consistent-enough copy of one scope's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) calls: u64,
    pub(crate) total: u64,
    pub(crate) min: u64,
    pub(crate) max: u64,
    pub(crate) busy: u64,
    pub(crate) polls: u64,
    pub(crate) cancelled: u64,
    #[cfg(feature = "detailed-profiling")]
    pub(crate) self_ticks: u64,
    #[cfg(feature = "detailed-profiling")]
    pub(crate) histogram: [u32; HISTOGRAM_BUCKETS],
}

impl Totals {
    #[cfg(any(target_has_atomic = "64", test))]
    pub(crate) const EMPTY: Totals = Totals {
        calls: 0,
        total: 0,
        min: u64::MAX,
        max: 0,
        busy: 0,
        polls: 0,
        cancelled: 0,
        #[cfg(feature = "detailed-profiling")]
        self_ticks: 0,
        #[cfg(feature = "detailed-profiling")]
        histogram: [0; HISTOGRAM_BUCKETS],
    };
}

impl core::fmt::Debug for SlotCounters {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let t = self.totals();
        f.debug_struct("SlotCounters")
            .field("calls", &t.calls)
            .field("total", &t.total)
            .finish_non_exhaustive()
    }
}

#[cfg(target_has_atomic = "64")]
pub(crate) use lock_free::SlotCounters;
#[cfg(not(target_has_atomic = "64"))]
pub(crate) use masked::SlotCounters;

#[cfg(target_has_atomic = "64")]
mod lock_free {
    use super::Totals;
    use portable_atomic::{AtomicU64, Ordering::Relaxed};

    #[cfg(feature = "detailed-profiling")]
    use super::{HISTOGRAM_BUCKETS, bucket_of};
    #[cfg(feature = "detailed-profiling")]
    use portable_atomic::AtomicU32;

    pub(crate) struct SlotCounters {
        calls: AtomicU64,
        total: AtomicU64,
        /// `!min`: 0 until the first call.
        min: AtomicU64,
        max: AtomicU64,
        busy: AtomicU64,
        polls: AtomicU64,
        cancelled: AtomicU64,
        #[cfg(feature = "detailed-profiling")]
        self_ticks: AtomicU64,
        #[cfg(feature = "detailed-profiling")]
        histogram: [AtomicU32; HISTOGRAM_BUCKETS],
    }

    impl SlotCounters {
        pub(crate) const fn new() -> Self {
            Self {
                calls: AtomicU64::new(0),
                total: AtomicU64::new(0),
                min: AtomicU64::new(0),
                max: AtomicU64::new(0),
                busy: AtomicU64::new(0),
                polls: AtomicU64::new(0),
                cancelled: AtomicU64::new(0),
                #[cfg(feature = "detailed-profiling")]
                self_ticks: AtomicU64::new(0),
                #[cfg(feature = "detailed-profiling")]
                histogram: [const { AtomicU32::new(0) }; HISTOGRAM_BUCKETS],
            }
        }

        /// One completed call that took `ticks`.
        #[inline(always)]
        pub(crate) fn record_call(&self, ticks: u64) {
            self.calls.fetch_add(1, Relaxed);
            self.total.fetch_add(ticks, Relaxed);
            if !ticks > self.min.load(Relaxed) {
                self.min.fetch_max(!ticks, Relaxed);
            }
            if ticks > self.max.load(Relaxed) {
                self.max.fetch_max(ticks, Relaxed);
            }
            #[cfg(feature = "detailed-profiling")]
            self.histogram[bucket_of(ticks)].fetch_add(1, Relaxed);
        }

        /// One poll of an async scope that kept the CPU `ticks`.
        #[inline(always)]
        pub(crate) fn record_poll(&self, ticks: u64) {
            self.polls.fetch_add(1, Relaxed);
            self.busy.fetch_add(ticks, Relaxed);
        }

        /// An async call dropped before it completed.
        pub(crate) fn record_cancel(&self) {
            self.cancelled.fetch_add(1, Relaxed);
        }

        /// Time of one frame not spent in nested scopes.
        #[cfg(feature = "detailed-profiling")]
        #[inline(always)]
        pub(crate) fn record_self(&self, ticks: u64) {
            self.self_ticks.fetch_add(ticks, Relaxed);
        }

        pub(crate) fn totals(&self) -> Totals {
            Totals {
                calls: self.calls.load(Relaxed),
                total: self.total.load(Relaxed),
                min: !self.min.load(Relaxed),
                max: self.max.load(Relaxed),
                busy: self.busy.load(Relaxed),
                polls: self.polls.load(Relaxed),
                cancelled: self.cancelled.load(Relaxed),
                #[cfg(feature = "detailed-profiling")]
                self_ticks: self.self_ticks.load(Relaxed),
                #[cfg(feature = "detailed-profiling")]
                histogram: core::array::from_fn(|i| self.histogram[i].load(Relaxed)),
            }
        }

        /// Zeroes every counter. Updates racing with the reset may survive it.
        pub(crate) fn reset(&self) {
            let e = Totals::EMPTY;
            self.calls.store(e.calls, Relaxed);
            self.total.store(e.total, Relaxed);
            self.min.store(!e.min, Relaxed);
            self.max.store(e.max, Relaxed);
            self.busy.store(e.busy, Relaxed);
            self.polls.store(e.polls, Relaxed);
            self.cancelled.store(e.cancelled, Relaxed);
            #[cfg(feature = "detailed-profiling")]
            {
                self.self_ticks.store(0, Relaxed);
                for b in &self.histogram {
                    b.store(0, Relaxed);
                }
            }
        }
    }
}

// Also built for host unit tests, so that the MCU implementation is tested too.
#[cfg(any(not(target_has_atomic = "64"), test))]
mod masked {
    use super::Totals;
    use core::cell::UnsafeCell;
    use critical_section::{CriticalSection, Mutex};

    #[cfg(feature = "detailed-profiling")]
    use super::bucket_of;

    /// The counters as [`Totals`], except `min`, which holds `!min` (0 before any call).
    /// An `UnsafeCell` rather than a `RefCell`: no borrow flag to check and set on the
    /// hot path, and no panic path; exclusivity comes from the critical section alone.
    /// What the critical section guards: the minimum and maximum are 32-bit (a scope's
    /// calls are measured as 32-bit differences on these cores; a future's wall time
    /// beyond 2³² ticks saturates them, its total stays exact).
    #[derive(Clone, Copy)]
    struct Stored {
        calls: u64,
        total: u64,
        min_inverted: u32,
        max: u32,
        busy: u64,
        polls: u64,
        cancelled: u64,
        #[cfg(feature = "detailed-profiling")]
        self_ticks: u64,
        #[cfg(feature = "detailed-profiling")]
        histogram: [u32; super::HISTOGRAM_BUCKETS],
    }

    pub(crate) struct SlotCounters(Mutex<UnsafeCell<Stored>>);

    const ZERO: Stored = Stored {
        calls: 0,
        total: 0,
        min_inverted: 0,
        max: 0,
        busy: 0,
        polls: 0,
        cancelled: 0,
        #[cfg(feature = "detailed-profiling")]
        self_ticks: 0,
        #[cfg(feature = "detailed-profiling")]
        histogram: [0; super::HISTOGRAM_BUCKETS],
    };

    impl SlotCounters {
        pub(crate) const fn new() -> Self {
            Self(Mutex::new(UnsafeCell::new(ZERO)))
        }

        #[inline(always)]
        fn update(&self, f: impl FnOnce(&mut Stored)) {
            critical_section::with(|cs| f(self.stored(cs)));
        }

        /// The stored counters, exclusively, for the length of the critical section.
        #[inline(always)]
        #[allow(clippy::mut_from_ref)]
        fn stored<'cs>(&'cs self, cs: CriticalSection<'cs>) -> &'cs mut Stored {
            // SAFETY: the cell is only reached through this function, which needs a
            // critical section token, and every caller holds the reference only inside
            // its `critical_section::with` closure, which calls nothing that could come
            // back here: no two references to the cell exist at once, on any core or in
            // any interrupt.
            unsafe { &mut *self.0.borrow(cs).get() }
        }

        /// One completed call that took `ticks`.
        #[inline(always)]
        pub(crate) fn record_call(&self, ticks: u64) {
            let narrow = u32::try_from(ticks).unwrap_or(u32::MAX);
            self.update(|t| {
                t.calls = t.calls.wrapping_add(1);
                t.total = t.total.wrapping_add(ticks);
                // Stores only when an extreme changes (rarely, once warmed up).
                if !narrow > t.min_inverted {
                    t.min_inverted = !narrow;
                }
                if narrow > t.max {
                    t.max = narrow;
                }
                #[cfg(feature = "detailed-profiling")]
                {
                    let b = &mut t.histogram[bucket_of(ticks)];
                    *b = b.saturating_add(1);
                }
            });
        }

        /// One poll of an async scope that kept the CPU `ticks`.
        #[inline(always)]
        pub(crate) fn record_poll(&self, ticks: u64) {
            self.update(|t| {
                t.polls = t.polls.wrapping_add(1);
                t.busy = t.busy.wrapping_add(ticks);
            });
        }

        /// An async call dropped before it completed.
        pub(crate) fn record_cancel(&self) {
            self.update(|t| t.cancelled = t.cancelled.wrapping_add(1));
        }

        /// Time of one frame not spent in nested scopes.
        #[cfg(feature = "detailed-profiling")]
        #[inline(always)]
        pub(crate) fn record_self(&self, ticks: u64) {
            self.update(|t| t.self_ticks = t.self_ticks.wrapping_add(ticks));
        }

        pub(crate) fn totals(&self) -> Totals {
            let s = critical_section::with(|cs| *self.stored(cs));
            Totals {
                calls: s.calls,
                total: s.total,
                // Before the first call: u64::MAX, like the lock-free slots.
                min: if s.calls == 0 {
                    u64::MAX
                } else {
                    u64::from(!s.min_inverted)
                },
                max: u64::from(s.max),
                busy: s.busy,
                polls: s.polls,
                cancelled: s.cancelled,
                #[cfg(feature = "detailed-profiling")]
                self_ticks: s.self_ticks,
                #[cfg(feature = "detailed-profiling")]
                histogram: s.histogram,
            }
        }

        pub(crate) fn reset(&self) {
            self.update(|t| *t = ZERO);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same sequence on either implementation (they share no type, only the API).
    macro_rules! check_counters {
        ($c:expr) => {{
            let c = $c;
            assert_eq!(c.totals(), Totals::EMPTY);
            for t in [5, 2, 9] {
                c.record_call(t);
            }
            c.record_poll(4);
            c.record_poll(1);
            c.record_cancel();
            let t = c.totals();
            assert_eq!((t.calls, t.total, t.min, t.max), (3, 16, 2, 9));
            assert_eq!((t.polls, t.busy, t.cancelled), (2, 5, 1));
            #[cfg(feature = "detailed-profiling")]
            {
                c.record_self(7);
                assert_eq!(c.totals().self_ticks, 7);
                assert_eq!(c.totals().histogram[bucket_of(9)], 1);
            }
            c.reset();
            assert_eq!(c.totals(), Totals::EMPTY);
        }};
    }

    #[test]
    fn min_max_total_and_polls() {
        check_counters!(&SlotCounters::new());
    }

    #[test]
    fn masked_counters_behave_the_same() {
        check_counters!(&masked::SlotCounters::new());
    }

    #[test]
    fn masked_extremes_saturate_but_totals_stay_exact() {
        let c = masked::SlotCounters::new();
        let long = (1u64 << 33) + 5; // a future waiting longer than a 32-bit period
        c.record_call(long);
        let t = c.totals();
        assert_eq!((t.calls, t.total), (1, long));
        assert_eq!((t.min, t.max), (u64::from(u32::MAX), u64::from(u32::MAX)));
        c.record_call(u64::from(u32::MAX));
        c.record_call(12);
        let t = c.totals();
        assert_eq!((t.min, t.max), (12, u64::from(u32::MAX)));
    }

    /// The bytes of a value with no padding (every counter type here is `u64`/`u32`
    /// fields or atomics of them).
    fn bytes_of<T>(value: &T) -> &[u8] {
        // SAFETY: `value` is a live reference to `size_of::<T>()` initialised bytes (the
        // types passed here have no padding), borrowed for the slice's lifetime.
        unsafe {
            core::slice::from_raw_parts(
                core::ptr::from_ref(value).cast::<u8>(),
                core::mem::size_of::<T>(),
            )
        }
    }

    #[test]
    fn fresh_counters_are_all_zero_so_the_table_lands_in_bss() {
        assert!(bytes_of(&SlotCounters::new()).iter().all(|b| *b == 0));
        assert!(
            bytes_of(&masked::SlotCounters::new())
                .iter()
                .all(|b| *b == 0)
        );
        let reset = masked::SlotCounters::new();
        reset.record_call(3);
        reset.reset();
        assert!(bytes_of(&reset).iter().all(|b| *b == 0));
    }

    #[cfg(feature = "detailed-profiling")]
    #[test]
    fn log2_buckets() {
        assert_eq!(bucket_of(0), 0);
        assert_eq!(bucket_of(1), 1);
        assert_eq!((bucket_of(2), bucket_of(3)), (2, 2));
        assert_eq!((bucket_of(1023), bucket_of(1024)), (10, 11));
        assert_eq!(bucket_of(u64::MAX), HISTOGRAM_BUCKETS - 1);
        let c = SlotCounters::new();
        c.record_call(3);
        c.record_call(1 << 50);
        let h = c.totals().histogram;
        assert_eq!((h[2], h[HISTOGRAM_BUCKETS - 1]), (1, 1));
    }
}
