//! Splitting a byte stream into frames and decoding them, counting what is corrupt.

use std::io::Read;

use iot_performance::wire::{FrameError, MAX_FRAME_LEN, decode_frame};

use crate::model::OwnedRecord;

/// One thing found in the stream.
#[derive(Debug)]
pub enum Item {
    /// A valid record.
    Record(OwnedRecord),
    /// A frame that failed to decode, and where it started in the stream.
    Corrupt {
        /// Byte offset of the frame's first byte.
        offset: u64,
        /// Why it failed.
        error: CorruptFrame,
    },
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
        }
    }
}

/// Reads frames from any byte stream; a read error ends the stream like end-of-file.
pub struct FrameReader<R> {
    input: R,
    pending: Vec<u8>,
    pending_start: u64,
    oversized: bool,
    skipped: usize,
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
            pending: Vec::with_capacity(MAX_FRAME_LEN),
            pending_start: 0,
            oversized: false,
            skipped: 0,
            position: 0,
            chunk: vec![0; 64 * 1024].into_boxed_slice(),
            chunk_len: 0,
            chunk_pos: 0,
            done: false,
        }
    }

    fn finish_frame(&mut self) -> Option<Item> {
        let offset = self.pending_start;
        let item = if self.oversized {
            Some(Item::Corrupt {
                offset,
                error: CorruptFrame::Oversized(self.skipped),
            })
        } else if self.pending.is_empty() {
            None
        } else {
            Some(match decode_frame(&mut self.pending) {
                Ok(record) => Item::Record(record.into()),
                Err(e) => Item::Corrupt {
                    offset,
                    error: CorruptFrame::Frame(e),
                },
            })
        };
        self.pending.clear();
        self.oversized = false;
        self.skipped = 0;
        self.pending_start = self.position;
        item
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
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
                    if self.pending.is_empty() && !self.oversized {
                        return None;
                    }
                    let len = self.pending.len();
                    let offset = self.pending_start;
                    let oversized = self.oversized;
                    self.pending.clear();
                    return Some(Item::Corrupt {
                        offset,
                        error: if oversized {
                            CorruptFrame::Oversized(self.skipped)
                        } else {
                            CorruptFrame::TruncatedAtEnd(len)
                        },
                    });
                }
            }
            let byte = self.chunk[self.chunk_pos];
            self.chunk_pos += 1;
            self.position += 1;
            if byte == 0 {
                if let Some(item) = self.finish_frame() {
                    return Some(item);
                }
            } else if self.oversized {
                self.skipped += 1;
            } else if self.pending.len() < MAX_FRAME_LEN {
                self.pending.push(byte);
            } else {
                self.oversized = true;
                self.skipped = self.pending.len() + 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use iot_performance::wire::{DroppedRecord, Record, encode_frame};

    fn frame(n: u32) -> Vec<u8> {
        let mut out = [0u8; MAX_FRAME_LEN];
        let len =
            encode_frame(&Record::Dropped(DroppedRecord { frames: n }), &mut out).expect("encodes");
        out[..len].to_vec()
    }

    #[test]
    fn resynchronises_after_garbage_and_reports_truncation() {
        let mut stream = frame(1);
        stream.extend(vec![0x55; 2 * MAX_FRAME_LEN]);
        stream.push(0);
        stream.extend(frame(2));
        let cut = frame(3);
        stream.extend(&cut[..cut.len() / 2]);
        let items: Vec<Item> = FrameReader::new(stream.as_slice()).collect();
        assert_eq!(items.len(), 4, "{items:?}");
        assert!(matches!(items[0], Item::Record(OwnedRecord::Dropped(1))));
        assert!(
            matches!(
                items[1],
                Item::Corrupt {
                    error: CorruptFrame::Oversized(n),
                    ..
                } if n == 2 * MAX_FRAME_LEN
            ),
            "{:?}",
            items[1]
        );
        assert!(matches!(items[2], Item::Record(OwnedRecord::Dropped(2))));
        assert!(matches!(
            items[3],
            Item::Corrupt {
                error: CorruptFrame::TruncatedAtEnd(_),
                ..
            }
        ));
    }
}
