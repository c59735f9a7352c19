//! Least-squares slope of a series and how sure we are that it is positive.
//!
//! The confidence is the one-sided Student-t probability that the true slope exceeds
//! zero, computed exactly (regularized incomplete beta function) rather than from a
//! table, so that it means the same for 4 points and for 16.

/// A straight line fitted to points `(x, y)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SlopeFit {
    /// dy/dx.
    pub slope: f64,
    /// Standard error of the slope (0 for points exactly on a line).
    pub standard_error: f64,
    /// Standard deviation of the residuals around the line.
    pub residual_std: f64,
    /// Probability, 0–1, that the true slope is positive.
    pub confidence_positive: f64,
    /// Number of points.
    pub n: usize,
}

/// Fits `y = a + b·x` to `points`; `None` for fewer than three points or when every `x`
/// is the same.
pub(crate) fn fit(points: impl Iterator<Item = (f64, f64)> + Clone) -> Option<SlopeFit> {
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
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (x, y) in points {
        let (dx, dy) = (x - mx, y - my);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let sse = (syy - slope * sxy).max(0.0);
    let df = (n - 2) as f64;
    let residual_std = libm::sqrt(sse / df);
    let standard_error = libm::sqrt(sse / df / sxx);
    // Relative to the spread of y, a residual this small is rounding: the points are on a line.
    let exact = sse <= syy * 1e-12;
    let confidence_positive = if exact || standard_error == 0.0 {
        match slope {
            s if s > 0.0 => 1.0,
            s if s < 0.0 => 0.0,
            _ => 0.5,
        }
    } else {
        student_t_cdf(slope / standard_error, df)
    };
    Some(SlopeFit {
        slope,
        standard_error,
        residual_std,
        confidence_positive,
        n,
    })
}

/// P(T ≤ t) for Student's t with `df` degrees of freedom.
pub(crate) fn student_t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * incomplete_beta(x, df / 2.0, 0.5);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The regularized incomplete beta function I_x(a, b).
fn incomplete_beta(x: f64, a: f64, b: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = libm::lgamma(a + b) - libm::lgamma(a) - libm::lgamma(b)
        + a * libm::log(x)
        + b * libm::log(1.0 - x);
    let front = libm::exp(ln_front);
    // The continued fraction converges fast on this side of the mean; use symmetry otherwise.
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_continued_fraction(x, a, b) / a
    } else {
        1.0 - front * beta_continued_fraction(1.0 - x, b, a) / b
    }
}

/// Continued fraction of the incomplete beta function, by the modified Lentz method.
fn beta_continued_fraction(x: f64, a: f64, b: f64) -> f64 {
    const TINY: f64 = 1e-300;
    const EPS: f64 = 1e-14;
    let nonzero = |v: f64| if libm::fabs(v) < TINY { TINY } else { v };
    let mut c = 1.0;
    let mut d = 1.0 / nonzero(1.0 - (a + b) * x / (a + 1.0));
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let even = m * (b - m) * x / ((a + 2.0 * m - 1.0) * (a + 2.0 * m));
        d = 1.0 / nonzero(1.0 + even * d);
        c = nonzero(1.0 + even / c);
        h *= d * c;
        let odd = -(a + m) * (a + b + m) * x / ((a + 2.0 * m) * (a + 2.0 * m + 1.0));
        d = 1.0 / nonzero(1.0 + odd * d);
        c = nonzero(1.0 + odd / c);
        let step = d * c;
        h *= step;
        if libm::fabs(step - 1.0) < EPS {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_distribution_matches_tables() {
        // Critical values from standard t tables.
        assert!((student_t_cdf(2.015, 5.0) - 0.95).abs() < 1e-3);
        assert!((student_t_cdf(3.365, 5.0) - 0.99).abs() < 1e-3);
        assert!((student_t_cdf(4.587, 10.0) - 0.9995).abs() < 1e-4);
        assert!((student_t_cdf(-1.812, 10.0) - 0.05).abs() < 1e-3);
        assert!((student_t_cdf(0.0, 3.0) - 0.5).abs() < 1e-12);
        // One degree of freedom is the Cauchy distribution.
        assert!((student_t_cdf(1.0, 1.0) - 0.75).abs() < 1e-9);
    }

    #[test]
    fn exact_line_is_certain() {
        let f = fit((0..5).map(|i| (f64::from(i), 10.0 + 3.0 * f64::from(i)))).unwrap();
        assert!((f.slope - 3.0).abs() < 1e-12);
        assert_eq!(f.confidence_positive, 1.0);
    }

    #[test]
    fn noisy_flat_series_is_not_confident() {
        let ys = [5.0, 7.0, 4.0, 6.0, 5.0, 7.0, 4.0, 6.0];
        let f = fit(ys.iter().enumerate().map(|(i, y)| (i as f64, *y))).unwrap();
        assert!(f.confidence_positive < 0.9, "{f:?}");
        assert!(f.residual_std > 1.0);
    }

    #[test]
    fn too_few_points_or_no_spread() {
        assert!(fit([(0.0, 1.0), (1.0, 2.0)].into_iter()).is_none());
        assert!(fit([(1.0, 1.0), (1.0, 2.0), (1.0, 3.0)].into_iter()).is_none());
    }
}
