//! Scope timing in baselines, regression checks and `validate_task_performance`, on the
//! profiler's manual clock (1 tick = 1 µs). The clock is global: tests take a lock.

use std::cell::Cell;
use std::sync::Mutex;

use iot_performance::analysis::Metric;
use iot_performance::baseline::BaselineManager;
use iot_performance::mock::MockMetrics;
use iot_performance::regression::{DetectorOptions, TaskVerdict};
use iot_performance::timing::ManualClock;
use iot_performance::{MonitorConfig, PerformanceMonitor, Result};

static CLOCK: Mutex<()> = Mutex::new(());

/// Runs `body` on a single-threaded runtime while holding the clock lock.
fn with_clock(body: impl std::future::Future<Output = Result<()>>) -> Result<()> {
    let _clock = CLOCK.lock().unwrap_or_else(|e| e.into_inner());
    ManualClock::install(1_000_000);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|_| iot_performance::Error::Provider {
            what: "starting a tokio runtime",
        })?;
    runtime.block_on(body)
}

/// One call of a scope lasting `us` ±5 % of the profiler clock.
fn run_scope(
    monitor: &PerformanceMonitor<&MockMetrics>,
    name: &'static str,
    us: f64,
    rng: &mut fastrand::Rng,
) {
    let _timer = monitor.profile_block(name);
    ManualClock::advance((us * (1.0 + (rng.f64() * 2.0 - 1.0) * 0.05)) as u64);
}

#[test]
fn validate_task_performance_learns_then_judges() -> Result<()> {
    with_clock(async {
        let mock = MockMetrics::new_with_defaults();
        let perf_monitor =
            PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing())
                .await?;
        let mut rng = fastrand::Rng::with_seed(1);

        let v = perf_monitor.validate_task_performance("vt_never_ran").await;
        assert_eq!(v.verdict, TaskVerdict::UnknownScope);

        let learn = DetectorOptions::DEFAULT.baseline_windows;
        for i in 0..(learn + 50) {
            for _ in 0..4 {
                run_scope(&perf_monitor, "vt_sensor_task", 800.0, &mut rng);
            }
            let v = perf_monitor
                .validate_task_performance("vt_sensor_task")
                .await;
            if i < learn {
                assert!(
                    matches!(v.verdict, TaskVerdict::LearningBaseline { .. }),
                    "{v}"
                );
            } else {
                assert!(
                    matches!(v.verdict, TaskVerdict::WithinBaseline { .. }),
                    "{v}"
                );
            }
        }
        let v = perf_monitor
            .validate_task_performance("vt_sensor_task")
            .await;
        assert_eq!(v.verdict, TaskVerdict::NoNewCalls);

        // 25 % slower: reported on the first check.
        for _ in 0..4 {
            run_scope(&perf_monitor, "vt_sensor_task", 1_000.0, &mut rng);
        }
        let v = perf_monitor
            .validate_task_performance("vt_sensor_task")
            .await;
        assert!(v.is_regression(), "{v}");
        assert!(v.to_string().contains("REGRESSED"), "{v}");
        Ok(())
    })
}

#[test]
fn check_regression_samples_the_scope_registry() -> Result<()> {
    with_clock(async {
        let mock = MockMetrics::new_with_defaults();
        mock.set_noise(3, 5.0);
        let perf_monitor =
            PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing())
                .await?;
        let mut rng = fastrand::Rng::with_seed(2);
        let window = DetectorOptions::DEFAULT.window_samples;
        let k = u32::from(DetectorOptions::DEFAULT.consecutive_windows);
        let mut centre = 2_000.0;
        for i in 0..(window * 300) {
            if i == window * 200 {
                centre = 2_500.0; // +25 %
            }
            run_scope(&perf_monitor, "cr_mqtt_publish", centre, &mut rng);
            if let Some(r) = perf_monitor.check_regression().await? {
                assert_eq!(r.metric, Metric::Scope("cr_mqtt_publish"));
                assert_eq!(
                    i + 1,
                    window * (200 + k),
                    "reported after K windows of the step"
                );
                return Ok(());
            }
        }
        panic!("the 25 % step of the scope was not reported");
    })
}

#[test]
fn baselines_hold_scopes_and_compare_them() -> Result<()> {
    with_clock(async {
        let mock = MockMetrics::new_with_defaults();
        let monitor =
            PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing())
                .await?;
        let mut manager: BaselineManager<_> = BaselineManager::with_monitor(monitor.clone());
        let rng = std::cell::RefCell::new(fastrand::Rng::with_seed(3));

        // The firmware's work runs beside the recording, as a task would.
        async fn work(
            monitor: &PerformanceMonitor<&MockMetrics>,
            us: f64,
            done: &Cell<bool>,
            rng: &std::cell::RefCell<fastrand::Rng>,
        ) {
            while !done.get() {
                run_scope(monitor, "bs_sensor_reading", us, &mut rng.borrow_mut());
                tokio::task::yield_now().await;
            }
        }
        let done = Cell::new(false);
        let (recorded, ()) = tokio::join!(
            async {
                let r = manager.record_baseline("steady_state").await.cloned();
                done.set(true);
                r
            },
            work(&monitor, 800.0, &done, &rng)
        );
        let baseline = recorded?;
        let scope = baseline
            .scope("bs_sensor_reading")
            .expect("the scope is in the baseline");
        assert!(scope.count() >= 50, "{} intervals", scope.count());
        assert!((scope.mean().unwrap() - 800.0).abs() < 20.0);
        let recorded = &baseline.scopes[0];
        #[cfg(feature = "detailed-profiling")]
        {
            // 760..840 µs calls all fall in the 512..=1023 µs histogram bucket, whose bound
            // is capped at the longest call.
            let (p50, p99) = (recorded.p50_us.unwrap(), recorded.p99_us.unwrap());
            assert_eq!(p50, p99);
            assert!((760.0..=840.0).contains(&p50), "{p50}");
        }
        #[cfg(not(feature = "detailed-profiling"))]
        assert_eq!((recorded.p50_us, recorded.p99_us), (None, None));

        let done = Cell::new(false);
        let (comparison, ()) = tokio::join!(
            async {
                let r = manager.compare_against_baseline("steady_state").await;
                done.set(true);
                r
            },
            work(&monitor, 1_000.0, &done, &rng)
        );
        let comparison = comparison?;
        let d = comparison
            .delta(Metric::Scope("bs_sensor_reading"))
            .unwrap();
        assert!(d.regression, "{}", comparison.summary());
        assert!(
            comparison
                .summary()
                .to_string()
                .contains("bs_sensor_reading +2"),
            "{}",
            comparison.summary()
        );

        // The same baseline drives the monitor's task validation.
        assert_eq!(monitor.use_baseline(&baseline)?, 4); // heap, stack, CPU, one scope
        monitor.validate_task_performance("bs_sensor_reading").await; // starts the interval
        for _ in 0..3 {
            run_scope(&monitor, "bs_sensor_reading", 810.0, &mut rng.borrow_mut());
        }
        let v = monitor.validate_task_performance("bs_sensor_reading").await;
        assert!(
            matches!(v.verdict, TaskVerdict::WithinBaseline { .. }),
            "{v}"
        );
        Ok(())
    })
}
