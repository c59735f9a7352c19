//! riscv `virt`: the CLINT machine timer drives embassy-time; the board's clock config
//! makes `PerformanceMonitor::new` build the RISC-V backend for this machine.

use iot_performance::riscv::{MtimeRegister, RiscVConfig, set_board_config};
use riscv::interrupt::Interrupt;

use crate::time_driver;

#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    time_driver::on_tick();
}

/// Declares the board's clocks and starts the 1 kHz machine-timer tick.
pub fn start() {
    // Written as for a real chip (what `RiscVConfig::qemu_virt()` also gives): the core
    // clock, 1 GHz of virtual time under `-icount shift=0`, and the CLINT's `mtime`.
    let config = RiscVConfig::with_core_clock(1_000_000_000)
        // SAFETY: this firmware runs on QEMU's `virt` machine (`cargo xtask qemu seed` and
        // the cargo runner start it there), whose CLINT (hw/riscv/virt.c, base
        // 0x0200_0000) has `mtime` at 0x0200_BFF8, counting at 10 MHz.
        .with_mtime(unsafe { MtimeRegister::new(0x0200_BFF8, 10_000_000) });
    set_board_config(config);
    time_driver::start();
}
