//! Power-loss test of `flash-analysis`: thousands of random power cuts while baselines are
//! written to a simulated NOR flash. Every baseline committed before a cut must read back
//! intact; a torn write must never come back as data.

use std::collections::HashMap;

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use iot_performance::baseline::flash::{FlashBaselineStore, FlashHistory};
use iot_performance::baseline::{PerformanceBaseline, name};
use iot_performance::mock::MockMetrics;
use iot_performance::{MetricStats, MonitorConfig, PerformanceMonitor, RunningStats};

const PAGE: usize = 2048;
const PAGES: usize = 4;
const WORD: usize = 4;
/// Budget units one page erase costs (it is slow compared with a word write).
const ERASE_STEPS: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PowerCut;

impl NorFlashError for PowerCut {
    fn kind(&self) -> NorFlashErrorKind {
        NorFlashErrorKind::Other
    }
}

/// NOR flash in RAM: erase sets bytes to 0xFF, programming can only clear bits. After
/// `budget` units of work (a word written, or 1/64 of a page erase), power fails in the middle of the current
/// operation and every later call fails until `reboot`:
/// - a cut write leaves the words before it programmed and one word torn (only a random
///   subset of its bits cleared);
/// - a cut erase leaves the page erased up to some byte, old data after it (the fault
///   model `sequential-storage` itself is tested against; an erase that leaves random bits
///   all over the page is outside what it promises to survive).
struct SimFlash {
    mem: Vec<u8>,
    budget: Option<u32>,
    dead: bool,
    rng: fastrand::Rng,
    /// Cuts that hit a page erase / a write.
    erase_cuts: u32,
    write_cuts: u32,
}

impl SimFlash {
    fn new(seed: u64) -> Self {
        Self {
            mem: vec![0xFF; PAGE * PAGES],
            budget: None,
            dead: false,
            rng: fastrand::Rng::with_seed(seed),
            erase_cuts: 0,
            write_cuts: 0,
        }
    }
    fn reboot(&mut self, budget: Option<u32>) {
        self.dead = false;
        self.budget = budget;
    }
    /// Spends one unit; false when the power fails now.
    fn spend(&mut self) -> bool {
        match &mut self.budget {
            Some(0) => false,
            Some(b) => {
                *b -= 1;
                true
            }
            None => true,
        }
    }
}

impl ErrorType for SimFlash {
    type Error = PowerCut;
}

impl ReadNorFlash for SimFlash {
    const READ_SIZE: usize = 1;
    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        let o = offset as usize;
        bytes.copy_from_slice(&self.mem[o..o + bytes.len()]);
        Ok(())
    }
    fn capacity(&self) -> usize {
        self.mem.len()
    }
}

impl NorFlash for SimFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        for page in (from as usize..to as usize).step_by(PAGE) {
            // An erase takes as long as many word writes: it spends ERASE_STEPS units, and
            // a cut in step k leaves the page erased up to k/ERASE_STEPS (plus a random
            // part of that step), old data after it.
            for step in 0..ERASE_STEPS {
                if !self.spend() {
                    let upto = step * PAGE / ERASE_STEPS + self.rng.usize(..PAGE / ERASE_STEPS);
                    self.mem[page..page + upto].fill(0xFF);
                    self.dead = true;
                    self.erase_cuts += 1;
                    return Err(PowerCut);
                }
            }
            self.mem[page..page + PAGE].fill(0xFF);
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), PowerCut> {
        if self.dead {
            return Err(PowerCut);
        }
        let o = offset as usize;
        for (i, word) in bytes.chunks(WORD).enumerate() {
            let at = o + i * WORD;
            if !self.spend() {
                // Torn word: only some of the bits that should be cleared are cleared.
                for (k, b) in word.iter().enumerate() {
                    self.mem[at + k] &= *b | self.rng.u8(..);
                }
                self.dead = true;
                self.write_cuts += 1;
                return Err(PowerCut);
            }
            for (k, b) in word.iter().enumerate() {
                self.mem[at + k] &= *b;
            }
        }
        Ok(())
    }
}

impl MultiwriteNorFlash for SimFlash {}

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

#[test]
fn committed_baselines_survive_thousands_of_random_power_cuts() {
    futures_executor::block_on(async {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        let mut flash = SimFlash::new(1);
        let mut committed: HashMap<&str, u64> = HashMap::new();
        let mut generation = 0u64;
        let (mut cuts, mut torn_candidates) = (0, 0);
        while cuts < 3_000 {
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
        assert_eq!(cuts, 3_000);
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
