//! Trace-chunk frames: the events of [`crate::trace`] on the same link as the records.
//!
//! A trace frame is framed like a record frame, with its own magic so that the record
//! decoder ([`super::decode_frame`]) and its fixtures are unchanged:
//!
//! ```text
//! COBS( magic "IT" | version u8 | chunk | CRC-32/ISO-HDLC of the preceding bytes, LE ) 0x00
//! ```
//!
//! The chunk ([`crate::trace::codec`]) carries its events and the count of events lost
//! before them. [`TraceStreamer`] drains a ring into any [`ByteSink`] without blocking: a
//! chunk the sink refuses is counted into the next chunk's lost count, so every gap
//! reaches the host.
//!
//! ```
//! use iot_performance::trace::{self, ChunkDecoder, EventKind, TraceBuffer};
//! use iot_performance::wire::{SliceSink, TraceStreamer, decode_trace_frame};
//!
//! static RING: TraceBuffer<32> = TraceBuffer::new();
//! RING.write(EventKind::Marker, 7, 0, 100);
//!
//! let mut payload = [0u8; 512];
//! let mut streamer = TraceStreamer::new(SliceSink::new(&mut payload));
//! assert_eq!(streamer.pump(&RING), 1);
//!
//! let mut bytes = streamer.sink().as_bytes().to_vec();
//! let end = bytes.iter().position(|&b| b == 0).unwrap();
//! let chunk = decode_trace_frame(&mut bytes[..end])?;
//! let event = ChunkDecoder::new().decode(chunk).unwrap().next().unwrap().unwrap();
//! assert_eq!((event.kind, event.id, event.time), (Some(EventKind::Marker), 7, 100));
//! # Ok::<(), iot_performance::wire::FrameError>(())
//! ```

use crc::{CRC_32_ISO_HDLC, Crc};

use super::{ByteSink, FrameError};
use crate::trace::TraceBuffer;

/// Two bytes that start every decoded trace frame: `b"IT"`.
pub const TRACE_MAGIC: [u8; 2] = *b"IT";

/// The trace-frame format version this build writes and reads.
pub const TRACE_VERSION: u8 = 1;

/// Largest chunk a trace frame carries.
pub const MAX_TRACE_CHUNK_LEN: usize = 256;

const PREFIX: usize = TRACE_MAGIC.len() + 1;
const CHECKSUM: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Largest trace frame on the wire, COBS overhead and the `0x00` delimiter included.
pub const MAX_TRACE_FRAME_LEN: usize =
    cobs::max_encoding_length(PREFIX + MAX_TRACE_CHUNK_LEN + 4) + 1;

/// Frames `chunk` (at most [`MAX_TRACE_CHUNK_LEN`] bytes) into `out`, delimiter included;
/// returns the frame length.
pub fn encode_trace_frame(chunk: &[u8], out: &mut [u8]) -> Result<usize, FrameError> {
    if chunk.len() > MAX_TRACE_CHUNK_LEN {
        return Err(FrameError::BufferTooSmall);
    }
    let mut raw = [0u8; PREFIX + MAX_TRACE_CHUNK_LEN + 4];
    raw[..2].copy_from_slice(&TRACE_MAGIC);
    raw[2] = TRACE_VERSION;
    let body_end = PREFIX + chunk.len();
    raw[PREFIX..body_end].copy_from_slice(chunk);
    let sum = CHECKSUM.checksum(&raw[..body_end]).to_le_bytes();
    raw[body_end..body_end + 4].copy_from_slice(&sum);
    let written =
        cobs::try_encode(&raw[..body_end + 4], out).map_err(|_| FrameError::BufferTooSmall)?;
    *out.get_mut(written).ok_or(FrameError::BufferTooSmall)? = 0;
    Ok(written + 1)
}

/// Decodes one trace frame (the bytes between two `0x00` delimiters) in place and returns
/// its chunk, for [`crate::trace::ChunkDecoder`].
pub fn decode_trace_frame(frame: &mut [u8]) -> Result<&[u8], FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::Cobs)?;
    if len < PREFIX + 4 {
        return Err(FrameError::Truncated { len });
    }
    let (content, sum) = frame[..len].split_at(len - 4);
    if content[..2] != TRACE_MAGIC {
        return Err(FrameError::BadMagic);
    }
    let expected = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    let actual = CHECKSUM.checksum(content);
    if expected != actual {
        return Err(FrameError::CrcMismatch { expected, actual });
    }
    if content[2] != TRACE_VERSION {
        return Err(FrameError::UnsupportedVersion {
            version: content[2],
        });
    }
    Ok(&content[PREFIX..])
}

/// Streams a trace ring to a [`ByteSink`]: one frame per chunk, never blocking.
#[derive(Debug)]
pub struct TraceStreamer<S> {
    sink: S,
    /// Events of refused chunks, to be reported as lost in the next chunk sent.
    carried: u32,
}

impl<S: ByteSink> TraceStreamer<S> {
    /// A streamer writing to `sink`.
    pub fn new(sink: S) -> Self {
        Self { sink, carried: 0 }
    }

    /// Drains `ring` chunk by chunk into the sink until the ring is empty or the sink
    /// refuses a frame (its events are then counted as lost in the next frame); returns
    /// the events sent.
    pub fn pump<const N: usize>(&mut self, ring: &TraceBuffer<N>) -> u32 {
        let mut sent = 0u32;
        loop {
            let mut chunk = [0u8; MAX_TRACE_CHUNK_LEN];
            let info = ring.drain(&mut chunk);
            if info.events == 0 && info.lost == 0 {
                return sent;
            }
            let lost = info.lost.saturating_add(self.carried);
            chunk[..4].copy_from_slice(&lost.to_le_bytes());
            let mut frame = [0u8; MAX_TRACE_FRAME_LEN];
            let delivered = encode_trace_frame(&chunk[..info.len], &mut frame)
                .is_ok_and(|len| self.sink.try_write(&frame[..len]).is_ok());
            if !delivered {
                self.carried = lost.saturating_add(info.events);
                return sent;
            }
            self.carried = 0;
            sent = sent.saturating_add(info.events);
        }
    }

    /// Events refused by the sink and not yet reported in a frame.
    pub fn pending_lost(&self) -> u32 {
        self.carried
    }

    /// The sink.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// The sink, mutably (to clear a payload buffer once sent).
    pub fn sink_mut(&mut self) -> &mut S {
        &mut self.sink
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use crate::trace::{ChunkDecoder, EventKind, TraceEvent};
    use crate::wire::{SinkFull, SliceSink, decode_frame};

    fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
        bytes
            .split(|&b| b == 0)
            .filter(|f| !f.is_empty())
            .map(<[u8]>::to_vec)
            .collect()
    }

    #[test]
    fn frames_round_trip_and_are_not_record_frames() {
        let chunk = [3, 0, 0, 0, 9, 0, 0, 0, 0x19, 0];
        let mut out = [0u8; MAX_TRACE_FRAME_LEN];
        let len = encode_trace_frame(&chunk, &mut out).unwrap();
        let mut frame = out[..len - 1].to_vec();
        assert_eq!(decode_trace_frame(&mut frame.clone()).unwrap(), chunk);
        assert_eq!(decode_frame(&mut frame), Err(FrameError::BadMagic));
        let mut flipped = out[..len - 1].to_vec();
        flipped[5] ^= 0x40;
        assert!(decode_trace_frame(&mut flipped).is_err());
        assert_eq!(
            encode_trace_frame(&[0; MAX_TRACE_CHUNK_LEN + 1], &mut out),
            Err(FrameError::BufferTooSmall)
        );
    }

    /// Refuses every frame while `full`.
    struct Gate<'a> {
        inner: SliceSink<'a>,
        full: bool,
    }

    impl ByteSink for Gate<'_> {
        fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
            if self.full {
                return Err(SinkFull);
            }
            self.inner.try_write(frame)
        }
    }

    #[test]
    fn refused_chunks_are_reported_as_a_gap_in_the_next_frame() {
        let ring = TraceBuffer::<64>::new();
        let mut payload = [0u8; 4096];
        let mut streamer = TraceStreamer::new(Gate {
            inner: SliceSink::new(&mut payload),
            full: true,
        });
        for i in 0..5u32 {
            ring.write(EventKind::Marker, i, 0, i);
        }
        assert_eq!(streamer.pump(&ring), 0);
        assert_eq!(streamer.pending_lost(), 5);
        streamer.sink_mut().full = false;
        for i in 5..100u32 {
            ring.write(EventKind::Marker, i, 0, i * 300);
        }
        // 95 written into 64 slots: 31 overwritten, plus the 5 refused.
        let sent = streamer.pump(&ring);
        assert_eq!(sent, 64);
        assert_eq!(streamer.pending_lost(), 0);
        let mut decoder = ChunkDecoder::new();
        let mut events: Vec<TraceEvent> = Vec::new();
        for mut frame in frames(streamer.sink().inner.as_bytes()) {
            let chunk = decode_trace_frame(&mut frame).unwrap();
            events.extend(decoder.decode(chunk).unwrap().map(Result::unwrap));
        }
        assert_eq!((events[0].kind, events[0].lost), (None, 36));
        let ids: Vec<u32> = events[1..].iter().map(|e| e.id).collect();
        assert_eq!(ids, (36..100).collect::<Vec<_>>());
    }
}
