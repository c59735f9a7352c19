//! A full registry: further scopes are counted as dropped, nothing panics, and the slots
//! already taken keep counting.

use iot_performance::timing::{self, ManualClock, SCOPE_CAPACITY, ScopeGuard};
use iot_performance::{TimingProfiler, profile_block};

#[test]
fn overflow_is_counted_and_existing_slots_survive() {
    ManualClock::install(1_000_000);
    {
        let _g = profile_block!("full_first");
        ManualClock::advance(10);
    }
    // Fill every remaining slot with run-time names.
    let names: Vec<&'static str> = (1..SCOPE_CAPACITY)
        .map(|i| &*Box::leak(format!("full_{i}").into_boxed_str()))
        .collect();
    for name in &names {
        let g = ScopeGuard::enter_named(name);
        assert!(g.is_recording());
    }
    assert_eq!(timing::scopes().count(), SCOPE_CAPACITY);
    assert_eq!(timing::dropped(), timing::Dropped::default());

    // Two call sites and one run-time name that do not fit, called several times.
    for _ in 0..3 {
        let a = profile_block!("full_overflow_a");
        let b = profile_block!("full_overflow_b");
        let c = ScopeGuard::enter_named("full_overflow_runtime");
        assert!(!a.is_recording() && !b.is_recording() && !c.is_recording());
    }
    let dropped = timing::dropped();
    assert_eq!(dropped.scopes, 2);
    assert_eq!(dropped.calls, 9);
    assert_eq!(timing::scopes().count(), SCOPE_CAPACITY);
    assert!(timing::scope("full_overflow_a").is_none());

    // Existing slots are intact and keep counting.
    {
        let _g = profile_block!("full_first");
        ManualClock::advance(5);
    }
    let first = timing::scope("full_first").unwrap();
    assert_eq!((first.calls, first.total_ticks), (2, 15));
    assert_eq!(timing::scope("full_7").unwrap().calls, 1);

    // The report says what was lost.
    let report = futures_executor::block_on(TimingProfiler::new().generate_report()).unwrap();
    assert_eq!(report.scopes.len(), SCOPE_CAPACITY);
    assert_eq!(report.dropped, dropped);
    assert!(
        report
            .to_string()
            .contains("2 scopes and 9 calls not measured")
    );
}
