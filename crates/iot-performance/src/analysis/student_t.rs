//! Student's t distribution: the distribution function, two-sided p-values and
//! quantiles, for trend confidence intervals, the leak detector's confidence and Welch's
//! t-test. Pure `f64` arithmetic through `libm`, no tables.

/// Two-sided p-value of a t statistic with `df` degrees of freedom: the probability of a
/// |T| at least as large as `|t|` when the true difference is zero.
pub fn two_sided_p(t: f64, df: f64) -> f64 {
    if !t.is_finite() {
        return if t.is_nan() { 1.0 } else { 0.0 };
    }
    if df <= 0.0 || df.is_nan() {
        return 1.0;
    }
    let x = df / (df + t * t);
    regularized_incomplete_beta(df / 2.0, 0.5, x).clamp(0.0, 1.0)
}

/// `P(T ≤ t)` for Student's t with `df` degrees of freedom (one-sided).
pub fn cdf(t: f64, df: f64) -> f64 {
    let tail = 0.5 * two_sided_p(t, df);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// The `q` quantile of |T| for a two-sided interval: the `t` with
/// `P(|T| ≤ t) = confidence`, e.g. `two_sided_quantile(0.95, 10.0) ≈ 2.228`.
pub fn two_sided_quantile(confidence: f64, df: f64) -> f64 {
    let alpha = (1.0 - confidence).clamp(1e-12, 1.0);
    // p(t) falls monotonically from 1 at t = 0; bisect for p(t) = alpha.
    let (mut lo, mut hi) = (0.0_f64, 1.0_f64);
    while two_sided_p(hi, df) > alpha && hi < 1e9 {
        hi *= 2.0;
    }
    // Relative precision 1e-7 is far below what a confidence interval needs.
    while hi - lo > 1e-7 * hi {
        let mid = 0.5 * (lo + hi);
        if two_sided_p(mid, df) > alpha {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// `I_x(a, b)`, by the continued fraction (modified Lentz), using the symmetry
/// `I_x(a, b) = 1 − I_{1−x}(b, a)` where the fraction converges faster.
fn regularized_incomplete_beta(a: f64, b: f64, x: f64) -> f64 {
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
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_fraction(a, b, x) / a
    } else {
        1.0 - front * beta_fraction(b, a, 1.0 - x) / b
    }
}

fn beta_fraction(a: f64, b: f64, x: f64) -> f64 {
    const TINY: f64 = 1e-300;
    let mut c = 1.0;
    let mut d = 1.0 - (a + b) * x / (a + 1.0);
    if d.abs() < TINY {
        d = TINY;
    }
    d = 1.0 / d;
    let mut h = d;
    for m in 1..300 {
        let m = f64::from(m);
        let m2 = 2.0 * m;
        // Even step.
        let num = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
        d = 1.0 + num * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < TINY {
            c = TINY;
        }
        h *= d * c;
        // Odd step.
        let num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
        d = 1.0 + num * d;
        d = if d.abs() < TINY { 1.0 / TINY } else { 1.0 / d };
        c = 1.0 + num / c;
        if c.abs() < TINY {
            c = TINY;
        }
        let step = d * c;
        h *= step;
        if (step - 1.0).abs() < 1e-14 {
            break;
        }
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_published_table_values() {
        // Two-sided 95 % critical values of Student's t.
        for (df, t) in [(1.0, 12.706), (5.0, 2.571), (10.0, 2.228), (30.0, 2.042)] {
            assert!((two_sided_quantile(0.95, df) - t).abs() < 1e-3, "df {df}");
        }
        assert!((two_sided_quantile(0.99, 20.0) - 2.845).abs() < 1e-3);
        assert!((two_sided_quantile(0.95, 1e6) - 1.960).abs() < 1e-3);
    }

    #[test]
    fn cdf_matches_tables() {
        // One-sided critical values from standard t tables.
        assert!((cdf(2.015, 5.0) - 0.95).abs() < 1e-3);
        assert!((cdf(3.365, 5.0) - 0.99).abs() < 1e-3);
        assert!((cdf(4.587, 10.0) - 0.9995).abs() < 1e-4);
        assert!((cdf(-1.812, 10.0) - 0.05).abs() < 1e-3);
        assert!((cdf(0.0, 3.0) - 0.5).abs() < 1e-12);
        // One degree of freedom is the Cauchy distribution.
        assert!((cdf(1.0, 1.0) - 0.75).abs() < 1e-9);
    }

    #[test]
    fn p_values() {
        assert!((two_sided_p(0.0, 7.0) - 1.0).abs() < 1e-12);
        assert!((two_sided_p(2.228, 10.0) - 0.05).abs() < 1e-4);
        assert!(two_sided_p(50.0, 10.0) < 1e-12);
        assert_eq!(two_sided_p(f64::INFINITY, 3.0), 0.0);
    }
}
