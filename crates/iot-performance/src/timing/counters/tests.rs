//! Both counter implementations driven by one sequence (on hosts `SlotCounters` is the
//! lock-free one; the masked one is compiled for these tests).

use super::{AsyncCounters, AsyncTotals, SlotCounters, Totals, masked};
use crate::timing::detail_fields::DetailTotals;
#[cfg(feature = "detailed-profiling")]
use crate::timing::detail_fields::{HISTOGRAM_BUCKETS, bucket_of};

/// The same sequence on either implementation (they share no type, only the API).
macro_rules! check_counters {
    ($c:expr) => {{
        let c = $c;
        assert_eq!(c.totals(), Totals::EMPTY);
        // What the detail fields must hold: zero-sized without `detailed-profiling`.
        let mut detail = DetailTotals::ZERO;
        for t in [5, 2, 9] {
            c.record_call(t);
            detail.record_call(t);
        }
        let t = c.totals();
        assert_eq!((t.calls, t.total, t.min, t.max), (3, 16, 2, 9));
        assert_eq!(t.detail, detail);
        #[cfg(feature = "detailed-profiling")]
        {
            c.record_self(7);
            assert_eq!(c.totals().detail.self_ticks(), Some(7));
            assert_eq!(c.totals().detail.histogram[bucket_of(9)], 1);
        }
        c.reset();
        assert_eq!(c.totals(), Totals::EMPTY);
    }};
}

#[test]
fn min_max_and_total() {
    check_counters!(&SlotCounters::new());
}

#[test]
fn masked_counters_behave_the_same() {
    check_counters!(&masked::SlotCounters::new());
}

/// The same sequence on either implementation of the async counters.
macro_rules! check_async_counters {
    ($c:expr) => {{
        let c = $c;
        assert_eq!(c.totals(), AsyncTotals::ZERO);
        c.record_poll(4);
        c.record_poll(1);
        c.record_cancel();
        let t = c.totals();
        assert_eq!((t.polls, t.busy, t.cancelled), (2, 5, 1));
        c.reset();
        assert_eq!(c.totals(), AsyncTotals::ZERO);
    }};
}

#[test]
fn polls_busy_time_and_cancellations() {
    check_async_counters!(&AsyncCounters::new());
    check_async_counters!(&masked::AsyncCounters::new());
}

#[test]
fn masked_counts_and_totals_carry_into_their_high_halves() {
    let c = masked::SlotCounters::new();
    for _ in 0..3 {
        c.record_call(u64::from(u32::MAX));
    }
    let t = c.totals();
    assert_eq!((t.calls, t.total), (3, 3 * u64::from(u32::MAX)));
    c.record_call((5 << 32) + 7);
    assert_eq!(c.totals().total, 3 * u64::from(u32::MAX) + (5 << 32) + 7);
}

#[test]
fn masked_call_count_carries_into_its_high_half() {
    let c = masked::SlotCounters::after_calls(u64::from(u32::MAX) - 1);
    let mut expected = u64::from(u32::MAX) - 1;
    for ticks in [4, 9, 2] {
        c.record_call(ticks);
        expected += 1;
        assert_eq!(c.totals().calls, expected);
    }
    let t = c.totals();
    // The calls before were of 0 ticks.
    assert_eq!((t.calls, t.total, t.min, t.max), ((1 << 32) + 1, 15, 0, 9));
}

#[test]
fn masked_extremes_follow_every_order_of_calls() {
    // First calls of 0 ticks, at the top of the range, growing, shrinking, and repeated.
    let sequences: [&[u64]; 7] = [
        &[0],
        &[0, 0, 5],
        &[7, 3, 11, 3, 0, 11, 12],
        &[u64::from(u32::MAX), 0],
        &[1, 2, 3, 4],
        &[4, 3, 2, 1],
        &[9, 9, 9],
    ];
    for calls in sequences {
        let c = masked::SlotCounters::new();
        for (i, &ticks) in calls.iter().enumerate() {
            c.record_call(ticks);
            let seen = &calls[..=i];
            let t = c.totals();
            assert_eq!(
                (t.min, t.max),
                (*seen.iter().min().unwrap(), *seen.iter().max().unwrap()),
                "after {seen:?}"
            );
        }
    }
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
    assert!(bytes_of(&AsyncCounters::new()).iter().all(|b| *b == 0));
    assert!(
        bytes_of(&masked::AsyncCounters::new())
            .iter()
            .all(|b| *b == 0)
    );
}

#[test]
fn detail_fields_take_room_only_with_detailed_profiling() {
    let four_counters = 4 * core::mem::size_of::<u64>();
    let lock_free = core::mem::size_of::<SlotCounters>();
    if cfg!(feature = "detailed-profiling") {
        assert!(lock_free > four_counters);
    } else {
        assert_eq!(lock_free, four_counters);
    }
}

#[test]
fn a_synchronous_slot_carries_no_async_counters() {
    // calls and total (64-bit), minimum and maximum (32-bit): 24 bytes on an MCU.
    if !cfg!(feature = "detailed-profiling") {
        assert_eq!(core::mem::size_of::<masked::SlotCounters>(), 24);
    }
    assert_eq!(core::mem::size_of::<masked::AsyncCounters>(), 24);
}

#[cfg(feature = "detailed-profiling")]
#[test]
fn histogram_buckets_of_recorded_calls() {
    let lock_free = SlotCounters::new();
    let masked = masked::SlotCounters::new();
    for ticks in [3, 1 << 50] {
        lock_free.record_call(ticks);
        masked.record_call(ticks);
    }
    for h in [
        lock_free.totals().detail.histogram,
        masked.totals().detail.histogram,
    ] {
        assert_eq!((h[2], h[HISTOGRAM_BUCKETS - 1]), (1, 1));
    }
}
