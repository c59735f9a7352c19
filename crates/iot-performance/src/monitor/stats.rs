//! Streaming statistics: count, mean and variance by Welford's method, min and max.

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
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

impl RunningStats {
    /// No values yet.
    pub const fn new() -> Self {
        Self {
            count: 0,
            mean: 0.0,
            m2: 0.0,
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
        }
    }

    /// Adds one value. `NaN` (an unmeasured value) is ignored.
    pub fn push(&mut self, value: f64) {
        if value.is_nan() {
            return;
        }
        self.count += 1;
        let delta = value - self.mean;
        self.mean += delta / self.count as f64;
        self.m2 += delta * (value - self.mean);
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// Number of values pushed.
    pub const fn count(&self) -> u64 {
        self.count
    }

    /// Arithmetic mean.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then_some(self.mean)
    }

    /// Sample variance (n − 1 in the denominator); needs two values.
    pub fn variance(&self) -> Option<f64> {
        (self.count > 1).then(|| self.m2 / (self.count - 1) as f64)
    }

    /// Population variance (n in the denominator).
    pub fn population_variance(&self) -> Option<f64> {
        (self.count > 0).then(|| self.m2 / self.count as f64)
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

    /// Combines two sets of statistics as if all values had been pushed into one
    /// (Chan et al.'s parallel update).
    pub fn merge(&mut self, other: &RunningStats) {
        if other.count == 0 {
            return;
        }
        if self.count == 0 {
            *self = *other;
            return;
        }
        let n = (self.count + other.count) as f64;
        let delta = other.mean - self.mean;
        self.m2 += other.m2 + delta * delta * self.count as f64 * other.count as f64 / n;
        self.mean += delta * other.count as f64 / n;
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
}
