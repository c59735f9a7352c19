//! The spec's "Main Application Integration" and "Task-based Monitoring" code, nearly
//! verbatim, on QEMU mps2-an385 (Cortex-M3, `thumbv7m-none-eabi`) and riscv `virt`
//! (`riscv32imac-unknown-none-elf`), with the spec's dependency line (`features =
//! ["cortex-m"]` or `["riscv"]`, default features kept). The monitor is created early,
//! passed by value into an Embassy task that profiles its sensor read with
//! `profile_block`, and the main loop calls `check_regression`. After a few rounds the
//! firmware checks what the monitor measured and exits with the number of failures.
//!
//! Differences from the spec's text: the board setup (heap, time driver; on RISC-V the
//! board's clock config, `riscv::set_board_config`) comes first, `?` in `main` becomes `expect`, the periods are 100 ms / 300 ms instead of 1 s /
//! 30 s (QEMU runs every virtual second as 10⁹ instructions), and `WiFiManager` /
//! `MqttClient` are left out.

#![no_std]
#![no_main]

#[cfg_attr(target_arch = "arm", path = "board_cortex_m.rs")]
#[cfg_attr(target_arch = "riscv32", path = "board_riscv.rs")]
mod board;
#[cfg(target_arch = "arm")]
#[path = "../../qemu-cortex-m/src/time_driver.rs"]
mod time_driver;
#[cfg(target_arch = "riscv32")]
#[path = "../../qemu-riscv/src/time_driver.rs"]
mod time_driver;

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use embassy_executor::Spawner;
use embassy_time::Duration;
use embedded_alloc::LlffHeap as Heap;
use iot_performance::{MonitorConfig, PerformanceMonitor};
use semihosting::println;

#[global_allocator]
static HEAP: Heap = Heap::empty();
const HEAP_SIZE: usize = 8 * 1024;
/// Main-loop rounds before the report.
const ROUNDS: u32 = 6;

/// Sensor reads done by the task, and regression checks done by the main loop.
static SENSOR_READS: AtomicU32 = AtomicU32::new(0);
static CHECKS_OK: AtomicU32 = AtomicU32::new(0);

/// Stands in for the application's sensor driver: a few thousand cycles of work.
async fn read_sensors() -> u32 {
    let mut acc = 0u32;
    for i in 0..2_000u32 {
        acc = core::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    SENSOR_READS.fetch_add(1, Relaxed);
    acc
}

// Monitor specific Embassy tasks
#[embassy_executor::task]
async fn sensor_task(perf_monitor: PerformanceMonitor) {
    loop {
        let _timer = perf_monitor.profile_block("sensor_reading");

        // Sensor reading logic
        let data = read_sensors().await;
        core::hint::black_box(data);

        // Check if this task is performing within expectations
        perf_monitor.validate_task_performance("sensor_task").await;

        embassy_time::Timer::after(Duration::from_millis(300)).await;
    }
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    board_setup();

    // Initialize performance monitoring early
    let perf_config = MonitorConfig::for_production();
    let perf_monitor = PerformanceMonitor::new(perf_config)
        .await
        .expect("Failed to initialize performance monitoring");

    perf_monitor
        .start_monitoring()
        .await
        .expect("Failed to start monitoring");

    spawner.spawn(sensor_task(perf_monitor.clone()).expect("task slot"));

    // Main application loop with performance monitoring
    for _ in 0..ROUNDS {
        // Periodic performance checks
        if let Some(regression) = perf_monitor
            .check_regression()
            .await
            .expect("check_regression")
        {
            println!("regression: {regression:?}");
        }
        CHECKS_OK.fetch_add(1, Relaxed);

        embassy_time::Timer::after(Duration::from_millis(100)).await;
    }
    let failed = report(&perf_monitor).await;
    semihosting::process::exit(failed as i32);
}

fn board_setup() {
    static mut HEAP_MEM: [core::mem::MaybeUninit<u8>; HEAP_SIZE] =
        [core::mem::MaybeUninit::uninit(); HEAP_SIZE];
    // SAFETY: called once, before any allocation; HEAP_MEM is used by nothing else.
    unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
    board::start();
}

/// Checks what the monitor measured; returns the number of failed checks.
async fn report(perf_monitor: &PerformanceMonitor) -> u32 {
    let (mut passed, mut failed) = (0u32, 0u32);
    let mut check = |name: &str, ok: bool, detail: core::fmt::Arguments<'_>| {
        if ok {
            passed += 1;
            println!("test {name} ... ok");
        } else {
            failed += 1;
            println!("test {name} ... FAILED ({detail})");
        }
    };
    let reads = SENSOR_READS.load(Relaxed);
    check("sensor_task_ran", reads >= 2, format_args!("{reads} reads"));
    let scope = iot_performance::timing::scope("sensor_reading");
    println!("sensor_reading: {scope:?}");
    check(
        "profile_block_in_task_measured",
        scope.as_ref().is_some_and(|s| {
            u32::try_from(s.calls).is_ok_and(|c| c + 1 >= reads) && s.max_ticks > 0
        }),
        format_args!("{scope:?} after {reads} reads"),
    );
    let checks = CHECKS_OK.load(Relaxed);
    check(
        "check_regression_each_round",
        checks == ROUNDS,
        format_args!("{checks} of {ROUNDS}"),
    );
    let verdict = perf_monitor.validate_task_performance("sensor_task").await;
    println!("validate_task_performance: {verdict:?}");
    check(
        "task_validation_knows_the_task",
        !matches!(
            verdict.verdict,
            iot_performance::regression::TaskVerdict::UnknownScope
        ),
        format_args!("{verdict:?}"),
    );
    match perf_monitor.snapshot().await {
        Ok(s) => {
            println!(
                "snapshot: heap {}/{} B, fragmentation {:?}, stack {} B, uptime {} ms",
                s.memory.heap_used,
                s.memory.heap_total,
                s.memory.fragmentation(),
                s.memory.stack_used,
                s.system.uptime_ms
            );
            check(
                "snapshot_uptime_covers_the_run",
                s.system.uptime_ms >= u64::from(ROUNDS) * 100,
                format_args!("{} ms", s.system.uptime_ms),
            );
            check(
                "snapshot_stack_measured",
                s.memory.stack_used > 0 && s.memory.stack_free > 0,
                format_args!("{} used", s.memory.stack_used),
            );
        }
        Err(e) => check("snapshot", false, format_args!("{e}")),
    }
    println!("result: {passed} passed, {failed} failed");
    failed
}
