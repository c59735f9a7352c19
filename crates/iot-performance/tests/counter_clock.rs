//! The counter-register clock: scopes measure differences of a free-running 32-bit
//! register, across its wrap, and `now()` extends it to 64 bits. One test, because the
//! clock is global.

use std::sync::atomic::{AtomicU32, Ordering};

use iot_performance::profile_block;
use iot_performance::timing::{self, CounterRegister, ManualClock};

static REGISTER: AtomicU32 = AtomicU32::new(u32::MAX - 100);

fn advance(ticks: u32) {
    let now = REGISTER.load(Ordering::Relaxed);
    REGISTER.store(now.wrapping_add(ticks), Ordering::Relaxed);
}

#[test]
fn scopes_and_now_follow_the_register_across_its_wrap() {
    // SAFETY: a static, aligned and side-effect-free to read, alive for the whole test.
    let counter = unsafe { CounterRegister::new(REGISTER.as_ptr(), 10_000_000) };
    assert_eq!(counter.address(), REGISTER.as_ptr().cast_const());
    timing::set_counter_clock(counter);
    assert_eq!(timing::ticks_per_second(), 10_000_000);
    let start = u64::from(u32::MAX - 100);
    assert_eq!(timing::now(), start, "now() is the counter's own count");

    for ticks in [40, 120, 7] {
        let _scope = profile_block!("counter.wraps");
        advance(ticks); // the second call crosses u32::MAX
    }
    let stats = timing::scope("counter.wraps").unwrap();
    assert_eq!(
        (
            stats.calls,
            stats.total_ticks,
            stats.min_ticks,
            stats.max_ticks
        ),
        (3, 167, Some(7), 120)
    );
    assert_eq!(
        timing::now(),
        start + 167,
        "64-bit time keeps counting past the wrap"
    );
    advance(u32::MAX); // one tick short of a full period
    assert_eq!(timing::now(), start + 167 + u64::from(u32::MAX));

    // A 64-bit reading of the same counter, when given, is what `now()` returns.
    fn wide() -> u64 {
        (7 << 32) | u64::from(REGISTER.load(Ordering::Relaxed))
    }
    // SAFETY: as above.
    let counter = unsafe { CounterRegister::new(REGISTER.as_ptr(), 10_000_000) }.with_time(wide);
    timing::set_counter_clock(counter);
    assert_eq!(timing::now(), wide());
    {
        let _scope = profile_block!("counter.with_time");
        advance(9);
    }
    assert_eq!(timing::scope("counter.with_time").unwrap().total_ticks, 9);

    // A function clock replaces the counter.
    ManualClock::install(1_000);
    ManualClock::set(500);
    assert_eq!((timing::now(), timing::ticks_per_second()), (500, 1_000));
    {
        let _scope = profile_block!("counter.replaced");
        advance(1_000_000); // the register no longer counts
        ManualClock::advance(3);
    }
    assert_eq!(timing::scope("counter.replaced").unwrap().total_ticks, 3);
    timing::reset_clock();
}
