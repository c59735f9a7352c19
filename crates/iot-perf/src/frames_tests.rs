//! Tests of the frame reader: resynchronisation after garbage and noise.

use super::*;
use iot_performance::wire::{DroppedRecord, Record, encode_frame};

fn frame(n: u32) -> Vec<u8> {
    let mut out = [0u8; MAX_FRAME_LEN];
    let len =
        encode_frame(&Record::Dropped(DroppedRecord { frames: n }), &mut out).expect("encodes");
    out[..len].to_vec()
}

fn dropped_records(items: &[Item]) -> Vec<u32> {
    items
        .iter()
        .filter_map(|i| match i {
            Item::Record(OwnedRecord::Dropped(n)) => Some(*n),
            _ => None,
        })
        .collect()
}

#[test]
fn resynchronises_after_garbage_and_reports_truncation() {
    let mut stream = frame(1);
    stream.extend(vec![0x55; 2 * MAX_LEN]);
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
            } if n == 2 * MAX_LEN
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

#[test]
fn noise_without_zeros_before_between_and_after_frames_loses_no_frame() {
    let banner = b"ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\nrst:0x1 (POWERON)\r\n";
    let mut stream = banner.to_vec();
    stream.extend(frame(1));
    stream.extend_from_slice(b"I (312) wifi: connected IP 10.0.0.2\r\n");
    stream.extend(frame(2));
    // A burst longer than any frame, then a frame cut short, then a frame.
    stream.extend(vec![b'x'; 3 * MAX_FRAME_LEN]);
    let cut = frame(9);
    stream.extend(&cut[..cut.len() - 3]);
    stream.extend(frame(3));
    stream.extend_from_slice(b"tail");
    let items: Vec<Item> = FrameReader::new(stream.as_slice()).collect();
    let records = dropped_records(&items);
    assert_eq!(records, [1, 2, 3], "{items:?}");
    let noise: Vec<(u64, usize)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Corrupt {
                offset,
                error: CorruptFrame::Noise(n),
                ..
            } => Some((*offset, *n)),
            _ => None,
        })
        .collect();
    let second_noise_at = (banner.len() + frame(1).len()) as u64;
    assert_eq!(noise[0], (0, banner.len()), "banner at offset 0");
    assert_eq!(noise[1].0, second_noise_at);
    assert_eq!(noise[2].1, 3 * MAX_FRAME_LEN + cut.len() - 3);
    assert!(matches!(
        items.last(),
        Some(Item::Corrupt {
            error: CorruptFrame::TruncatedAtEnd(4),
            ..
        })
    ));
}

/// Noise without zero bytes, of any length and content (magic bytes included), before,
/// between and after frames: every intact frame comes through, in order, and every
/// burst is reported at its offset.
#[test]
fn property_every_intact_frame_survives_noise_without_zeros() {
    arbtest::arbtest(|u| {
        let frames: u8 = u.int_in_range(1..=6)?;
        let mut stream = Vec::new();
        let mut bursts = Vec::new();
        for n in 0..=u32::from(frames) {
            let len: usize = u.int_in_range(0..=3 * MAX_FRAME_LEN)?;
            let magic_bias: bool = u.arbitrary()?;
            let start = stream.len() as u64;
            for _ in 0..len {
                let b: u8 = if magic_bias {
                    *u.choose(&[b'I', b'P', 1, 7, 0xff])?
                } else {
                    u.int_in_range(1..=255)?
                };
                stream.push(b);
            }
            if len > 0 {
                bursts.push(start);
            }
            if n < u32::from(frames) {
                stream.extend(frame(n));
            }
        }
        let items: Vec<Item> = FrameReader::new(stream.as_slice()).collect();
        let records = dropped_records(&items);
        let want: Vec<u32> = (0..u32::from(frames)).collect();
        assert_eq!(records, want, "{items:?}");
        let corrupt: Vec<u64> = items
            .iter()
            .filter_map(|i| match i {
                Item::Corrupt { offset, .. } => Some(*offset),
                Item::Record(_) | Item::Trace(_) | Item::Heartbeat(_) => None,
            })
            .collect();
        assert_eq!(corrupt, bursts, "every burst reported once, at its offset");
        Ok(())
    })
    .budget_ms(2_000);
}

/// A trace frame carrying one marker with id `id`.
fn trace_frame(id: u32) -> Vec<u8> {
    use iot_performance::trace::{ChunkEncoder, EventKind, RawEvent};
    use iot_performance::wire::{MAX_TRACE_FRAME_LEN, encode_trace_frame};
    let mut chunk = [0u8; 64];
    let mut encoder = ChunkEncoder::new(&mut chunk, 0).expect("header fits");
    assert!(encoder.push(&RawEvent {
        kind: EventKind::Marker,
        id,
        value: 0,
        stamp: 1_000 + id,
    }));
    let len = encoder.len();
    let mut out = [0u8; MAX_TRACE_FRAME_LEN];
    let n = encode_trace_frame(&chunk[..len], &mut out).expect("encodes");
    out[..n].to_vec()
}

#[test]
fn trace_frames_and_records_share_the_stream_and_both_resynchronise() {
    let mut stream = b"boot: EXIT IT IP\r\n".to_vec();
    stream.extend(trace_frame(1));
    stream.extend(frame(1));
    stream.extend_from_slice(b"log: IT happened\r\n");
    stream.extend(trace_frame(2));
    stream.extend_from_slice(b"log line\r\n");
    stream.extend(frame(2));
    let mut damaged = trace_frame(3);
    let mid = damaged.len() / 2;
    damaged[mid] ^= 0x01; // a changed payload byte: COBS still decodes, the CRC does not
    if damaged[mid] == 0 {
        damaged[mid] = 0x02;
    }
    stream.extend(&damaged);
    stream.extend(frame(3));
    let items: Vec<Item> = FrameReader::new(stream.as_slice()).collect();
    assert_eq!(dropped_records(&items), [1, 2, 3], "{items:?}");
    let chunks: Vec<&Vec<u8>> = items
        .iter()
        .filter_map(|i| match i {
            Item::Trace(chunk) => Some(chunk),
            _ => None,
        })
        .collect();
    assert_eq!(chunks.len(), 2, "{items:?}");
    let mut decoder = iot_performance::trace::ChunkDecoder::new();
    let ids: Vec<u32> = chunks
        .iter()
        .flat_map(|c| {
            decoder
                .decode(c)
                .unwrap()
                .map(|e| e.unwrap().id)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(ids, [1, 2]);
    let flags: Vec<(bool, bool)> = items
        .iter()
        .filter_map(|i| match i {
            Item::Corrupt { error, trace, .. } => {
                Some((matches!(error, CorruptFrame::Noise(_)), *trace))
            }
            _ => None,
        })
        .collect();
    // Three runs of noise, each before an intact frame, and the damaged trace frame,
    // flagged as trace (its events were lost).
    assert_eq!(
        flags,
        [(true, false), (true, false), (true, false), (false, true)],
        "{items:?}"
    );
}
