//! The heartbeat builder over the real scope registry: each heartbeat carries the calls
//! of its own interval. One test, alone in its binary: it moves the global manual clock.
#![allow(clippy::unwrap_used)]

use iot_performance::profile_block;
use iot_performance::timing::ManualClock;
use iot_performance::wire::{DeviceIdentity, HeartbeatBuilder, ResetInfo, ResetReason};

#[test]
fn registry_scopes_report_the_interval_not_the_totals() {
    ManualClock::install(1_000_000);
    let identity = DeviceIdentity {
        device: "d",
        firmware: "1",
        hardware: "h",
        group: "",
    };
    let reset = ResetInfo {
        count: 0,
        reason: ResetReason::PowerOn,
    };
    let mut b = HeartbeatBuilder::new(identity, reset);
    let run_of = |n: u64, ticks: u64| {
        for _ in 0..n {
            let _g = profile_block!("hb_builder_registry_scope");
            ManualClock::advance(ticks);
        }
    };
    let run = |n: u64| run_of(n, 50);
    run(3);
    let first = b.finish(1, 0);
    assert_eq!(first.ticks_per_second, 1_000_000);
    let row = first.scope("hb_builder_registry_scope").unwrap();
    assert_eq!((row.calls, row.total_ticks, row.max_ticks), (3, 150, 50));
    run(2);
    let second = b.finish(2, 0);
    let row = second.scope("hb_builder_registry_scope").unwrap();
    assert_eq!((row.calls, row.total_ticks), (2, 100));
    // Under `detailed-profiling` the registry's log2 buckets give the histogram.
    let expected = if cfg!(feature = "detailed-profiling") {
        2
    } else {
        0
    };
    assert_eq!(row.histogram.count(), expected);
    // Calls the application recorded itself give the fine histogram instead.
    run(1);
    b.record("hb_builder_registry_scope", 50);
    let third = b.finish(3, 0);
    let row = third.scope("hb_builder_registry_scope").unwrap();
    assert_eq!(
        (row.calls, row.histogram.count(), row.histogram.sub_bits()),
        (1, 1, 3)
    );
    let fourth = b.finish(4, 0);
    assert!(
        fourth.scope("hb_builder_registry_scope").is_none(),
        "no calls"
    );
    // The longest call is the interval's: a new maximum since boot is exact ...
    run_of(1, 80);
    run_of(1, 10);
    let row = b.finish(5, 0);
    assert_eq!(
        row.scope("hb_builder_registry_scope").unwrap().max_ticks,
        80
    );
    // ... shorter calls than before give the top of their highest bin under
    // `detailed-profiling` (20 lies in the log2 bin 16..32) and the boot maximum without
    // a histogram: an upper bound, never above it ...
    run_of(2, 20);
    let row = b.finish(6, 0);
    let bound = if cfg!(feature = "detailed-profiling") {
        31
    } else {
        80
    };
    assert_eq!(
        row.scope("hb_builder_registry_scope").unwrap().max_ticks,
        bound
    );
    // ... and calls the application recorded give it exactly.
    run_of(1, 20);
    b.record("hb_builder_registry_scope", 20);
    let row = b.finish(7, 0);
    assert_eq!(
        row.scope("hb_builder_registry_scope").unwrap().max_ticks,
        20
    );
}
