//! Ordinary least squares for a straight line, with the Student-t confidence of its
//! slope: the one fit behind both metric trends ([`super::fit_trend`]) and the heap-floor
//! leak detector (`memory::trend`), and the host tool's heap-growth rate.
//!
//! ```
//! use iot_performance::analysis::least_squares;
//!
//! let points = [(0.0, 1.0), (1.0, 3.1), (2.0, 4.9), (3.0, 7.0)];
//! let fit = least_squares::fit(points.into_iter()).unwrap();
//! assert!((fit.slope - 2.0).abs() < 0.1);
//! assert!(fit.confidence_positive() > 0.99);
//! assert!(fit.slope_half_width(0.95) < 0.5);
//! ```
//!
//! Three passes over a cloneable iterator (sums, centred moments, residuals), so the
//! points are never stored and the residual sum is computed directly rather than as a
//! difference of large numbers.

use super::student_t;

/// A straight line `y = intercept + slope · x` fitted to points `(x, y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineFit {
    /// Number of points.
    pub n: usize,
    /// dy/dx.
    pub slope: f64,
    /// y at x = 0.
    pub intercept: f64,
    /// x of the last point.
    pub last_x: f64,
    /// Standard error of the slope (0 for points exactly on a line).
    pub standard_error: f64,
    /// Standard deviation of the residuals around the line.
    pub residual_std: f64,
    /// Sum of squared deviations of y from its mean.
    syy: f64,
    /// Sum of squared residuals.
    sse: f64,
}

impl LineFit {
    /// Degrees of freedom of the slope's t statistic, `n − 2`.
    pub fn degrees_of_freedom(&self) -> f64 {
        (self.n - 2) as f64
    }

    /// The line's value at `x`.
    pub fn value_at(&self, x: f64) -> f64 {
        self.intercept + self.slope * x
    }

    /// Half-width of the two-sided `confidence` interval of the slope (e.g. 0.95).
    pub fn slope_half_width(&self, confidence: f64) -> f64 {
        student_t::two_sided_quantile(confidence, self.degrees_of_freedom()) * self.standard_error
    }

    /// Probability, 0–1, that the true slope is positive (one-sided Student t). Points
    /// on a line (residuals at rounding level relative to the spread of y) give 1, 0 or
    /// ½ by the sign of the slope.
    pub fn confidence_positive(&self) -> f64 {
        let exact = self.sse <= self.syy * 1e-12;
        if exact || self.standard_error == 0.0 {
            match self.slope {
                s if s > 0.0 => 1.0,
                s if s < 0.0 => 0.0,
                _ => 0.5,
            }
        } else {
            student_t::cdf(self.slope / self.standard_error, self.degrees_of_freedom())
        }
    }

    /// [`LineFit::confidence_positive`] for points whose noise is positively
    /// autocorrelated, with lag-1 autocorrelation `rho` (an AR(1) model): the slope's
    /// standard error grows by `√((1 + ρ)/(1 − ρ))` and the degrees of freedom shrink to
    /// those of the effective sample size `n · (1 − ρ)/(1 + ρ)` (at least 1). `rho` is
    /// clamped to `0..=0.95`; at 0 this is [`LineFit::confidence_positive`].
    pub fn confidence_positive_autocorrelated(&self, rho: f64) -> f64 {
        let rho = if rho.is_nan() {
            0.0
        } else {
            rho.clamp(0.0, 0.95)
        };
        if rho == 0.0 {
            return self.confidence_positive();
        }
        let exact = self.sse <= self.syy * 1e-12;
        if exact || self.standard_error == 0.0 {
            return self.confidence_positive();
        }
        let shrink = (1.0 - rho) / (1.0 + rho);
        let t = self.slope / self.standard_error * libm::sqrt(shrink);
        let df = (self.n as f64 * shrink - 2.0).max(1.0);
        student_t::cdf(t, df)
    }
}

/// Fits `y = a + b·x` to `points`; `None` for fewer than three points or when every `x`
/// is the same.
pub fn fit(points: impl Iterator<Item = (f64, f64)> + Clone) -> Option<LineFit> {
    let (mut n, mut sx, mut sy) = (0usize, 0.0f64, 0.0f64);
    for (x, y) in points.clone() {
        n += 1;
        sx += x;
        sy += y;
    }
    if n < 3 {
        return None;
    }
    let (mx, my) = (sx / n as f64, sy / n as f64);
    let (mut sxx, mut sxy, mut syy, mut last_x) = (0.0, 0.0, 0.0, 0.0);
    for (x, y) in points.clone() {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
        last_x = x;
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    let sse: f64 = points
        .map(|(x, y)| {
            let r = y - (intercept + slope * x);
            r * r
        })
        .sum();
    let df = (n - 2) as f64;
    Some(LineFit {
        n,
        slope,
        intercept,
        last_x,
        standard_error: libm::sqrt(sse / df / sxx),
        residual_std: libm::sqrt(sse / df),
        syy,
        sse,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_line_is_certain() {
        let f = fit((0..5).map(|i| (f64::from(i), 10.0 + 3.0 * f64::from(i)))).unwrap();
        assert!((f.slope - 3.0).abs() < 1e-12);
        assert!((f.value_at(4.0) - 22.0).abs() < 1e-12);
        assert_eq!(f.last_x, 4.0);
        assert_eq!(f.confidence_positive(), 1.0);
    }

    #[test]
    fn noisy_flat_series_is_not_confident() {
        let ys = [5.0, 7.0, 4.0, 6.0, 5.0, 7.0, 4.0, 6.0];
        let f = fit(ys.iter().enumerate().map(|(i, y)| (i as f64, *y))).unwrap();
        assert!(f.confidence_positive() < 0.9, "{f:?}");
        assert!(f.residual_std > 1.0);
    }

    #[test]
    fn autocorrelated_noise_lowers_the_confidence() {
        let ys = [1.0, 3.0, 2.0, 4.0, 3.5, 5.0, 4.0, 6.5, 5.0, 7.0];
        let f = fit(ys.iter().enumerate().map(|(i, y)| (i as f64, *y))).unwrap();
        let plain = f.confidence_positive();
        assert_eq!(f.confidence_positive_autocorrelated(0.0), plain);
        assert_eq!(f.confidence_positive_autocorrelated(-0.4), plain);
        let mild = f.confidence_positive_autocorrelated(0.3);
        let strong = f.confidence_positive_autocorrelated(0.8);
        assert!(
            plain > 0.999 && mild < plain && strong < mild,
            "{plain} {mild} {strong}"
        );
        assert!(strong < 0.99, "{strong}");
    }

    #[test]
    fn too_few_points_or_no_spread() {
        assert!(fit([(0.0, 1.0), (1.0, 2.0)].into_iter()).is_none());
        assert!(fit([(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)].into_iter()).is_none());
    }
}
