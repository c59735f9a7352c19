//! Splitting a byte stream into frames and decoding them, counting what is corrupt.
//!
//! Frames end with a `0x00` delimiter. Devices also print text on the same link (a boot
//! banner, log lines) that contains no zero byte, so the bytes between two delimiters can
//! be noise followed by an intact frame. A chunk that does not decode as a whole is
//! searched for a frame start (a COBS code byte followed by the magic `IP`): the first
//! start whose frame passes every check (COBS, magic, CRC-32, version, record) is the
//! frame, and the bytes before it are reported as noise with their offset. Old captures
//! decode unchanged; the wire format is the same.
//!
//! Trace-chunk frames ([`iot_performance::wire::decode_trace_frame`], magic `IT`) share
//! the link: a frame is told apart by the two bytes after its COBS code byte, and the
//! resynchronisation looks for either magic. A damaged frame that carried the trace
//! magic is flagged, so that the trace keeps a gap where its events were.
//!
//! Heartbeat frames ([`iot_performance::wire::decode_heartbeat`], magic `IH`) share the
//! link the same way: one that passes its checks is an [`Item::Heartbeat`], and the
//! resynchronisation looks for its magic too.

use std::collections::VecDeque;
use std::io::Read;

use iot_performance::wire::{
    FrameError, HEARTBEAT_MAGIC, MAGIC, MAX_FRAME_LEN, MAX_HEARTBEAT_FRAME_LEN,
    MAX_TRACE_FRAME_LEN, TRACE_MAGIC, decode_frame, decode_heartbeat, decode_trace_frame,
    is_heartbeat_frame,
};

use crate::model::OwnedRecord;

/// One thing found in the stream.
#[derive(Debug)]
pub enum Item {
    /// A valid record.
    Record(OwnedRecord),
    /// A valid trace-chunk frame: its chunk ([`iot_performance::trace::codec`]).
    Trace(Vec<u8>),
    /// A valid heartbeat frame: its encoded bytes without the delimiter (decode them with
    /// [`iot_performance::wire::decode_heartbeat`]).
    Heartbeat(Vec<u8>),
    /// A frame that failed to decode, and where it started in the stream.
    Corrupt {
        /// Byte offset of the frame's first byte.
        offset: u64,
        /// Why it failed.
        error: CorruptFrame,
        /// The frame carried the trace magic: trace events were lost here.
        trace: bool,
    },
}

/// A frame that passed every check.
enum Decoded {
    Record(OwnedRecord),
    Trace(Vec<u8>),
    Heartbeat(Vec<u8>),
}

impl From<Decoded> for Item {
    fn from(decoded: Decoded) -> Self {
        match decoded {
            Decoded::Record(record) => Item::Record(record),
            Decoded::Trace(chunk) => Item::Trace(chunk),
            Decoded::Heartbeat(frame) => Item::Heartbeat(frame),
        }
    }
}

/// Whether the encoded bytes `frame` start like a trace frame (COBS code byte, then `IT`).
fn is_trace(frame: &[u8]) -> bool {
    frame.get(1..1 + TRACE_MAGIC.len()) == Some(&TRACE_MAGIC[..])
}

/// Whether the encoded bytes `frame` start like any kind of frame.
fn is_frame_start(frame: &[u8]) -> bool {
    matches!(frame.get(1..1 + MAGIC.len()), Some(m) if m == MAGIC || m == TRACE_MAGIC || m == HEARTBEAT_MAGIC)
}

/// Why a frame was skipped.
#[derive(Debug, Clone, PartialEq)]
pub enum CorruptFrame {
    /// The frame failed its checks.
    Frame(FrameError),
    /// More bytes than any valid frame without a delimiter: garbage or the wrong baud rate.
    Oversized(usize),
    /// The stream ended in the middle of a frame.
    TruncatedAtEnd(usize),
    /// Bytes without a zero before an intact frame: text the device printed on the link
    /// (a boot banner, a log line) or the rest of a cut frame.
    Noise(usize),
}

impl std::fmt::Display for CorruptFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Frame(e) => write!(f, "{e}"),
            Self::Oversized(n) => write!(
                f,
                "{n} bytes without a frame delimiter (garbage, or not an iot-performance stream)"
            ),
            Self::TruncatedAtEnd(n) => {
                write!(f, "stream ended inside a frame ({n} bytes, no delimiter)")
            }
            Self::Noise(n) => write!(
                f,
                "{n} bytes of noise before the next frame (text on the link, or a cut frame)"
            ),
        }
    }
}

/// The longest frame of any kind, delimiter included.
const MAX_LEN: usize = max(
    max(MAX_FRAME_LEN, MAX_TRACE_FRAME_LEN),
    MAX_HEARTBEAT_FRAME_LEN,
);

const fn max(a: usize, b: usize) -> usize {
    if a > b { a } else { b }
}

/// Bytes of the current chunk kept in memory: a frame is at most [`MAX_LEN`] bytes,
/// so only the tail of a longer chunk can hold one.
const WINDOW: usize = 2 * MAX_LEN;

/// Reads frames from any byte stream; a read error ends the stream like end-of-file.
pub struct FrameReader<R> {
    input: R,
    /// The tail of the current chunk (bytes since the last delimiter).
    pending: Vec<u8>,
    /// Bytes of the current chunk dropped from the front of `pending`.
    dropped: usize,
    pending_start: u64,
    scratch: Vec<u8>,
    ready: VecDeque<Item>,
    position: u64,
    chunk: Box<[u8]>,
    chunk_len: usize,
    chunk_pos: usize,
    done: bool,
}

impl<R: Read> FrameReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        Self {
            input,
            pending: Vec::with_capacity(WINDOW),
            dropped: 0,
            pending_start: 0,
            scratch: Vec::with_capacity(MAX_LEN),
            ready: VecDeque::with_capacity(2),
            position: 0,
            chunk: vec![0; 64 * 1024].into_boxed_slice(),
            chunk_len: 0,
            chunk_pos: 0,
            done: false,
        }
    }

    /// Decodes `pending[at..]` on a copy; `Ok` only for a frame that passes every check.
    fn try_decode(&mut self, at: usize) -> Result<Decoded, FrameError> {
        self.scratch.clear();
        self.scratch.extend_from_slice(&self.pending[at..]);
        if is_trace(&self.scratch) {
            decode_trace_frame(&mut self.scratch).map(|chunk| Decoded::Trace(chunk.to_vec()))
        } else if is_heartbeat_frame(&self.scratch) {
            let frame = self.pending[at..].to_vec();
            decode_heartbeat(&mut self.scratch).map(|_| Decoded::Heartbeat(frame))
        } else {
            decode_frame(&mut self.scratch).map(|r| Decoded::Record(OwnedRecord::from(r)))
        }
    }

    /// Ends the current chunk (at a delimiter, or at the end of the stream) and queues
    /// what it held: a record, noise then a record, or one corrupt item.
    fn finish_chunk(&mut self, at_end: bool) {
        let total = self.dropped + self.pending.len();
        let offset = self.pending_start;
        // A chunk longer than any frame is never decoded whole.
        let error = match (total <= MAX_LEN).then(|| self.try_decode(0)) {
            _ if total == 0 => None,
            Some(Ok(decoded)) => {
                self.ready.push_back(decoded.into());
                None
            }
            Some(Err(_)) if at_end => Some(CorruptFrame::TruncatedAtEnd(total)),
            Some(Err(e)) => Some(CorruptFrame::Frame(e)),
            None => Some(CorruptFrame::Oversized(total)),
        };
        if let Some(error) = error {
            if let Some((noise, decoded)) = self.resync() {
                self.ready.push_back(Item::Corrupt {
                    offset,
                    error: CorruptFrame::Noise(noise),
                    trace: false,
                });
                self.ready.push_back(decoded.into());
            } else {
                let trace = self.damaged_trace();
                self.ready.push_back(Item::Corrupt {
                    offset,
                    error,
                    trace,
                });
            }
        }
        self.pending.clear();
        self.dropped = 0;
        self.pending_start = self.position;
    }

    /// The first frame start after the chunk's first byte whose frame decodes: returns the
    /// noise length before it and the frame.
    fn resync(&mut self) -> Option<(usize, Decoded)> {
        let len = self.pending.len();
        let first = len.saturating_sub(MAX_LEN).max(1);
        for at in first..len {
            // An encoded frame starts with its COBS code byte, then the magic.
            if !is_frame_start(&self.pending[at..]) {
                continue;
            }
            if let Ok(decoded) = self.try_decode(at) {
                return Some((self.dropped + at, decoded));
            }
        }
        None
    }

    /// Whether the chunk (which did not decode) holds a trace frame whose COBS and magic
    /// are intact but whose checksum or version is not: trace events were lost there.
    fn damaged_trace(&mut self) -> bool {
        let len = self.pending.len();
        let first = len.saturating_sub(MAX_LEN);
        (first..len).any(|at| {
            if !is_trace(&self.pending[at..]) {
                return false;
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.pending[at..]);
            matches!(
                decode_trace_frame(&mut self.scratch),
                Err(FrameError::CrcMismatch { .. } | FrameError::UnsupportedVersion { .. })
            )
        })
    }

    fn push_byte(&mut self, byte: u8) {
        if self.pending.len() == WINDOW {
            // Keep the tail that can still hold a frame; count the rest.
            let cut = WINDOW - MAX_LEN;
            self.pending.drain(..cut);
            self.dropped += cut;
        }
        self.pending.push(byte);
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            if self.chunk_pos == self.chunk_len {
                if self.done {
                    return None;
                }
                self.chunk_len = loop {
                    match self.input.read(&mut self.chunk) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                        Ok(n) => break n,
                        Err(_) => break 0,
                    }
                };
                self.chunk_pos = 0;
                if self.chunk_len == 0 {
                    self.done = true;
                    self.finish_chunk(true);
                    continue;
                }
            }
            let byte = self.chunk[self.chunk_pos];
            self.chunk_pos += 1;
            self.position += 1;
            if byte == 0 {
                self.finish_chunk(false);
            } else {
                self.push_byte(byte);
            }
        }
    }
}

#[cfg(test)]
#[path = "frames_tests.rs"]
mod tests;
