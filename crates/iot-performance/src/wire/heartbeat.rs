//! Heartbeat frames: the record a fleet device sends once per interval (see [`Heartbeat`]).

use crc::{CRC_32_ISO_HDLC, Crc, Digest};
use postcard::ser_flavors::{Cobs, Flavor, Slice};
use serde::{Deserialize, Serialize};

use super::FrameError;
use crate::timing::histogram::LatencyHistogram;

/// Two bytes that start every decoded heartbeat frame: `b"IH"`.
pub const HEARTBEAT_MAGIC: [u8; 2] = *b"IH";

/// The heartbeat version this build writes (and the newest it reads).
pub const HEARTBEAT_VERSION: u8 = 1;

/// Oldest heartbeat version this build reads.
pub const OLDEST_HEARTBEAT_VERSION: u8 = 1;

/// Scopes one heartbeat carries at most.
pub const MAX_HEARTBEAT_SCOPES: usize = 16;

/// Tasks one heartbeat carries at most.
pub const MAX_HEARTBEAT_TASKS: usize = 8;

/// Largest heartbeat frame, delimiter included, with every name at
/// [`super::MAX_NAME_LEN`] and every field at its widest (checked by a test).
pub const MAX_HEARTBEAT_FRAME_LEN: usize = 6 * 1024;

const HEADER_LEN: usize = HEARTBEAT_MAGIC.len() + 1;
const CRC_LEN: usize = 4;
static CHECKSUM: Crc<u32> = Crc::<u32>::new(&CRC_32_ISO_HDLC);

/// Who sent a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceIdentity<'a> {
    /// Device id, unique in the fleet.
    pub device: &'a str,
    /// Firmware version, e.g. `"1.3.0"`.
    pub firmware: &'a str,
    /// Hardware revision, e.g. `"revB"`.
    pub hardware: &'a str,
    /// Device group (a rollout ring, a customer); empty when none.
    pub group: &'a str,
}

/// Why the device last started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ResetReason {
    /// Power applied.
    PowerOn,
    /// The reset pin.
    External,
    /// The firmware asked for it (an update, a command).
    Software,
    /// A watchdog fired.
    Watchdog,
    /// The supply dropped below the brown-out level.
    Brownout,
    /// A panic handler or a fault handler reset the chip.
    Panic,
    /// Woke from deep sleep.
    DeepSleep,
    /// The chip did not say, or the application did not tell.
    Unknown,
}

impl ResetReason {
    /// A lower-case label, e.g. `"watchdog"`.
    pub const fn label(&self) -> &'static str {
        match self {
            Self::PowerOn => "power_on",
            Self::External => "external",
            Self::Software => "software",
            Self::Watchdog => "watchdog",
            Self::Brownout => "brownout",
            Self::Panic => "panic",
            Self::DeepSleep => "deep_sleep",
            Self::Unknown => "unknown",
        }
    }
}

/// Resets since the device was provisioned (the application keeps the count, e.g. in
/// flash or RTC memory), and the reason of the last one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ResetInfo {
    /// Resets counted.
    pub count: u32,
    /// Reason of the last reset.
    pub reason: ResetReason,
}

/// CPU utilization over the interval, from the snapshots the monitor took in it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct CpuFigures {
    /// Mean of the snapshots' CPU utilization, percent.
    pub mean_percent: f32,
    /// Highest snapshot, percent.
    pub max_percent: f32,
}

/// One task's share of the interval spent in its polls (Embassy task table).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct TaskShare<'a> {
    /// The task's name, or empty when it was not named.
    pub name: &'a str,
    /// Busy time over the interval, percent.
    pub busy_percent: f32,
}

/// Wi-Fi traffic since boot, as the application reported it (ESP32-C3 `WifiTracker`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WifiFigures {
    /// Bytes sent.
    pub tx_bytes: u64,
    /// Bytes received.
    pub rx_bytes: u64,
    /// Packets sent.
    pub tx_packets: u32,
    /// Packets received.
    pub rx_packets: u32,
    /// Mean round trip, µs; `None` before the first one was timed.
    pub mean_latency_us: Option<u32>,
    /// Longest round trip, µs.
    pub max_latency_us: u32,
}

#[cfg(feature = "esp32c3")]
impl From<crate::esp32c3::WifiStats> for WifiFigures {
    fn from(s: crate::esp32c3::WifiStats) -> Self {
        Self {
            tx_bytes: s.tx_bytes,
            rx_bytes: s.rx_bytes,
            tx_packets: s.tx_packets,
            rx_packets: s.rx_packets,
            mean_latency_us: s
                .mean_latency_us()
                .map(|v| u32::try_from(v).unwrap_or(u32::MAX)),
            max_latency_us: s.latency_max_us,
        }
    }
}

/// One scope over the interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScopeHeartbeat<'a> {
    /// The scope's name.
    pub name: &'a str,
    /// Calls completed in the interval.
    pub calls: u64,
    /// Their summed duration, ticks.
    pub total_ticks: u64,
    /// Longest call of the interval, ticks. [`super::HeartbeatBuilder`] gives it exactly
    /// when the call set a new maximum since boot or was passed to its `record`; otherwise
    /// (the registry keeps no per-interval maximum) it is an upper bound: the top of the
    /// interval's highest histogram bin, or without a histogram the maximum since boot.
    pub max_ticks: u64,
    /// Durations of the interval's calls (empty where nothing recorded them).
    pub histogram: LatencyHistogram,
}

impl<'a> ScopeHeartbeat<'a> {
    /// A scope row whose calls are the histogram's; `total_ticks` is estimated from the
    /// bin midpoints and `max_ticks` is the upper bound of the highest bin.
    pub fn from_histogram(name: &'a str, mut histogram: LatencyHistogram) -> Self {
        use crate::timing::histogram::{bin_lower, bin_upper};
        histogram.trim();
        let s = histogram.sub_bits();
        let total = histogram
            .bins()
            .map(|(b, c)| {
                let mid = bin_lower(b, s) / 2 + bin_upper(b, s) / 2;
                mid.saturating_mul(c)
            })
            .fold(0u64, u64::saturating_add);
        let max = histogram
            .bins()
            .last()
            .map_or(0, |(b, _)| bin_upper(b, s).saturating_sub(1));
        Self {
            name,
            calls: histogram.count(),
            total_ticks: total,
            max_ticks: max,
            histogram,
        }
    }
}

/// Heartbeat frames: what a device of a fleet sends once per interval (default one hour).
///
/// A heartbeat is its own frame kind, framed like a record frame with its own magic, so the
/// record decoder and its fixtures are unchanged:
///
/// ```text
/// COBS( magic "IH" | version u8 | postcard(Heartbeat) | CRC-32/ISO-HDLC of the preceding bytes, LE ) 0x00
/// ```
///
/// It carries, for the interval it covers: each scope's calls, time and fixed-bin latency
/// histogram ([`LatencyHistogram`]: adding two devices' histograms gives the fleet's),
/// heap and stack peaks, CPU, the busy share per task (Embassy), Wi-Fi traffic (where the
/// application tracks it), and who sent it: device id, firmware version, hardware revision,
/// group, reset count and reason. A figure the device cannot measure is `None`.
///
/// Size: with 16 scopes of 20-character names whose latencies span 16 bins each, a frame
/// is 1044 bytes (the `sixteen_scopes_fit_the_documented_size` test asserts ≤ 1280
/// bytes); [`MAX_HEARTBEAT_FRAME_LEN`] bounds any heartbeat. Encoding streams through
/// postcard, the CRC and COBS straight into the caller's buffer: no scratch buffer, no heap.
///
/// ```
/// use iot_performance::timing::histogram::LatencyHistogram;
/// use iot_performance::wire::{
///     DeviceIdentity, Heartbeat, ScopeHeartbeat, decode_heartbeat, encode_heartbeat,
/// };
///
/// let mut hb = Heartbeat::new(DeviceIdentity {
///     device: "node-0042",
///     firmware: "1.3.0",
///     hardware: "revB",
///     group: "canary",
/// });
/// let mut histogram = LatencyHistogram::default();
/// (0..500).for_each(|i| histogram.record(900 + i % 200));
/// hb.scopes.push(ScopeHeartbeat::from_histogram("read_sensor", histogram)).unwrap();
///
/// let mut payload = [0u8; 512];
/// let len = encode_heartbeat(&hb, &mut payload)?; // delimiter included
/// let back = decode_heartbeat(&mut payload[..len - 1])?;
/// assert_eq!(back, hb);
/// # Ok::<(), iot_performance::wire::FrameError>(())
/// ```
///
/// ## Versions
/// | version | contents |
/// |---|---|
/// | 1 | the fields of [`Heartbeat`] as first released |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Heartbeat<'a> {
    /// Who sent it.
    #[serde(borrow)]
    pub identity: DeviceIdentity<'a>,
    /// Heartbeats sent since boot, this one included.
    pub sequence: u32,
    /// Milliseconds since boot when it was built.
    pub uptime_ms: u64,
    /// Length of the interval it covers, ms.
    pub interval_ms: u32,
    /// Reset count and last reason.
    pub reset: ResetInfo,
    /// Frequency of the ticks in the scope figures.
    pub ticks_per_second: u64,
    /// Highest heap use seen in the interval, bytes.
    pub heap_peak: Option<u64>,
    /// Highest stack use seen in the interval, bytes.
    pub stack_peak: Option<u64>,
    /// CPU utilization over the interval.
    pub cpu: Option<CpuFigures>,
    /// Busy share per task (Embassy); `None` without the task table.
    #[serde(borrow)]
    pub tasks: Option<heapless::Vec<TaskShare<'a>, MAX_HEARTBEAT_TASKS>>,
    /// Wi-Fi traffic; `None` where it is not tracked.
    pub wifi: Option<WifiFigures>,
    /// Scopes, at most [`MAX_HEARTBEAT_SCOPES`].
    #[serde(borrow)]
    pub scopes: heapless::Vec<ScopeHeartbeat<'a>, MAX_HEARTBEAT_SCOPES>,
    /// Scopes the device has but did not fit.
    pub scopes_omitted: u16,
    /// Messages the device's offline queue dropped since boot (its
    /// [`super::mqtt::MqttPublisher::dropped`]).
    pub messages_dropped: u32,
}

impl<'a> Heartbeat<'a> {
    /// An empty heartbeat of `identity` (sequence 1, one-hour interval, no figures, reset
    /// reason unknown, 1 MHz ticks): set the fields that were measured.
    pub fn new(identity: DeviceIdentity<'a>) -> Self {
        Self {
            identity,
            sequence: 1,
            uptime_ms: 0,
            interval_ms: 3_600_000,
            reset: ResetInfo {
                count: 0,
                reason: ResetReason::Unknown,
            },
            ticks_per_second: 1_000_000,
            heap_peak: None,
            stack_peak: None,
            cpu: None,
            tasks: None,
            wifi: None,
            scopes: heapless::Vec::new(),
            scopes_omitted: 0,
            messages_dropped: 0,
        }
    }

    /// The row of scope `name`.
    pub fn scope(&self, name: &str) -> Option<&ScopeHeartbeat<'a>> {
        self.scopes.iter().find(|s| s.name == name)
    }
}

/// postcard output through the CRC and COBS into a slice.
struct Framed<'b> {
    cobs: Cobs<Slice<'b>>,
    digest: Digest<'static, u32>,
}

impl<'b> Flavor for Framed<'b> {
    type Output = &'b mut [u8];

    fn try_push(&mut self, data: u8) -> postcard::Result<()> {
        self.digest.update(&[data]);
        self.cobs.try_push(data)
    }

    fn try_extend(&mut self, data: &[u8]) -> postcard::Result<()> {
        self.digest.update(data);
        data.iter().try_for_each(|&b| self.cobs.try_push(b))
    }

    fn finalize(mut self) -> postcard::Result<Self::Output> {
        let sum = self.digest.finalize().to_le_bytes();
        sum.iter().try_for_each(|&b| self.cobs.try_push(b))?;
        self.cobs.finalize()
    }
}

/// Encodes `heartbeat` as one frame, `0x00` delimiter included, into `out`; returns the
/// frame length. [`MAX_HEARTBEAT_FRAME_LEN`] bytes always suffice.
pub fn encode_heartbeat(heartbeat: &Heartbeat<'_>, out: &mut [u8]) -> Result<usize, FrameError> {
    let cobs = Cobs::try_new(Slice::new(out)).map_err(|_| FrameError::BufferTooSmall)?;
    let mut framed = Framed {
        cobs,
        digest: CHECKSUM.digest(),
    };
    framed
        .try_extend(&HEARTBEAT_MAGIC)
        .and_then(|()| framed.try_push(HEARTBEAT_VERSION))
        .map_err(|_| FrameError::BufferTooSmall)?;
    postcard::serialize_with_flavor(heartbeat, framed)
        .map(|written| written.len())
        .map_err(|_| FrameError::BufferTooSmall)
}

/// Decodes one heartbeat frame (the bytes between two `0x00` delimiters, without them) in
/// place; names borrow from `frame`.
pub fn decode_heartbeat(frame: &mut [u8]) -> Result<Heartbeat<'_>, FrameError> {
    let len = cobs::decode_in_place(frame).map_err(|_| FrameError::Cobs)?;
    if len < HEADER_LEN + CRC_LEN + 1 {
        return Err(FrameError::Truncated { len });
    }
    let (content, sum) = frame[..len].split_at(len - CRC_LEN);
    if content[..HEARTBEAT_MAGIC.len()] != HEARTBEAT_MAGIC {
        return Err(FrameError::BadMagic);
    }
    let expected = u32::from_le_bytes([sum[0], sum[1], sum[2], sum[3]]);
    let actual = CHECKSUM.checksum(content);
    if expected != actual {
        return Err(FrameError::CrcMismatch { expected, actual });
    }
    let version = content[HEARTBEAT_MAGIC.len()];
    if !(OLDEST_HEARTBEAT_VERSION..=HEARTBEAT_VERSION).contains(&version) {
        return Err(FrameError::UnsupportedVersion { version });
    }
    let heartbeat: Heartbeat<'_> =
        postcard::from_bytes(&content[HEADER_LEN..]).map_err(|_| FrameError::Record)?;
    if heartbeat.scopes.iter().all(|s| s.histogram.is_valid()) {
        Ok(heartbeat)
    } else {
        Err(FrameError::Record)
    }
}

/// True when `frame` (COBS-encoded, before [`decode_heartbeat`]) is a heartbeat rather
/// than a record or trace frame: its magic sits behind the COBS code byte.
pub fn is_heartbeat_frame(frame: &[u8]) -> bool {
    frame.get(1..3) == Some(&HEARTBEAT_MAGIC[..])
}

#[cfg(test)]
#[path = "heartbeat_tests.rs"]
mod tests;
