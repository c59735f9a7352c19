//! The host clock: the CPU's cycle counter, calibrated against the OS clock.

/// A monotonic tick source at a known frequency.
///
/// On x86-64 with an invariant TSC the ticks are TSC cycles read with `rdtsc` (about
/// 20 ns a read); `quanta` calibrates them against the monotonic clock once per process.
/// Elsewhere `quanta` falls back to the OS monotonic clock in nanoseconds.
#[derive(Debug, Clone)]
pub struct HostClock {
    clock: quanta::Clock,
    ticks_per_second: u64,
}

impl HostClock {
    /// Creates (and, the first time in a process, calibrates) the clock.
    pub fn new() -> Self {
        let clock = quanta::Clock::new();
        // Scale a large round number of ticks to nanoseconds with quanta's calibration.
        const PROBE_TICKS: u64 = 1 << 32;
        let nanos = clock.delta_as_nanos(0, PROBE_TICKS).max(1);
        let hz = u128::from(PROBE_TICKS) * 1_000_000_000 / u128::from(nanos);
        Self {
            clock,
            ticks_per_second: u64::try_from(hz).unwrap_or(u64::MAX).max(1),
        }
    }

    /// The current tick count.
    #[inline]
    pub fn now_ticks(&self) -> u64 {
        self.clock.raw()
    }

    /// Ticks per second.
    pub fn ticks_per_second(&self) -> u64 {
        self.ticks_per_second
    }
}

impl Default for HostClock {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn frequency_matches_wall_clock() {
        let clock = HostClock::new();
        let (t0, i0) = (clock.now_ticks(), Instant::now());
        std::thread::sleep(Duration::from_millis(50));
        let (t1, i1) = (clock.now_ticks(), Instant::now());
        let measured = (t1 - t0) as f64 / clock.ticks_per_second() as f64;
        let wall = (i1 - i0).as_secs_f64();
        assert!(
            (measured - wall).abs() / wall < 0.05,
            "clock says {measured} s, wall {wall} s"
        );
    }
}
