//! Fixed-bin latency histograms that merge by adding bins: the log2 buckets of the
//! `detailed-profiling` registry, refined by *sub-bits*.
//!
//! A duration `d` (ticks) falls in bin [`bin_of`]`(d, s)`: below `2^(s+1)` every value
//! has a bin of its own; above, each power of two is split into `2^s` equal bins, so a
//! bin is at most `1/2^s` of its lower bound wide (s = 3: 12.5 %). With `s = 0` these are
//! exactly the registry's log2 buckets. Bins of resolution `s` nest in those of `s - 1`,
//! so two histograms of different resolutions merge exactly at the coarser one: that is
//! what makes a fleet's histogram the sum of its devices'.
//!
//! [`LatencyHistogram`] keeps a window of [`HISTOGRAM_WINDOW`] consecutive bins (160 bytes
//! of counts, no heap): when a duration falls outside and the window cannot slide, it
//! halves its resolution (`s - 1`) until the durations fit. Recording is `&mut` (one owner,
//! e.g. the task that measures); it is not an ISR-shared counter.
//!
//! ```
//! use iot_performance::timing::histogram::LatencyHistogram;
//!
//! let mut device_a = LatencyHistogram::new(3);
//! let mut device_b = LatencyHistogram::new(3);
//! for d in 100..200 {
//!     device_a.record(d);
//!     device_b.record(d * 2);
//! }
//! device_a.merge(&device_b);
//! assert_eq!(device_a.count(), 200);
//! let p50 = device_a.percentile_ticks(50.0).unwrap();
//! assert!((190.0..=210.0).contains(&p50), "{p50}");
//! ```

/// Bins a [`LatencyHistogram`] holds at once.
pub const HISTOGRAM_WINDOW: usize = 40;

/// Finest resolution: 32 bins per power of two (≈ 3 % wide).
pub const MAX_SUB_BITS: u8 = 5;

/// The resolution a new histogram on a device starts with: 8 bins per power of two.
pub const DEFAULT_SUB_BITS: u8 = 3;

/// The bin of a duration of `ticks` at resolution `sub_bits` (at most [`MAX_SUB_BITS`]).
#[inline]
pub const fn bin_of(ticks: u64, sub_bits: u8) -> u16 {
    let s = clamp_sub_bits(sub_bits) as u32;
    if ticks < (1u64 << (s + 1)) {
        return ticks as u16;
    }
    let e = 63 - ticks.leading_zeros();
    let octave = (e - s + 1) << s;
    let within = (ticks >> (e - s)) - (1u64 << s);
    (octave as u64 + within) as u16
}

/// The smallest duration in `bin` at resolution `sub_bits`; `u64::MAX` beyond the last bin.
#[inline]
pub const fn bin_lower(bin: u16, sub_bits: u8) -> u64 {
    let s = clamp_sub_bits(sub_bits) as u32;
    let k = (bin as u32) >> s;
    if k == 0 {
        return bin as u64;
    }
    let m = (bin as u64) & ((1u64 << s) - 1);
    let shift = k - 1;
    if shift > 63 - s {
        return u64::MAX;
    }
    ((1u64 << s) + m) << shift
}

/// One past the largest duration in `bin` (saturating at `u64::MAX`).
#[inline]
pub const fn bin_upper(bin: u16, sub_bits: u8) -> u64 {
    if bin == u16::MAX {
        return u64::MAX;
    }
    bin_lower(bin + 1, sub_bits)
}

/// The last bin of resolution `sub_bits` (the one holding `u64::MAX`).
pub const fn last_bin(sub_bits: u8) -> u16 {
    bin_of(u64::MAX, sub_bits)
}

const fn clamp_sub_bits(sub_bits: u8) -> u8 {
    if sub_bits > MAX_SUB_BITS {
        MAX_SUB_BITS
    } else {
        sub_bits
    }
}

/// The bin that `bin` of resolution `from` lies in at the coarser resolution `to`.
#[inline]
pub const fn coarsen_bin(bin: u16, from: u8, to: u8) -> u16 {
    bin_of(bin_lower(bin, from), to)
}

/// The `p`-th percentile (0–100) of bins `(bin, count)` of resolution `sub_bits` in
/// ascending order, `total` counts in all: interpolated linearly inside its bin. `None`
/// when `total` is 0.
pub fn percentile_of_bins(
    bins: impl Iterator<Item = (u16, u64)>,
    total: u64,
    sub_bits: u8,
    p: f64,
) -> Option<f64> {
    if total == 0 {
        return None;
    }
    let p = if p.is_nan() {
        100.0
    } else {
        p.clamp(0.0, 100.0)
    };
    let rank = p / 100.0 * total as f64;
    let mut seen = 0u64;
    let mut last = None;
    for (bin, count) in bins.filter(|&(_, c)| c > 0) {
        let lower = bin_lower(bin, sub_bits) as f64;
        let upper = bin_upper(bin, sub_bits) as f64;
        let before = seen as f64;
        seen += count;
        if seen as f64 >= rank {
            let fraction = ((rank - before) / count as f64).clamp(0.0, 1.0);
            return Some(lower + fraction * (upper - lower));
        }
        last = Some(upper);
    }
    last
}

/// A fixed window of latency bins (see the [module docs](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(
    any(feature = "wire", feature = "serde"),
    derive(serde::Serialize, serde::Deserialize)
)]
pub struct LatencyHistogram {
    /// Resolution: `2^sub_bits` bins per power of two.
    sub_bits: u8,
    /// The bin `counts[0]` counts.
    first_bin: u16,
    /// Counts of bins `first_bin ..`; no trailing zeros once trimmed for sending.
    counts: heapless::Vec<u32, HISTOGRAM_WINDOW>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new(DEFAULT_SUB_BITS)
    }
}

impl LatencyHistogram {
    /// An empty histogram of resolution `sub_bits` (clamped to [`MAX_SUB_BITS`]).
    pub const fn new(sub_bits: u8) -> Self {
        Self {
            sub_bits: clamp_sub_bits(sub_bits),
            first_bin: 0,
            counts: heapless::Vec::new(),
        }
    }

    /// The registry's log2 buckets (`ScopeStats::histogram` under `detailed-profiling`)
    /// as a histogram of resolution 0.
    pub fn from_log2_buckets(buckets: &[u32]) -> Self {
        let mut h = Self::new(0);
        for (bin, &c) in buckets.iter().enumerate() {
            if c > 0 {
                h.add_bin(bin as u16, 0, c);
            }
        }
        h
    }

    /// Rebuilds a histogram from its parts (a decoded record); `None` when they are not
    /// one (resolution above [`MAX_SUB_BITS`], too many bins, bins beyond the last).
    pub fn from_parts(sub_bits: u8, first_bin: u16, counts: &[u32]) -> Option<Self> {
        let end = usize::from(first_bin) + counts.len();
        if sub_bits > MAX_SUB_BITS || end > usize::from(last_bin(sub_bits)) + 1 {
            return None;
        }
        Some(Self {
            sub_bits,
            first_bin,
            counts: heapless::Vec::from_slice(counts).ok()?,
        })
    }

    /// True when the parts are consistent (what [`Self::from_parts`] checks).
    pub fn is_valid(&self) -> bool {
        Self::from_parts(self.sub_bits, self.first_bin, &self.counts).is_some()
    }

    /// Resolution: `2^sub_bits` bins per power of two.
    pub fn sub_bits(&self) -> u8 {
        self.sub_bits
    }

    /// The bin of the first count.
    pub fn first_bin(&self) -> u16 {
        self.first_bin
    }

    /// Counts of the bins from [`Self::first_bin`] on.
    pub fn counts(&self) -> &[u32] {
        &self.counts
    }

    /// `(bin, count)` of every bin in the window, ascending.
    pub fn bins(&self) -> impl Iterator<Item = (u16, u64)> + '_ {
        (self.first_bin..)
            .zip(self.counts.iter())
            .map(|(b, &c)| (b, u64::from(c)))
    }

    /// Durations recorded.
    pub fn count(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// Forgets every count (the resolution stays).
    pub fn clear(&mut self) {
        self.counts.clear();
        self.first_bin = 0;
    }

    /// Records one duration.
    #[inline]
    pub fn record(&mut self, ticks: u64) {
        self.add_bin(bin_of(ticks, self.sub_bits), self.sub_bits, 1);
    }

    /// Adds `other`'s counts (coarsening to the resolution both can hold).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        for (bin, count) in other.bins().filter(|&(_, c)| c > 0) {
            self.add_bin(
                bin,
                other.sub_bits,
                u32::try_from(count).unwrap_or(u32::MAX),
            );
        }
    }

    /// Adds `count` to `bin` of resolution `sub_bits`. Counts saturate; a bin that does
    /// not fit even at resolution 0 goes to the nearest end of the window.
    pub fn add_bin(&mut self, bin: u16, sub_bits: u8, count: u32) {
        if sub_bits < self.sub_bits {
            self.coarsen_to(sub_bits);
        }
        loop {
            let bin = coarsen_bin(bin, sub_bits, self.sub_bits);
            if self.counts.is_empty() {
                self.first_bin = bin;
            }
            let first = self.first_bin.min(bin);
            let end = (self.first_bin + self.counts.len() as u16).max(bin + 1);
            if usize::from(end - first) <= HISTOGRAM_WINDOW || self.sub_bits == 0 {
                let bin = self.make_room(bin);
                let slot = &mut self.counts[usize::from(bin - self.first_bin)];
                *slot = slot.saturating_add(count);
                return;
            }
            self.coarsen_to(self.sub_bits - 1);
        }
    }

    /// Extends the window to take `bin` (clamped to the window at resolution 0); returns
    /// the bin to count in.
    fn make_room(&mut self, bin: u16) -> u16 {
        let cap = HISTOGRAM_WINDOW as u16;
        if bin < self.first_bin {
            let end = self.first_bin + self.counts.len() as u16;
            let new_first = bin.max(end.saturating_sub(cap));
            let shift = usize::from(self.first_bin - new_first);
            let old = self.counts.len();
            self.counts.resize(old + shift, 0).ok();
            self.counts.copy_within(..old, shift);
            self.counts[..shift].fill(0);
            self.first_bin = new_first;
            return new_first;
        }
        let last = (self.first_bin + cap - 1).min(bin);
        let need = usize::from(last - self.first_bin) + 1;
        if need > self.counts.len() {
            self.counts.resize(need, 0).ok();
        }
        last
    }

    /// Re-bins every count at the coarser resolution `to`.
    fn coarsen_to(&mut self, to: u8) {
        let from = self.sub_bits;
        let old = core::mem::take(&mut self.counts);
        let old_first = self.first_bin;
        self.sub_bits = to;
        self.first_bin = 0;
        for (bin, &c) in (old_first..).zip(old.iter()).filter(|&(_, &c)| c > 0) {
            self.add_bin(bin, from, c);
        }
    }

    /// Drops zero bins at both ends (what is sent).
    pub fn trim(&mut self) {
        while self.counts.last() == Some(&0) {
            self.counts.pop();
        }
        let lead = self.counts.iter().take_while(|&&c| c == 0).count();
        if lead > 0 {
            let len = self.counts.len();
            self.counts.copy_within(lead.., 0);
            self.counts.truncate(len - lead);
            self.first_bin += lead as u16;
        }
        if self.counts.is_empty() {
            self.first_bin = 0;
        }
    }

    /// The `p`-th percentile (0–100) in ticks, interpolated inside its bin; `None` when
    /// empty.
    pub fn percentile_ticks(&self, p: f64) -> Option<f64> {
        percentile_of_bins(self.bins(), self.count(), self.sub_bits, p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolution_zero_is_the_registry_log2_bucketing() {
        for ticks in [0u64, 1, 2, 3, 4, 1023, 1024, 1 << 40, u64::MAX] {
            assert_eq!(
                u32::from(bin_of(ticks, 0)),
                u64::BITS - ticks.leading_zeros()
            );
        }
    }

    #[test]
    fn bins_are_contiguous_and_bounds_invert_bin_of() {
        for s in 0..=MAX_SUB_BITS {
            let mut prev = 0u16;
            for ticks in (0..5000u64).chain([u64::MAX / 3, u64::MAX - 1, u64::MAX]) {
                let b = bin_of(ticks, s);
                assert!(b >= prev && b <= prev.saturating_add(1) || ticks > 5000);
                assert!(bin_lower(b, s) <= ticks, "s{s} t{ticks} b{b}");
                assert!(ticks < bin_upper(b, s) || bin_upper(b, s) == u64::MAX);
                prev = b;
            }
            assert_eq!(bin_of(u64::MAX, s), last_bin(s));
        }
        // 8 bins per octave: 1000 and 1100 are apart, 1000 and 1050 share a bin.
        assert_ne!(bin_of(1000, 3), bin_of(1100, 3));
        assert_eq!(bin_of(1000, 3), bin_of(1020, 3));
    }

    #[test]
    fn wide_spread_coarsens_exactly() {
        let mut h = LatencyHistogram::new(3);
        h.record(100);
        h.record(100_000);
        assert!(h.sub_bits() < 3);
        assert_eq!(h.count(), 2);
        assert!(h.counts().len() <= HISTOGRAM_WINDOW);
        let low = h.percentile_ticks(1.0).unwrap();
        let high = h.percentile_ticks(100.0).unwrap();
        assert!((64.0..=128.0).contains(&low), "{low}");
        assert!((65_536.0..=131_072.0).contains(&high), "{high}");
    }

    #[test]
    fn merge_equals_recording_everything_in_one() {
        let mut a = LatencyHistogram::new(3);
        let mut b = LatencyHistogram::new(2);
        let mut both = LatencyHistogram::new(2);
        for t in (50..400).step_by(7) {
            a.record(t);
            both.record(t);
        }
        for t in (300..900).step_by(5) {
            b.record(t);
            both.record(t);
        }
        a.merge(&b);
        a.trim();
        both.trim();
        assert_eq!(a, both);
    }

    #[test]
    fn sliding_down_keeps_counts_and_extremes_clamp_at_resolution_zero() {
        let mut h = LatencyHistogram::new(1);
        h.record(1000);
        h.record(10);
        assert_eq!(h.count(), 2);
        let mut z = LatencyHistogram::new(0);
        z.record(0);
        z.record(u64::MAX);
        assert_eq!(z.count(), 2);
        assert_eq!(z.counts().len(), HISTOGRAM_WINDOW);
    }

    #[test]
    fn percentiles_interpolate_within_bins_and_parts_are_checked() {
        let mut h = LatencyHistogram::new(5);
        for t in 1000..2000 {
            h.record(t);
        }
        let p90 = h.percentile_ticks(90.0).unwrap();
        assert!((p90 - 1900.0).abs() < 40.0, "{p90}");
        assert_eq!(LatencyHistogram::new(3).percentile_ticks(50.0), None);
        assert!(LatencyHistogram::from_parts(6, 0, &[1]).is_none());
        assert!(LatencyHistogram::from_parts(0, 64, &[1, 1]).is_none());
        let back = LatencyHistogram::from_parts(h.sub_bits(), h.first_bin(), h.counts());
        assert_eq!(back.as_ref(), Some(&h));
        let log2 = LatencyHistogram::from_log2_buckets(&[0, 0, 3, 0, 1]);
        assert_eq!((log2.first_bin(), log2.counts()), (2, &[3, 0, 1][..]));
    }
}
