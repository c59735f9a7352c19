//! Baselines as self-checking binary frames, for export to a host or another device.
//!
//! ```text
//! "IPBL" | version: u8 | payload length: u16 LE | postcard payload | CRC-32 (ISO-HDLC) LE
//! ```
//! The CRC covers version, length and payload. A frame that is truncated, has another
//! magic or version, a wrong checksum or a payload that does not decode exactly is refused
//! with [`Error::InvalidData`]; nothing of it is used.

use crc::{CRC_32_ISO_HDLC, Crc};

use super::PerformanceBaseline;
use crate::{Error, Result};

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
    Ok((baseline, end + CRC_LEN))
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
}
