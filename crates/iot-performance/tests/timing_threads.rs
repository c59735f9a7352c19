//! Eight threads hammering the same and different scopes: no update may be lost.

use std::sync::Barrier;

use iot_performance::timing;
use iot_performance::{profile_block, profile_function};

const THREADS: usize = 8;
const ROUNDS: u64 = 20_000;

#[profile_function("hammer_function")]
fn hammered_function(x: u64) -> u64 {
    x.wrapping_mul(31)
}

#[test]
fn eight_threads_lose_no_update() {
    // Every reading is 1 tick later than the previous one, so each scope lasts >= 1 tick
    // and the total equals the number of clock reads between enter and exit.
    use std::sync::atomic::{AtomicU64, Ordering};
    static T: AtomicU64 = AtomicU64::new(0);
    fn ticking() -> u64 {
        T.fetch_add(1, Ordering::Relaxed)
    }
    timing::set_clock(ticking, 1_000_000);
    timing::set_enabled(true);
    let names: [&'static str; THREADS] = [
        "hammer_own_0",
        "hammer_own_1",
        "hammer_own_2",
        "hammer_own_3",
        "hammer_own_4",
        "hammer_own_5",
        "hammer_own_6",
        "hammer_own_7",
    ];
    let barrier = Barrier::new(THREADS);
    std::thread::scope(|s| {
        for name in names {
            let barrier = &barrier;
            s.spawn(move || {
                barrier.wait();
                let mut acc = 0u64;
                for i in 0..ROUNDS {
                    let _shared = profile_block!("hammer_shared");
                    let _own = timing::ScopeGuard::enter_named(name);
                    acc = acc.wrapping_add(hammered_function(i));
                }
                std::hint::black_box(acc);
            });
        }
    });
    let shared = timing::scope("hammer_shared").unwrap();
    assert_eq!(shared.calls, THREADS as u64 * ROUNDS);
    assert!(shared.min_ticks.unwrap() >= 1);
    let f = timing::scope("hammer_function").unwrap();
    assert_eq!(f.calls, THREADS as u64 * ROUNDS);
    for name in names {
        let own = timing::scope(name).unwrap();
        assert_eq!(own.calls, ROUNDS, "{name}");
        assert!(own.total_ticks >= ROUNDS, "{name}");
    }
    // Totals are exact sums: the shared scope encloses each thread's own scope.
    let own_total: u64 = names
        .iter()
        .map(|n| timing::scope(n).unwrap().total_ticks)
        .sum();
    assert!(shared.total_ticks > own_total);
    timing::reset_clock();
}
