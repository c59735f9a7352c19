//! Power-loss test of `flash-analysis`: 10 000 random power cuts while baselines are
//! written to a simulated NOR flash. Every baseline committed before a cut must read back
//! intact; a torn write must never come back as data.

use std::collections::HashMap;

mod support;

use iot_performance::baseline::flash::{FlashBaselineStore, FlashHistory};
use iot_performance::baseline::{PerformanceBaseline, name};
use iot_performance::mock::MockMetrics;
use iot_performance::{MetricStats, MonitorConfig, PerformanceMonitor, RunningStats};
use support::sim_flash::{PAGE, PAGES, SimFlash};

const NAMES: [&str; 4] = ["startup", "steady_state", "wifi_burst", "deep_sleep"];

/// A baseline whose every figure is derived from `generation`, so any mix-up shows.
fn baseline(n: &str, generation: u64) -> iot_performance::Result<PerformanceBaseline> {
    let mut stats = MetricStats::default();
    let g = generation as f64;
    for k in 0..(3 + generation % 5) {
        stats.heap_used.push(10_000.0 + g + k as f64);
        stats.cpu_utilization.push(g % 100.0);
    }
    let mut b = PerformanceBaseline {
        name: name(n)?,
        recorded_at_us: generation,
        duration_ms: generation * 7,
        sample_count: (generation % 1000) as u32,
        stats,
        scopes: heapless::Vec::new(),
        scopes_dropped: 0,
    };
    if generation.is_multiple_of(3) {
        let mut t = RunningStats::new();
        t.push(g);
        b.set_scope("sensor_reading", t)?;
    }
    Ok(b)
}

/// Power cuts per run: 10 000 (CI), more with `IOT_PERF_POWER_CUTS` for a long run
/// (docs/performance.md records one); never fewer than 3 000, so both fault kinds are hit.
fn cuts_to_run() -> u32 {
    std::env::var("IOT_PERF_POWER_CUTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000u32)
        .max(3_000)
}

#[test]
fn committed_baselines_survive_thousands_of_random_power_cuts() {
    futures_executor::block_on(async {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut flash = SimFlash::new(1);
        let mut committed: HashMap<&str, u64> = HashMap::new();
        let mut generation = 0u64;
        let (mut cuts, mut torn_candidates) = (0, 0);
        let target = cuts_to_run();
        while cuts < target {
            flash.reboot(Some(rng.u32(1..400)));
            let mut store = FlashBaselineStore::new(flash, 0..(PAGE * PAGES) as u32).unwrap();
            // Store until the power fails; the baseline being written then is in flight.
            let in_flight = loop {
                let n = NAMES[rng.usize(..NAMES.len())];
                generation += 1;
                if store
                    .store(&baseline(n, generation).unwrap())
                    .await
                    .is_err()
                {
                    break (n, generation);
                }
                committed.insert(n, generation);
            };
            cuts += 1;
            flash = store.into_inner();
            flash.reboot(None);

            // After the reset: every name reads back as its last committed version, or as
            // the version being written when the power failed — never anything else.
            let mut store = FlashBaselineStore::new(flash, 0..(PAGE * PAGES) as u32).unwrap();
            for n in NAMES {
                let got = store
                    .load(n)
                    .await
                    .unwrap_or_else(|e| panic!("cut {cuts}: {n}: {e}"));
                let flight = (in_flight.0 == n).then_some(in_flight.1);
                match (got, committed.get(n)) {
                    (Some(b), _) if Some(b.recorded_at_us) == flight => {
                        assert_eq!(b, baseline(n, b.recorded_at_us).unwrap());
                        committed.insert(n, b.recorded_at_us);
                        torn_candidates += 1;
                    }
                    (Some(b), Some(&g)) => assert_eq!(b, baseline(n, g).unwrap(), "cut {cuts}"),
                    (None, None) => {}
                    (got, want) => panic!("cut {cuts}: {n}: read {got:?}, committed {want:?}"),
                }
            }
            flash = store.into_inner();
        }
        assert_eq!(cuts, target);
        assert_eq!(committed.len(), NAMES.len());
        // Both kinds of fault were exercised: torn writes and interrupted page erases
        // (the flash fills up, so the store keeps erasing pages to make room).
        println!(
            "{} cuts in writes, {} in erases, {torn_candidates} in-flight versions read back whole",
            flash.write_cuts, flash.erase_cuts
        );
        assert!(flash.write_cuts >= 1_000, "{}", flash.write_cuts);
        assert!(flash.erase_cuts >= 100, "{}", flash.erase_cuts);
    });
}

#[test]
fn manager_round_trip_and_history_ring() {
    futures_executor::block_on(async {
        let mock = MockMetrics::new_with_defaults();
        let monitor =
            PerformanceMonitor::with_provider_and_config(&mock, MonitorConfig::for_testing())
                .await
                .unwrap();
        let mut manager: iot_performance::BaselineManager<_> =
            iot_performance::BaselineManager::with_monitor(monitor.clone());
        manager.record_baseline("startup").await.unwrap();
        manager.record_baseline("steady_state").await.unwrap();

        let mut store =
            FlashBaselineStore::new(SimFlash::new(2), 0..(PAGE * PAGES) as u32).unwrap();
        store.save_from(&manager).await.unwrap();
        let flash = store.into_inner();

        // "Reset": a fresh manager restores both from flash.
        let mut restored: iot_performance::BaselineManager<_> =
            iot_performance::BaselineManager::with_monitor(monitor.clone());
        let mut store = FlashBaselineStore::new(flash, 0..(PAGE * PAGES) as u32).unwrap();
        assert_eq!(store.restore_into(&mut restored).await.unwrap(), (2, 0));
        for n in ["startup", "steady_state"] {
            assert_eq!(restored.get(n).unwrap(), manager.get(n).unwrap());
        }
        assert_eq!(store.load("never_stored").await.unwrap(), None);
        assert!(store.load("").await.is_err());

        // History ring: far more snapshots than fit; the newest are kept, in order.
        let mut history = FlashHistory::new(SimFlash::new(3), 0..(PAGE * PAGES) as u32).unwrap();
        for i in 0..2_000u64 {
            mock.set_memory_usage(1_000 + i as usize, 50_000);
            history
                .push(&monitor.snapshot().await.unwrap())
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let (read, skipped) = history
            .for_each(|s| seen.push(s.memory.heap_used))
            .await
            .unwrap();
        assert_eq!(skipped, 0);
        assert!(read > 100 && (read as usize) < 2_000, "{read}");
        assert_eq!(*seen.last().unwrap(), 2_999);
        assert!(seen.windows(2).all(|w| w[1] == w[0] + 1));

        assert!(FlashBaselineStore::new(SimFlash::new(4), 0..100).is_err());
    });
}
