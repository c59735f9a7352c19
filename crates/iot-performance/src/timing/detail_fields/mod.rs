//! What `detailed-profiling` adds to the hot path, as three types the counters, guards and
//! futures hold whatever the features:
//!
//! - [`DetailTotals`]: a slot's histogram and self time as plain numbers (a copy read out
//!   of the counters, and the storage of the masked counters);
//! - `DetailCounters`: the same as atomics, for the lock-free counters (64-bit atomics only);
//! - [`DetailFrame`]: an open scope's frame on the nesting stack, closed with the scope.
//!
//! With the feature they are the real thing (`on.rs`). Without it they are zero-sized and
//! every method is empty (`off.rs`): slots and guards are no bigger than without the
//! field (24 bytes per slot on an MCU), and the optimiser removes the calls — the same
//! machine code as a `cfg` on every field and call. The choice is made once, here, so the
//! code that uses them has no `cfg` of its own.

#[cfg(not(feature = "detailed-profiling"))]
mod off;
#[cfg(feature = "detailed-profiling")]
mod on;

#[cfg(not(feature = "detailed-profiling"))]
pub(crate) use off::*;
#[cfg(feature = "detailed-profiling")]
pub(crate) use on::*;
