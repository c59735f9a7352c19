//! The compact encoding of a run of events (a *chunk*), and its decoder.
//!
//! ```text
//! chunk  = lost u32 LE | base u32 LE | event*
//! event  = head u8 | delta LEB128 | [id - 15 LEB128] | [value zigzag LEB128]
//! head   = kind (low 4 bits) | min(id, 15) << 4
//! ```
//!
//! `lost` counts the events lost before this chunk (overwritten before they were read, or
//! dropped by a writer); `base` is the stamp the first event's delta counts from. Each
//! delta counts from the previous event's stamp, wrapping at 2³². A scope event with a
//! one-byte delta takes 2 bytes; the `id - 15` field is there only when the head's id
//! nibble is 15, the value only for [`EventKind::Value`].

use super::event::{EventKind, RawEvent};

/// Bytes of the chunk header (lost count and base stamp).
pub const CHUNK_HEADER_LEN: usize = 8;

/// The most bytes one encoded event takes (head, 5-byte delta, 5-byte id, 5-byte value).
pub const MAX_EVENT_LEN: usize = 16;

/// Writes `v` as LEB128 at `out[at..]`; the new position, or `None` if it does not fit.
fn put_varint(out: &mut [u8], mut at: usize, mut v: u32) -> Option<usize> {
    loop {
        let byte = (v & 0x7F) as u8;
        v >>= 7;
        let slot = out.get_mut(at)?;
        at += 1;
        if v == 0 {
            *slot = byte;
            return Some(at);
        }
        *slot = byte | 0x80;
    }
}

/// Reads one LEB128 `u32` at `bytes[*at..]`.
fn get_varint(bytes: &[u8], at: &mut usize) -> Result<u32, ChunkError> {
    let mut v: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(*at).ok_or(ChunkError::Truncated)?;
        *at += 1;
        let bits = u32::from(byte & 0x7F);
        if shift == 28 && bits > 0x0F {
            return Err(ChunkError::Overlong);
        }
        v |= bits << shift;
        if byte & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(ChunkError::Overlong)
}

fn zigzag(v: i32) -> u32 {
    ((v << 1) ^ (v >> 31)) as u32
}

fn unzigzag(v: u32) -> i32 {
    ((v >> 1) as i32) ^ -((v & 1) as i32)
}

/// Encodes events into one chunk, in a caller's buffer (no heap).
#[derive(Debug)]
pub struct ChunkEncoder<'a> {
    out: &'a mut [u8],
    len: usize,
    prev: u32,
    events: u32,
}

impl<'a> ChunkEncoder<'a> {
    /// Starts a chunk in `out` after `lost` lost events; `None` when `out` cannot hold the
    /// header.
    pub fn new(out: &'a mut [u8], lost: u32) -> Option<Self> {
        let header = out.get_mut(..CHUNK_HEADER_LEN)?;
        header[..4].copy_from_slice(&lost.to_le_bytes());
        header[4..].copy_from_slice(&0u32.to_le_bytes());
        Some(Self {
            out,
            len: CHUNK_HEADER_LEN,
            prev: 0,
            events: 0,
        })
    }

    /// Appends `event`; false (and nothing written) when it does not fit.
    pub fn push(&mut self, event: &RawEvent) -> bool {
        if self.events == 0 {
            self.out[4..CHUNK_HEADER_LEN].copy_from_slice(&event.stamp.to_le_bytes());
            self.prev = event.stamp;
        }
        let Some(len) = self.encode(event) else {
            return false;
        };
        self.len = len;
        self.prev = event.stamp;
        self.events += 1;
        true
    }

    fn encode(&mut self, e: &RawEvent) -> Option<usize> {
        let nibble = e.id.min(15);
        *self.out.get_mut(self.len)? = e.kind.code() | (nibble as u8) << 4;
        let mut at = put_varint(self.out, self.len + 1, e.stamp.wrapping_sub(self.prev))?;
        if nibble == 15 {
            at = put_varint(self.out, at, e.id - 15)?;
        }
        if e.kind == EventKind::Value {
            at = put_varint(self.out, at, zigzag(e.value))?;
        }
        Some(at)
    }

    /// Events written so far.
    pub fn events(&self) -> u32 {
        self.events
    }

    /// The chunk's length so far, header included.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True while no event was written.
    pub fn is_empty(&self) -> bool {
        self.events == 0
    }
}

/// Why a chunk does not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ChunkError {
    /// The chunk ends inside its header or an event.
    Truncated,
    /// A varint is longer than a `u32`.
    Overlong,
    /// An event head names no [`EventKind`].
    BadKind(u8),
}

impl core::fmt::Display for ChunkError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Truncated => write!(f, "trace chunk truncated"),
            Self::Overlong => write!(f, "trace chunk has an over-long varint"),
            Self::BadKind(code) => write!(f, "trace chunk has an unknown event kind {code}"),
        }
    }
}

impl core::error::Error for ChunkError {}

/// Reads one chunk back: [`Chunk::lost`], then the events with their 32-bit stamps.
#[derive(Debug, Clone)]
pub struct Chunk<'a> {
    bytes: &'a [u8],
    at: usize,
    prev: u32,
    lost: u32,
}

impl<'a> Chunk<'a> {
    /// Parses the header of `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ChunkError> {
        let header: &[u8; CHUNK_HEADER_LEN] = bytes
            .get(..CHUNK_HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(ChunkError::Truncated)?;
        let [l0, l1, l2, l3, b0, b1, b2, b3] = *header;
        Ok(Self {
            bytes,
            at: CHUNK_HEADER_LEN,
            prev: u32::from_le_bytes([b0, b1, b2, b3]),
            lost: u32::from_le_bytes([l0, l1, l2, l3]),
        })
    }

    /// Events lost before this chunk's first event.
    pub fn lost(&self) -> u32 {
        self.lost
    }

    fn next_event(&mut self) -> Result<RawEvent, ChunkError> {
        let head = self.bytes[self.at];
        self.at += 1;
        let kind = EventKind::from_code(head & 0x0F).ok_or(ChunkError::BadKind(head & 0x0F))?;
        let stamp = self
            .prev
            .wrapping_add(get_varint(self.bytes, &mut self.at)?);
        let mut id = u32::from(head >> 4);
        if id == 15 {
            id = get_varint(self.bytes, &mut self.at)?
                .checked_add(15)
                .ok_or(ChunkError::Overlong)?;
        }
        let value = if kind == EventKind::Value {
            unzigzag(get_varint(self.bytes, &mut self.at)?)
        } else {
            0
        };
        self.prev = stamp;
        Ok(RawEvent {
            kind,
            id,
            value,
            stamp,
        })
    }
}

impl Iterator for Chunk<'_> {
    type Item = Result<RawEvent, ChunkError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let event = self.next_event();
        if event.is_err() {
            self.at = self.bytes.len();
        }
        Some(event)
    }
}

impl<'a> ChunkEncoder<'a> {
    /// Gives the buffer back (to start a new chunk in it).
    pub fn into_buffer(self) -> &'a mut [u8] {
        self.out
    }
}
