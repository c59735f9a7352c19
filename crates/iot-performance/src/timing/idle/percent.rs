//! [`percent`]: a share in percent computed in integer arithmetic.
//!
//! The public figures are `f32`, but the firmware computes them without floating-point
//! arithmetic: on a core without an FPU (RISC-V `imc`, Cortex-M0/M3) a `u64 → f32`
//! conversion, a multiplication and a division link about 1.5 KiB of soft-float. Here a
//! 24-bit fixed-point quotient is built by shifts and subtractions and its bits are laid
//! out as an `f32` directly, so nothing from the compiler runtime is called.
//!
//! Both normalisations (the counts to 24 bits, the quotient to an `f32` significand) use
//! `leading_zeros` where the core counts leading zeros in one instruction, and a shift loop
//! where it does not: RISC-V without `Zbb` (`riscv32imc`, the ESP32-C3) expands each
//! `leading_zeros` into a ≈ 100-byte bit-counting sequence, the loop takes a few words.
//! Both give the same result (`normalisations_agree`).

/// Fraction bits of the fixed-point quotient: as many as an `f32` significand holds.
const FRACTION_BITS: u32 = 24;

/// Whether the core has a count-leading-zeros instruction ([module docs](self)).
const HAS_CLZ: bool = !cfg!(all(
    any(target_arch = "riscv32", target_arch = "riscv64"),
    not(target_feature = "zbb")
));

/// `100 · part / whole` in percent, `part` clamped to `whole`; `0.0` for an empty `whole`.
///
/// Both counts are scaled to their 24 highest bits, the quotient keeps 24 fraction bits and
/// is truncated to the `f32` significand: the result is within 2⁻²¹ of the exact share
/// (relative) plus 100 · 2⁻²² percentage points (absolute, 0.00003), which is the precision
/// of an `f32` quotient of the two counts.
pub(crate) fn percent(part: u64, whole: u64) -> f32 {
    if whole == 0 {
        return 0.0;
    }
    let (mut remainder, whole) = if HAS_CLZ {
        to_fraction_bits_by_clz(part.min(whole), whole)
    } else {
        to_fraction_bits_by_shifting(part.min(whole), whole)
    };
    // Restoring division: the integer bit (1 when part == whole), then 24 fraction bits;
    // `remainder < whole < 2²⁴`, so doubling it never overflows.
    let mut quotient = 0u32;
    for _ in 0..=FRACTION_BITS {
        quotient <<= 1;
        if remainder >= whole {
            remainder -= whole;
            quotient |= 1;
        }
        remainder <<= 1;
    }
    // quotient ≤ 2²⁴, so 100 · quotient < 2³¹.
    fixed_to_f32(quotient * 100)
}

/// `part` and `whole` shifted right together until `whole` has at most 24 significant
/// bits (`part ≤ whole`): by one shift of the count above 24 bits.
fn to_fraction_bits_by_clz(part: u64, whole: u64) -> (u32, u32) {
    let shift = (64 - FRACTION_BITS).saturating_sub(whole.leading_zeros());
    ((part >> shift) as u32, (whole >> shift) as u32)
}

/// [`to_fraction_bits_by_clz`] one bit at a time (the same shift in steps of one).
fn to_fraction_bits_by_shifting(mut part: u64, mut whole: u64) -> (u32, u32) {
    while whole >> FRACTION_BITS != 0 {
        whole >>= 1;
        part >>= 1;
    }
    (part as u32, whole as u32)
}

/// `value · 2⁻²⁴` as an `f32`, truncated to its 24-bit significand.
fn fixed_to_f32(value: u32) -> f32 {
    if value == 0 {
        return 0.0;
    }
    let (normalised, leading) = if HAS_CLZ {
        normalise_by_clz(value)
    } else {
        normalise_by_shifting(value)
    };
    // Drop the implicit leading one, keep the next 23 bits.
    let significand = (normalised << 1) >> 9;
    // The top bit is bit 31 − leading: the value is 2^(31 − leading − 24) · 1.significand.
    let exponent = 31 - leading + 127 - FRACTION_BITS;
    f32::from_bits((exponent << 23) | significand)
}

/// `value` (non-zero) shifted left until its top bit is set, and the shift.
fn normalise_by_clz(value: u32) -> (u32, u32) {
    let leading = value.leading_zeros();
    (value << leading, leading)
}

/// [`normalise_by_clz`] one bit at a time.
fn normalise_by_shifting(mut value: u32) -> (u32, u32) {
    let mut leading = 0;
    while value >> 31 == 0 {
        value <<= 1;
        leading += 1;
    }
    (value, leading)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_shares_are_exact() {
        assert_eq!(percent(750, 1000), 75.0);
        assert_eq!(percent(1000, 1000), 100.0);
        assert_eq!(percent(5000, 1000), 100.0);
        assert_eq!(percent(0, 1000), 0.0);
        assert_eq!(percent(0, 0), 0.0);
        assert_eq!(percent(1, 4), 25.0);
        assert_eq!(percent(1 << 40, 1 << 41), 50.0);
        assert_eq!(percent(u64::MAX, u64::MAX), 100.0);
    }

    #[test]
    fn matches_a_double_precision_quotient() {
        let wholes = [
            1u64,
            3,
            7,
            1000,
            999_983,
            25_000_000,
            1 << 33,
            u64::MAX / 3,
            u64::MAX,
        ];
        for &whole in &wholes {
            for step in 0..=64u64 {
                let part =
                    (((u128::from(whole) * u128::from(step)) / 64) as u64).saturating_add(step % 3);
                let exact = 100.0 * part.min(whole) as f64 / whole as f64;
                let got = f64::from(percent(part, whole));
                assert!(
                    (exact - got).abs() <= exact * 2f64.powi(-21) + 100.0 * 2f64.powi(-22),
                    "{part}/{whole}: {got} vs {exact}"
                );
            }
        }
    }

    #[test]
    fn normalisations_agree() {
        let counts = [
            1u64,
            2,
            3,
            (1 << 24) - 1,
            1 << 24,
            (1 << 24) + 1,
            (1 << 25) - 1,
            1_000_000_007,
            1 << 40,
            u64::MAX / 3,
            u64::MAX - 1,
            u64::MAX,
        ];
        for &whole in &counts {
            for part in [0, 1, whole / 2, whole - 1, whole] {
                assert_eq!(
                    to_fraction_bits_by_shifting(part, whole),
                    to_fraction_bits_by_clz(part, whole),
                    "{part}/{whole}"
                );
            }
        }
        for value in [
            1u32,
            2,
            3,
            0xff,
            1 << 24,
            100 << 24,
            u32::MAX >> 1,
            1 << 31,
            u32::MAX,
        ] {
            assert_eq!(
                normalise_by_shifting(value),
                normalise_by_clz(value),
                "{value}"
            );
        }
    }

    #[test]
    fn small_values_keep_their_exponent() {
        assert_eq!(fixed_to_f32(1), 2f32.powi(-24));
        assert_eq!(fixed_to_f32(3 << 24), 3.0);
        // Truncated to the significand: the 24 highest bits.
        assert_eq!(fixed_to_f32(u32::MAX), (u32::MAX >> 8) as f32 / 65_536.0);
    }
}
