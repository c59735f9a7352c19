//! Host tests of the ring, the codec and the decoder (local rings, explicit stamps).

#![allow(clippy::unwrap_used)] // test helpers fail loudly

extern crate std;
use std::vec::Vec;

use super::*;

fn decode_all(decoder: &mut ChunkDecoder, bytes: &[u8]) -> Vec<TraceEvent> {
    decoder
        .decode(bytes)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

#[test]
fn round_trip_keeps_kinds_ids_values_and_exact_times() {
    let ring = TraceBuffer::<16>::new();
    let stamps = [u32::MAX - 5, u32::MAX, 3, 200, 70_000, 70_000];
    let kinds = [
        (EventKind::ScopeEnter, 2, 0),
        (EventKind::Value, 5, -123_456),
        (EventKind::ScopeExit, 2, 0),
        (EventKind::Marker, 4_000_000, 0),
        (EventKind::Value, 127, i32::MIN),
        (EventKind::IsrEnter, 15, 0),
    ];
    for (&(kind, id, value), &stamp) in kinds.iter().zip(&stamps) {
        ring.write(kind, id, value, stamp);
    }
    let mut out = [0u8; 128];
    let info = ring.drain(&mut out);
    assert_eq!((info.events, info.lost), (6, 0));
    let events = decode_all(&mut ChunkDecoder::new(), &out[..info.len]);
    let base = u64::from(u32::MAX - 5);
    let times: Vec<u64> = events.iter().map(|e| e.time).collect();
    assert_eq!(
        times,
        [
            base,
            base + 5,
            base + 9,
            base + 206,
            base + 70_006,
            base + 70_006
        ]
    );
    for (event, &(kind, id, value)) in events.iter().zip(&kinds) {
        assert_eq!((event.kind, event.id, event.value), (Some(kind), id, value));
    }
    // Nothing new: an empty chunk.
    assert_eq!(ring.drain(&mut out).events, 0);
}

#[test]
fn events_average_at_most_eight_bytes() {
    let ring = TraceBuffer::<1024>::new();
    let mut t = 1_000u32;
    for i in 0..1000u32 {
        t += 40 + i % 300; // scope-like spacing: 40..340 ticks
        let kind = if i % 2 == 0 {
            EventKind::ScopeEnter
        } else {
            EventKind::ScopeExit
        };
        ring.write(kind, i % 20, 0, t);
    }
    let mut out = [0u8; 8192];
    let info = ring.drain(&mut out);
    assert_eq!(info.events, 1000);
    assert!(info.len <= 8 * 1000, "{} bytes for 1000 events", info.len);
    assert!(info.len <= 4 * 1000, "{} bytes for 1000 events", info.len);
}

#[test]
fn streaming_counts_every_overwritten_event_as_a_gap() {
    let ring = TraceBuffer::<8>::new();
    for i in 0..20u32 {
        ring.write(EventKind::Marker, i, 0, i * 10);
    }
    let mut out = [0u8; 128];
    let info = ring.drain(&mut out);
    assert_eq!((info.events, info.lost), (8, 12));
    let mut decoder = ChunkDecoder::new();
    let events = decode_all(&mut decoder, &out[..info.len]);
    assert_eq!(events[0].kind, None);
    assert_eq!(events[0].lost, 12);
    let ids: Vec<u32> = events[1..].iter().map(|e| e.id).collect();
    assert_eq!(ids, (12..20).collect::<Vec<_>>());
    // The next drain continues where this one stopped, without a gap.
    ring.write(EventKind::Marker, 99, 0, 500);
    let info = ring.drain(&mut out);
    assert_eq!((info.events, info.lost), (1, 0));
    let events = decode_all(&mut decoder, &out[..info.len]);
    assert_eq!((events[0].id, events[0].time), (99, 500));
}

#[test]
fn a_small_buffer_drains_in_several_chunks_without_loss() {
    let ring = TraceBuffer::<64>::new();
    for i in 0..40u32 {
        ring.write(EventKind::ScopeEnter, i % 3, 0, i * 1000);
    }
    let mut out = [0u8; 24];
    let mut decoder = ChunkDecoder::new();
    let mut seen = Vec::new();
    loop {
        let info = ring.drain(&mut out);
        assert_eq!(info.lost, 0);
        if info.events == 0 {
            break;
        }
        seen.extend(decode_all(&mut decoder, &out[..info.len]));
    }
    let times: Vec<u64> = seen.iter().map(|e| e.time).collect();
    assert_eq!(times, (0..40).map(|i| i * 1000).collect::<Vec<u64>>());
    assert_eq!(ring.drain(&mut [0u8; 4]), ChunkInfo::default());
}

#[test]
fn post_mortem_dump_keeps_the_last_n_without_consuming() {
    let ring = TraceBuffer::<4>::new();
    for i in 0..10u32 {
        ring.write(EventKind::Marker, i, 0, i);
    }
    let mut out = [0u8; 64];
    for _ in 0..2 {
        let info = ring.dump(0, &mut out);
        assert_eq!((info.events, info.lost), (4, 0));
        let ids: Vec<u32> = decode_all(&mut ChunkDecoder::new(), &out[..info.len])
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids, [6, 7, 8, 9]);
    }
    let info = ring.dump(3, &mut out);
    assert_eq!(info.events, 1);
}

#[test]
fn trigger_freezes_the_ring_after_the_given_events() {
    let ring = TraceBuffer::<8>::new();
    for i in 0..5u32 {
        ring.write(EventKind::Marker, i, 0, i);
    }
    ring.trigger(2);
    assert!(ring.is_triggered());
    for i in 5..30u32 {
        ring.write(EventKind::Marker, i, 0, i);
    }
    let mut out = [0u8; 64];
    let info = ring.dump(0, &mut out);
    let ids: Vec<u32> = decode_all(&mut ChunkDecoder::new(), &out[..info.len])
        .iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, [0, 1, 2, 3, 4, 5, 6]);
    ring.start_fresh();
    assert!(!ring.is_triggered());
    ring.write(EventKind::Marker, 42, 0, 1);
    assert_eq!(ring.dump(0, &mut out).events, 1);
}

#[test]
fn recover_keeps_a_used_buffer_and_empties_garbage() {
    let ring = TraceBuffer::<4>::new();
    // A ring never started carries no magic word: recovering it empties it (it was).
    assert!(!ring.recover());
    ring.write(EventKind::Marker, 1, 0, 1);
    assert!(ring.recover());
    assert_eq!(ring.dump(0, &mut [0u8; 32]).events, 1);
    ring.core
        .magic
        .store(0xDEAD_BEEF, portable_atomic::Ordering::Relaxed);
    assert!(!ring.recover());
    assert_eq!(ring.dump(0, &mut [0u8; 32]).events, 0);
}

const THREADS: u32 = 4;
const PER_THREAD: u32 = 2000;

/// Four threads write 2000 values each into `ring` with `write`; all must read back
/// whole and in each thread's order.
fn concurrent_writers(
    ring: &'static TraceBuffer<8192>,
    write: fn(&TraceBuffer<8192>, EventKind, u32, i32, u32),
) {
    std::thread::scope(|s| {
        for thread in 0..THREADS {
            s.spawn(move || {
                for seq in 0..PER_THREAD {
                    // The stamp repeats the value: a torn event would not match.
                    let v = (thread * PER_THREAD + seq) as i32;
                    write(ring, EventKind::Value, thread, v, v as u32);
                }
            });
        }
    });
    check_concurrent(ring);
}

#[test]
fn concurrent_writers_lose_and_tear_nothing() {
    static RING: TraceBuffer<8192> = TraceBuffer::new();
    concurrent_writers(&RING, TraceBuffer::write);
}

#[test]
fn masked_writers_lose_and_tear_nothing() {
    // The firmware path (`write_masked`), here under the host's critical section.
    static RING: TraceBuffer<8192> = TraceBuffer::new();
    concurrent_writers(&RING, |ring, kind, id, value, stamp| {
        let (bits, arg) = ring::Core::encode(kind, id, value);
        ring.core
            .write_masked(TraceBuffer::<8192>::SHAPE, bits, arg, stamp);
    });
    // A frozen ring refuses masked writes too.
    let small = TraceBuffer::<8>::new();
    small.trigger(1);
    for stamp in 0..3 {
        small.core.write_masked(
            TraceBuffer::<8>::SHAPE,
            u32::from(EventKind::Marker.code()),
            1,
            stamp,
        );
    }
    let mut out = [0u8; 64];
    assert_eq!(small.drain(&mut out).events, 1);
}

fn check_concurrent(ring: &TraceBuffer<8192>) {
    assert_eq!(ring.dropped(), 0);
    let mut out = std::vec![0u8; 8 + 8192 * MAX_EVENT_LEN_FOR_TEST];
    let info = ring.dump(0, &mut out);
    assert_eq!((info.events, info.lost), (THREADS * PER_THREAD, 0));
    let mut chunk = Chunk::parse(&out[..info.len]).unwrap();
    let mut next = [0u32; THREADS as usize];
    for event in &mut chunk {
        let e = event.unwrap();
        assert_eq!(e.stamp, e.value as u32, "torn event {e:?}");
        let seq = e.value as u32 - e.id * PER_THREAD;
        assert_eq!(seq, next[e.id as usize], "thread {} out of order", e.id);
        next[e.id as usize] += 1;
    }
    assert_eq!(next, [PER_THREAD; THREADS as usize]);
}

const MAX_EVENT_LEN_FOR_TEST: usize = codec::MAX_EVENT_LEN;

#[test]
fn corrupt_chunks_are_errors_not_panics() {
    assert_eq!(Chunk::parse(&[0; 7]).unwrap_err(), ChunkError::Truncated);
    let bad_kind = [0, 0, 0, 0, 0, 0, 0, 0, 0x0F, 0];
    let mut chunk = Chunk::parse(&bad_kind).unwrap();
    assert_eq!(chunk.next(), Some(Err(ChunkError::BadKind(15))));
    assert_eq!(chunk.next(), None);
    let overlong = [0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F];
    assert_eq!(
        Chunk::parse(&overlong).unwrap().next(),
        Some(Err(ChunkError::Overlong))
    );
    let cut = [0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0x80];
    assert_eq!(
        Chunk::parse(&cut).unwrap().next(),
        Some(Err(ChunkError::Truncated))
    );
}

#[test]
fn an_interrupt_that_laps_a_preempted_writer_loses_both_events_and_never_stalls() {
    let ring = TraceBuffer::<4>::new();
    // The writer of index 0 holds slot 0 while an "interrupt" writes 6 events: its index
    // 4 falls on the busy slot 0.
    ring.write_preempted(EventKind::Marker, 100, 0, || {
        for i in 0..6u32 {
            ring.write(EventKind::Marker, i, 0, 10 + i);
        }
    });
    assert_eq!(
        ring.dropped(),
        2,
        "the interrupt's event 4 and the preempted event 0"
    );
    ring.write(EventKind::Marker, 6, 0, 20);
    ring.write(EventKind::Marker, 7, 0, 21);
    let mut out = [0u8; 64];
    let info = ring.drain(&mut out);
    let events = decode_all(&mut ChunkDecoder::new(), &out[..info.len]);
    // 9 indices into 4 slots: 5 overwritten or dropped, the last 4 read back.
    assert_eq!((info.events, info.lost), (4, 5));
    let ids: Vec<u32> = events[1..].iter().map(|e| e.id).collect();
    assert_eq!(ids, [4, 5, 6, 7]);
    // A tombstone inside the kept range is lost without stopping the reader.
    let ring = TraceBuffer::<8>::new();
    ring.write_preempted(EventKind::Marker, 100, 0, || {
        for i in 0..8u32 {
            ring.write(EventKind::Marker, i, 0, i);
        }
    });
    let mut out = [0u8; 64];
    let info = ring.drain(&mut out);
    assert_eq!(
        (info.events, info.lost),
        (7, 1),
        "index 0 lapped, then the 7 events"
    );
    let info = ring.drain(&mut out);
    assert_eq!((info.events, info.lost), (0, 1), "the tombstone of index 8");
    let info = ring.drain(&mut out);
    assert_eq!((info.events, info.lost), (0, 0));
}
