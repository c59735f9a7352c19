//! A minimal embassy-time driver on the CLINT machine timer of QEMU virt: a 1 kHz tick
//! (mtime runs at 10 MHz), wakers kept in a small table.

use core::cell::RefCell;
use core::task::Waker;

use critical_section::Mutex;
use embassy_time_driver::Driver;

const SLOTS: usize = 8;
const MTIME: usize = 0x0200_BFF8;
const MTIMECMP0: usize = 0x0200_4000;
/// mtime ticks per 1 ms tick.
const PERIOD: u64 = 10_000;

struct ClintDriver {
    now: Mutex<RefCell<u64>>,
    alarms: Mutex<RefCell<[Option<(u64, Waker)>; SLOTS]>>,
}

embassy_time_driver::time_driver_impl!(static DRIVER: ClintDriver = ClintDriver {
    now: Mutex::new(RefCell::new(0)),
    alarms: Mutex::new(RefCell::new([const { None }; SLOTS])),
});

impl Driver for ClintDriver {
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
                None => waker.wake_by_ref(),
            }
        });
    }
}

fn read_mtime() -> u64 {
    // SAFETY: QEMU virt's CLINT mtime, two readable aligned words.
    unsafe {
        loop {
            let hi = core::ptr::read_volatile((MTIME + 4) as *const u32);
            let lo = core::ptr::read_volatile(MTIME as *const u32);
            if hi == core::ptr::read_volatile((MTIME + 4) as *const u32) {
                return (u64::from(hi) << 32) | u64::from(lo);
            }
        }
    }
}

fn set_mtimecmp(at: u64) {
    // SAFETY: QEMU virt's CLINT mtimecmp for hart 0; writing the high word to all ones
    // first keeps a half-written value from firing early.
    unsafe {
        core::ptr::write_volatile((MTIMECMP0 + 4) as *mut u32, u32::MAX);
        core::ptr::write_volatile(MTIMECMP0 as *mut u32, at as u32);
        core::ptr::write_volatile((MTIMECMP0 + 4) as *mut u32, (at >> 32) as u32);
    }
}

/// Starts the 1 kHz tick and enables the machine timer interrupt.
pub fn start() {
    set_mtimecmp(read_mtime() + PERIOD);
    // SAFETY: enabling interrupts once, at start-up, with the handler installed.
    unsafe {
        riscv::register::mie::set_mtimer();
        riscv::interrupt::enable();
    }
}

/// One tick passed: re-arm, advance time, wake due tasks.
pub fn on_tick() {
    critical_section::with(|cs| {
        let mut now = DRIVER.now.borrow_ref_mut(cs);
        *now += 1;
        let now = *now;
        set_mtimecmp(read_mtime() - read_mtime() % PERIOD + PERIOD);
        for slot in DRIVER.alarms.borrow_ref_mut(cs).iter_mut() {
            if slot.as_ref().is_some_and(|(at, _)| *at <= now) {
                if let Some((_, waker)) = slot.take() {
                    waker.wake();
                }
            }
        }
    });
}
