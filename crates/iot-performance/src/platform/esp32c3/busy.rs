//! CPU load from the ESP32-C3's performance counter counting clock cycles.
//!
//! The counter's `CYCLE` event does not advance while the core waits in `WFI` (ESP32-C3
//! Technical Reference Manual, register `mpcer`), so the cycles it counted over a window,
//! divided by the cycles the window lasted at the CPU clock, is the share of the window
//! the core was busy — whatever made it wait (an Embassy executor, `wait_for_interrupt`,
//! a Wi-Fi driver's idle hook). Register-free: tested on the host against a model.

use core::cell::Cell;

use critical_section::Mutex;

/// The previous reading (clock ticks, counter) and the CPU clock.
#[derive(Debug)]
pub(crate) struct BusyCycles {
    previous: Mutex<Cell<(u64, u32)>>,
    cpu_hz: u64,
}

impl BusyCycles {
    /// Starts the first window at clock time `now` with the counter at `cycles`, for a
    /// core clocked at `cpu_hz`.
    pub(crate) const fn new(now: u64, cycles: u32, cpu_hz: u64) -> Self {
        Self {
            previous: Mutex::new(Cell::new((now, cycles))),
            cpu_hz,
        }
    }

    /// Busy share, 0–100 %, of the window since the previous reading (clock time `now` at
    /// `ticks_per_second`, counter at `cycles`); the window restarts here.
    ///
    /// `None` when the window is empty or lasts one period of the 32-bit counter or more
    /// (2³² cycles: 26.8 s at 160 MHz), where its wraps cannot be told apart: the backend
    /// then reports the idle-time figure instead.
    pub(crate) fn utilization(&self, now: u64, ticks_per_second: u64, cycles: u32) -> Option<f32> {
        let (last_now, last_cycles) =
            critical_section::with(|cs| self.previous.borrow(cs).replace((now, cycles)));
        if ticks_per_second == 0 {
            return None;
        }
        let window = u128::from(now.saturating_sub(last_now)) * u128::from(self.cpu_hz)
            / u128::from(ticks_per_second);
        if window == 0 || window >= 1 << 32 {
            return None;
        }
        let busy = u64::from(cycles.wrapping_sub(last_cycles));
        // The counter and the clock tick in different domains: a window rounded down by
        // the clock can hold a few more cycles than its length.
        // Integer arithmetic: the ESP32-C3 has no FPU.
        Some(crate::timing::idle::percent(busy, window as u64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 160 MHz core and a 1 MHz clock (SYSTIMER in µs).
    const CPU_HZ: u64 = 160_000_000;
    const US: u64 = 1_000_000;

    #[test]
    fn busy_share_of_each_window() {
        let busy = BusyCycles::new(0, 0, CPU_HZ);
        // 1 ms window, 40 000 of its 160 000 cycles run: 25 %.
        assert_eq!(busy.utilization(1_000, US, 40_000), Some(25.0));
        // Next window: 2 ms, fully busy.
        assert_eq!(busy.utilization(3_000, US, 40_000 + 320_000), Some(100.0));
        // Idle for 1 ms (the counter stops in WFI).
        assert_eq!(busy.utilization(4_000, US, 360_000), Some(0.0));
    }

    #[test]
    fn counter_wrap_inside_a_window_is_exact() {
        let start = u32::MAX - 99;
        let busy = BusyCycles::new(10, start, CPU_HZ);
        // 80 000 cycles counted across the wrap, in a 1 ms window.
        assert_eq!(
            busy.utilization(1_010, US, start.wrapping_add(80_000)),
            Some(50.0)
        );
    }

    #[test]
    fn windows_a_counter_period_long_or_empty_are_not_judged() {
        let busy = BusyCycles::new(0, 0, CPU_HZ);
        // 2^32 cycles at 160 MHz is 26.84 s: a 27 s window cannot tell the wraps apart.
        assert_eq!(busy.utilization(27 * US, US, 5), None);
        // The window restarted at 27 s: an empty window says nothing.
        assert_eq!(busy.utilization(27 * US, US, 5), None);
        // A 26 s window is still exact.
        assert_eq!(busy.utilization(53 * US, US, 5), Some(0.0));
        assert_eq!(BusyCycles::new(0, 0, CPU_HZ).utilization(10, 0, 1), None);
    }
}
