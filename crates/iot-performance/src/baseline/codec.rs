//! Baselines as self-checking binary frames, for export to a host or another device.
//!
//! ```text
//! "IPBL" | version: u8 | payload length: u16 LE | postcard payload | CRC-32 (ISO-HDLC) LE
//! ```
//! The CRC covers version, length and payload. A frame that is truncated, has another
//! magic or version, a wrong checksum or a payload that does not decode exactly is refused
//! with [`Error::InvalidData`]; nothing of it is used.
//!
//! A frame whose checksum matches can still hold impossible statistics (written by a
//! buggy or hostile tool that recomputed the CRC): a NaN or infinite mean, variance, min
//! or max, a negative variance, a mean outside min..max, a spread that min and max cannot
//! produce, or figures on a statistic that counted no value. Such a baseline would hide
//! regressions (every comparison with NaN is false), so it is refused too.

use crc::{CRC_32_ISO_HDLC, Crc};

use super::PerformanceBaseline;
use crate::{Error, Result, RunningStats};

/// First bytes of every baseline frame.
pub const MAGIC: [u8; 4] = *b"IPBL";
/// Version of the frame layout and payload written by this build.
pub const VERSION: u8 = 1;
/// Upper bound of one frame's size: buffers of this size always fit one baseline (the
/// largest the tests build is 880 B with small sample counts; 15 counts at their 10-byte
/// varint maximum add at most 135 B more).
pub const MAX_FRAME_LEN: usize = 1024;

const HEADER_LEN: usize = MAGIC.len() + 1 + 2;
const CRC_LEN: usize = 4;
const CRC: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

fn invalid(reason: &'static str) -> Error {
    Error::InvalidData {
        what: "baseline frame",
        reason,
    }
}

/// Writes `baseline` as one frame at the start of `buf`; returns the frame's length.
///
/// # Errors
/// [`Error::CapacityExceeded`] when `buf` is too small ([`MAX_FRAME_LEN`] always fits).
pub fn encode(baseline: &PerformanceBaseline, buf: &mut [u8]) -> Result<usize> {
    let too_small = Error::CapacityExceeded {
        what: "baseline export buffer",
        capacity: buf.len(),
    };
    let payload_area = buf
        .get_mut(HEADER_LEN..buf.len().saturating_sub(CRC_LEN))
        .ok_or(too_small)?;
    let payload_len = postcard::to_slice(baseline, payload_area)
        .map_err(|_| too_small)?
        .len();
    let len16 = u16::try_from(payload_len).map_err(|_| too_small)?;
    let end = HEADER_LEN + payload_len;
    let header = buf.get_mut(..HEADER_LEN).ok_or(too_small)?;
    header[..4].copy_from_slice(&MAGIC);
    header[4] = VERSION;
    header[5..7].copy_from_slice(&len16.to_le_bytes());
    let crc = CRC.checksum(buf.get(4..end).ok_or(too_small)?);
    buf.get_mut(end..end + CRC_LEN)
        .ok_or(too_small)?
        .copy_from_slice(&crc.to_le_bytes());
    Ok(end + CRC_LEN)
}

/// Reads the frame at the start of `bytes`; returns the baseline and the frame's length
/// (frames can be concatenated).
///
/// # Errors
/// [`Error::InvalidData`] saying what is wrong with the frame.
pub fn decode(bytes: &[u8]) -> Result<(PerformanceBaseline, usize)> {
    let header = bytes.get(..HEADER_LEN).ok_or(invalid("truncated header"))?;
    if header[..4] != MAGIC {
        return Err(invalid("not a baseline frame (bad magic)"));
    }
    if header[4] != VERSION {
        return Err(invalid("unsupported version"));
    }
    let payload_len = usize::from(u16::from_le_bytes([header[5], header[6]]));
    let end = HEADER_LEN + payload_len;
    let crc_bytes = bytes
        .get(end..end + CRC_LEN)
        .ok_or(invalid("truncated payload"))?;
    let stored = u32::from_le_bytes([crc_bytes[0], crc_bytes[1], crc_bytes[2], crc_bytes[3]]);
    let covered = bytes.get(4..end).ok_or(invalid("truncated payload"))?;
    if CRC.checksum(covered) != stored {
        return Err(invalid("checksum mismatch"));
    }
    let payload = bytes
        .get(HEADER_LEN..end)
        .ok_or(invalid("truncated payload"))?;
    let (baseline, rest): (PerformanceBaseline, _) =
        postcard::take_from_bytes(payload).map_err(|_| invalid("payload does not decode"))?;
    if !rest.is_empty() {
        return Err(invalid("payload longer than a baseline"));
    }
    if baseline.name.is_empty() {
        return Err(invalid("baseline without a name"));
    }
    validate(&baseline)?;
    Ok((baseline, end + CRC_LEN))
}

/// Checks that every statistic of `baseline` is one that real values can produce.
///
/// # Errors
/// [`Error::InvalidData`] naming the first impossible figure.
pub fn validate(baseline: &PerformanceBaseline) -> Result<()> {
    let s = &baseline.stats;
    for stats in [
        &s.heap_used,
        &s.heap_free,
        &s.stack_used,
        &s.fragmentation_ratio,
        &s.cpu_utilization,
        &s.task_count,
        &s.temperature,
    ] {
        check_stats(stats).map_err(invalid)?;
    }
    for scope in &baseline.scopes {
        check_stats(&scope.duration_us).map_err(invalid)?;
        for p in [scope.p50_us, scope.p99_us].into_iter().flatten() {
            if !p.is_finite() || p < 0.0 {
                return Err(invalid("scope percentile is negative, NaN or infinite"));
            }
        }
        if let (Some(p50), Some(p99)) = (scope.p50_us, scope.p99_us)
            && p50 > p99
        {
            return Err(invalid("scope p50 above its p99"));
        }
    }
    Ok(())
}

/// Relative slack for floating-point rounding in Welford's updates.
const SLACK: f64 = 1e-9;

fn check_stats(stats: &RunningStats) -> core::result::Result<(), &'static str> {
    let (Some(mean), Some(min), Some(max), Some(var)) = (
        stats.mean(),
        stats.min(),
        stats.max(),
        stats.population_variance(),
    ) else {
        // No value counted: only the empty statistic is possible.
        return if *stats == RunningStats::new() {
            Ok(())
        } else {
            Err("statistics of no value carry figures")
        };
    };
    if !(mean.is_finite() && min.is_finite() && max.is_finite()) {
        return Err("mean, min or max is NaN or infinite");
    }
    if var.is_nan() || var == f64::INFINITY {
        return Err("variance is NaN or infinite");
    }
    if var < 0.0 {
        return Err("negative variance");
    }
    if min > max {
        return Err("min above max");
    }
    let scale = libm::fmax(libm::fabs(min), libm::fabs(max));
    let tol = SLACK * scale;
    if mean < min - tol || mean > max + tol {
        return Err("mean outside min..max");
    }
    if stats.count() == 1 && (max - min > tol || var > 0.0) {
        return Err("one value counted but min, max and mean differ or variance is not 0");
    }
    // Popoviciu: values within [min, max] have a population variance of at most
    // (max - min)^2 / 4.
    let range = max - min;
    let bound = range * range / 4.0;
    if var > bound * (1.0 + SLACK) + tol * tol {
        return Err("variance larger than min and max allow");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::baseline::name;
    use crate::{MetricStats, RunningStats};

    fn sample() -> PerformanceBaseline {
        let mut stats = MetricStats::default();
        for v in [1000.0, 1100.0, 900.0] {
            stats.heap_used.push(v);
            stats.cpu_utilization.push(v / 100.0);
        }
        let mut b = PerformanceBaseline {
            name: name("steady_state").unwrap(),
            recorded_at_us: 123_456_789,
            duration_ms: 60_000,
            sample_count: 3,
            stats,
            scopes: heapless::Vec::new(),
            scopes_dropped: 0,
        };
        let mut t = RunningStats::new();
        t.push(812.5);
        b.set_scope("sensor_reading", t).unwrap();
        b
    }

    #[test]
    fn round_trip_and_concatenation() {
        let mut buf = [0u8; 2 * MAX_FRAME_LEN];
        let n = encode(&sample(), &mut buf).unwrap();
        let m = encode(&sample(), &mut buf[n..]).unwrap();
        let (a, used) = decode(&buf[..n + m]).unwrap();
        assert_eq!((a, used), (sample(), n));
        assert_eq!(decode(&buf[n..n + m]).unwrap().0, sample());
    }

    #[test]
    fn largest_baseline_fits_max_frame_len() {
        let mut b = sample();
        b.name = name("n23456789012345678901234").unwrap();
        for i in 0..crate::baseline::MAX_SCOPES {
            let mut t = RunningStats::new();
            t.push(f64::MAX);
            t.push(f64::MIN_POSITIVE);
            let scope = ["s1234567890123456789012a", "s1234567890123456789012b"][i % 2];
            b.scopes
                .push(crate::baseline::ScopeBaseline {
                    name: name(scope).unwrap(),
                    duration_us: t,
                    p50_us: Some(f64::MAX),
                    p99_us: Some(f64::MAX),
                })
                .ok();
        }
        b.recorded_at_us = u64::MAX;
        b.duration_ms = u64::MAX;
        b.sample_count = u32::MAX;
        b.scopes_dropped = u32::MAX;
        for s in [&mut b.stats.heap_used, &mut b.stats.temperature] {
            s.push(f64::MAX);
        }
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = encode(&b, &mut buf).unwrap();
        // Every other field is at its largest encoding; the 15 sample counts (7 metrics,
        // 8 scopes) are small here and can grow by 9 bytes each.
        assert!(n + 15 * 9 <= MAX_FRAME_LEN, "{n}");
    }

    #[test]
    fn every_truncation_and_every_bit_flip_is_refused() {
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = encode(&sample(), &mut buf).unwrap();
        for cut in 0..n {
            assert!(
                matches!(decode(&buf[..cut]), Err(Error::InvalidData { .. })),
                "cut {cut}"
            );
        }
        for byte in 0..n {
            for bit in 0..8 {
                let mut bad = buf;
                bad[byte] ^= 1 << bit;
                assert!(decode(&bad[..n]).is_err(), "flip {byte}:{bit}");
            }
        }
    }

    #[test]
    fn small_buffer_is_an_error_not_a_panic() {
        let mut buf = [0u8; 20];
        assert!(matches!(
            encode(&sample(), &mut buf),
            Err(Error::CapacityExceeded { .. })
        ));
        assert!(encode(&sample(), &mut []).is_err());
    }

    /// A `RunningStats` with any figures, as a tool that writes frames by hand could make.
    fn forged(count: u64, mean: f64, m2: f64, min: f64, max: f64) -> RunningStats {
        let mut buf = [0u8; 64];
        let bytes = postcard::to_slice(&(count, mean, m2, min, max), &mut buf).unwrap();
        postcard::from_bytes(bytes).unwrap()
    }

    #[test]
    fn impossible_statistics_with_a_valid_checksum_are_refused() {
        let nan = f64::NAN;
        let inf = f64::INFINITY;
        let cases = [
            ("NaN mean", forged(3, nan, 20_000.0, 900.0, 1100.0)),
            ("infinite mean", forged(3, inf, 20_000.0, 900.0, 1100.0)),
            ("NaN variance", forged(3, 1000.0, nan, 900.0, 1100.0)),
            ("infinite variance", forged(3, 1000.0, inf, 900.0, 1100.0)),
            ("negative variance", forged(3, 1000.0, -1.0, 900.0, 1100.0)),
            ("NaN min", forged(3, 1000.0, 20_000.0, nan, 1100.0)),
            ("min above max", forged(3, 1000.0, 0.0, 1100.0, 900.0)),
            ("mean above max", forged(3, 5000.0, 20_000.0, 900.0, 1100.0)),
            ("spread too wide", forged(3, 1000.0, 1.0e9, 900.0, 1100.0)),
            (
                "one value, min < max",
                forged(1, 1000.0, 0.0, 900.0, 1100.0),
            ),
            ("no value, a mean", forged(0, 1000.0, 0.0, 900.0, 1100.0)),
        ];
        for (what, stats) in cases {
            for place in 0..2 {
                let mut b = sample();
                if place == 0 {
                    b.stats.heap_used = stats;
                } else {
                    b.scopes[0].duration_us = stats;
                }
                let mut buf = [0u8; MAX_FRAME_LEN];
                // `encode` writes a correct checksum over the forged figures.
                let n = encode(&b, &mut buf).unwrap();
                let got = decode(&buf[..n]);
                assert!(
                    matches!(
                        got,
                        Err(Error::InvalidData {
                            what: "baseline frame",
                            ..
                        })
                    ),
                    "{what} (place {place}) accepted: {got:?}"
                );
            }
        }
        let mut b = sample();
        b.scopes[0].p99_us = Some(nan);
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = encode(&b, &mut buf).unwrap();
        assert!(decode(&buf[..n]).is_err(), "NaN percentile accepted");
    }

    #[test]
    fn real_statistics_pass_validation() {
        let mut b = sample();
        let mut rng = 0x1234_5678_u64;
        let mut wide = RunningStats::new();
        for _ in 0..10_000 {
            rng = rng
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            wide.push((rng >> 11) as f64 * 1e-3 - 4e12);
        }
        b.stats.stack_used = wide;
        let mut constant = RunningStats::new();
        for _ in 0..1000 {
            constant.push(0.1);
        }
        b.stats.fragmentation_ratio = constant;
        assert_eq!(validate(&b), Ok(()));
        let mut buf = [0u8; MAX_FRAME_LEN];
        let n = encode(&b, &mut buf).unwrap();
        assert_eq!(decode(&buf[..n]).unwrap().0, b);
    }
}
