//! Simulated fleet devices on a host (see [`SimulatedDevice`]).

use alloc::string::String;
use alloc::vec::Vec;

use super::heartbeat::{
    CpuFigures, DeviceIdentity, Heartbeat, ResetInfo, ResetReason, ScopeHeartbeat,
};
use crate::timing::histogram::LatencyHistogram;

/// One simulated scope: call durations log-normal around a median.
#[derive(Debug, Clone, PartialEq)]
pub struct SimulatedScope {
    /// Scope name.
    pub name: String,
    /// Median call duration, µs (the simulated clock ticks at 1 MHz).
    pub median_us: f64,
    /// Log-normal σ of the durations (0.25: p90 ≈ 1.38 × median).
    pub sigma: f64,
    /// Calls per heartbeat interval.
    pub calls_per_interval: u32,
}

/// Simulated fleet devices on a host (`alloc`): heartbeats with log-normal scope
/// latencies, for fleet tests, load generators and demos.
///
/// ```
/// use iot_performance::wire::{SimulatedDevice, encode_heartbeat, MAX_HEARTBEAT_FRAME_LEN};
///
/// let mut device = SimulatedDevice::new("node-7", "1.3.0", "revB", "canary", 7)
///     .with_scope("read_sensor", 1_000.0, 0.25);
/// let hb = device.next_heartbeat();
/// assert_eq!(hb.scopes[0].calls, 1_000);
/// let mut payload = [0u8; MAX_HEARTBEAT_FRAME_LEN];
/// let len = encode_heartbeat(&hb, &mut payload)?;
/// assert!(len < 300);
/// # Ok::<(), iot_performance::wire::FrameError>(())
/// ```
#[derive(Debug, Clone)]
pub struct SimulatedDevice {
    /// Device id.
    pub device: String,
    /// Firmware version.
    pub firmware: String,
    /// Hardware revision.
    pub hardware: String,
    /// Group.
    pub group: String,
    /// Its scopes.
    pub scopes: Vec<SimulatedScope>,
    /// Interval between heartbeats, ms (one hour).
    pub interval_ms: u32,
    /// Typical heap peak, bytes (each heartbeat varies it by up to ±5 %).
    pub heap_peak: u64,
    /// Typical stack peak, bytes (±5 %).
    pub stack_peak: u64,
    /// Typical CPU utilization, percent (±5 %).
    pub cpu_percent: f32,
    sequence: u32,
    uptime_ms: u64,
    rng: fastrand::Rng,
}

impl SimulatedDevice {
    /// A device without scopes whose draws are seeded by `seed`.
    pub fn new(device: &str, firmware: &str, hardware: &str, group: &str, seed: u64) -> Self {
        Self {
            device: device.into(),
            firmware: firmware.into(),
            hardware: hardware.into(),
            group: group.into(),
            scopes: Vec::new(),
            interval_ms: 3_600_000,
            heap_peak: 48 * 1024,
            stack_peak: 3 * 1024,
            cpu_percent: 20.0,
            sequence: 0,
            uptime_ms: 0,
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// Adds a scope of 1000 calls per interval with durations log-normal around
    /// `median_us` with σ `sigma`.
    pub fn with_scope(mut self, name: &str, median_us: f64, sigma: f64) -> Self {
        self.scopes.push(SimulatedScope {
            name: name.into(),
            median_us,
            sigma,
            calls_per_interval: 1_000,
        });
        self
    }

    /// A standard normal draw (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = 1.0 - self.rng.f64();
        let v = self.rng.f64();
        libm::sqrt(-2.0 * libm::log(u)) * libm::cos(core::f64::consts::TAU * v)
    }

    fn jitter(&mut self, v: f64) -> f64 {
        v * (0.95 + 0.1 * self.rng.f64())
    }

    /// The next interval's heartbeat.
    pub fn next_heartbeat(&mut self) -> Heartbeat<'_> {
        self.sequence += 1;
        self.uptime_ms += u64::from(self.interval_ms);
        let mut rows = Vec::with_capacity(self.scopes.len());
        for i in 0..self.scopes.len() {
            let (median, sigma, calls) = {
                let s = &self.scopes[i];
                (s.median_us, s.sigma, s.calls_per_interval)
            };
            let mut h = LatencyHistogram::default();
            let (mut total, mut max) = (0u64, 0u64);
            for _ in 0..calls {
                let d = (median * libm::exp(sigma * self.normal())) as u64;
                h.record(d);
                total = total.saturating_add(d);
                max = max.max(d);
            }
            rows.push((h, total, max));
        }
        let heap = self.jitter(self.heap_peak as f64) as u64;
        let stack = self.jitter(self.stack_peak as f64) as u64;
        let cpu = self.jitter(f64::from(self.cpu_percent)) as f32;
        let mut hb = Heartbeat::new(DeviceIdentity {
            device: &self.device,
            firmware: &self.firmware,
            hardware: &self.hardware,
            group: &self.group,
        });
        hb.sequence = self.sequence;
        hb.uptime_ms = self.uptime_ms;
        hb.interval_ms = self.interval_ms;
        hb.reset = ResetInfo {
            count: 1,
            reason: ResetReason::PowerOn,
        };
        hb.heap_peak = Some(heap);
        hb.stack_peak = Some(stack);
        hb.cpu = Some(CpuFigures {
            mean_percent: cpu,
            max_percent: (cpu * 2.5).min(100.0),
        });
        for (scope, (h, total, max)) in self.scopes.iter().zip(rows) {
            let mut row = ScopeHeartbeat::from_histogram(&scope.name, h);
            row.total_ticks = total;
            row.max_ticks = max;
            if hb.scopes.push(row).is_err() {
                hb.scopes_omitted = hb.scopes_omitted.saturating_add(1);
            }
        }
        hb
    }
}
