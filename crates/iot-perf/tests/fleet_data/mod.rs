//! A simulated fleet's heartbeat frames (shared by the fleet tests).
#![allow(dead_code, clippy::unwrap_used)]

use iot_performance::wire::{MAX_HEARTBEAT_FRAME_LEN, SimulatedDevice, encode_heartbeat};

/// `n` devices of `firmware` in `group`, two heartbeats each: `read_sensor` around 1 ms
/// (devices ±5 % apart), `publish` around 4 ms; every `slow_every`-th device's
/// `read_sensor` is 15 % slower. Returns the frames, one after another.
pub fn fleet(n: u64, firmware: &str, group: &str, seed: u64, slow_every: Option<u64>) -> Vec<u8> {
    fleet_with_heap(n, firmware, group, seed, slow_every, 1.0)
}

/// [`fleet`] with every device's heap peak scaled by `heap`.
pub fn fleet_with_heap(
    n: u64,
    firmware: &str,
    group: &str,
    seed: u64,
    slow_every: Option<u64>,
    heap: f64,
) -> Vec<u8> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut out = Vec::new();
    for d in 0..n {
        let scale = 0.95 + 0.1 * rng.f64();
        let slow = if slow_every.is_some_and(|k| d % k == 0) {
            1.15
        } else {
            1.0
        };
        let name = format!("{group}-{seed}-{d}");
        let mut device = SimulatedDevice::new(&name, firmware, "revB", group, seed * 10_000 + d)
            .with_scope("read_sensor", 1_000.0 * scale * slow, 0.25)
            .with_scope("publish", 4_000.0 * scale, 0.3);
        device.heap_peak = (f64::from(48 * 1024) * heap) as u64;
        for _ in 0..2 {
            let mut buf = [0u8; MAX_HEARTBEAT_FRAME_LEN];
            let len = encode_heartbeat(&device.next_heartbeat(), &mut buf).unwrap();
            out.extend_from_slice(&buf[..len]);
        }
    }
    out
}
