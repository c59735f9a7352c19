//! The footprint probe on RISC-V: see the Cortex-M example's `src/bin/footprint.rs`. The
//! same workload with and without the library; `cargo xtask size` compares the builds.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../../../qemu-cortex-m/src/stages.rs"]
mod stages;
#[path = "../time_driver.rs"]
mod time_driver;
#[path = "../../../qemu-cortex-m/src/workload.rs"]
mod workload;

use embassy_executor::Spawner;
use embedded_alloc::LlffHeap as Heap;
use riscv::interrupt::Interrupt;
use semihosting::println;

#[global_allocator]
static HEAP: Heap = Heap::empty();
const HEAP_SIZE: usize = 4 * 1024;

#[cfg(feature = "perf")]
static TIMER_ISR: iot_performance::interrupts::IsrStats =
    iot_performance::interrupts::IsrStats::new("MachineTimer");

#[riscv_rt::core_interrupt(Interrupt::MachineTimer)]
fn machine_timer() {
    #[cfg(feature = "perf")]
    let _timing = TIMER_ISR.enter();
    time_driver::on_tick();
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    {
        static mut HEAP_MEM: [core::mem::MaybeUninit<u8>; HEAP_SIZE] =
            [core::mem::MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once, before any allocation; HEAP_MEM is used by nothing else.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
    }
    time_driver::start();

    #[cfg(feature = "perf")]
    let monitor = {
        use iot_performance::riscv::{RiscVConfig, RiscVMetrics};
        // SAFETY: this firmware runs on QEMU's `virt` machine (the xtask and README run it there).
        let config = unsafe { RiscVConfig::qemu_virt() };
        let Ok(metrics) = RiscVMetrics::new(config).await else {
            semihosting::process::exit(101);
        };
        let metrics = metrics.with_heap_reader(|| (HEAP.used(), HEAP.free()));
        let Ok(monitor) = iot_performance::PerformanceMonitor::with_provider(metrics).await else {
            semihosting::process::exit(102);
        };
        monitor
    };

    workload::spawn_all(spawner);
    embassy_time::Timer::after_millis(workload::RUN_MS).await;

    #[cfg(feature = "perf")]
    let figures = match monitor.snapshot().await {
        Ok(s) => [
            s.memory.heap_used as u64,
            s.memory.stack_used as u64,
            s.system.interrupt_count,
            s.system.context_switches,
            iot_performance::timing::scope(stages::NAMES[15]).map_or(0, |s| s.calls),
        ],
        Err(_) => semihosting::process::exit(103),
    };
    #[cfg(not(feature = "perf"))]
    let figures = [
        HEAP.used() as u64,
        0,
        embassy_time::Instant::now().as_ticks(),
        0,
        0,
    ];
    println!(
        "{} {} {} {} {}",
        figures[0], figures[1], figures[2], figures[3], figures[4]
    );
    semihosting::process::exit(0);
}
