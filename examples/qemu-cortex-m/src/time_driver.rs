//! A minimal embassy-time driver on SysTick: 1 kHz ticks, wakers kept in a small table.

use core::cell::RefCell;
use core::task::Waker;

use cortex_m::peripheral::syst::SystClkSource;
use critical_section::Mutex;
use embassy_time_driver::Driver;

const SLOTS: usize = 8;

struct SysTickDriver {
    now: Mutex<RefCell<u64>>,
    alarms: Mutex<RefCell<[Option<(u64, Waker)>; SLOTS]>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: SysTickDriver = SysTickDriver {
    now: Mutex::new(RefCell::new(0)),
    alarms: Mutex::new(RefCell::new([const { None }; SLOTS])),
});

impl Driver for SysTickDriver {
    fn now(&self) -> u64 {
        critical_section::with(|cs| *self.now.borrow_ref(cs))
    }

    fn schedule_wake(&self, at: u64, waker: &Waker) {
        critical_section::with(|cs| {
            let mut alarms = self.alarms.borrow_ref_mut(cs);
            if let Some(slot) = alarms
                .iter_mut()
                .flatten()
                .find(|(_, w)| w.will_wake(waker))
            {
                slot.0 = slot.0.min(at);
                return;
            }
            match alarms.iter_mut().find(|slot| slot.is_none()) {
                Some(free) => *free = Some((at, waker.clone())),
                // Table full: wake now, the task re-arms (correct, just less efficient).
                None => waker.wake_by_ref(),
            }
        });
    }
}

/// Starts SysTick at 1 kHz of a `core_clock_hz` core.
pub fn start(mut syst: cortex_m::peripheral::SYST, core_clock_hz: u32) {
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(core_clock_hz / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
}

/// One SysTick period passed: advance time and wake due tasks.
pub fn on_tick() {
    critical_section::with(|cs| {
        let mut now = DRIVER.now.borrow_ref_mut(cs);
        *now += 1;
        let now = *now;
        for slot in DRIVER.alarms.borrow_ref_mut(cs).iter_mut() {
            if slot.as_ref().is_some_and(|(at, _)| *at <= now) {
                if let Some((_, waker)) = slot.take() {
                    waker.wake();
                }
            }
        }
    });
}
