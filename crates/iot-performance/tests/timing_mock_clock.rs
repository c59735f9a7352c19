//! Exact timings on a clock moved by hand. The profiler's clock and switch are global, so
//! the tests of this binary take turns through `serial()`.

use std::pin::pin;
use std::sync::{Mutex, MutexGuard};
use std::task::{Context, Poll, Waker};

use iot_performance::mock::MockMetrics;
use iot_performance::timing::{self, ManualClock, SortKey};
use iot_performance::{
    MonitorConfig, PerformanceMonitor, TimingProfiler, profile_block, profile_function,
};

fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    let guard = LOCK.lock().unwrap_or_else(|e| e.into_inner());
    ManualClock::install(1_000_000);
    timing::set_enabled(true);
    guard
}

/// Returns `Pending` once (waking itself), then `Ready`.
struct YieldOnce(bool);
impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn nested_scopes_have_exact_totals() {
    let _s = serial();
    for _ in 0..3 {
        let _outer = profile_block!("mc_outer");
        ManualClock::advance(100);
        {
            let _inner = profile_block!("mc_inner");
            ManualClock::advance(40);
        }
        ManualClock::advance(10);
    }
    let outer = timing::scope("mc_outer").unwrap();
    let inner = timing::scope("mc_inner").unwrap();
    assert_eq!((outer.calls, outer.total_ticks), (3, 450));
    assert_eq!((outer.min_ticks, outer.max_ticks), (Some(150), 150));
    assert_eq!((inner.calls, inner.total_ticks), (3, 120));
    assert_eq!(outer.busy_ticks, None);
    #[cfg(feature = "detailed-profiling")]
    {
        assert_eq!(outer.self_ticks, Some(330));
        assert_eq!(inner.self_ticks, Some(120));
    }
    #[cfg(not(feature = "detailed-profiling"))]
    assert_eq!(outer.self_ticks, None);
}

#[test]
fn min_max_and_mean_follow_the_calls() {
    let _s = serial();
    for d in [7, 3, 20] {
        let _g = profile_block!("mc_varied");
        ManualClock::advance(d);
    }
    let s = timing::scope("mc_varied").unwrap();
    assert_eq!(
        (s.min_ticks, s.max_ticks, s.mean_ticks()),
        (Some(3), 20, Some(10))
    );
}

#[profile_function("mc_async_task")]
async fn waits_once() -> u32 {
    ManualClock::advance(10);
    YieldOnce(false).await;
    ManualClock::advance(20);
    7
}

#[test]
fn async_fn_separates_busy_from_wall_time() {
    let _s = serial();
    let mut fut = pin!(waits_once());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(fut.as_mut().poll(&mut cx).is_pending());
    ManualClock::advance(1_000); // the task waits: wall time, not busy time
    assert_eq!(fut.as_mut().poll(&mut cx), Poll::Ready(7));

    let s = timing::scope("mc_async_task").unwrap();
    assert_eq!(s.calls, 1);
    assert_eq!(s.polls, Some(2));
    assert_eq!(s.busy_ticks, Some(30));
    assert_eq!(s.wall_ticks, Some(1_030));
    assert_eq!(s.total_ticks, 1_030);
    assert_eq!(s.cancelled, Some(0));
    assert!(s.busy_ticks < s.wall_ticks);
}

#[profile_function("mc_cancelled_task")]
async fn never_finishes() {
    ManualClock::advance(8);
    std::future::pending::<()>().await;
}

#[test]
fn a_dropped_async_call_is_counted_as_cancelled() {
    let _s = serial();
    {
        let mut fut = Box::pin(never_finishes());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
    } // dropped: e.g. the losing branch of a select
    drop(never_finishes()); // never polled: not a call at all
    let s = timing::scope("mc_cancelled_task").unwrap();
    assert_eq!((s.calls, s.cancelled, s.polls), (0, Some(1), Some(2)));
    assert_eq!(s.busy_ticks, Some(8));
    assert_eq!(s.total_ticks, 0);
}

#[test]
fn a_32_bit_counter_is_timed_across_its_wrap() {
    use std::sync::atomic::{AtomicU32, Ordering};
    static RAW: AtomicU32 = AtomicU32::new(u32::MAX - 100);
    fn wrapping_now() -> u64 {
        timing::extend_u32(RAW.load(Ordering::SeqCst))
    }
    let _s = serial();
    timing::set_clock(wrapping_now, 80_000_000);
    {
        let _g = profile_block!("mc_across_wrap");
        RAW.store(50, Ordering::SeqCst); // wrapped past zero
    }
    {
        let _g = profile_block!("mc_across_wrap");
        RAW.store(1_050, Ordering::SeqCst);
    }
    let s = timing::scope("mc_across_wrap").unwrap();
    assert_eq!((s.calls, s.total_ticks, s.max_ticks), (2, 1_151, 1_000));
}

#[test]
fn disabled_scopes_record_nothing() {
    let _s = serial();
    timing::set_enabled(false);
    {
        let g = profile_block!("mc_disabled");
        assert!(!g.is_recording());
        ManualClock::advance(5);
    }
    timing::set_enabled(true);
    assert!(timing::scope("mc_disabled").is_none_or(|s| s.calls == 0));
}

#[test]
fn no_monitor_flips_the_switch_and_runtime_names_share_slots() {
    let _s = serial();
    // Issue 12: the profiling switch is program-wide, so no monitor's config may flip it;
    // `for_production` keeps scopes on (they are cheap) and means lighter sampling.
    let monitor = futures_executor::block_on(PerformanceMonitor::with_provider_and_config(
        MockMetrics::new_with_defaults(),
        MonitorConfig::for_production(),
    ))
    .unwrap();
    assert!(timing::is_enabled());
    {
        let _g = monitor.profile_block("mc_runtime_name");
        ManualClock::advance(9);
    }
    monitor.set_config(MonitorConfig::for_testing()).unwrap();
    let second = futures_executor::block_on(PerformanceMonitor::with_provider_and_config(
        MockMetrics::new_with_defaults(),
        MonitorConfig {
            timing_profiling: false,
            ..MonitorConfig::for_testing()
        },
    ))
    .unwrap();
    assert!(
        timing::is_enabled(),
        "a second monitor left the switch alone"
    );
    {
        let _g = second.profile_block("mc_runtime_name");
        ManualClock::advance(9);
    }
    {
        let _g = profile_block!("mc_runtime_name"); // the macro finds the same slot
        ManualClock::advance(2);
    }
    // Only the application switches scopes off.
    timing::set_enabled(false);
    {
        let _g = monitor.profile_block("mc_runtime_name");
        ManualClock::advance(100);
    }
    timing::set_enabled(true);
    let s = timing::scope("mc_runtime_name").unwrap();
    assert_eq!((s.calls, s.total_ticks), (3, 20));
}

#[test]
fn report_converts_sorts_and_prints() {
    let _s = serial();
    for (name, ticks) in [
        ("mc_rep_a", 2_000u64),
        ("mc_rep_b", 5_000),
        ("mc_rep_c", 1_000),
    ] {
        let _g = iot_performance::timing::ScopeGuard::enter_named(name);
        ManualClock::advance(ticks);
    }
    let report = futures_executor::block_on(TimingProfiler::new().generate_report()).unwrap();
    assert_eq!(report.ticks_per_second, 1_000_000);
    let b = report.get("mc_rep_b").unwrap();
    assert_eq!(b.metrics.execution_time_us, 5_000);
    assert_eq!(b.metrics.call_count, 1);
    assert_eq!(
        (b.metrics.min_time_us, b.metrics.max_time_us),
        (5_000, 5_000)
    );

    let sorted = report.clone().sorted_by(SortKey::TotalTime);
    let names: Vec<_> = sorted
        .scopes
        .iter()
        .map(|s| s.metrics.function_name)
        .filter(|n| n.starts_with("mc_rep_"))
        .collect();
    assert_eq!(names, ["mc_rep_b", "mc_rep_a", "mc_rep_c"]);

    let text = report.to_string();
    let line = text.lines().find(|l| l.starts_with("mc_rep_b")).unwrap();
    let cols: Vec<_> = line.split_whitespace().collect();
    assert_eq!(
        &cols[..6],
        ["mc_rep_b", "1", "5000", "5000", "5000", "5000"]
    );
    assert!(text.lines().next().unwrap().contains("calls"));
}

#[test]
fn reset_zeroes_counters_and_keeps_slots() {
    let _s = serial();
    {
        let _g = profile_block!("mc_reset");
        ManualClock::advance(3);
    }
    TimingProfiler::new().reset();
    let s = timing::scope("mc_reset").unwrap();
    assert_eq!((s.calls, s.total_ticks, s.min_ticks), (0, 0, None));
    {
        let _g = profile_block!("mc_reset");
        ManualClock::advance(4);
    }
    assert_eq!(timing::scope("mc_reset").unwrap().total_ticks, 4);
}

#[cfg(feature = "detailed-profiling")]
mod detailed {
    use super::*;

    fn crc16() {
        let _g = profile_block!("cp_crc16");
        ManualClock::advance(400);
    }

    fn parse() {
        let _g = profile_block!("cp_parse");
        ManualClock::advance(50);
        crc16();
        {
            let _g = profile_block!("cp_decode");
            ManualClock::advance(100);
        }
        ManualClock::advance(50);
    }

    fn handle_message() {
        let _g = profile_block!("cp_handle_message");
        ManualClock::advance(60);
        parse();
        {
            let _g = profile_block!("cp_store");
            ManualClock::advance(300);
        }
        ManualClock::advance(40);
    }

    #[test]
    fn critical_path_and_self_times_of_a_known_tree() {
        let _s = serial();
        let unbalanced = timing::detail_losses().unbalanced;
        handle_message();
        handle_message();
        let self_of = |n| timing::scope(n).unwrap().self_ticks.unwrap();
        assert_eq!(
            timing::scope("cp_handle_message").unwrap().total_ticks,
            2_000
        );
        assert_eq!(self_of("cp_handle_message"), 200);
        assert_eq!(self_of("cp_parse"), 200);
        assert_eq!(self_of("cp_crc16"), 800);
        assert_eq!(self_of("cp_store"), 600);

        let path = timing::critical_path("cp_handle_message").unwrap();
        assert_eq!(path.root_ticks, 2_000);
        let steps: Vec<_> = path.steps.iter().map(|s| (s.name, s.ticks)).collect();
        assert_eq!(steps, [("cp_parse", 1_200), ("cp_crc16", 800)]);
        assert_eq!(path.steps[0].share_of_root, 0.6);
        assert_eq!(path.steps[1].share_of_parent, 800.0 / 1_200.0);
        assert_eq!(
            path.to_string(),
            "cp_handle_message > cp_parse (60.0%) > cp_crc16 (40.0%)"
        );

        let leaf = timing::critical_path("cp_crc16").unwrap();
        assert!(leaf.steps.is_empty());
        assert!(timing::critical_path("cp_no_such_scope").is_err());
        assert_eq!(timing::detail_losses().unbalanced, unbalanced);
    }

    #[test]
    fn async_self_time_counts_polls_only() {
        #[profile_function("cp_async_parent")]
        async fn parent() {
            ManualClock::advance(10);
            {
                let _leaf = profile_block!("cp_async_leaf"); // nested in the first poll
                ManualClock::advance(400);
            }
            YieldOnce(false).await;
            ManualClock::advance(5);
        }
        let _s = serial();
        let mut fut = pin!(parent());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(fut.as_mut().poll(&mut cx).is_pending());
        ManualClock::advance(1_000);
        assert!(fut.as_mut().poll(&mut cx).is_ready());
        let s = timing::scope("cp_async_parent").unwrap();
        assert_eq!(
            (s.busy_ticks, s.wall_ticks, s.self_ticks),
            (Some(415), Some(1_415), Some(15))
        );
        let path = timing::critical_path("cp_async_parent").unwrap();
        assert_eq!(path.root_ticks, 415);
        assert_eq!(path.steps[0].name, "cp_async_leaf");
    }

    #[test]
    fn percentiles_come_from_the_log2_histogram() {
        let _s = serial();
        for d in 1..=100 {
            let _g = profile_block!("cp_percentiles");
            ManualClock::advance(d);
        }
        let s = timing::scope("cp_percentiles").unwrap();
        assert_eq!(s.percentile_ticks(50.0), Some(63)); // the 50th call took 50: bucket 32..=63
        assert_eq!(s.percentile_ticks(90.0), Some(100)); // bucket 64..=127, capped at max
        assert_eq!(s.percentile_ticks(1.0), Some(1));
        assert_eq!(s.histogram().iter().sum::<u32>(), 100);
        let report = futures_executor::block_on(TimingProfiler::new().generate_report()).unwrap();
        let row = report.get("cp_percentiles").unwrap();
        assert_eq!((row.p50_us, row.p99_us), (Some(63), Some(100)));
    }

    #[test]
    fn a_scope_closed_out_of_order_keeps_the_stack_sound() {
        let _s = serial();
        let a = profile_block!("cp_interleaved_a");
        let b = profile_block!("cp_interleaved_b");
        ManualClock::advance(10);
        drop(a); // not the innermost: removed by id
        ManualClock::advance(5);
        drop(b);
        {
            let _g = profile_block!("cp_after_interleave");
            ManualClock::advance(1);
        }
        assert_eq!(timing::scope("cp_interleaved_a").unwrap().total_ticks, 10);
        assert_eq!(timing::scope("cp_interleaved_b").unwrap().total_ticks, 15);
        assert_eq!(
            timing::scope("cp_after_interleave").unwrap().self_ticks,
            Some(1)
        );
    }

    #[test]
    fn a_guard_dropped_on_another_thread_is_counted_not_misattributed() {
        let _s = serial();
        let before = timing::detail_losses().unbalanced;
        let outer = profile_block!("cp_thread_outer");
        let moved = std::thread::spawn(|| profile_block!("cp_thread_moved"))
            .join()
            .unwrap();
        ManualClock::advance(7);
        std::thread::spawn(move || {
            // Another thread: its own stack holds a frame too, with the same local id.
            let _local = profile_block!("cp_thread_local");
            drop(moved);
        })
        .join()
        .unwrap();
        drop(outer);
        assert_eq!(timing::detail_losses().unbalanced, before + 1);
        assert_eq!(timing::scope("cp_thread_moved").unwrap().total_ticks, 7);
        assert_eq!(
            timing::scope("cp_thread_moved").unwrap().self_ticks,
            Some(0)
        );
        assert_eq!(
            timing::scope("cp_thread_outer").unwrap().self_ticks,
            Some(7)
        );
    }
}

#[cfg(feature = "serde")]
#[test]
fn report_serializes_for_the_host_tool() {
    let _s = serial();
    {
        let _g = profile_block!("mc_serde");
        ManualClock::advance(1_500);
    }
    let report = futures_executor::block_on(TimingProfiler::new().generate_report()).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    let row = json["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["metrics"]["function_name"] == "mc_serde")
        .unwrap();
    assert_eq!(row["metrics"]["execution_time_us"], 1_500);
    assert_eq!(row["stats"]["total_ticks"], 1_500);
    assert_eq!(json["ticks_per_second"], 1_000_000);
}
