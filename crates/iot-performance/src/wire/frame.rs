//! Encoding one record into a frame, and decoding one frame back.

use core::fmt;

use crc::{CRC_32_ISO_HDLC, Crc};

use super::{MAGIC, OLDEST_SUPPORTED_VERSION, Record, VERSION};

const CRC32: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);
const HEADER_LEN: usize = MAGIC.len() + 1;
const CRC_LEN: usize = 4;

/// Largest postcard-encoded record: a scope row with a [`MAX_NAME_LEN`](super::MAX_NAME_LEN)
/// name and every field at its widest is well below this.
pub const MAX_RECORD_LEN: usize = 192;

/// Largest frame on the wire, COBS overhead and the `0x00` delimiter included.
pub const MAX_FRAME_LEN: usize =
    cobs::max_encoding_length(HEADER_LEN + MAX_RECORD_LEN + CRC_LEN) + 1;

/// Why a frame could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum FrameError {
    /// The output buffer is smaller than the frame (or the record exceeds [`MAX_RECORD_LEN`]).
    BufferTooSmall,
    /// The COBS encoding is broken (a byte was lost or changed).
    Cobs,
    /// Fewer bytes than magic, version and CRC need.
    Truncated {
        /// Decoded length of the frame.
        len: usize,
    },
    /// The frame does not start with [`MAGIC`]: not an iot-performance frame.
    BadMagic,
    /// Written by a format version this decoder does not know.
    UnsupportedVersion {
        /// The version in the frame.
        version: u8,
    },
    /// The checksum does not match the contents: the frame was corrupted in transit.
    CrcMismatch {
        /// The checksum in the frame.
        expected: u32,
        /// The checksum of the bytes received.
        actual: u32,
    },
    /// The checksum matched but the record does not parse (an encoder bug).
    Record,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BufferTooSmall => write!(f, "frame buffer too small"),
            Self::Cobs => write!(f, "broken COBS framing (bytes lost or changed)"),
            Self::Truncated { len } => write!(f, "truncated frame ({len} bytes)"),
            Self::BadMagic => write!(f, "not an iot-performance frame (bad magic)"),
            Self::UnsupportedVersion { version } => write!(
                f,
                "wire format version {version} is not supported (this build reads {OLDEST_SUPPORTED_VERSION}..={VERSION})"
            ),
            Self::CrcMismatch { expected, actual } => write!(
                f,
                "checksum mismatch (frame says {expected:#010x}, contents give {actual:#010x}): corrupted in transit"
            ),
            Self::Record => write!(f, "checksum valid but the record does not parse"),
        }
    }
}

impl core::error::Error for FrameError {}

/// Encodes `record` as one frame, delimiter included, into `out`; returns the frame length.
///
/// Needs no heap: a scratch buffer of [`MAX_RECORD_LEN`] + 7 bytes lives on the stack.
pub fn encode_frame(record: &Record<'_>, out: &mut [u8]) -> Result<usize, FrameError> {
    let mut raw = [0u8; HEADER_LEN + MAX_RECORD_LEN + CRC_LEN];
    raw[..MAGIC.len()].copy_from_slice(&MAGIC);
    raw[MAGIC.len()] = VERSION;
    let body_len = postcard::to_slice(record, &mut raw[HEADER_LEN..HEADER_LEN + MAX_RECORD_LEN])
        .map_err(|_| FrameError::BufferTooSmall)?
        .len();
    let crc_at = HEADER_LEN + body_len;
    let crc = CRC32.checksum(&raw[..crc_at]);
    raw[crc_at..crc_at + CRC_LEN].copy_from_slice(&crc.to_le_bytes());
    let raw = &raw[..crc_at + CRC_LEN];
    let encoded = cobs::try_encode(raw, out).map_err(|_| FrameError::BufferTooSmall)?;
    let delimiter = out.get_mut(encoded).ok_or(FrameError::BufferTooSmall)?;
    *delimiter = 0;
    Ok(encoded + 1)
}

/// Decodes one frame (the bytes between two `0x00` delimiters, without them) in place.
///
/// The returned record borrows its names from `frame`.
pub fn decode_frame(frame: &mut [u8]) -> Result<Record<'_>, FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::Cobs)?;
    let raw = &frame[..len];
    if len < HEADER_LEN + CRC_LEN + 1 {
        return Err(FrameError::Truncated { len });
    }
    if raw[..MAGIC.len()] != MAGIC {
        return Err(FrameError::BadMagic);
    }
    let (content, crc_bytes) = raw.split_at(len - CRC_LEN);
    let mut expected = [0u8; CRC_LEN];
    expected.copy_from_slice(crc_bytes);
    let expected = u32::from_le_bytes(expected);
    let actual = CRC32.checksum(content);
    if expected != actual {
        return Err(FrameError::CrcMismatch { expected, actual });
    }
    let version = raw[MAGIC.len()];
    if !(OLDEST_SUPPORTED_VERSION..=VERSION).contains(&version) {
        return Err(FrameError::UnsupportedVersion { version });
    }
    postcard::from_bytes(&content[HEADER_LEN..]).map_err(|_| FrameError::Record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{DroppedRecord, ScopeRecord, SnapshotRecord};

    fn scope(name: &str) -> Record<'_> {
        Record::Scope(ScopeRecord {
            timestamp_us: u64::MAX,
            name,
            calls: u64::MAX,
            total_ticks: u64::MAX,
            min_ticks: u64::MAX,
            max_ticks: u64::MAX,
            self_ticks: Some(u64::MAX),
            busy_ticks: Some(u64::MAX),
            wall_ticks: Some(u64::MAX),
            polls: Some(u64::MAX),
            ticks_per_second: u64::MAX,
        })
    }

    fn frame_of(record: &Record<'_>) -> ([u8; MAX_FRAME_LEN], usize) {
        let mut out = [0u8; MAX_FRAME_LEN];
        let n = encode_frame(record, &mut out).expect("encodes");
        (out, n)
    }

    #[test]
    fn widest_scope_row_fits_and_round_trips() {
        let name = "n".repeat(crate::wire::MAX_NAME_LEN);
        let record = scope(&name);
        let (mut out, n) = frame_of(&record);
        assert_eq!(out[n - 1], 0, "frame ends with the delimiter");
        assert!(!out[..n - 1].contains(&0), "no zero inside a frame");
        assert_eq!(decode_frame(&mut out[..n - 1]), Ok(record));
    }

    #[test]
    fn widest_task_and_interrupt_rows_fit_and_round_trip() {
        let name = "n".repeat(crate::wire::MAX_NAME_LEN);
        let task = Record::Task(crate::wire::TaskRecord {
            timestamp_us: u64::MAX,
            id: u32::MAX,
            name: Some(&name),
            polls: u32::MAX,
            busy_ticks: u64::MAX,
            wakeups: u32::MAX,
            ready_latency_total_ticks: u64::MAX,
            ready_latency_max_ticks: u32::MAX,
            ended: true,
            ticks_per_second: u64::MAX,
        });
        let isr = Record::Interrupt(crate::wire::InterruptRecord {
            timestamp_us: u64::MAX,
            name: &name,
            count: u32::MAX,
            timed: u32::MAX,
            total_ticks: u64::MAX,
            max_ticks: u32::MAX,
            ticks_per_second: u64::MAX,
        });
        for record in [task, isr] {
            let (mut out, n) = frame_of(&record);
            assert_eq!(decode_frame(&mut out[..n - 1]), Ok(record));
        }
    }

    #[test]
    fn snapshot_is_compact() {
        let record = Record::Snapshot(SnapshotRecord {
            timestamp_us: 1_000_000,
            heap_used: 12_000,
            heap_free: 20_000,
            heap_total: 32_768,
            stack_used: 900,
            stack_free: 3_000,
            static_memory: 4_000,
            fragmentation: None,
            cpu_utilization: 25.0,
            uptime_ms: 1_000,
            task_count: 4,
            interrupt_count: 100,
            context_switches: 40,
            temperature: Some(41.5),
        });
        let (mut out, n) = frame_of(&record);
        assert!(n < 48, "snapshot frame is {n} bytes");
        assert_eq!(decode_frame(&mut out[..n - 1]), Ok(record));
    }

    #[test]
    fn every_single_bit_flip_is_detected() {
        let record = Record::Dropped(DroppedRecord { frames: 7 });
        let (out, n) = frame_of(&record);
        for byte in 0..n - 1 {
            for bit in 0..8 {
                let mut bad = out;
                bad[byte] ^= 1 << bit;
                let decoded = decode_frame(&mut bad[..n - 1]);
                assert!(
                    decoded.is_err(),
                    "flip {byte}:{bit} went unnoticed: {decoded:?}"
                );
            }
        }
    }

    #[test]
    fn truncation_magic_and_version_errors() {
        let (out, _) = frame_of(&Record::Dropped(DroppedRecord { frames: 1 }));
        let mut short = out;
        assert!(decode_frame(&mut short[..3]).is_err());
        assert!(decode_frame(&mut []).is_err());

        // A well-formed frame of a future version is refused by version, not by checksum.
        let mut raw = [b'I', b'P', VERSION + 1, 0, 0, 0, 0, 0];
        let crc = CRC32.checksum(&raw[..4]).to_le_bytes();
        raw[4..].copy_from_slice(&crc);
        let mut enc = [0u8; 16];
        let len = cobs::encode(&raw, &mut enc);
        assert_eq!(
            decode_frame(&mut enc[..len]),
            Err(FrameError::UnsupportedVersion {
                version: VERSION + 1
            })
        );
        raw[0] = b'X';
        let len = cobs::encode(&raw, &mut enc);
        assert_eq!(decode_frame(&mut enc[..len]), Err(FrameError::BadMagic));
    }

    #[test]
    fn small_output_buffer_is_an_error_not_a_panic() {
        let mut out = [0u8; 8];
        assert_eq!(
            encode_frame(&scope("x"), &mut out),
            Err(FrameError::BufferTooSmall)
        );
    }
}
