//! The leak detector against stable heaps whose floors are autocorrelated (issue 13, item 5):
//! allocations that live for tens to hundreds of samples, bursts, and a slow drift that
//! returns, on top of the noisy sawtooth of `tests/leak_detection.rs`.
//!
//! - CI: seeds that false-alarmed with the rule of 2026-12-01 (floors taken as independent)
//!   are not reported any more, and an 8 B/sample leak on the same heaps is still reported,
//!   within a bound far below the time the heap would take to fill.
//! - Measurement (ignored by default, release build):
//!
//!   ```sh
//!   cargo test -p iot-performance --release --test leak_false_alarms -- --ignored --nocapture
//!   ```
//!
//!   prints the false-alarm rate per pattern over 30 seeds × 100,000 samples, and the
//!   samples until an 8 B/sample leak is reported (30 seeds per pattern). The figures are in
//!   docs/performance.md, "Leak detection: speed and false alarms".
#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use iot_performance::mock::MockMetrics;
use iot_performance::{MemoryAnalysisConfig, MemoryAnalyzer};

mod leak_support;
use leak_support::Rng;

/// Heap patterns of a device whose heap is stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    /// Bursts of buffers built up over 2–8 samples then freed, 0–600 B of jitter.
    Sawtooth,
    /// The sawtooth, plus a 64–512 B buffer every 16 samples on average, held 16–128
    /// samples (the issue's report).
    SawtoothHeld,
    /// Every 50 samples on average, 5–20 buffers of 64–512 B at once, each held 1–40
    /// samples; 0–300 B of jitter.
    Bursty,
    /// A 32–512 B buffer every 4 samples on average, held 1–200 samples (about 25 live,
    /// 6.8 KB on average); 0–300 B of jitter.
    Held1To200,
    /// `SawtoothHeld` plus a cache that grows and shrinks back: 0–2 KB, a sine with a
    /// period of 4,000–20,000 samples.
    DriftThatReturns,
}

const PATTERNS: [Pattern; 5] = [
    Pattern::Sawtooth,
    Pattern::SawtoothHeld,
    Pattern::Bursty,
    Pattern::Held1To200,
    Pattern::DriftThatReturns,
];

struct Device {
    pattern: Pattern,
    rng: Rng,
    burst: usize,
    cycles_left: usize,
    /// Live buffers: (bytes, sample at which they are freed).
    live: Vec<(usize, u64)>,
    t: u64,
    period: f64,
    phase: f64,
}

impl Device {
    const BASE: usize = 20_000;

    /// A device that has already run 2,000 samples, so that its held buffers are in their
    /// steady state when monitoring starts.
    fn new(pattern: Pattern, seed: u64) -> Self {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let period = 4_000.0 + rng.below(16_000) as f64;
        let phase = rng.below(1_000) as f64 / 1_000.0 * core::f64::consts::TAU;
        let mut device = Self {
            pattern,
            rng,
            burst: 0,
            cycles_left: 0,
            live: Vec::new(),
            t: 0,
            period,
            phase,
        };
        for _ in 0..2_000 {
            device.next();
        }
        device
    }

    fn sawtooth(&mut self) -> usize {
        if self.cycles_left == 0 {
            self.burst = 0;
            self.cycles_left = 2 + self.rng.below(7);
        } else {
            for _ in 0..1 + self.rng.below(4) {
                self.burst += 32 + self.rng.below(480);
            }
            self.cycles_left -= 1;
        }
        self.burst + self.rng.below(600)
    }

    /// With probability `1/one_in`, allocates `bytes` (half-open range) held for
    /// `lifetime` (inclusive range) samples.
    fn maybe_hold(&mut self, one_in: u64, bytes: (usize, usize), lifetime: (u64, u64)) {
        if self.rng.below(one_in) == 0 {
            let size = bytes.0 + self.rng.below((bytes.1 - bytes.0) as u64);
            let life = lifetime.0 + self.rng.below(lifetime.1 - lifetime.0 + 1) as u64;
            self.live.push((size, self.t + life));
        }
    }

    /// Heap in use at the next sample.
    fn next(&mut self) -> usize {
        self.t += 1;
        let t = self.t;
        self.live.retain(|&(_, until)| until > t);
        let extra = match self.pattern {
            Pattern::Sawtooth => self.sawtooth(),
            Pattern::SawtoothHeld => {
                self.maybe_hold(16, (64, 512), (16, 128));
                self.sawtooth()
            }
            Pattern::Bursty => {
                if self.rng.below(50) == 0 {
                    for _ in 0..5 + self.rng.below(16) {
                        let size = 64 + self.rng.below(448);
                        let life = 1 + self.rng.below(40) as u64;
                        self.live.push((size, t + life));
                    }
                }
                self.rng.below(300)
            }
            Pattern::Held1To200 => {
                self.maybe_hold(4, (32, 512), (1, 200));
                self.rng.below(300)
            }
            Pattern::DriftThatReturns => {
                let angle = core::f64::consts::TAU * t as f64 / self.period + self.phase;
                let cache = 1_024.0 * (1.0 + angle.sin());
                self.maybe_hold(16, (64, 512), (16, 128));
                cache as usize + self.sawtooth()
            }
        };
        Self::BASE + extra + self.live.iter().map(|b| b.0).sum::<usize>()
    }
}

/// The first sample (1-based) at which the default analyzer reports a leak, within
/// `samples`; `leak_per_sample` bytes are added per sample on top of the device's heap.
fn first_report(pattern: Pattern, seed: u64, samples: u64, leak_per_sample: usize) -> Option<u64> {
    let mock = MockMetrics::new_with_defaults();
    let analyzer = MemoryAnalyzer::with_provider(&mock, MemoryAnalysisConfig::default());
    let mut device = Device::new(pattern, seed);
    futures_executor::block_on(async {
        for i in 1..=samples {
            let heap = device.next() + leak_per_sample * i as usize;
            mock.set_memory_usage(heap, 1_000_000);
            analyzer.tick().await.unwrap();
            if analyzer.leak_evidence().is_some_and(|e| e.leak_suspected) {
                return Some(i);
            }
        }
        None
    })
}

/// Seeds that the rule of 2026-12-01 reported as leaking, at the sample given, on heaps
/// that do not leak (found by the measurement below, run on that rule).
const FALSE_ALARMS_BEFORE: [(Pattern, u64, u64); 3] = [
    (Pattern::Held1To200, 2, 2_480),
    (Pattern::Held1To200, 5, 2_944),
    (Pattern::SawtoothHeld, 16, 8_656),
];

#[test]
fn stable_heaps_with_long_lived_buffers_are_not_reported() {
    for (pattern, seed, reported_at) in FALSE_ALARMS_BEFORE {
        // Four times as long as it took the old rule to cry wolf.
        let horizon = 4 * reported_at;
        assert_eq!(
            first_report(pattern, seed, horizon, 0),
            None,
            "{pattern:?} seed {seed}: a stable heap reported as leaking"
        );
    }
}

#[test]
fn an_8_byte_leak_on_the_same_heaps_is_still_reported() {
    // The devices' heaps average 21–28 KB; 8 B/sample adds 80 KB in 10,000 samples.
    for (pattern, seed, _) in FALSE_ALARMS_BEFORE {
        let at = first_report(pattern, seed, 10_000, 8);
        assert!(
            at.is_some(),
            "{pattern:?} seed {seed}: 8 B/sample not reported within 10,000 samples"
        );
    }
}

#[test]
#[ignore = "measurement: 15 million samples; run in release with --ignored --nocapture"]
fn measure_false_alarms_and_time_to_detection() {
    const SEEDS: u64 = 30;
    const SAMPLES: u64 = 100_000;
    const LEAK: usize = 8;
    const LEAK_LIMIT: u64 = 20_000;
    println!(
        "pattern | false alarms ({SEEDS} seeds × {SAMPLES} samples) | first alarms (seed@sample) | 8 B/sample leak reported after (median / worst / missed within {LEAK_LIMIT})"
    );
    for pattern in PATTERNS {
        let alarms: Vec<(u64, u64)> = (0..SEEDS)
            .filter_map(|seed| first_report(pattern, seed, SAMPLES, 0).map(|at| (seed, at)))
            .collect();
        let mut detected: Vec<u64> = Vec::new();
        let mut missed = 0;
        for seed in 1_000..1_000 + SEEDS {
            match first_report(pattern, seed, LEAK_LIMIT, LEAK) {
                Some(at) => detected.push(at),
                None => missed += 1,
            }
        }
        detected.sort_unstable();
        let median = detected.get(detected.len() / 2).copied().unwrap_or(0);
        let worst = detected.last().copied().unwrap_or(0);
        let shown: Vec<String> = alarms
            .iter()
            .take(6)
            .map(|(seed, at)| format!("{seed}@{at}"))
            .collect();
        println!(
            "{pattern:?} | {}/{SEEDS} | {} | {median} / {worst} / {missed}",
            alarms.len(),
            shown.join(" ")
        );
    }
}
