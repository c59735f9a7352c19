//! Caller → callee edges between scopes, with the time the callee took under that caller:
//! the raw material of the critical-path report.
//!
//! A fixed open-addressed table; an edge is claimed once with a compare-and-swap and then
//! only added to. Edges that find the table full are counted, not stored.

use portable_atomic::{AtomicU32, Ordering};

use super::accum::Accum;
use crate::timing::SCOPE_CAPACITY;

/// Distinct (caller, callee) pairs the table holds.
pub const EDGE_CAPACITY: usize = 4 * SCOPE_CAPACITY;

const EMPTY: u32 = 0;

struct Edge {
    /// `(parent << 16 | child) + 1`, or [`EMPTY`].
    key: AtomicU32,
    ticks: Accum,
}

static EDGES: [Edge; EDGE_CAPACITY] = [const {
    Edge {
        key: AtomicU32::new(EMPTY),
        ticks: Accum::new(),
    }
}; EDGE_CAPACITY];

static DROPPED_EDGES: Accum = Accum::new();

fn key(parent: usize, child: usize) -> u32 {
    // Slot indexes are below SCOPE_CAPACITY, far below 2^16.
    ((parent as u32) << 16 | child as u32) + 1
}

/// Adds `ticks` spent in `child` while nested directly in `parent`.
#[inline]
pub(crate) fn add(parent: usize, child: usize, ticks: u64) {
    let k = key(parent, child);
    let start = (k as usize).wrapping_mul(0x9E37_79B9) % EDGE_CAPACITY;
    for probe in 0..EDGE_CAPACITY {
        let edge = &EDGES[(start + probe) % EDGE_CAPACITY];
        let found = edge.key.load(Ordering::Acquire);
        let claimed = found == k
            || (found == EMPTY
                && match edge
                    .key
                    .compare_exchange(EMPTY, k, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => true,
                    Err(other) => other == k,
                });
        if claimed {
            edge.ticks.add(ticks);
            return;
        }
    }
    DROPPED_EDGES.add(1);
}

/// Every recorded `(parent, child, ticks)`.
pub(crate) fn all() -> impl Iterator<Item = (usize, usize, u64)> {
    EDGES.iter().filter_map(|e| {
        let k = e.key.load(Ordering::Acquire);
        (k != EMPTY).then(|| {
            let k = k - 1;
            ((k >> 16) as usize, (k & 0xFFFF) as usize, e.ticks.get())
        })
    })
}

/// Caller/callee pairs that found the table full.
pub(crate) fn dropped() -> u64 {
    DROPPED_EDGES.get()
}

/// Zeroes the times (pairs stay claimed, like scope slots).
pub(crate) fn reset() {
    for e in &EDGES {
        e.ticks.clear();
    }
    DROPPED_EDGES.clear();
}
