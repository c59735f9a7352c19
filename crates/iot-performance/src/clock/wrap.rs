//! Extending wrapping 32-bit hardware counters to 64 bits.

/// Turns successive readings of a 32-bit counter that wraps (SysTick-derived tick counts,
/// DWT `CYCCNT`, the low word of a timer, an interrupt counter) into a 64-bit count that
/// never wraps.
///
/// Correct as long as it is fed at least once per counter period (2³² increments): each
/// reading adds the wrapping difference from the previous one.
///
/// ```
/// use iot_performance::WrapExtender;
///
/// let mut ext = WrapExtender::new();
/// assert_eq!(ext.extend(0xFFFF_FFF0), 0xFFFF_FFF0);
/// // The counter wrapped past zero: the extended count keeps going up.
/// assert_eq!(ext.extend(0x0000_0010), 0x1_0000_0010);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct WrapExtender {
    last_raw: u32,
    extended: u64,
}

impl WrapExtender {
    /// Starts at zero: the first reading counts from a raw value of 0.
    pub const fn new() -> Self {
        Self {
            last_raw: 0,
            extended: 0,
        }
    }

    /// Starts so that `raw` maps to 0: for counters whose initial value is arbitrary.
    pub const fn starting_at(raw: u32) -> Self {
        Self {
            last_raw: raw,
            extended: 0,
        }
    }

    /// Feeds one reading and returns the extended count.
    pub fn extend(&mut self, raw: u32) -> u64 {
        let delta = raw.wrapping_sub(self.last_raw);
        self.last_raw = raw;
        self.extended = self.extended.wrapping_add(u64::from(delta));
        self.extended
    }

    /// The extended count at the last reading.
    pub const fn value(&self) -> u64 {
        self.extended
    }
}

/// A [`WrapExtender`] for a counter read from any context (a global clock, an interrupt
/// count): each reading is taken and extended inside one critical section, so readings
/// reach the extender in order.
pub(crate) struct SharedWrapExtender(
    critical_section::Mutex<core::cell::Cell<Option<WrapExtender>>>,
);

impl SharedWrapExtender {
    /// Counts from the first reading: it maps to 0.
    pub(crate) const fn from_first_reading() -> Self {
        Self(critical_section::Mutex::new(core::cell::Cell::new(None)))
    }

    /// Counts from a raw value of 0 (for counters that start at 0 themselves).
    pub(crate) const fn from_zero() -> Self {
        Self(critical_section::Mutex::new(core::cell::Cell::new(Some(
            WrapExtender::new(),
        ))))
    }

    /// Starts again so that `raw` maps to 0.
    pub(crate) fn restart_at(&self, raw: u32) {
        critical_section::with(|cs| self.0.borrow(cs).set(Some(WrapExtender::starting_at(raw))));
    }

    /// Takes a reading with `read` and returns the extended count.
    pub(crate) fn extend_with(&self, read: impl FnOnce() -> u32) -> u64 {
        critical_section::with(|cs| {
            let cell = self.0.borrow(cs);
            let raw = read();
            let mut ext = cell.get().unwrap_or(WrapExtender::starting_at(raw));
            let extended = ext.extend(raw);
            cell.set(Some(ext));
            extended
        })
    }
}

static EXTEND_U32: SharedWrapExtender = SharedWrapExtender::from_first_reading();

/// Extends successive readings of one wrapping 32-bit counter (DWT `CYCCNT`, a SysTick
/// tick count, the low word of a timer) to a 64-bit tick count that starts at 0 at the
/// first reading. Meant for the body of the function given to [`super::set_clock`]; it
/// must run at least once per counter period (every scope and every monitor sample
/// reads the clock), and only one counter may be extended this way per program.
///
/// ```
/// use iot_performance::clock::extend_u32;
///
/// assert_eq!(extend_u32(u32::MAX - 9), 0);
/// assert_eq!(extend_u32(5), 15); // across the wrap
/// ```
pub fn extend_u32(raw: u32) -> u64 {
    EXTEND_U32.extend_with(|| raw)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_across_many_wraps() {
        let mut ext = WrapExtender::new();
        let step = 0x9000_0001u32; // more than half the range: still one period per reading
        let mut raw = 0u32;
        let mut expected = 0u64;
        for _ in 0..1000 {
            raw = raw.wrapping_add(step);
            expected += u64::from(step);
            assert_eq!(ext.extend(raw), expected);
        }
        assert!(expected > u64::from(u32::MAX) * 100);
    }

    #[test]
    fn starting_point_maps_to_zero() {
        let mut ext = WrapExtender::starting_at(u32::MAX - 1);
        assert_eq!(ext.extend(u32::MAX - 1), 0);
        assert_eq!(ext.extend(1), 3);
        assert_eq!(ext.value(), 3);
    }
}
