//! riscv `virt`: the CLINT's `mtime` (10 MHz) is the clock and the 1 kHz machine-timer
//! interrupt, `unimp` the deliberate fault.

use iot_performance::timing::{CounterRegister, set_counter_clock};
use riscv::interrupt::{Exception, Interrupt};

use crate::{TIMER_ISR, time_driver};

/// The low word of the CLINT's `mtime` on QEMU virt, counting at 10 MHz.
const MTIME_LOW: *const u32 = 0x0200_BFF8 as *const u32;

/// The device name in the session record.
pub const DEVICE: &str = "qemu-virt-riscv32";
pub const NAME: &str = "virt";

#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    let _timing = TIMER_ISR.enter();
    time_driver::on_tick();
}

#[riscv_rt::exception(Exception::IllegalInstruction)]
fn illegal_instruction(_frame: &mut riscv_rt::TrapFrame) -> ! {
    crate::post_mortem()
}

/// Installs the one clock: the low word of `mtime`.
pub fn start_clock() {
    // SAFETY: this firmware runs on QEMU's `virt` machine, whose CLINT (base 0x0200_0000)
    // has `mtime` at 0x0200_BFF8: aligned, always readable, without side effects.
    let counter = unsafe { CounterRegister::new(MTIME_LOW, 10_000_000) };
    set_counter_clock(counter);
}

/// Instructions retired so far (`minstret`).
pub fn instructions() -> u64 {
    iot_performance::riscv::instructions_retired()
}

/// Starts the 1 kHz machine-timer interrupt that drives embassy-time.
pub fn start_timer() {
    time_driver::start();
}

/// A deliberate fault: an illegal instruction.
pub fn fault() -> ! {
    // SAFETY: `unimp` raises an illegal-instruction exception, handled above; it never
    // returns.
    unsafe { core::arch::asm!("unimp", options(noreturn)) }
}
