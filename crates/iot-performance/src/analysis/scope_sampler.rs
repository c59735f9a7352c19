//! Turning the timing profiler's running totals into per-interval observations.
//!
//! The scope registry keeps totals since start-up (calls, summed ticks). A baseline or a
//! regression window needs *recent* values with a spread, so each sample takes the
//! difference since the previous sample and yields the mean call duration over that
//! interval, in µs: one observation per scope per sampling interval. For an `async fn`
//! the *busy* time (its polls' CPU time) is used — what a regression costs the CPU —
//! not the wall time it spent waiting.

use crate::ticks_to_us;
use crate::timing::{self, ScopeStats};

/// Registry totals of one scope at the previous sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Last {
    name: &'static str,
    calls: u64,
    ticks: u64,
}

/// Remembers the registry totals of up to `N` scopes between samples.
#[derive(Debug, Clone)]
pub struct ScopeSampler<const N: usize = 8> {
    last: heapless::Vec<Last, N>,
    primed: bool,
    dropped: u32,
}

fn cost_ticks(s: &ScopeStats) -> u64 {
    s.busy_ticks.unwrap_or(s.total_ticks)
}

impl<const N: usize> ScopeSampler<N> {
    /// A sampler that has seen nothing: the first [`ScopeSampler::sample`] only records
    /// the totals (call [`ScopeSampler::prime`] to do that explicitly).
    pub const fn new() -> Self {
        Self {
            last: heapless::Vec::new(),
            primed: false,
            dropped: 0,
        }
    }

    /// Scopes that found the table full (they are not sampled).
    pub fn dropped(&self) -> u32 {
        self.dropped
    }

    /// Records the current totals without yielding observations.
    pub fn prime(&mut self) {
        self.sample(|_, _| {});
    }

    /// Calls `observe(name, mean_call_us)` for every scope with calls since the previous
    /// sample (or since [`ScopeSampler::prime`]). A scope registered after that counts
    /// from zero.
    pub fn sample(&mut self, mut observe: impl FnMut(&'static str, f64)) {
        let hz = timing::ticks_per_second();
        for s in timing::scopes() {
            let ticks = cost_ticks(&s);
            let i = match self.last.iter().position(|l| l.name == s.name) {
                Some(i) => i,
                None => {
                    let start = if self.primed {
                        (0, 0)
                    } else {
                        (s.calls, ticks)
                    };
                    let new = Last {
                        name: s.name,
                        calls: start.0,
                        ticks: start.1,
                    };
                    if self.last.push(new).is_err() {
                        self.dropped = self.dropped.saturating_add(1);
                        continue;
                    }
                    self.last.len() - 1
                }
            };
            let Some(l) = self.last.get_mut(i) else {
                continue;
            };
            let calls = s.calls.saturating_sub(l.calls);
            let dt = ticks.saturating_sub(l.ticks);
            if calls > 0 {
                observe(s.name, ticks_to_us(dt, hz) as f64 / calls as f64);
            }
            // Counters reset by `timing::reset()` start over from their new values.
            (l.calls, l.ticks) = (s.calls, ticks);
        }
        self.primed = true;
    }
}

impl<const N: usize> Default for ScopeSampler<N> {
    fn default() -> Self {
        Self::new()
    }
}
