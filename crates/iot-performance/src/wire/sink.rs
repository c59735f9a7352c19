//! Where frames go: the [`ByteSink`] contract and the sinks that come with the crate.
//!
//! The contract is defmt's logger contract: a write never blocks and never fails the
//! caller. A sink takes a whole frame or refuses it with [`SinkFull`]; the
//! [`Reporter`](super::Reporter) counts refusals and tells the host how many frames it lost.

/// The sink could not take the frame now; the frame was not written (or, for a byte stream
/// that filled up mid-frame, was cut short and will be discarded by the host's CRC check).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct SinkFull;

/// A destination for encoded frames.
pub trait ByteSink {
    /// Writes one complete frame without blocking, or refuses it.
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull>;
}

/// Appends frames to a fixed buffer, whole frames only: a payload for MQTT or a radio packet.
///
/// Send [`as_bytes`](Self::as_bytes) when convenient, then [`clear`](Self::clear).
#[derive(Debug)]
pub struct SliceSink<'a> {
    buffer: &'a mut [u8],
    len: usize,
}

impl<'a> SliceSink<'a> {
    /// An empty sink over `buffer`.
    pub fn new(buffer: &'a mut [u8]) -> Self {
        Self { buffer, len: 0 }
    }

    /// The frames written so far, back to back.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// Bytes still free.
    pub fn remaining(&self) -> usize {
        self.buffer.len() - self.len
    }

    /// Forgets the frames written (after they were sent).
    pub fn clear(&mut self) {
        self.len = 0;
    }
}

impl ByteSink for SliceSink<'_> {
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
        let end = self.len.checked_add(frame.len()).ok_or(SinkFull)?;
        let dest = self.buffer.get_mut(self.len..end).ok_or(SinkFull)?;
        dest.copy_from_slice(frame);
        self.len = end;
        Ok(())
    }
}

/// Any closure as a sink: semihosting, RTT, a ring buffer, a test vector.
///
/// The closure returns `true` when it took the frame.
///
/// ```
/// use iot_performance::wire::{ByteSink, FnSink};
/// let mut taken = 0;
/// let mut sink = FnSink(|frame: &[u8]| {
///     taken += frame.len();
///     true
/// });
/// assert!(sink.try_write(b"abc").is_ok());
/// ```
pub struct FnSink<F: FnMut(&[u8]) -> bool>(pub F);

impl<F: FnMut(&[u8]) -> bool> ByteSink for FnSink<F> {
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
        if (self.0)(frame) {
            Ok(())
        } else {
            Err(SinkFull)
        }
    }
}

/// A [`std::io::Write`] as a sink (a file, a pipe, a `Vec<u8>`); an I/O error counts as full.
#[cfg(host_std)]
#[derive(Debug)]
pub struct StdSink<W: std::io::Write>(pub W);

#[cfg(host_std)]
impl<W: std::io::Write> ByteSink for StdSink<W> {
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
        self.0.write_all(frame).map_err(|_| SinkFull)
    }
}

/// An [`embedded_io`] writer (a UART) as a sink that never blocks.
///
/// Bytes are written only while the writer reports
/// [`write_ready`](embedded_io::WriteReady::write_ready). When it fills up in the middle of a
/// frame, the rest of that frame is dropped and the next frame starts with an extra `0x00`
/// so that the host discards the cut frame (it fails its CRC) and resynchronises.
#[cfg(feature = "embedded-io")]
#[derive(Debug)]
pub struct IoSink<W> {
    writer: W,
    resync: bool,
}

#[cfg(feature = "embedded-io")]
impl<W: embedded_io::Write + embedded_io::WriteReady> IoSink<W> {
    /// Wraps `writer`.
    pub fn new(writer: W) -> Self {
        Self {
            writer,
            resync: false,
        }
    }

    /// The writer back.
    pub fn into_inner(self) -> W {
        self.writer
    }

    /// Writes as much of `bytes` as the writer takes without blocking; returns the count.
    fn write_ready_part(&mut self, bytes: &[u8]) -> usize {
        let mut done = 0;
        while done < bytes.len() {
            match self.writer.write_ready() {
                Ok(true) => {}
                _ => break,
            }
            match self.writer.write(&bytes[done..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => done += n,
            }
        }
        done
    }
}

#[cfg(feature = "embedded-io")]
impl<W: embedded_io::Write + embedded_io::WriteReady> ByteSink for IoSink<W> {
    fn try_write(&mut self, frame: &[u8]) -> Result<(), SinkFull> {
        if self.resync {
            if self.write_ready_part(&[0]) == 0 {
                return Err(SinkFull);
            }
            self.resync = false;
        }
        match self.write_ready_part(frame) {
            n if n == frame.len() => Ok(()),
            0 => Err(SinkFull),
            _ => {
                self.resync = true;
                Err(SinkFull)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slice_sink_takes_whole_frames_only() {
        let mut buf = [0u8; 5];
        let mut sink = SliceSink::new(&mut buf);
        assert_eq!(sink.try_write(b"abc"), Ok(()));
        assert_eq!(sink.try_write(b"def"), Err(SinkFull));
        assert_eq!(sink.as_bytes(), b"abc");
        assert_eq!(sink.remaining(), 2);
        sink.clear();
        assert_eq!(sink.try_write(b"defgh"), Ok(()));
    }

    #[cfg(feature = "embedded-io")]
    mod io {
        use super::super::*;

        /// A UART with room for `room` bytes.
        struct Uart {
            room: usize,
            sent: [u8; 64],
            len: usize,
        }
        impl embedded_io::ErrorType for Uart {
            type Error = core::convert::Infallible;
        }
        impl embedded_io::Write for Uart {
            fn write(&mut self, buf: &[u8]) -> Result<usize, Self::Error> {
                let n = buf.len().min(self.room).min(1);
                self.sent[self.len..self.len + n].copy_from_slice(&buf[..n]);
                self.len += n;
                self.room -= n;
                Ok(n)
            }
            fn flush(&mut self) -> Result<(), Self::Error> {
                Ok(())
            }
        }
        impl embedded_io::WriteReady for Uart {
            fn write_ready(&mut self) -> Result<bool, Self::Error> {
                Ok(self.room > 0)
            }
        }

        #[test]
        fn full_uart_cuts_and_resynchronises() {
            let mut sink = IoSink::new(Uart {
                room: 4,
                sent: [0; 64],
                len: 0,
            });
            assert_eq!(sink.try_write(b"abcdef\0"), Err(SinkFull));
            assert_eq!(
                sink.try_write(b"x\0"),
                Err(SinkFull),
                "no room, not blocking"
            );
            sink.writer.room = 10;
            assert_eq!(sink.try_write(b"xy\0"), Ok(()));
            let uart = sink.into_inner();
            assert_eq!(&uart.sent[..uart.len], b"abcd\0xy\0");
        }
    }
}
