//! Arithmetic and protocol of the SysTick-derived clock, free of registers so that they
//! are tested on the host against a model of the timer.

/// What the SysTick clock reads: the real registers on the MCU, a model in tests.
pub(crate) trait SysTickRegisters {
    /// `COUNTFLAG` of `SYST_CSR`: set by the hardware at each wrap, cleared by this read.
    fn take_countflag(&mut self) -> bool;
    /// `SYST_CVR`, the down-counter.
    fn current(&mut self) -> u32;
}

/// Cycles since the clock started, from a SysTick that counts down from `reload` to 0,
/// whose accounted wraps add up to `base` cycles (the sum of their periods), currently
/// showing `current`. Integer additions only: no multiplication on the read path.
///
/// ```text
/// ticks = base + (reload − current)
/// ```
#[inline(always)]
pub(crate) fn systick_ticks(base: u64, reload: u32, current: u32) -> u64 {
    let elapsed_in_period = reload - current.min(reload);
    base.wrapping_add(u64::from(elapsed_in_period))
}

/// Adds one period to `base` if SysTick wrapped since anyone last looked. `COUNTFLAG`
/// clears when read, so each wrap is added exactly once, by whoever sees it first: the
/// SysTick handler or a reader that runs before it (with interrupts masked, or in an
/// interrupt that outranks SysTick, or between the wrap and the handler's first
/// instructions). Call it inside a critical section.
#[inline(always)]
pub(crate) fn account_wrap(base: &mut u64, regs: &mut impl SysTickRegisters, reload: u32) -> bool {
    let wrapped = regs.take_countflag();
    if wrapped {
        *base = after_wrap(*base, reload);
    }
    wrapped
}

/// `base` plus one SysTick period.
#[inline(always)]
pub(crate) fn after_wrap(base: u64, reload: u32) -> u64 {
    base.wrapping_add(u64::from(reload) + 1)
}

/// Re-reads of a counter that shows 0 before giving up (a stopped SysTick).
const ZERO_REREADS: u32 = 64;

/// The time now: accounts a wrap not yet counted, reads the counter, and if it wrapped
/// between the two, accounts that wrap and reads the counter again (a period is far
/// longer than these few instructions, so it cannot wrap twice). Call it inside a
/// critical section.
///
/// The value 0 is the instant of a wrap, which `COUNTFLAG` shows at once on silicon and a
/// counter tick later on QEMU: it is read past, so that a period is `reload`, …, 1 in
/// the old count and the new one starts at `reload` with the wrap accounted.
#[inline(always)]
pub(crate) fn systick_time(base: &mut u64, regs: &mut impl SysTickRegisters, reload: u32) -> u64 {
    account_wrap(base, regs, reload);
    let mut current = regs.current();
    let mut rereads = 0;
    while current == 0 && rereads < ZERO_REREADS {
        current = regs.current();
        rereads += 1;
    }
    if account_wrap(base, regs, reload) {
        current = regs.current();
    }
    systick_ticks(*base, reload, current)
}

/// The core clock implied by SysTick firing `systick_hz` times a second with `reload`:
/// `(reload + 1) · systick_hz`.
pub(crate) fn core_clock_hz(reload: u32, systick_hz: u32) -> u64 {
    (u64::from(reload) + 1) * u64::from(systick_hz)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A SysTick model: `now` cycles since it started at `reload`; it shows `reload`,
    /// …, 1, 0 and reloads; `COUNTFLAG` (one bit) is set when it reaches 0 (`late`: one
    /// tick later, as QEMU does). Every register read takes `step` cycles.
    struct Model {
        now: u64,
        reload: u32,
        step: u64,
        late: bool,
        wraps_seen: u64,
        /// When the counter was last read.
        read_at: u64,
    }

    impl Model {
        fn new(now: u64, step: u64, late: bool) -> Self {
            Self {
                now,
                reload: 999,
                step,
                late,
                wraps_seen: 0,
                read_at: 0,
            }
        }
        fn period(&self) -> u64 {
            u64::from(self.reload) + 1
        }
        fn wraps(&self) -> u64 {
            let lag = if self.late { 0 } else { 1 };
            (self.now + lag) / self.period()
        }
    }

    impl SysTickRegisters for Model {
        fn take_countflag(&mut self) -> bool {
            self.now += self.step;
            let wrapped = self.wraps() > self.wraps_seen;
            self.wraps_seen = self.wraps();
            wrapped
        }
        fn current(&mut self) -> u32 {
            self.now += self.step;
            self.read_at = self.now;
            self.reload - (self.now % self.period()) as u32
        }
    }

    #[test]
    fn counts_down_within_a_period() {
        assert_eq!(systick_ticks(0, 24_999, 24_999), 0);
        assert_eq!(systick_ticks(0, 24_999, 1), 24_998);
        assert_eq!(systick_ticks(3 * 25_000, 24_999, 24_989), 75_010);
    }

    #[test]
    fn every_read_is_exact_whoever_sees_the_wrap_first() {
        // Readers at every phase of the period, the handler running late or early, reads
        // that straddle the wrap, COUNTFLAG on time or a tick late: each read returns the
        // cycle count at the moment the counter was (last) read, and never goes back.
        for late in [false, true] {
            for step in [1u64, 3, 7] {
                let mut model = Model::new(0, step, late);
                let mut base = 0u64;
                let mut last = 0;
                for i in 0..20_000u64 {
                    if i % 97 == 13 {
                        // The SysTick handler: it only adds what nobody has seen.
                        account_wrap(&mut base, &mut model, 999);
                    }
                    let t = systick_time(&mut base, &mut model, 999);
                    assert_eq!(t, model.read_at, "read {i} (step {step}, late {late})");
                    assert!(t >= last);
                    last = t;
                    model.now += i % 11;
                }
            }
        }
    }

    #[test]
    fn a_wrap_is_counted_once() {
        // The counter reaches 0 during the first COUNTFLAG read; the value 0 is read past.
        let mut model = Model::new(998, 1, false);
        let mut base = 0;
        assert_eq!(systick_time(&mut base, &mut model, 999), model.read_at);
        assert_eq!(base, 1000);
        // The handler runs afterwards and finds nothing to add.
        assert!(!account_wrap(&mut base, &mut model, 999));
        assert_eq!(base, 1000);
    }

    #[test]
    fn a_stopped_counter_at_zero_does_not_hang() {
        struct Stopped;
        impl SysTickRegisters for Stopped {
            fn take_countflag(&mut self) -> bool {
                false
            }
            fn current(&mut self) -> u32 {
                0
            }
        }
        assert_eq!(systick_time(&mut 5_000, &mut Stopped, 999), 5_999);
    }

    #[test]
    fn far_past_32_bits() {
        assert_eq!(
            systick_ticks(u64::from(u32::MAX) * 0x0100_0000, 0x00FF_FFFF, 0),
            u64::from(u32::MAX) * 0x0100_0000 + 0x00FF_FFFF
        );
    }

    #[test]
    fn current_above_reload_is_clamped() {
        assert_eq!(systick_ticks(0, 100, 500), 0);
    }

    #[test]
    fn core_clock_from_reload() {
        assert_eq!(core_clock_hz(24_999, 1000), 25_000_000);
    }
}
