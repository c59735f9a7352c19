extern crate std;
use std::string::String;
use std::vec::Vec;

use super::*;
use crate::timing::histogram::HISTOGRAM_WINDOW;
use crate::wire::{MAX_NAME_LEN, decode_frame};

fn identity() -> DeviceIdentity<'static> {
    DeviceIdentity {
        device: "node-0042",
        firmware: "1.3.0",
        hardware: "revB",
        group: "canary",
    }
}

/// 16 scopes of 20-character names, each spanning 16 bins with four-digit counts.
fn typical(names: &[String]) -> Heartbeat<'_> {
    let mut hb = Heartbeat::new(identity());
    hb.heap_peak = Some(48_000);
    hb.stack_peak = Some(3_100);
    hb.cpu = Some(CpuFigures {
        mean_percent: 23.5,
        max_percent: 71.0,
    });
    for name in names {
        let mut h = LatencyHistogram::new(3);
        for bin in 0..16u64 {
            for _ in 0..(1000 + bin * 37) {
                h.record(10_000 + bin * 1_300);
            }
        }
        hb.scopes
            .push(ScopeHeartbeat::from_histogram(name, h))
            .unwrap();
    }
    hb
}

fn encode(hb: &Heartbeat<'_>) -> Vec<u8> {
    let mut out = [0u8; MAX_HEARTBEAT_FRAME_LEN];
    let n = encode_heartbeat(hb, &mut out).unwrap();
    out[..n].to_vec()
}

#[test]
fn sixteen_scopes_fit_the_documented_size() {
    let names: Vec<String> = (0..16)
        .map(|i| std::format!("scope_name_number_{i:02}"))
        .collect();
    let hb = typical(&names);
    let frame = encode(&hb);
    std::eprintln!("16-scope heartbeat: {} bytes", frame.len());
    assert!(
        frame.len() <= 1280,
        "16-scope heartbeat is {} bytes",
        frame.len()
    );
    assert_eq!(frame.last(), Some(&0));
    assert!(!frame[..frame.len() - 1].contains(&0));
    let mut body = frame[..frame.len() - 1].to_vec();
    assert!(is_heartbeat_frame(&body));
    assert_eq!(decode_heartbeat(&mut body).unwrap(), hb);
}

#[test]
fn the_widest_heartbeat_fits_max_frame_len() {
    let long = "n".repeat(MAX_NAME_LEN);
    let mut hb = Heartbeat::new(DeviceIdentity {
        device: &long,
        firmware: &long,
        hardware: &long,
        group: &long,
    });
    hb.sequence = u32::MAX;
    hb.uptime_ms = u64::MAX;
    hb.interval_ms = u32::MAX;
    hb.ticks_per_second = u64::MAX;
    hb.heap_peak = Some(u64::MAX);
    hb.stack_peak = Some(u64::MAX);
    hb.cpu = Some(CpuFigures {
        mean_percent: 100.0,
        max_percent: 100.0,
    });
    hb.wifi = Some(WifiFigures {
        tx_bytes: u64::MAX,
        rx_bytes: u64::MAX,
        tx_packets: u32::MAX,
        rx_packets: u32::MAX,
        mean_latency_us: Some(u32::MAX),
        max_latency_us: u32::MAX,
    });
    let mut tasks = heapless::Vec::new();
    for _ in 0..MAX_HEARTBEAT_TASKS {
        tasks
            .push(TaskShare {
                name: &long,
                busy_percent: 1.0,
            })
            .unwrap();
    }
    hb.tasks = Some(tasks);
    let counts = [u32::MAX; HISTOGRAM_WINDOW];
    for _ in 0..MAX_HEARTBEAT_SCOPES {
        let histogram = LatencyHistogram::from_parts(5, 1800, &counts).unwrap();
        hb.scopes
            .push(ScopeHeartbeat {
                name: &long,
                calls: u64::MAX,
                total_ticks: u64::MAX,
                max_ticks: u64::MAX,
                histogram,
            })
            .unwrap();
    }
    hb.scopes_omitted = u16::MAX;
    hb.messages_dropped = u32::MAX;
    let frame = encode(&hb);
    assert!(frame.len() <= MAX_HEARTBEAT_FRAME_LEN, "{}", frame.len());
    let mut body = frame[..frame.len() - 1].to_vec();
    assert_eq!(decode_heartbeat(&mut body).unwrap(), hb);
}

#[test]
fn corruption_magic_version_and_small_buffers_are_errors() {
    let names: Vec<String> = (0..2).map(|i| std::format!("s{i}")).collect();
    let frame = encode(&typical(&names));
    let body = &frame[..frame.len() - 1];
    for byte in 0..body.len() {
        let mut bad = body.to_vec();
        bad[byte] ^= 0x10;
        assert!(decode_heartbeat(&mut bad).is_err(), "flip at {byte}");
    }
    // Not a record frame, and a record frame is not a heartbeat.
    assert_eq!(decode_frame(&mut body.to_vec()), Err(FrameError::BadMagic));
    let mut out = [0u8; 16];
    assert_eq!(
        encode_heartbeat(&typical(&names), &mut out),
        Err(FrameError::BufferTooSmall)
    );
    // A well-formed frame of a future version is refused by its version.
    let mut raw = Vec::from(&HEARTBEAT_MAGIC[..]);
    raw.extend_from_slice(&[HEARTBEAT_VERSION + 1, 0]);
    raw.extend_from_slice(&CHECKSUM.checksum(&raw).to_le_bytes());
    let mut enc = [0u8; 32];
    let len = cobs::encode(&raw, &mut enc);
    assert_eq!(
        decode_heartbeat(&mut enc[..len]),
        Err(FrameError::UnsupportedVersion {
            version: HEARTBEAT_VERSION + 1
        })
    );
}
