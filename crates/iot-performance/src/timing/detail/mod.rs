//! `detailed-profiling`: self time, caller → callee edges and the critical path.

mod accum;
mod critical_path;
mod edges;
pub(crate) mod nesting;

pub use critical_path::{CriticalPath, PathStep, critical_path};
pub use edges::EDGE_CAPACITY;
pub use nesting::MAX_DEPTH;

/// What the detailed profiler could not attribute, since start-up or the last reset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DetailLosses {
    /// Scopes nested deeper than [`MAX_DEPTH`]: timed, but with no self time or edge.
    pub too_deep: u64,
    /// Scopes that ended on another thread than they started, with no self time.
    pub unbalanced: u64,
    /// Caller → callee pairs that found the edge table ([`EDGE_CAPACITY`]) full.
    pub dropped_edges: u64,
}

/// See [`DetailLosses`].
pub fn detail_losses() -> DetailLosses {
    DetailLosses {
        too_deep: nesting::too_deep(),
        unbalanced: nesting::unbalanced(),
        dropped_edges: edges::dropped(),
    }
}

pub(crate) fn reset() {
    nesting::reset();
    edges::reset();
}
