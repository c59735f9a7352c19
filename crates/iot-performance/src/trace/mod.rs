//! The event trace: a flight recorder of what ran when (feature `trace`, `no_std`, no heap).
//!
//! With a ring installed ([`install`]), the instrumentation that already measures
//! aggregates also records compact events into it: scope enter/exit from the same
//! `profile_block!` / `#[profile_function]` call sites (an `async fn` per poll), Embassy
//! task ready / poll begin / poll end / idle (feature `embassy`), interrupt entry and exit
//! ([`crate::interrupts`] guards, or [`isr_enter`] / [`isr_exit`] with ids of your own),
//! and your own [`marker`]s and [`value`]s. Each event is stamped with the one clock
//! ([`crate::clock`]), low 32 bits.
//!
//! - **Post-mortem:** the ring keeps the last `N` events; [`TraceBuffer::dump`] encodes
//!   them on demand (from a panic or fault handler; a buffer in `.uninit` survives a reset,
//!   see [`TraceBuffer::recover`]).
//! - **Streaming:** a reporter calls [`TraceBuffer::drain`] and sends each chunk through
//!   any sink; it never blocks, and every event lost in between is counted in the next
//!   chunk, so the host marks the gap.
//! - **Triggered:** [`trigger`] / [`trigger_after`] freeze the ring when a condition fires.
//! - **Filters:** per kind, per scope, per task; repeated idle calls coalesced (the
//!   functions: [`set_kind_enabled`], [`set_scope_enabled`], [`set_task_enabled`]).
//!
//! Chunks are compact: a delta-stamped event takes 2 to 4 bytes (see [`codec`]).
//! [`ChunkDecoder`] turns chunks back into absolute-time events with gaps marked, and
//! [`busy_time`] (feature `alloc`) reconstructs per-task busy time, interrupt counts and
//! time, and CPU load per interval from them.
//!
//! ```
//! use iot_performance::trace::{self, ChunkDecoder, EventKind, TraceBuffer, TraceEvent};
//!
//! static RING: TraceBuffer<64> = TraceBuffer::new();
//! trace::install(&RING);
//! trace::marker(3);
//! trace::value(1, -40);
//!
//! let mut chunk = [0u8; 128];
//! let info = RING.drain(&mut chunk);
//! assert_eq!((info.events, info.lost), (2, 0));
//!
//! let mut decoder = ChunkDecoder::new();
//! let events: Vec<TraceEvent> = decoder
//!     .decode(&chunk[..info.len])?
//!     .collect::<Result<_, _>>()?;
//! assert_eq!(events[0].kind, Some(EventKind::Marker));
//! assert_eq!((events[1].id, events[1].value), (1, -40));
//! # Ok::<(), trace::ChunkError>(())
//! ```

#[cfg(feature = "alloc")]
mod busy;
pub mod codec;
mod decode;
mod event;
mod filter;
mod global;
mod ring;
#[cfg(test)]
mod tests;

#[cfg(feature = "alloc")]
pub use busy::{BusyTime, IntervalLoad, IsrBusy, TaskBusy, busy_time};
pub use codec::{Chunk, ChunkEncoder, ChunkError};
pub use decode::{ChunkDecoder, TraceEvent};
pub use event::{EventKind, RawEvent};
pub use filter::{
    kind_enabled, reset_filters, set_kind_enabled, set_kind_mask, set_scope_enabled,
    set_task_enabled,
};
#[cfg(feature = "embassy")]
pub(crate) use global::{idle, task_event};
pub use global::{
    install, is_installed, isr_enter, isr_exit, marker, trigger, trigger_after, value,
};
pub(crate) use global::{isr_at, scope_enter, scope_exit};
pub use ring::{ChunkInfo, TraceBuffer};

/// The registry slot of the scope `name` (its id in scope events), once it has run.
pub fn scope_index(name: &str) -> Option<usize> {
    crate::timing::scope_slot(name)
}
