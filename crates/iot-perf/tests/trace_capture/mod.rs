//! Synthetic device captures with trace frames beside the records, written with the
//! device-side ring and streamer, with text and a damaged frame on the link.

#![allow(dead_code)]

use iot_performance::trace::{EventKind, TraceBuffer};
use iot_performance::wire::{StdSink, TraceStreamer};

/// Ticks per 2 ms cycle at the synthetic device's 25 MHz.
pub const CYCLE: u32 = 50_000;
/// Cycles in [`capture`].
pub const CYCLES: u32 = 120;
/// Events written without draining at cycle [`GAP_AT`]: 64 fit the ring, the rest are lost.
pub const FLOOD: u32 = 100;
/// The cycle before which the ring overflows.
pub const GAP_AT: u32 = 60;

/// One cycle: task `k % 3` polled (its scope `k % 3` nested, the ISR inside it), a value,
/// then idle.
fn cycle(ring: &TraceBuffer<256>, k: u32) {
    use EventKind::*;
    let t = k * CYCLE;
    let task = k % 3;
    for (kind, id, value, dt) in [
        (TaskReady, task, 0, 0),
        (PollBegin, task, 0, 100),
        (ScopeEnter, task, 0, 200),
        (IsrEnter, 7, 0, 5_000),
        (IsrExit, 7, 0, 6_000),
        (ScopeExit, task, 0, 10_000 + 1_000 * task),
        (
            Value,
            1,
            i32::try_from(k).unwrap_or(0) - 40,
            10_100 + 1_000 * task,
        ),
        (PollEnd, task, 0, 12_000 + 1_000 * task),
        (Idle, 0, 0, 12_500 + 1_000 * task),
    ] {
        ring.write(kind, id, value, t + dt);
    }
}

/// The trace frames of [`CYCLES`] cycles, drained after each cycle except before
/// [`GAP_AT`], where [`FLOOD`] markers overflow the ring.
pub fn trace_frames() -> Vec<Vec<u8>> {
    let ring = TraceBuffer::<256>::new();
    let mut streamer = TraceStreamer::new(StdSink(Vec::new()));
    for k in 0..CYCLES {
        if k == GAP_AT {
            for i in 0..FLOOD * 3 {
                ring.write(EventKind::Marker, 2, 0, k * CYCLE - 1_000 + i);
            }
        }
        cycle(&ring, k);
        streamer.pump(&ring);
    }
    frames(&streamer.sink().0)
}

/// The frames of a byte stream, delimiters kept.
pub fn frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    bytes
        .split_inclusive(|&b| b == 0)
        .map(<[u8]>::to_vec)
        .collect()
}

/// Flips a payload byte of a frame so that COBS still decodes but the CRC fails.
pub fn damage(frame: &mut [u8]) {
    let at = frame.len() / 2;
    frame[at] = if frame[at] == 0x55 { 0x56 } else { 0x55 };
}

/// A UART capture: the records of `records` (session, snapshots, scope tables) and the
/// trace frames interleaved, log lines between them, and the trace frame at `damaged`
/// (an index into [`trace_frames`]) damaged when given.
pub fn capture(records: &[u8], damaged: Option<usize>) -> Vec<u8> {
    let mut trace = trace_frames();
    if let Some(i) = damaged {
        damage(&mut trace[i]);
    }
    let records = frames(records);
    let mut out = b"boot: trace demo EXIT\r\n".to_vec();
    let mut r = records.iter();
    for (i, t) in trace.iter().enumerate() {
        out.extend_from_slice(t);
        if i % 3 == 0 {
            out.extend_from_slice(format!("I ({i}) app: IT tick\r\n").as_bytes());
            if let Some(frame) = r.next() {
                out.extend_from_slice(frame);
            }
        }
    }
    for frame in r {
        out.extend_from_slice(frame);
    }
    out
}
