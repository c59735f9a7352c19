//! The tasks every build runs: one busy, one mostly idle, one whose heap grows.

use alloc::vec::Vec;

use embassy_executor::Spawner;
use embassy_time::Timer;

/// How long the measured window lasts, in ms.
pub const RUN_MS: u64 = 200;
/// Period of the idle task, in ms.
pub const IDLE_PERIOD_MS: u64 = 50;
/// Bytes the heap task adds per step, and its period in ms.
pub const HEAP_STEP: usize = 256;
pub const HEAP_PERIOD_MS: u64 = 20;
/// Blocks the heap task keeps at most: on the micro:bit (4 KiB heap, which also holds the
/// monitor's state) half as many as on the MPS2 boards.
#[cfg(target_has_atomic = "32")]
pub const MAX_BLOCKS: usize = 8;
#[cfg(not(target_has_atomic = "32"))]
pub const MAX_BLOCKS: usize = 4;

/// Spawns the three workload tasks.
pub fn spawn_all(spawner: Spawner) {
    spawner.spawn(busy().expect("busy task already spawned"));
    spawner.spawn(mostly_idle().expect("idle task already spawned"));
    spawner.spawn(growing_heap().expect("heap task already spawned"));
}

/// Work the busy task does per round: a checksum the optimizer cannot drop.
#[inline(never)]
pub fn crunch(rounds: u32) -> u32 {
    let mut acc = 0x1234_5678u32;
    for i in 0..rounds {
        acc = core::hint::black_box(acc.rotate_left(5) ^ i.wrapping_mul(0x9E37_79B9));
    }
    acc
}

#[embassy_executor::task]
async fn busy() {
    #[cfg(feature = "perf")]
    iot_performance::embassy::set_current_task_name("busy");
    loop {
        core::hint::black_box(crate::stages::run_all(crunch(20_000)));
        Timer::after_millis(2).await;
    }
}

#[embassy_executor::task]
async fn mostly_idle() {
    #[cfg(feature = "perf")]
    iot_performance::embassy::set_current_task_name("idle");
    loop {
        Timer::after_millis(IDLE_PERIOD_MS).await;
    }
}

#[embassy_executor::task]
async fn growing_heap() {
    #[cfg(feature = "perf")]
    iot_performance::embassy::set_current_task_name("heap");
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    loop {
        if blocks.len() < MAX_BLOCKS {
            blocks.push(alloc::vec![0xA5; HEAP_STEP]);
        }
        Timer::after_millis(HEAP_PERIOD_MS).await;
    }
}
