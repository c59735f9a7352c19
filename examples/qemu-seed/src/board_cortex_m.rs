//! mps2-an385: SysTick drives embassy-time; the backend's clock counts its wraps.

use cortex_m_rt::exception;
use semihosting::println;

use crate::time_driver;

/// mps2-an385 runs its core at 25 MHz.
const CORE_CLOCK_HZ: u32 = 25_000_000;

#[exception]
fn SysTick() {
    iot_performance::cortex_m::on_systick();
    time_driver::on_tick();
}

/// Starts SysTick at 1 kHz (what `CortexMConfig::default()` expects).
pub fn start() {
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        println!("peripherals already taken");
        semihosting::process::exit(100);
    };
    time_driver::start(peripherals.SYST, CORE_CLOCK_HZ);
}
