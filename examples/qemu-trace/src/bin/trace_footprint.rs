//! The trace footprint probe: three Embassy tasks with a profiled scope each and a timed
//! 1 kHz timer interrupt. `cargo xtask size` builds it without the library's `trace`
//! feature, with it (no ring installed), and with the `ring` feature (a 256-event ring
//! installed and streamed as wire frames): the differences are what tracing costs in
//! flash and RAM. Every variant prints the same line, so formatting code cancels out.

#![no_std]
#![no_main]

extern crate alloc;

#[cfg(target_arch = "arm")]
#[path = "../../../qemu-cortex-m/src/time_driver.rs"]
mod time_driver;
#[cfg(target_arch = "riscv32")]
#[path = "../../../qemu-riscv/src/time_driver.rs"]
mod time_driver;

use portable_atomic::{AtomicU32, Ordering::Relaxed};

use embassy_executor::Spawner;
use embassy_time::Timer;
use embedded_alloc::LlffHeap as Heap;
use iot_performance::interrupts::IsrStats;

#[global_allocator]
static HEAP: Heap = Heap::empty();

static TIMER_ISR: IsrStats = IsrStats::new("timer");
static ROUNDS: AtomicU32 = AtomicU32::new(0);

#[cfg(feature = "ring")]
static RING: iot_performance::trace::TraceBuffer<256> = iot_performance::trace::TraceBuffer::new();

#[cfg(target_arch = "arm")]
#[cortex_m_rt::exception]
fn SysTick() {
    let _timing = TIMER_ISR.enter();
    time_driver::on_tick();
}

#[cfg(target_arch = "riscv32")]
#[riscv_rt::core_interrupt(riscv::interrupt::Interrupt::MachineTimer)]
fn machine_timer() {
    let _timing = TIMER_ISR.enter();
    time_driver::on_tick();
}

#[embassy_executor::task(pool_size = 3)]
async fn periodic(period_ms: u64) {
    loop {
        Timer::after_millis(period_ms).await;
        let _scope = iot_performance::profile_block!("probe.work");
        ROUNDS.fetch_add(1, Relaxed);
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    #[cfg(target_arch = "arm")]
    {
        // SAFETY: called once at start-up; nothing else uses SYST.
        let syst = unsafe { cortex_m::Peripherals::steal() }.SYST;
        time_driver::start(syst, 25_000_000);
    }
    #[cfg(target_arch = "riscv32")]
    time_driver::start();
    #[cfg(feature = "ring")]
    iot_performance::trace::install(&RING);
    for period in [2, 3, 5] {
        if let Ok(token) = periodic(period) {
            spawner.spawn(token);
        }
    }
    #[cfg_attr(not(feature = "ring"), allow(unused_mut))]
    let mut sent = 0u32;
    for _ in 0..10 {
        Timer::after_millis(10).await;
        #[cfg(feature = "ring")]
        {
            let mut payload = [0u8; 1024];
            let mut streamer = iot_performance::wire::TraceStreamer::new(
                iot_performance::wire::SliceSink::new(&mut payload),
            );
            sent += streamer.pump(&RING);
        }
    }
    semihosting::println!("{} {sent}", ROUNDS.load(Relaxed));
    semihosting::process::exit(0);
}
