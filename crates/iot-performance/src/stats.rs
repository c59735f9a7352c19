//! Streaming statistics: count, mean and variance from sums shifted by the first value,
//! min and max.
//!
//! The sums are taken of `value − shift`, where `shift` is the first value pushed (the
//! "shifted data" method): as stable as Welford's update while values stay near the
//! first one, which holds for the metrics a monitor samples, and an update is additions
//! and multiplications only. A division per value, as Welford's update needs, links the
//! double-precision division routine (≈ 1 KiB of soft-float) into every firmware that
//! takes snapshots; here division happens only when a figure is read.

/// Running statistics of one metric, updated in O(1) per value with no storage.
///
/// ```
/// use iot_performance::RunningStats;
///
/// let mut s = RunningStats::new();
/// for v in [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0] {
///     s.push(v);
/// }
/// assert_eq!(s.count(), 8);
/// assert_eq!(s.mean(), Some(5.0));
/// assert_eq!(s.population_variance(), Some(4.0));
/// assert_eq!((s.min(), s.max()), (Some(2.0), Some(9.0)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct RunningStats {
    count: u64,
    /// The first value pushed; the sums are of `value − shift`.
    shift: f64,
    /// Σ (value − shift).
    sum: f64,
    /// Σ (value − shift)².
    sum_squares: f64,
    min: f64,
    max: f64,
}

impl RunningStats {
    /// No values yet.
    pub const fn new() -> Self {
        Self {
            count: 0,
            shift: 0.0,
            sum: 0.0,
            sum_squares: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one value. `NaN` (an unmeasured value) is ignored.
    pub fn push(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        if self.count == 0 {
            self.shift = value;
        }
        self.count += 1;
        let d = value - self.shift;
        self.sum += d;
        self.sum_squares += d * d;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Number of values pushed.
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// Arithmetic mean.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.shift + self.sum / self.count as f64)
    }

    /// Σ (value − mean)², never negative.
    fn squared_deviations(&self) -> f64 {
        let n = self.count as f64;
        (self.sum_squares - self.sum * self.sum / n).max(0.0)
    }

    /// Sample variance (n − 1 in the denominator); needs two values.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 1).then(|| self.squared_deviations() / (self.count - 1) as f64)
    }

    /// Population variance (n in the denominator).
    pub fn population_variance(&self) -> Option<f64> {
        (self.count > 0).then(|| self.squared_deviations() / self.count as f64)
    }

    /// Sample standard deviation.
    pub fn std_dev(&self) -> Option<f64> {
        self.variance().map(libm::sqrt)
    }

    /// Smallest value.
    pub fn min(&self) -> Option<f64> {
        (self.count > 0).then_some(self.min)
    }

    /// Largest value.
    pub fn max(&self) -> Option<f64> {
        (self.count > 0).then_some(self.max)
    }

    /// Combines two sets of statistics as if all values had been pushed into one: the
    /// other's sums are moved to this one's shift.
    pub fn merge(&mut self, other: &RunningStats) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let k = other.shift - self.shift;
        let n = other.count as f64;
        self.sum_squares += other.sum_squares + 2.0 * k * other.sum + n * k * k;
        self.sum += other.sum + n * k;
        self.count += other.count;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }
}

impl Default for RunningStats {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_has_no_figures() {
        let s = RunningStats::new();
        assert_eq!(
            (s.mean(), s.variance(), s.min(), s.max()),
            (None, None, None, None)
        );
    }

    #[test]
    fn sample_variance_and_nan_ignored() {
        let mut s = RunningStats::new();
        for v in [1.0, f64::NAN, 2.0, 3.0, 4.0] {
            s.push(v);
        }
        assert_eq!(s.count(), 4);
        assert!((s.variance().unwrap() - 5.0 / 3.0).abs() < 1e-12);
        assert!((s.std_dev().unwrap() - libm::sqrt(5.0 / 3.0)).abs() < 1e-12);
    }

    #[test]
    fn merge_equals_sequential() {
        let values = [3.5, -1.0, 8.25, 4.0, 4.0, 10.0, 0.5];
        let mut all = RunningStats::new();
        values.iter().for_each(|v| all.push(*v));
        let (mut a, mut b) = (RunningStats::new(), RunningStats::new());
        values[..3].iter().for_each(|v| a.push(*v));
        values[3..].iter().for_each(|v| b.push(*v));
        a.merge(&b);
        assert_eq!(a.count(), all.count());
        assert!((a.mean().unwrap() - all.mean().unwrap()).abs() < 1e-12);
        assert!((a.variance().unwrap() - all.variance().unwrap()).abs() < 1e-12);
        assert_eq!((a.min(), a.max()), (all.min(), all.max()));
    }

    #[test]
    fn stable_far_from_zero() {
        // Values around 1e9 with a spread of a few units: a plain sum of squares would
        // lose every digit of the variance.
        let mut s = RunningStats::new();
        for v in [4.0, 7.0, 13.0, 16.0] {
            s.push(1e9 + v);
        }
        assert!((s.mean().unwrap() - (1e9 + 10.0)).abs() < 1e-6);
        assert!((s.variance().unwrap() - 30.0).abs() < 1e-9);
    }

    #[test]
    fn merge_into_empty_and_of_empty() {
        let mut a = RunningStats::new();
        let mut b = RunningStats::new();
        b.push(3.0);
        b.push(5.0);
        a.merge(&b);
        assert_eq!(a, b);
        a.merge(&RunningStats::new());
        assert_eq!(a, b);
        assert_eq!(a.mean(), Some(4.0));
    }
}
