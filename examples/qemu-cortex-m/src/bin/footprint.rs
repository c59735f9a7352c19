//! The footprint probe: the workload (three Embassy tasks, 16 stages) plus, under the
//! `perf` feature, everything a user of the library links: the Cortex-M backend, a
//! monitor snapshot, 16 profiled scopes, the Embassy hooks and ISR timing. `cargo xtask
//! size` builds it with and without `perf`; the difference is the library's footprint.
//! Both variants print the same number of integers, so formatting code cancels out.

#![no_std]
#![no_main]

extern crate alloc;

#[path = "../stages.rs"]
mod stages;
#[path = "../time_driver.rs"]
mod time_driver;
#[path = "../workload.rs"]
mod workload;

use cortex_m_rt::exception;
use embassy_executor::Spawner;
use embedded_alloc::LlffHeap as Heap;
use semihosting::println;

#[global_allocator]
static HEAP: Heap = Heap::empty();
const HEAP_SIZE: usize = 4 * 1024;

#[cfg(feature = "perf")]
static SYSTICK_ISR: iot_performance::interrupts::IsrStats =
    iot_performance::interrupts::IsrStats::new("SysTick");

#[exception]
fn SysTick() {
    #[cfg(feature = "perf")]
    iot_performance::cortex_m::on_systick();
    #[cfg(feature = "perf")]
    let _timing = SYSTICK_ISR.enter();
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
    let Some(peripherals) = cortex_m::Peripherals::take() else {
        semihosting::process::exit(100);
    };
    time_driver::start(peripherals.SYST, 25_000_000);

    #[cfg(feature = "perf")]
    let monitor = {
        use iot_performance::cortex_m::{CortexMConfig, CortexMMetrics};
        let Ok(metrics) = CortexMMetrics::new(CortexMConfig::default()).await else {
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
