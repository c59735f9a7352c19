//! Cohorts of a fleet compared by latency percentiles (`alloc`).
//!
//! Each device contributes one [`MergedHistogram`] per scope: the sum of the histograms
//! its heartbeats carried over the time range (the `wire` feature's `Heartbeat`). A cohort's
//! histogram is the sum of its devices'; its p50, p90 and p99 are read from that sum.
//! Devices are the unit of the seeded bootstrap: each resample draws the devices of both
//! cohorts with replacement, sums their histograms and takes the relative change of each
//! percentile, so the interval covers the spread between devices, not only within them.
//! The verdict is the one of [`BootstrapComparator`]: [`Verdict::Regressed`] only when the
//! whole interval lies above the noise threshold.
//!
//! ```
//! use iot_performance::analysis::fleet::{FleetComparator, MergedHistogram};
//! use iot_performance::analysis::Verdict;
//! use iot_performance::timing::histogram::LatencyHistogram;
//!
//! let device = |scale: f64, seed: u64| {
//!     let mut h = LatencyHistogram::default();
//!     for i in 0..1000u64 {
//!         h.record(((1000 + (i * 7919 + seed) % 400) as f64 * scale) as u64);
//!     }
//!     let mut m = MergedHistogram::new();
//!     m.add(&h);
//!     m
//! };
//! let old: Vec<_> = (0..30).map(|d| device(1.0, d)).collect();
//! let new: Vec<_> = (0..30).map(|d| device(1.2, d)).collect();
//! let result = FleetComparator::default().compare(&old, &new);
//! let p90 = result.iter().find(|c| c.percentile == 90.0).unwrap();
//! assert_eq!(p90.verdict, Verdict::Regressed);
//! ```

use alloc::collections::BTreeMap;
use alloc::vec;
use alloc::vec::Vec;

use super::{BootstrapComparator, Verdict, percent_change};
use crate::timing::histogram::{LatencyHistogram, MAX_SUB_BITS, coarsen_bin, percentile_of_bins};

/// Percentiles a fleet comparison reports by default.
pub const FLEET_PERCENTILES: [f64; 3] = [50.0, 90.0, 99.0];

/// Latency bins summed over any number of histograms, at the finest resolution all of
/// them share; exact (no window).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergedHistogram {
    sub_bits: u8,
    bins: BTreeMap<u16, u64>,
}

impl Default for MergedHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl MergedHistogram {
    /// Empty, at the finest resolution (it coarsens to what is added).
    pub fn new() -> Self {
        Self {
            sub_bits: MAX_SUB_BITS,
            bins: BTreeMap::new(),
        }
    }

    /// Adds one heartbeat's histogram.
    pub fn add(&mut self, h: &LatencyHistogram) {
        self.add_bins(h.sub_bits(), h.bins());
    }

    /// Adds another merged histogram.
    pub fn merge(&mut self, other: &MergedHistogram) {
        self.add_bins(other.sub_bits, other.bins.iter().map(|(&b, &c)| (b, c)));
    }

    /// Adds bins `(bin, count)` of resolution `sub_bits` (at most
    /// [`MAX_SUB_BITS`]), e.g. a histogram read back bin by bin from a time-series engine.
    pub fn add_bins(&mut self, sub_bits: u8, bins: impl Iterator<Item = (u16, u64)>) {
        let sub_bits = sub_bits.min(MAX_SUB_BITS);
        let mut bins = bins.filter(|&(_, c)| c > 0).peekable();
        if bins.peek().is_none() {
            return;
        }
        if sub_bits < self.sub_bits {
            self.coarsen_to(sub_bits);
        }
        for (bin, count) in bins {
            let bin = coarsen_bin(bin, sub_bits, self.sub_bits);
            let slot = self.bins.entry(bin).or_insert(0);
            *slot = slot.saturating_add(count);
        }
    }

    fn coarsen_to(&mut self, to: u8) {
        let from = self.sub_bits;
        let old = core::mem::take(&mut self.bins);
        self.sub_bits = to;
        for (bin, count) in old {
            *self.bins.entry(coarsen_bin(bin, from, to)).or_insert(0) += count;
        }
    }

    /// Resolution: `2^sub_bits` bins per power of two.
    pub fn sub_bits(&self) -> u8 {
        self.sub_bits
    }

    /// Durations counted.
    pub fn count(&self) -> u64 {
        self.bins.values().sum()
    }

    /// `(bin, count)` ascending.
    pub fn bins(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        self.bins.iter().map(|(&b, &c)| (b, c))
    }

    /// The `p`-th percentile (0–100) in ticks, interpolated in its bin; `None` when empty.
    pub fn percentile_ticks(&self, p: f64) -> Option<f64> {
        percentile_of_bins(self.bins(), self.count(), self.sub_bits, p)
    }
}

/// One percentile of one scope compared between cohort A (before) and B (after).
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PercentileComparison {
    /// The percentile, 0–100.
    pub percentile: f64,
    /// Devices with calls in A and in B.
    pub devices: (usize, usize),
    /// Calls counted in A and in B.
    pub calls: (u64, u64),
    /// The percentile of A's summed histogram, ticks.
    pub a_ticks: Option<f64>,
    /// The percentile of B's summed histogram, ticks.
    pub b_ticks: Option<f64>,
    /// `(B − A) / A` in percent.
    pub change_percent: Option<f64>,
    /// Bootstrap interval of the change, percent (devices resampled).
    pub change_interval_percent: Option<(f64, f64)>,
    /// The verdict (durations: higher is worse).
    pub verdict: Verdict,
}

/// Settings of a cohort comparison.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FleetComparator {
    /// The bootstrap's settings. Its noise threshold defaults to 2 % here, not the CI
    /// gate's 5 %: a cohort's percentile sums the calls of every device, and the interval
    /// already carries the spread between devices, so a release that slows a third of
    /// the fleet by 15 % (a 4–6 % move of the fleet's p90) must not fall inside the band.
    pub gate: BootstrapComparator,
    /// Percentiles compared ([`FLEET_PERCENTILES`]).
    pub percentiles: Vec<f64>,
}

impl Default for FleetComparator {
    fn default() -> Self {
        Self {
            gate: BootstrapComparator {
                noise_threshold_percent: 2.0,
                ..BootstrapComparator::default()
            },
            percentiles: FLEET_PERCENTILES.to_vec(),
        }
    }
}

impl FleetComparator {
    /// Compares one scope: `a` and `b` hold one histogram per device. Fewer than two
    /// devices with calls on a side is [`Verdict::InsufficientData`].
    pub fn compare(
        &self,
        a: &[MergedHistogram],
        b: &[MergedHistogram],
    ) -> Vec<PercentileComparison> {
        let a: Vec<&MergedHistogram> = a.iter().filter(|h| h.count() > 0).collect();
        let b: Vec<&MergedHistogram> = b.iter().filter(|h| h.count() > 0).collect();
        let total = |side: &[&MergedHistogram]| {
            let mut sum = MergedHistogram::new();
            side.iter().for_each(|h| sum.merge(h));
            sum
        };
        let (sum_a, sum_b) = (total(&a), total(&b));
        let mut out: Vec<PercentileComparison> = self
            .percentiles
            .iter()
            .map(|&p| {
                let (pa, pb) = (sum_a.percentile_ticks(p), sum_b.percentile_ticks(p));
                PercentileComparison {
                    percentile: p,
                    devices: (a.len(), b.len()),
                    calls: (sum_a.count(), sum_b.count()),
                    a_ticks: pa,
                    b_ticks: pb,
                    change_percent: pa.zip(pb).and_then(|(x, y)| percent_change(x, y)),
                    change_interval_percent: None,
                    verdict: Verdict::InsufficientData,
                }
            })
            .collect();
        if a.len() < 2 || b.len() < 2 {
            return out;
        }
        let mut changes = self.resample(&a, &b);
        for (row, changes) in out.iter_mut().zip(changes.iter_mut()) {
            if let Some((interval, verdict)) = self.gate.judge(changes, true) {
                row.change_interval_percent = Some(interval);
                row.verdict = verdict;
            }
        }
        out
    }

    /// Per percentile, the relative changes of the resamples.
    fn resample(&self, a: &[&MergedHistogram], b: &[&MergedHistogram]) -> Vec<Vec<f64>> {
        let dense = Dense::of(a.iter().chain(b.iter()).copied());
        let (da, db): (Vec<Vec<u64>>, Vec<Vec<u64>>) = (
            a.iter().map(|h| dense.counts(h)).collect(),
            b.iter().map(|h| dense.counts(h)).collect(),
        );
        let mut rng = fastrand::Rng::with_seed(self.gate.seed);
        let mut changes = vec![Vec::new(); self.percentiles.len()];
        let (mut sum_a, mut sum_b) = (vec![0u64; dense.len], vec![0u64; dense.len]);
        for _ in 0..self.gate.resamples.max(100) {
            dense.draw(&da, &mut sum_a, &mut rng);
            dense.draw(&db, &mut sum_b, &mut rng);
            for (&p, changes) in self.percentiles.iter().zip(changes.iter_mut()) {
                if let (Some(x), Some(y)) =
                    (dense.percentile(&sum_a, p), dense.percentile(&sum_b, p))
                    && x > 0.0
                {
                    changes.push(y / x - 1.0);
                }
            }
        }
        changes
    }
}

/// Histograms laid out on one bin range at one resolution, for fast resampling.
struct Dense {
    sub_bits: u8,
    first: u16,
    len: usize,
}

impl Dense {
    fn of<'h>(all: impl Iterator<Item = &'h MergedHistogram> + Clone) -> Self {
        let sub_bits = all.clone().map(|h| h.sub_bits).min().unwrap_or(0);
        let bins = all.flat_map(|h| {
            h.bins
                .keys()
                .map(move |&bin| coarsen_bin(bin, h.sub_bits, sub_bits))
        });
        let (first, last) = bins.fold((u16::MAX, 0u16), |(lo, hi), b| (lo.min(b), hi.max(b)));
        let len = if first > last {
            0
        } else {
            usize::from(last - first) + 1
        };
        Self {
            sub_bits,
            first: first.min(last),
            len,
        }
    }

    fn counts(&self, h: &MergedHistogram) -> Vec<u64> {
        let mut out = vec![0u64; self.len];
        for (&bin, &c) in &h.bins {
            let at = usize::from(coarsen_bin(bin, h.sub_bits, self.sub_bits) - self.first);
            out[at] += c;
        }
        out
    }

    /// Sums `devices.len()` devices drawn with replacement into `sum`.
    fn draw(&self, devices: &[Vec<u64>], sum: &mut [u64], rng: &mut fastrand::Rng) {
        sum.fill(0);
        for _ in 0..devices.len() {
            let d = &devices[rng.usize(..devices.len())];
            sum.iter_mut().zip(d).for_each(|(s, &c)| *s += c);
        }
    }

    fn percentile(&self, counts: &[u64], p: f64) -> Option<f64> {
        let total = counts.iter().sum();
        let bins = (self.first..).zip(counts.iter().copied());
        percentile_of_bins(bins, total, self.sub_bits, p)
    }
}

// The tests simulate devices with `wire::SimulatedDevice`.
#[cfg(test)]
#[cfg(feature = "wire")]
#[path = "fleet_tests.rs"]
mod tests;
