//! The Cortex-M backend's MemManage fault path on QEMU mps2-an385 (Cortex-M3, 8 MPU
//! regions), with no fault handler in this program (feature `mpu-fault-handler`).
//!
//! First boot: the MPU gets a no-access region over [`GUARD`] and the firmware writes to
//! it. The library's handler records the fault and resets the machine. Second boot: the
//! record survived the reset, and `mpu_status()` must report one fault at `GUARD`'s
//! address. Exits with the number of failed checks (`cargo xtask qemu`); a write that
//! does not fault, or a fault that is not handled, fails (the latter by the runner's
//! timeout).

#![no_std]
#![no_main]

use cortex_m::peripheral::{MPU, SYST};
use cortex_m_rt::{entry, exception};
use iot_performance::cortex_m::{CortexMConfig, CortexMMetrics, on_systick};
use semihosting::{println, process};

/// mps2-an385's core clock.
const CORE_CLOCK_HZ: u32 = 25_000_000;

/// The memory the MPU forbids: one 32-byte region (the smallest, aligned to its size).
#[repr(C, align(32))]
struct Guard([u32; 8]);
static mut GUARD: Guard = Guard([0; 8]);

#[exception]
fn SysTick() {
    on_systick();
}

fn check(name: &str, ok: bool, failed: &mut i32) {
    if ok {
        println!("test {name} ... ok");
    } else {
        println!("test {name} ... FAILED");
        *failed += 1;
    }
}

#[entry]
fn main() -> ! {
    // SAFETY: the program's only user of SysTick and the MPU, before anything runs.
    let mut syst = unsafe { cortex_m::Peripherals::steal() }.SYST;
    syst.set_reload(CORE_CLOCK_HZ / 1000 - 1);
    syst.clear_current();
    syst.enable_interrupt();
    syst.enable_counter();
    let _ = SYST::get_current();

    let config = CortexMConfig {
        mpu_monitoring: true,
        ..CortexMConfig::default()
    };
    let metrics = match block_on(CortexMMetrics::new(config)) {
        Ok(metrics) => metrics,
        Err(e) => {
            println!("test mpu_fault::backend_starts ... FAILED ({e})");
            println!("result: 1 failed");
            process::exit(1)
        }
    };
    let status = match metrics.mpu_status() {
        Ok(status) => status,
        Err(e) => {
            println!("test mpu_fault::status ... FAILED ({e})");
            println!("result: 1 failed");
            process::exit(1)
        }
    };
    let guard = core::ptr::addr_of!(GUARD) as u32;
    if status.memmanage_faults == 0 {
        // First boot: forbid GUARD and touch it.
        println!(
            "first boot: {} MPU regions, handler {}",
            status.regions, status.fault_handler
        );
        if status.regions == 0 || !status.fault_handler {
            println!("test mpu_fault::machine_has_mpu_and_handler ... FAILED ({status:?})");
            println!("result: 1 failed");
            process::exit(1)
        }
        forbid(guard);
        // SAFETY: a write the MPU is set to refuse; the handler resets before it completes.
        unsafe { core::ptr::addr_of_mut!(GUARD.0[0]).write_volatile(1) };
        println!("test mpu_fault::write_faults ... FAILED (the write went through)");
        println!("result: 1 failed");
        process::exit(1)
    }
    // Second boot, after the handler's reset.
    println!("after reset: {status:?}");
    let mut failed = 0;
    check(
        "mpu_fault::counted_once_across_the_reset",
        status.memmanage_faults == 1,
        &mut failed,
    );
    check(
        "mpu_fault::address_is_the_guard",
        status.last_fault_address == Some(guard),
        &mut failed,
    );
    // MMFSR: DACCVIOL (0x02) with MMARVALID (0x80).
    check(
        "mpu_fault::status_is_a_data_access_violation",
        status.last_fault_status == 0x82,
        &mut failed,
    );
    check(
        "mpu_fault::handler_armed",
        status.fault_handler,
        &mut failed,
    );
    println!("result: {failed} failed");
    process::exit(failed)
}

/// MPU region 0: 32 bytes at `base`, no access; the default map elsewhere (PRIVDEFENA).
fn forbid(base: u32) {
    // SAFETY: the MPU registers of this core, programmed before the MPU is enabled;
    // region 0 covers only GUARD, which nothing else uses.
    unsafe {
        let mpu = &*MPU::PTR;
        mpu.rnr.write(0);
        mpu.rbar.write(base);
        // RASR: AP = 0b000 (no access), SIZE = 4 (2^(4+1) = 32 bytes), ENABLE.
        mpu.rasr.write((4 << 1) | 1);
        // CTRL: ENABLE | PRIVDEFENA.
        mpu.ctrl.write(0b101);
    }
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
}

/// Runs a future that completes without waiting (the backend's constructor).
fn block_on<F: core::future::Future>(future: F) -> F::Output {
    use core::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
    const VTABLE: RawWakerVTable = RawWakerVTable::new(
        |_| RawWaker::new(core::ptr::null(), &VTABLE),
        |_| {},
        |_| {},
        |_| {},
    );
    // SAFETY: the vtable's functions do nothing, which is a valid waker.
    let waker = unsafe { Waker::from_raw(RawWaker::new(core::ptr::null(), &VTABLE)) };
    let mut cx = Context::from_waker(&waker);
    let mut future = core::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
}
