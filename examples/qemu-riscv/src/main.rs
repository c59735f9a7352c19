//! iot-performance on emulated RISC-V (QEMU virt): the monitor, ISR timing, the profiler
//! and Embassy task metrics measured, checked, and reported over semihosting.
//!
//! Run with `cargo run --release` (riscv32imac) or `--target riscv32imc-unknown-none-elf`.
//! Every run under `-icount shift=0,sleep=off` prints the same numbers; the process exits
//! with the number of failed checks. The workload, the 16 profiled stages and the checks
//! are the Cortex-M example's, included by path.

#![no_std]
#![no_main]

extern crate alloc;

#[cfg(feature = "perf")]
#[path = "../../qemu-cortex-m/src/checks.rs"]
mod checks;
#[path = "../../qemu-cortex-m/src/stages.rs"]
mod stages;
mod time_driver;
#[path = "../../qemu-cortex-m/src/workload.rs"]
mod workload;

use embassy_executor::Spawner;
use embedded_alloc::LlffHeap as Heap;
use riscv::interrupt::Interrupt;
use semihosting::println;

#[global_allocator]
static HEAP: Heap = Heap::empty();
const HEAP_SIZE: usize = 8 * 1024;

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
    {
        use iot_performance::riscv::{RiscVConfig, RiscVMetrics, instructions_retired};
        iot_performance::embassy::set_current_task_name("main");
        let mut report = checks::Report::new();
        // SAFETY: this firmware runs on QEMU's `virt` machine (the xtask and README run it there).
        let config = unsafe { RiscVConfig::qemu_virt() };
        let metrics = match RiscVMetrics::new(config).await {
            Ok(m) => m.with_heap(&HEAP),
            Err(e) => {
                println!("backend failed: {e}");
                semihosting::process::exit(101);
            }
        };
        // Under -icount mcycle and minstret both count executed instructions.
        let (c0, i0) = (metrics.cycles(), instructions_retired());
        let (c1, i1) = (metrics.cycles(), instructions_retired());
        report.check(
            "mcycle_and_minstret_advance",
            c1 > c0 && i1 > i0,
            format_args!("mcycle {c0}->{c1}, minstret {i0}->{i1}"),
        );
        let overhead = checks::profile_block_overhead(instructions_retired);
        let clock_read =
            checks::clock_read_cost(instructions_retired, iot_performance::riscv::now_ticks);
        println!("overhead: {clock_read} instructions per clock read (mtime)");
        println!("overhead: {overhead} instructions per profile_block! enter+exit");
        let isr = checks::isr_timing_overhead(instructions_retired);
        println!("overhead: {isr} instructions per timed interrupt (IsrStats)");
        let failed = checks::run(
            spawner,
            metrics,
            RiscVMetrics::stack_high_water_mark,
            &TIMER_ISR,
            report,
        )
        .await;
        semihosting::process::exit(failed as i32);
    }
    #[cfg(not(feature = "perf"))]
    {
        workload::spawn_all(spawner);
        embassy_time::Timer::after_millis(workload::RUN_MS).await;
        println!("workload done (heap used {} B)", HEAP.used());
        semihosting::process::exit(0);
    }
}
