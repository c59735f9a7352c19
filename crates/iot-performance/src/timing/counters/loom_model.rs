//! Model checks of the lock-free counters under concurrent enter/exit: loom runs each
//! test body under every interleaving of the threads' atomic operations (and every value
//! a relaxed load may return), up to `LOOM_MAX_PREEMPTIONS` preemptions when that is set.
//!
//! ```sh
//! RUSTFLAGS="--cfg iot_perf_loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=2 \
//!     cargo test -p iot-performance --lib timing::counters::loom_model
//! ```
//!
//! CI runs it with at most 2 preemptions (28 s for the four models, debug build, on the
//! 2-core VM); with 3 the first model alone takes about 200 s, and all four still pass.
//! A separate target directory keeps the flag from rebuilding the ordinary one.
//!
//! The code checked is `lock_free.rs` itself (its `SlotCounters` is generic over the
//! atomic type, loom's here, portable-atomic's everywhere else). What it proves for the
//! explored interleavings: no call, poll or cancellation is lost; the racy
//! "load, then `fetch_max` only when the value would change" update of the minimum and
//! maximum never loses an extreme; a reader only ever sees, field by field, values that
//! some prefix of the updates produced, and never sees a field go backwards.

use loom::sync::Arc;
use loom::sync::atomic::AtomicU64;
use loom::thread;

use super::Totals;
use super::lock_free::{AsyncCounters, Atomic64, SlotCounters};
use core::sync::atomic::Ordering;

impl Atomic64 for AtomicU64 {
    fn load(&self, order: Ordering) -> u64 {
        AtomicU64::load(self, order)
    }
    fn store(&self, value: u64, order: Ordering) {
        AtomicU64::store(self, value, order);
    }
    fn fetch_add(&self, value: u64, order: Ordering) -> u64 {
        AtomicU64::fetch_add(self, value, order)
    }
    fn fetch_max(&self, value: u64, order: Ordering) -> u64 {
        AtomicU64::fetch_max(self, value, order)
    }
}

fn counters() -> Arc<SlotCounters<AtomicU64>> {
    Arc::new(SlotCounters::with_atomics(|| AtomicU64::new(0)))
}

/// What a concurrent reader may see of calls of `ticks` recorded by other threads: each
/// field on its own is the result of some subset of the calls.
fn plausible(t: &Totals, ticks: &[u64]) -> bool {
    let subsets = 1u32 << ticks.len();
    let subset_values = |f: &dyn Fn(&[u64]) -> u64| -> std::vec::Vec<u64> {
        (0..subsets)
            .map(|mask| {
                let chosen: std::vec::Vec<u64> = ticks
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| mask & (1 << i) != 0)
                    .map(|(_, t)| *t)
                    .collect();
                f(&chosen)
            })
            .collect()
    };
    subset_values(&|c| c.len() as u64).contains(&t.calls)
        && subset_values(&|c| c.iter().sum()).contains(&t.total)
        && subset_values(&|c| c.iter().copied().min().unwrap_or(u64::MAX)).contains(&t.min)
        && subset_values(&|c| c.iter().copied().max().unwrap_or(0)).contains(&t.max)
}

#[test]
fn concurrent_calls_are_all_counted_and_a_reader_sees_no_field_go_backwards() {
    loom::model(|| {
        let c = counters();
        let ticks = [5u64, 3];
        let workers: std::vec::Vec<_> = ticks
            .iter()
            .map(|&t| {
                let c = Arc::clone(&c);
                thread::spawn(move || c.record_call(t))
            })
            .collect();
        let first = c.totals();
        let second = c.totals();
        for t in [&first, &second] {
            assert!(plausible(t, &ticks), "{t:?}");
        }
        assert!(second.calls >= first.calls && second.total >= first.total);
        assert!(second.max >= first.max && second.min <= first.min);
        for w in workers {
            w.join().unwrap();
        }
        let done = c.totals();
        assert_eq!((done.calls, done.total), (2, 8));
        assert_eq!((done.min, done.max), (3, 5));
    });
}

#[test]
fn equal_and_opposite_extremes_race_without_losing_either() {
    // Both threads may load the old extreme and skip or race their `fetch_max`: the
    // final minimum and maximum must still be the true ones.
    loom::model(|| {
        let c = counters();
        let low = {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                c.record_call(2);
                c.record_call(9);
            })
        };
        c.record_call(7);
        c.record_call(1);
        low.join().unwrap();
        let t = c.totals();
        assert_eq!((t.calls, t.total, t.min, t.max), (4, 19, 1, 9));
    });
}

#[test]
fn polls_and_cancellations_of_concurrent_async_scopes_are_all_counted() {
    loom::model(|| {
        let c = Arc::new(AsyncCounters::with_atomics(|| AtomicU64::new(0)));
        let other = {
            let c = Arc::clone(&c);
            thread::spawn(move || {
                c.record_poll(4);
                c.record_cancel();
            })
        };
        c.record_poll(6);
        other.join().unwrap();
        let t = c.totals();
        assert_eq!((t.polls, t.busy, t.cancelled), (2, 10, 1));
    });
}

#[test]
fn a_reset_racing_with_a_call_leaves_each_field_reset_or_counted() {
    // `reset` is documented as racy ("updates racing with the reset may survive it");
    // what must hold is that each field is either zeroed or holds the call, and that a
    // call after both is counted on top.
    loom::model(|| {
        let c = counters();
        let caller = {
            let c = Arc::clone(&c);
            thread::spawn(move || c.record_call(5))
        };
        c.reset();
        caller.join().unwrap();
        let t = c.totals();
        assert!(plausible(&t, &[5]), "{t:?}");
        c.record_call(2);
        let t = c.totals();
        assert!(
            t.calls >= 1 && t.total >= 2 && t.min == 2 && t.max >= 2,
            "{t:?}"
        );
    });
}
