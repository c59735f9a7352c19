//! A sensor loop on an emulated Cortex-M3, run as Embassy tasks, profiled with
//! `profile_block!` and reported as iot-performance wire frames over semihosting: the device
//! half of `iot-perf record --exec qemu-system-arm ... -kernel <this ELF>`.
//!
//! `cargo run --release` prints binary frames on stdout, so pipe it into `iot-perf record -`
//! (or let `iot-perf record --exec` run QEMU). Under `-icount shift=0,sleep=off` every run
//! reports the same tick counts; the `slow-filter` feature builds the "regressed" firmware.
//!
//! The `sensor` task reads the sensor once per millisecond (it waits for the SysTick
//! interrupt, whose handler is timed by an `IsrStats`) and asks for a report every
//! twentieth reading; the `main` task then sends the scope table, the Embassy task table,
//! the interrupt handler table and a snapshot (stack, static memory, CPU load, interrupts,
//! tasks, task switches), so a capture fills every section of the report.

#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};

use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_rt::exception;
use embassy_executor::Spawner;
use iot_performance::interrupts::IsrStats;
use iot_performance::wire::{FnSink, Reporter};
use iot_performance::{embassy, profile_block, timing};
use semihosting::io::Write as _;

mod snapshot;
mod wake;

/// mps2-an385 core clock.
const CORE_CLOCK_HZ: u64 = 25_000_000;
/// SysTick every millisecond: the sensor period.
const RELOAD: u32 = (CORE_CLOCK_HZ / 1000) as u32 - 1;
const CYCLES: u32 = 200;
const REPORT_EVERY: u32 = 20;

static WRAPS: AtomicU32 = AtomicU32::new(0);
/// Count and duration of the SysTick handler.
static SYSTICK_ISR: IsrStats = IsrStats::new("SysTick");
/// One per millisecond tick; the sensor task waits on it.
static TICK: wake::Event = wake::Event::new();
/// One per due report; the main task waits on it.
static REPORT: wake::Event = wake::Event::new();

#[exception]
fn SysTick() {
    // The wrap count first, so that the clock the timer below reads is already right.
    WRAPS.fetch_add(1, Ordering::Relaxed);
    let _timing = SYSTICK_ISR.enter();
    TICK.signal();
}

/// Core cycles since start: SysTick's 24-bit down-counter extended by its wrap count.
/// The counter runs `RELOAD, …, 1, 0`, and its interrupt (the wrap count) comes as it
/// reaches 0, so 0 starts a period; a wrap whose interrupt is still pending counts already.
fn cycles() -> u64 {
    const PENDSTSET: u32 = 1 << 26;
    // SAFETY: reading SYST's current-value register and SCB's ICSR has no side effect.
    let (syst, scb) = unsafe {
        (
            &*cortex_m::peripheral::SYST::PTR,
            &*cortex_m::peripheral::SCB::PTR,
        )
    };
    loop {
        let before = WRAPS.load(Ordering::Acquire);
        let current = syst.cvr.read();
        let pending = scb.icsr.read() & PENDSTSET != 0;
        if WRAPS.load(Ordering::Acquire) == before {
            let in_period = if current == 0 {
                0
            } else {
                RELOAD - current + 1
            };
            let unseen = pending && (current == 0 || current > RELOAD / 2);
            let wraps = u64::from(before) + u64::from(unseen);
            return wraps * (u64::from(RELOAD) + 1) + u64::from(in_period);
        }
    }
}

fn read_sensor(n: u32) -> i32 {
    let mut acc = 0i32;
    for k in 0..32u32 {
        let x = n.wrapping_add(k).wrapping_mul(2_654_435_761) >> 20;
        acc += x as i32 % 100;
    }
    acc / 32 + 2000
}

fn filter(window: &mut [i32; 32], n: u32, reading: i32) -> i32 {
    window[n as usize % window.len()] = reading;
    if cfg!(feature = "slow-filter") {
        // The regression: a median by sorting a copy on every reading.
        let mut sorted = *window;
        sorted.sort_unstable();
        sorted[sorted.len() / 2]
    } else {
        window.iter().sum::<i32>() / window.len() as i32
    }
}

fn publish(buffer: &mut [u8; 48], n: u32, value: i32) -> usize {
    let mut len = 0;
    for (i, digit) in [n, value.unsigned_abs()].iter().enumerate() {
        let mut d = *digit;
        let start = len;
        loop {
            buffer[len] = b'0' + (d % 10) as u8;
            len += 1;
            d /= 10;
            if d == 0 || len >= buffer.len() - 2 {
                break;
            }
        }
        buffer[start..len].reverse();
        buffer[len] = if i == 0 { b',' } else { b'\n' };
        len += 1;
    }
    len
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let Some(mut peripherals) = cortex_m::Peripherals::take() else {
        semihosting::process::exit(100);
    };
    peripherals.SYST.set_clock_source(SystClkSource::Core);
    peripherals.SYST.set_reload(RELOAD);
    peripherals.SYST.clear_current();
    peripherals.SYST.enable_interrupt();
    peripherals.SYST.enable_counter();
    timing::set_clock(cycles, CORE_CLOCK_HZ);
    embassy::set_current_task_name("main");

    let Ok(mut stdout) = semihosting::io::stdout() else {
        semihosting::process::exit(101);
    };
    let mut reporter = Reporter::new(FnSink(|frame: &[u8]| stdout.write_all(frame).is_ok()));
    reporter.session("qemu-mps2-an385", "qemu-wire-report 0.0.0", CORE_CLOCK_HZ);
    let Ok(token) = sensor() else {
        semihosting::process::exit(102);
    };
    spawner.spawn(token);

    let mut window = snapshot::Window::start(cycles());
    for report in 0..CYCLES / REPORT_EVERY {
        REPORT.after(report).await;
        let now_us = cycles() * 1_000_000 / CORE_CLOCK_HZ;
        {
            // The reporter's own cost shows up in the next table: encoding and sending
            // every row (COBS, CRC-32, postcard) through semihosting.
            let _scope = profile_block!("report_scope_table");
            reporter.scope_table(now_us);
        }
        reporter.task_table(now_us);
        reporter.interrupt_table(now_us, [&SYSTICK_ISR]);
        reporter.snapshot_record(&window.snapshot(now_us, cycles()));
    }
    let dropped = reporter.dropped();
    semihosting::process::exit(if dropped == 0 { 0 } else { 1 });
}

/// Reads, filters and publishes once per millisecond; asks for a report every
/// [`REPORT_EVERY`] readings.
#[embassy_executor::task]
async fn sensor() {
    embassy::set_current_task_name("sensor");
    let mut window = [0i32; 32];
    let mut payload = [0u8; 48];
    for n in 0..CYCLES {
        let reading = {
            let _scope = profile_block!("read_sensor");
            read_sensor(n)
        };
        let value = {
            let _scope = profile_block!("filter_reading");
            filter(&mut window, n, reading)
        };
        {
            let _scope = profile_block!("publish");
            core::hint::black_box(publish(&mut payload, n, value));
        }
        if (n + 1) % REPORT_EVERY == 0 {
            REPORT.signal();
        }
        // Sleep until the next millisecond tick.
        TICK.after(TICK.count()).await;
    }
}
