//! The wire format: how a device sends what it measured to the `iot-perf` host tool.
//!
//! One module is used by both ends, so the device encoder and the host decoder cannot
//! drift apart. A *frame* carries one [`Record`]:
//!
//! ```text
//! COBS( magic "IP" | version u8 | postcard(Record) | CRC-32/ISO-HDLC of the preceding bytes, LE ) 0x00
//! ```
//!
//! - COBS framing makes `0x00` a frame delimiter, so a reader that joins a stream in the
//!   middle (or loses bytes on a UART) resynchronises at the next zero byte.
//! - Text the device prints on the same link (a boot banner, log lines) has no zero byte,
//!   so it lands in front of the next frame. An encoded frame always starts with its COBS
//!   code byte and then the magic, so a reader finds the frame behind such noise by trying
//!   each `? I P` position until one passes COBS, magic, CRC and version (`iot-perf`
//!   does, and reports the noise with its offset): no frame is lost to text.
//! - The magic and [`VERSION`] byte let the host reject frames of another format or of a
//!   newer version with a clear message instead of misreading them.
//! - The CRC catches bit flips that COBS and postcard would otherwise accept.
//! - postcard keeps records small: a full snapshot is about 40 bytes on the wire.
//!
//! Encoding needs no heap: [`encode_frame`] writes into a caller's buffer, and
//! [`Reporter`] sends records to any [`ByteSink`] (a UART through
//! `IoSink` under the `embedded-io` feature, an MQTT payload buffer
//! through [`SliceSink`], semihosting or RTT through [`FnSink`]). A full sink drops the frame
//! and counts it; it never blocks or fails the application.
//!
//! ```
//! use iot_performance::wire::{decode_frame, Record, Reporter, ScopeRecord, SliceSink};
//!
//! let mut payload = [0u8; 256];
//! let mut reporter = Reporter::new(SliceSink::new(&mut payload));
//! reporter.scope(&ScopeRecord {
//!     timestamp_us: 1_000,
//!     name: "read_sensor",
//!     calls: 10,
//!     total_ticks: 5_000,
//!     min_ticks: 400,
//!     max_ticks: 700,
//!     self_ticks: None,
//!     busy_ticks: None,
//!     wall_ticks: None,
//!     polls: None,
//!     ticks_per_second: 1_000_000,
//! });
//! assert_eq!(reporter.dropped(), 0);
//!
//! // The host splits the stream at 0x00 and decodes each frame in place.
//! let mut bytes = reporter.sink().as_bytes().to_vec();
//! let end = bytes.iter().position(|&b| b == 0).unwrap();
//! match decode_frame(&mut bytes[..end])? {
//!     Record::Scope(scope) => assert_eq!(scope.name, "read_sensor"),
//!     other => panic!("unexpected {other:?}"),
//! }
//! # Ok::<(), iot_performance::wire::FrameError>(())
//! ```
//!
//! ## Versions
//! | version | records |
//! |---|---|
//! | 1 | `Session`, `Snapshot`, `Scope`, `Dropped` |
//! | 2 | version 1's records, then `Task` (a row of the Embassy task table) and `Interrupt` (an [`IsrStats`](crate::interrupts::IsrStats)'s figures) |
//!
//! Heartbeats (a fleet device's hourly summary, [`Heartbeat`]) are frames of their own
//! kind, magic `"IH"`, versioned by [`HEARTBEAT_VERSION`].
//!
//! Every released version has a fixture capture under `crates/iot-perf/tests/fixtures/`
//! and a decode test. A change to any record is a new version.

mod frame;
mod heartbeat;
mod heartbeat_builder;
#[cfg(feature = "embassy")]
mod heartbeat_tasks;
pub mod mqtt;
mod record;
mod reporter;
#[cfg(feature = "alloc")]
mod simulate;
mod sink;
mod task_record;
#[cfg(feature = "trace")]
mod trace;

pub use frame::{FrameError, MAX_FRAME_LEN, MAX_RECORD_LEN, decode_frame, encode_frame};
pub use heartbeat::{
    CpuFigures, DeviceIdentity, HEARTBEAT_MAGIC, HEARTBEAT_VERSION, Heartbeat,
    MAX_HEARTBEAT_FRAME_LEN, MAX_HEARTBEAT_SCOPES, MAX_HEARTBEAT_TASKS, OLDEST_HEARTBEAT_VERSION,
    ResetInfo, ResetReason, ScopeHeartbeat, TaskShare, WifiFigures, decode_heartbeat,
    encode_heartbeat, is_heartbeat_frame,
};
pub use heartbeat_builder::HeartbeatBuilder;
pub use record::{
    DroppedRecord, MAX_NAME_LEN, Record, ScopeEntry, ScopeRecord, SessionEntry, SessionRecord,
    SnapshotRecord,
};
pub use reporter::Reporter;
#[cfg(feature = "alloc")]
pub use simulate::{SimulatedDevice, SimulatedScope};
#[cfg(feature = "embedded-io")]
pub use sink::IoSink;
#[cfg(host_std)]
pub use sink::StdSink;
pub use sink::{ByteSink, FnSink, SinkFull, SliceSink};
pub use task_record::{InterruptEntry, InterruptRecord, TaskEntry, TaskRecord};
#[cfg(feature = "trace")]
pub use trace::{
    MAX_TRACE_CHUNK_LEN, MAX_TRACE_FRAME_LEN, TRACE_MAGIC, TRACE_VERSION, TraceStreamer,
    decode_trace_frame, encode_trace_frame,
};

/// Two bytes that start every decoded frame: `b"IP"`.
pub const MAGIC: [u8; 2] = *b"IP";

/// The format version this build writes (and the newest one it reads).
pub const VERSION: u8 = 2;

/// Oldest format version the decoder still reads.
pub const OLDEST_SUPPORTED_VERSION: u8 = 1;

/// The version symbol in the firmware image, for tools that inspect an ELF.
#[used]
#[unsafe(no_mangle)]
pub static _IOT_PERF_WIRE_VERSION: u8 = VERSION;
