//! Arithmetic of the SysTick-derived clock, free of registers so that it is tested on the
//! host.

/// Cycles since the clock started, from a SysTick that counts down from `reload` to 0,
/// whose handled wraps add up to `base` cycles (the sum of their periods), plus one more
/// period if a wrap is `pending` (its exception not yet handled), currently showing
/// `current`. Integer additions only: no multiplication on the read path.
///
/// ```text
/// ticks = base + pending · (reload + 1) + (reload − current)
/// ```
#[inline(always)]
pub(crate) fn systick_ticks(base: u64, pending: bool, reload: u32, current: u32) -> u64 {
    let elapsed_in_period = reload - current.min(reload);
    let pending_period = if pending { u64::from(reload) + 1 } else { 0 };
    base.wrapping_add(pending_period)
        .wrapping_add(u64::from(elapsed_in_period))
}

/// The core clock implied by SysTick firing `systick_hz` times a second with `reload`:
/// `(reload + 1) · systick_hz`.
pub(crate) fn core_clock_hz(reload: u32, systick_hz: u32) -> u64 {
    (u64::from(reload) + 1) * u64::from(systick_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_down_within_a_period() {
        assert_eq!(systick_ticks(0, false, 24_999, 24_999), 0);
        assert_eq!(systick_ticks(0, false, 24_999, 0), 24_999);
        assert_eq!(systick_ticks(3 * 25_000, false, 24_999, 24_989), 75_010);
    }

    #[test]
    fn pending_wrap_is_counted_once() {
        // The counter reloaded (current is high again) but the exception has not run yet.
        let before = systick_ticks(7_000, false, 999, 1);
        let after = systick_ticks(7_000, true, 999, 998);
        assert_eq!(after - before, 3);
    }

    #[test]
    fn monotonic_across_many_wraps() {
        let mut last = 0;
        for wraps in 0..2000u64 {
            for current in [999u32, 500, 0] {
                let now = systick_ticks(wraps * 1000, false, 999, current);
                assert!(now >= last);
                last = now;
            }
        }
        assert_eq!(last, 2000 * 1000 - 1);
        // 64-bit: far past 2^32 ticks without wrapping.
        assert_eq!(
            systick_ticks(u64::from(u32::MAX) * 0x0100_0000, false, 0x00FF_FFFF, 0),
            u64::from(u32::MAX) * 0x0100_0000 + 0x00FF_FFFF
        );
    }

    #[test]
    fn current_above_reload_is_clamped() {
        assert_eq!(systick_ticks(0, false, 100, 500), 0);
    }

    #[test]
    fn core_clock_from_reload() {
        assert_eq!(core_clock_hz(24_999, 1000), 25_000_000);
    }
}
