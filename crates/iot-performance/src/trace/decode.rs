//! [`ChunkDecoder`]: chunks back into events at absolute times, with gaps marked.

use super::codec::{Chunk, ChunkError};
use super::event::{EventKind, RawEvent};

/// One decoded event at its absolute time (ticks of the device clock, counted from the
/// first chunk's base stamp), or a gap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent {
    /// The kind; `None` for a gap (events lost here: [`TraceEvent::lost`]).
    pub kind: Option<EventKind>,
    /// Scope, task, handler, marker or series id.
    pub id: u32,
    /// The user value (values only).
    pub value: i32,
    /// Absolute time in ticks (the device clock extended to 64 bits).
    pub time: u64,
    /// For a gap: how many events were lost.
    pub lost: u32,
}

/// Decodes successive chunks of one stream, extending the 32-bit stamps to 64-bit time.
///
/// Consecutive events must be less than 2³² ticks apart (about a minute at 64 MHz) for
/// the extension to be exact; a gap marks where events were lost.
#[derive(Debug, Clone, Default)]
pub struct ChunkDecoder {
    /// Time and stamp of the last event decoded.
    last: Option<(u64, u32)>,
}

impl ChunkDecoder {
    /// A decoder at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// The events of one chunk: a gap first when the chunk says events were lost.
    pub fn decode<'a, 'b>(
        &'a mut self,
        bytes: &'b [u8],
    ) -> Result<impl Iterator<Item = Result<TraceEvent, ChunkError>> + use<'a, 'b>, ChunkError>
    {
        let mut chunk = Chunk::parse(bytes)?;
        let lost = chunk.lost();
        let mut gap = (lost > 0).then_some(lost);
        Ok(core::iter::from_fn(move || {
            if let Some(lost) = gap.take() {
                let time = self.last.map_or(0, |(t, _)| t);
                return Some(Ok(TraceEvent {
                    kind: None,
                    id: 0,
                    value: 0,
                    time,
                    lost,
                }));
            }
            let raw = match chunk.next()? {
                Ok(raw) => raw,
                Err(e) => return Some(Err(e)),
            };
            Some(Ok(self.place(&raw)))
        }))
    }

    fn place(&mut self, raw: &RawEvent) -> TraceEvent {
        let time = match self.last {
            Some((time, stamp)) => time + u64::from(raw.stamp.wrapping_sub(stamp)),
            None => u64::from(raw.stamp),
        };
        self.last = Some((time, raw.stamp));
        TraceEvent {
            kind: Some(raw.kind),
            id: raw.id,
            value: raw.value,
            time,
            lost: 0,
        }
    }
}
