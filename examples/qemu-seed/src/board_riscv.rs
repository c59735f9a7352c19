//! riscv `virt`: the CLINT machine timer drives embassy-time; the board's clock config
//! makes `PerformanceMonitor::new` build the RISC-V backend for this machine.

use iot_performance::riscv::{RiscVConfig, set_board_config};
use riscv::interrupt::Interrupt;

use crate::time_driver;

#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    time_driver::on_tick();
}

/// Declares the board's clocks and starts the 1 kHz machine-timer tick.
pub fn start() {
    // SAFETY: this firmware runs on QEMU's `virt` machine (`cargo xtask qemu-seed` and the
    // cargo runner start it there), whose CLINT has `mtime` where `qemu_virt` says.
    set_board_config(unsafe { RiscVConfig::qemu_virt() });
    time_driver::start();
}
