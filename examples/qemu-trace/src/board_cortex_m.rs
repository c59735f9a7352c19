//! mps2-an385 (Cortex-M3, 25 MHz): the FPGA counter is the clock, SysTick the 1 kHz timer
//! interrupt, `udf` the deliberate fault.

use cortex_m_rt::{ExceptionFrame, exception};
use iot_performance::timing::{CounterRegister, set_counter_clock};

use crate::{TIMER_ISR, time_driver};

/// The core clock of mps2-an385.
const CORE_CLOCK_HZ: u32 = 25_000_000;
/// COUNTER of the mps2 FPGA I/O block: counts up at 25 MHz, wraps at 2³².
const FPGAIO_COUNTER: *const u32 = 0x4002_8018 as *const u32;

/// The device name in the session record.
pub const DEVICE: &str = "qemu-mps2-an385";
pub const NAME: &str = "mps2-an385";

#[exception]
fn SysTick() {
    let _timing = TIMER_ISR.enter();
    time_driver::on_tick();
}

#[exception]
unsafe fn HardFault(_frame: &ExceptionFrame) -> ! {
    crate::post_mortem()
}

/// Installs the one clock: the FPGA counter register.
pub fn start_clock() {
    // SAFETY: FPGAIO COUNTER is an aligned, always-readable register of the mps2 FPGA
    // block (this firmware runs on mps2-an385); reading it has no side effect.
    let counter = unsafe { CounterRegister::new(FPGAIO_COUNTER, u64::from(CORE_CLOCK_HZ)) };
    set_counter_clock(counter);
}

/// Instructions executed so far: under `-icount shift=0` one instruction takes 1 ns, and
/// the counter counts 25 per µs.
pub fn instructions() -> u64 {
    // SAFETY: as in `start_clock`.
    let ticks = unsafe { FPGAIO_COUNTER.read_volatile() };
    u64::from(ticks) * 40
}

/// Starts the 1 kHz SysTick interrupt that drives embassy-time.
pub fn start_timer() {
    // SAFETY: called once at start-up; nothing else uses SYST.
    let syst = unsafe { cortex_m::Peripherals::steal() }.SYST;
    time_driver::start(syst, CORE_CLOCK_HZ);
}

/// A deliberate fault: an undefined instruction (UsageFault, escalated to HardFault).
pub fn fault() -> ! {
    cortex_m::asm::udf()
}
