//! The host backend: clock, delays, uptime, context switches, the default monitor and the
//! sampler thread on real process figures.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::time::{Duration, Instant};

use iot_performance::host::HostMetrics;
use iot_performance::{MonitorConfig, PerformanceMonitor, SystemInfoProvider, TimingProvider};

#[test]
fn uptime_and_context_switches_are_real() {
    let host = HostMetrics::new().unwrap();
    let a = host.system_metrics().unwrap();
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(1));
    }
    let b = host.system_metrics().unwrap();
    assert!(
        b.context_switches >= a.context_switches + 20,
        "{} -> {}",
        a.context_switches,
        b.context_switches
    );
    // The process started before this test and at most a few minutes ago.
    assert!(
        b.uptime_ms >= a.uptime_ms && b.uptime_ms < 10 * 60 * 1000,
        "{}",
        b.uptime_ms
    );
    if let Some(t) = b.temperature {
        assert!((-40.0..150.0).contains(&t), "implausible temperature {t}");
    }
}

#[test]
fn host_clock_is_monotonic_and_delays_wait_real_time() {
    let host = HostMetrics::new().unwrap();
    let t0 = host.now_us();
    let start = Instant::now();
    futures_executor::block_on(host.delay_ms(30));
    let waited = start.elapsed();
    let t1 = host.now_us();
    assert!(waited >= Duration::from_millis(30));
    let measured = Duration::from_micros(t1 - t0);
    assert!(
        measured >= Duration::from_millis(29) && measured <= waited + Duration::from_millis(5),
        "{measured:?} vs {waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_monitor_samples_the_host() {
    let config = MonitorConfig {
        sampling_interval_ms: 20,
        ..MonitorConfig::for_testing()
    };
    let monitor = PerformanceMonitor::new(config).await.unwrap();
    monitor.start_realtime_analysis().await.unwrap();
    let collection = monitor.collect_metrics_for_duration(1).await.unwrap();
    assert_eq!(collection.sample_count, 50);
    let ms = collection.duration_ms();
    assert!(
        (980..1500).contains(&ms),
        "49 intervals of 20 ms took {ms} ms"
    );
    assert!(
        collection
            .samples
            .iter()
            .all(|s| s.memory.heap_total >= s.memory.heap_used)
    );
}

#[test]
fn sampler_thread_runs_until_stopped() {
    let monitor = futures_executor::block_on(PerformanceMonitor::new(MonitorConfig {
        sampling_interval_ms: 10,
        ..MonitorConfig::default()
    }))
    .unwrap();
    let thread = monitor.spawn_sampler().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    monitor.stop_monitoring();
    thread.join().unwrap();
    let (samples, failed) = monitor.sample_counts();
    assert!(
        (5..=22).contains(&samples),
        "{samples} samples in 200 ms at 10 ms"
    );
    assert_eq!(failed, 0);
}
