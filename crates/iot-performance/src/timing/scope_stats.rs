//! Reading the registry: [`ScopeStats`] per scope, in ticks.

use super::counters::{AsyncTotals, Totals};
use super::registry;

/// What one scope has recorded, in ticks of [`super::ticks_per_second`].
///
/// For an `async fn` a call lasts from its first poll to completion, so `total_ticks`,
/// `min_ticks` and `max_ticks` are wall time (what the caller waited), while
/// [`ScopeStats::busy_ticks`] is the time its polls actually kept the CPU.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct ScopeStats {
    /// The name given at the call site (or the function's name).
    pub name: &'static str,
    /// Completed calls.
    pub calls: u64,
    /// Sum of the calls' durations.
    pub total_ticks: u64,
    /// Shortest call; `None` before the first call.
    pub min_ticks: Option<u64>,
    /// Longest call (0 before the first call).
    pub max_ticks: u64,
    /// Time in this scope not spent in scopes nested in it (same thread or context);
    /// `Some` under the `detailed-profiling` feature only.
    pub self_ticks: Option<u64>,
    /// Async scopes: sum of the poll durations (CPU time); `None` for synchronous scopes.
    pub busy_ticks: Option<u64>,
    /// Async scopes: first poll to completion, summed over calls (equal to
    /// `total_ticks`); `None` for synchronous scopes.
    pub wall_ticks: Option<u64>,
    /// Async scopes: number of polls; `None` for synchronous scopes.
    pub polls: Option<u64>,
    /// Async scopes: calls dropped before they completed (the losing side of a `select`,
    /// a timed-out request); their polls and busy time are kept, they are not in `calls`.
    /// `None` for synchronous scopes.
    pub cancelled: Option<u64>,
    #[cfg(feature = "detailed-profiling")]
    #[cfg_attr(feature = "serde", serde(serialize_with = "serialize_buckets"))]
    pub(crate) histogram: [u32; super::detail_fields::HISTOGRAM_BUCKETS],
}

/// serde implements arrays only up to 32 elements: write the buckets as a sequence.
#[cfg(all(feature = "serde", feature = "detailed-profiling"))]
fn serialize_buckets<S: serde::Serializer>(buckets: &[u32], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(buckets)
}

impl ScopeStats {
    /// From a slot's totals and, for an async scope, its poll counters.
    pub(crate) fn from_totals(name: &'static str, t: Totals, a: Option<AsyncTotals>) -> Self {
        Self {
            name,
            calls: t.calls,
            total_ticks: t.total,
            min_ticks: (t.calls > 0).then_some(t.min),
            max_ticks: t.max,
            self_ticks: t.detail.self_ticks(),
            busy_ticks: a.map(|a| a.busy),
            wall_ticks: a.map(|_| t.total),
            polls: a.map(|a| a.polls),
            cancelled: a.map(|a| a.cancelled),
            #[cfg(feature = "detailed-profiling")]
            histogram: t.detail.histogram,
        }
    }

    /// Mean call duration; `None` before the first call.
    pub fn mean_ticks(&self) -> Option<u64> {
        self.total_ticks.checked_div(self.calls)
    }

    /// True for an `async fn` scope.
    pub fn is_async(&self) -> bool {
        self.polls.is_some()
    }

    /// The `p`-th percentile (0–100) of call durations from the log2 histogram: the upper
    /// bound of the bucket holding it, capped at the longest call, so it is never
    /// below the true percentile and at most twice it. `None` before the first call.
    #[cfg(feature = "detailed-profiling")]
    pub fn percentile_ticks(&self, p: f32) -> Option<u64> {
        let count: u64 = self.histogram.iter().map(|&c| u64::from(c)).sum();
        if count == 0 {
            return None;
        }
        let p = if p.is_nan() {
            100.0
        } else {
            p.clamp(0.0, 100.0)
        };
        // Rank of the wanted call, 1-based: ceil(p% of count), in hundredths of a percent.
        let hundredths = u64::from((p * 100.0) as u32);
        let rank = (u128::from(hundredths) * u128::from(count)).div_ceil(10_000);
        let rank = u64::try_from(rank).unwrap_or(count).clamp(1, count);
        let mut seen = 0u64;
        for (bucket, &c) in self.histogram.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                let upper = if bucket == 0 {
                    0
                } else if bucket == super::detail_fields::HISTOGRAM_BUCKETS - 1 {
                    u64::MAX
                } else {
                    (1u64 << bucket).saturating_sub(1)
                };
                return Some(upper.min(self.max_ticks));
            }
        }
        Some(self.max_ticks)
    }

    /// The raw log2 histogram: bucket 0 counts zero-tick calls, bucket `i > 0` calls of
    /// `2^(i-1) ..= 2^i - 1` ticks (the last bucket also everything longer).
    #[cfg(feature = "detailed-profiling")]
    pub fn histogram(&self) -> &[u32] {
        &self.histogram
    }
}

/// Every registered scope, in registration order.
///
/// ```
/// use iot_performance::{profile_block, timing};
///
/// {
///     let _g = profile_block!("doc_scopes_example");
/// }
/// let s = timing::scopes().find(|s| s.name == "doc_scopes_example").unwrap();
/// assert_eq!(s.calls, 1);
/// ```
pub fn scopes() -> impl Iterator<Item = ScopeStats> {
    (0..registry::len()).filter_map(stats_at)
}

/// The statistics of one scope by name; `None` if nothing with that name ran yet.
pub fn scope(name: &str) -> Option<ScopeStats> {
    registry::find(name).and_then(stats_at)
}

pub(crate) fn stats_at(index: usize) -> Option<ScopeStats> {
    let (name, async_counters) = registry::entry(index)?;
    let totals = registry::counters(index)?.totals();
    Some(ScopeStats::from_totals(
        name,
        totals,
        async_counters.map(|a| a.totals()),
    ))
}
