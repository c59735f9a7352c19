//! iot-performance on an emulated Cortex-M: the monitor, ISR timing and Embassy task
//! metrics measured on QEMU, checked, and reported over semihosting.
//!
//! Run with `cargo run --release` (thumbv7m on mps2-an385), or `--target
//! thumbv7em-none-eabihf` (mps2-an386) / `--target thumbv6m-none-eabi` (microbit). Every
//! run under `-icount shift=0,sleep=off` prints the same numbers. The process exits with
//! the number of failed checks. Without the `perf` feature it runs the same tasks without
//! the library: `cargo xtask size` compares the two builds.

#![no_std]
#![no_main]

extern crate alloc;

#[cfg(feature = "perf")]
mod checks;
mod stages;
mod time_driver;
mod workload;

use cortex_m_rt::exception;
use embassy_executor::Spawner;
use embedded_alloc::LlffHeap as Heap;
use semihosting::println;

#[global_allocator]
static HEAP: Heap = Heap::empty();
/// The micro:bit has 16 KiB of RAM: a smaller heap there.
#[cfg(target_has_atomic = "32")]
const HEAP_SIZE: usize = 8 * 1024;
#[cfg(not(target_has_atomic = "32"))]
const HEAP_SIZE: usize = 4 * 1024;

/// Core clock of the emulated machine: mps2 boards run at 25 MHz, the micro:bit at 16 MHz.
#[cfg(target_has_atomic = "32")]
const CORE_CLOCK_HZ: u32 = 25_000_000;
#[cfg(not(target_has_atomic = "32"))]
const CORE_CLOCK_HZ: u32 = 16_000_000;

/// COUNTER of the mps2 FPGA I/O block: counts up at 25 MHz, wraps at 2³².
#[cfg(all(feature = "perf", target_has_atomic = "32"))]
const FPGAIO_COUNTER: *const u32 = 0x4002_8018 as *const u32;

#[cfg(feature = "perf")]
static SYSTICK_ISR: iot_performance::interrupts::IsrStats =
    iot_performance::interrupts::IsrStats::new("SysTick");

/// Largest step of the backend's clock across `on_systick` in the SysTick handler: a read
/// just before it (the handler entered, the wrap not yet accounted) must already count
/// the wrap, so the step is a few instructions, never a period.
#[cfg(feature = "perf")]
static HANDLER_CLOCK_STEP: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// SysTick periods so far, counted first thing in the handler: the application clock of
/// [`check_one_clock`].
#[cfg(feature = "perf")]
static SYSTICK_PERIODS: core::sync::atomic::AtomicU32 = core::sync::atomic::AtomicU32::new(0);

/// Timing of the PendSV handler that [`check_one_clock`] pends.
#[cfg(feature = "perf")]
static PENDSV_ISR: iot_performance::interrupts::IsrStats =
    iot_performance::interrupts::IsrStats::new("PendSV");

#[exception]
fn PendSV() {
    #[cfg(feature = "perf")]
    let _timing = PENDSV_ISR.enter();
    for _ in 0..1_000 {
        cortex_m::asm::nop();
    }
}

#[exception]
fn SysTick() {
    #[cfg(feature = "perf")]
    {
        use core::sync::atomic::Ordering::Relaxed;
        // The only writer is this handler: load and store suffice (thumbv6m has no CAS).
        SYSTICK_PERIODS.store(SYSTICK_PERIODS.load(Relaxed).wrapping_add(1), Relaxed);
    }
    #[cfg(feature = "perf")]
    let before = iot_performance::cortex_m::now_ticks();
    #[cfg(feature = "perf")]
    iot_performance::cortex_m::on_systick();
    #[cfg(feature = "perf")]
    {
        use core::sync::atomic::Ordering::Relaxed;
        let after = iot_performance::cortex_m::now_ticks();
        let step = after
            .checked_sub(before)
            .map_or(u32::MAX, |d| u32::try_from(d).unwrap_or(u32::MAX));
        // The only writer is this handler: load and store suffice.
        if step > HANDLER_CLOCK_STEP.load(Relaxed) {
            HANDLER_CLOCK_STEP.store(step, Relaxed);
        }
    }
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
        println!("peripherals already taken");
        semihosting::process::exit(100);
    };
    time_driver::start(peripherals.SYST, CORE_CLOCK_HZ);

    #[cfg(feature = "perf")]
    {
        use iot_performance::cortex_m::{ClockSource, CortexMConfig, CortexMMetrics};
        let config = CortexMConfig {
            systick_frequency: 1000,
            dwt_cycle_counter: true,
            mpu_monitoring: true,
        };
        iot_performance::embassy::set_current_task_name("main");
        let mut report = checks::Report::new();
        check_one_clock(&mut report).await;
        let metrics = match CortexMMetrics::new(config).await {
            Ok(m) => m.with_heap(&HEAP),
            Err(e) => {
                println!("backend failed: {e}");
                semihosting::process::exit(101);
            }
        };
        // QEMU emulates no DWT cycle counter: the backend must notice and use SysTick.
        report.check(
            "dwt_absent_falls_back_to_systick",
            metrics.clock_source() == ClockSource::SysTick,
            format_args!("{:?}", metrics.clock_source()),
        );
        report.check(
            "core_clock_from_systick_reload",
            iot_performance::TimingProvider::ticks_per_second(&metrics) == u64::from(CORE_CLOCK_HZ),
            format_args!(
                "{}",
                iot_performance::TimingProvider::ticks_per_second(&metrics)
            ),
        );
        // QEMU's Cortex-M3/M4 implement an 8-region MPU; its Cortex-M0 has none.
        let expected_regions = if cfg!(target_has_atomic = "32") { 8 } else { 0 };
        match metrics.mpu_status() {
            Ok(mpu) => {
                println!(
                    "mpu: {} regions, enabled {}, {} active, {} MemManage faults",
                    mpu.regions, mpu.enabled, mpu.active_regions, mpu.memmanage_faults
                );
                report.check(
                    "mpu_regions_reported",
                    mpu.regions == expected_regions && !mpu.enabled,
                    format_args!("{} regions, expected {expected_regions}", mpu.regions),
                );
            }
            Err(e) => report.check("mpu_regions_reported", false, format_args!("{e}")),
        }
        // Under -icount shift=0 one instruction takes 1 ns: ticks × 1e9 / f = instructions.
        let overhead = checks::profile_block_overhead(|| {
            iot_performance::cortex_m::now_ticks() * 1_000_000_000 / u64::from(CORE_CLOCK_HZ)
        });
        let clock_read = checks::clock_read_cost(
            || iot_performance::cortex_m::now_ticks() * 1_000_000_000 / u64::from(CORE_CLOCK_HZ),
            iot_performance::cortex_m::now_ticks,
        );
        println!("overhead: {clock_read} instructions per clock read (SysTick)");
        println!("overhead: {overhead} instructions per profile_block! enter+exit (SysTick clock)");
        // Not on the micro:bit: its 10 000 timed runs through the SysTick clock leave the
        // rest of the run too little slack for `uptime_matches_timer`.
        #[cfg(target_has_atomic = "32")]
        {
            let isr = checks::isr_timing_overhead(|| {
                iot_performance::cortex_m::now_ticks() * 1_000_000_000 / u64::from(CORE_CLOCK_HZ)
            });
            println!("overhead: {isr} instructions per timed interrupt (IsrStats, SysTick clock)");
        }
        // The mps2 boards have what silicon has in DWT CYCCNT and QEMU lacks: a
        // free-running 32-bit up-counter register (FPGAIO COUNTER, 25 MHz). The rest of
        // the run profiles with it.
        #[cfg(target_has_atomic = "32")]
        {
            check_counter_rate(&mut report, FPGAIO_COUNTER, u64::from(CORE_CLOCK_HZ));
            // SAFETY: FPGAIO COUNTER is an aligned, always-readable register of the mps2
            // FPGA block; reading it has no side effect.
            let counter = unsafe {
                iot_performance::timing::CounterRegister::new(
                    FPGAIO_COUNTER,
                    u64::from(CORE_CLOCK_HZ),
                )
            };
            iot_performance::timing::set_counter_clock(counter);
            let overhead = checks::profile_block_overhead(|| {
                iot_performance::cortex_m::now_ticks() * 1_000_000_000 / u64::from(CORE_CLOCK_HZ)
            });
            println!(
                "overhead: {overhead} instructions per profile_block! enter+exit (counter register clock)"
            );
            let isr = checks::isr_timing_overhead(|| {
                iot_performance::cortex_m::now_ticks() * 1_000_000_000 / u64::from(CORE_CLOCK_HZ)
            });
            println!(
                "overhead: {isr} instructions per timed interrupt (IsrStats, counter register clock)"
            );
            #[cfg(feature = "trace")]
            checks::trace_costs(
                || {
                    iot_performance::cortex_m::now_ticks() * 1_000_000_000
                        / u64::from(CORE_CLOCK_HZ)
                },
                overhead,
            );
            check_switch_with_counter_clock(&mut report);
        }
        // The micro:bit's nRF51 (Cortex-M0) has no DWT counter; its TIMER0, run as a
        // free-running 32-bit counter and read through a capture task, is the fast clock.
        #[cfg(not(target_has_atomic = "32"))]
        {
            // SAFETY: nothing else in this firmware uses TIMER0.
            match unsafe { metrics.use_nrf_timer(NRF51_TIMER0, 0) } {
                Ok(hz) => {
                    check_nrf_timer_rate(&mut report, hz);
                    let overhead = checks::profile_block_overhead(|| {
                        iot_performance::cortex_m::now_ticks() * 1_000_000_000
                            / u64::from(CORE_CLOCK_HZ)
                    });
                    println!(
                        "overhead: {overhead} instructions per profile_block! enter+exit (nRF51 TIMER0 capture clock)"
                    );
                    check_switch_with_counter_clock(&mut report);
                }
                Err(e) => report.check("nrf51_timer_clock_installed", false, format_args!("{e}")),
            }
        }
        // SysTick runs at 1 kHz: the overhead loops above took dozens of its periods.
        let step = HANDLER_CLOCK_STEP.load(core::sync::atomic::Ordering::Relaxed);
        report.check(
            "systick_clock_consistent_inside_its_handler",
            step < CORE_CLOCK_HZ / 1000 / 10,
            format_args!("largest step across on_systick: {step} ticks"),
        );
        let failed = checks::run(
            spawner,
            metrics,
            CortexMMetrics::stack_high_water_mark,
            &SYSTICK_ISR,
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

/// SysTick cycles since start, from the handler's period count and SysTick's down-counter:
/// a clock an application without the backend might install.
#[cfg(feature = "perf")]
fn systick_cycles() -> u64 {
    use core::sync::atomic::Ordering::Relaxed;
    let period = u64::from(CORE_CLOCK_HZ / 1000);
    loop {
        let periods = SYSTICK_PERIODS.load(Relaxed);
        let current = u64::from(cortex_m::peripheral::SYST::get_current());
        if SYSTICK_PERIODS.load(Relaxed) == periods {
            return u64::from(periods) * period + (period - 1 - current.min(period - 1));
        }
    }
}

/// One clock: installed once with `clock::set_clock` (before any backend, as an application
/// without one would), it times a scope, an interrupt handler (PendSV, pended here) and an
/// Embassy task's polls. No time driver wait: the backend's SysTick clock, created next,
/// must still start at boot for `uptime_matches_timer`.
#[cfg(feature = "perf")]
async fn check_one_clock(report: &mut checks::Report) {
    use iot_performance::embassy::task_by_name;
    iot_performance::clock::set_clock(systick_cycles, u64::from(CORE_CLOCK_HZ));
    yield_once().await; // ends the poll that began before the clock
    let busy_before = task_by_name("main").map_or(0, |t| t.busy_ticks);
    {
        let _scope = iot_performance::profile_block!("one_clock_scope");
        for _ in 0..5_000 {
            cortex_m::asm::nop();
        }
    }
    cortex_m::peripheral::SCB::set_pendsv();
    cortex_m::asm::dsb();
    cortex_m::asm::isb();
    yield_once().await; // ends a poll timed from start to end by the clock
    let scope_ticks =
        iot_performance::timing::scope("one_clock_scope").map_or(0, |s| s.total_ticks);
    let isr = PENDSV_ISR.snapshot();
    let busy = task_by_name("main").map_or(0, |t| t.busy_ticks) - busy_before;
    report.check(
        "one_clock_times_scopes_interrupts_and_tasks",
        scope_ticks >= 100 && isr.count == 1 && isr.timed == 1 && isr.total_ticks > 0 && busy >= scope_ticks,
        format_args!(
            "scope {scope_ticks} ticks, PendSV {} entries {} timed {} ticks, main task busy +{busy} ticks",
            isr.count, isr.timed, isr.total_ticks
        ),
    );
}

/// Returns `Pending` once (waking itself), so that the executor ends this poll and polls
/// the task again at once.
#[cfg(feature = "perf")]
async fn yield_once() {
    let mut yielded = false;
    core::future::poll_fn(move |cx| {
        if yielded {
            core::task::Poll::Ready(())
        } else {
            yielded = true;
            cx.waker().wake_by_ref();
            core::task::Poll::Pending
        }
    })
    .await;
}

/// Checks that the counter register at `address` counts at `hz`, against the backend's
/// SysTick time, over 100 000 instructions.
#[cfg(all(feature = "perf", target_has_atomic = "32"))]
fn check_counter_rate(report: &mut checks::Report, address: *const u32, hz: u64) {
    // SAFETY: the caller passes an aligned, always-readable, side-effect-free register.
    let read = || unsafe { address.read_volatile() };
    let (counter_start, time_start) = (read(), iot_performance::cortex_m::now_ticks());
    for i in 0..20_000u32 {
        core::hint::black_box(i);
    }
    let counted = u64::from(read().wrapping_sub(counter_start));
    let elapsed = iot_performance::cortex_m::now_ticks() - time_start;
    // Both count at `hz`; readings are a few instructions apart (1 tick = 40 of them).
    report.check(
        "counter_register_counts_at_core_clock",
        counted.abs_diff(elapsed) * 100 <= elapsed && hz > 0,
        format_args!("{counted} counter ticks, {elapsed} SysTick ticks"),
    );
}

/// nRF51 TIMER0's base address (the only nRF51 TIMER with a 32-bit mode).
#[cfg(all(feature = "perf", not(target_has_atomic = "32")))]
const NRF51_TIMER0: usize = 0x4000_8000;

/// Checks that the profiler's clock, now the nRF51 TIMER0 read through its capture task,
/// counts at `hz` (the core clock) against the backend's SysTick time, and that a scope
/// measures a busy loop the same on both.
#[cfg(all(feature = "perf", not(target_has_atomic = "32")))]
fn check_nrf_timer_rate(report: &mut checks::Report, hz: u64) {
    let (timer_start, time_start) = (
        iot_performance::clock::now(),
        iot_performance::cortex_m::now_ticks(),
    );
    {
        let _scope = iot_performance::profile_block!("nrf51_timer.busy");
        for i in 0..20_000u32 {
            core::hint::black_box(i);
        }
    }
    let counted = iot_performance::clock::now() - timer_start;
    let elapsed = iot_performance::cortex_m::now_ticks() - time_start;
    let scoped = iot_performance::timing::scope("nrf51_timer.busy").map_or(0, |s| s.total_ticks);
    report.check(
        "nrf51_timer_counts_at_core_clock",
        hz == u64::from(CORE_CLOCK_HZ)
            && counted.abs_diff(elapsed) * 100 <= elapsed
            && scoped > 0
            && scoped <= counted
            && scoped * 100 >= counted * 95,
        format_args!(
            "{counted} timer ticks, {elapsed} SysTick ticks, scope {scoped} ticks at {hz} Hz"
        ),
    );
}

/// With the counter-register clock (the scopes' fast path), `set_enabled(false)` stops
/// recording and a scope opened before the switch still records.
#[cfg(feature = "perf")]
fn check_switch_with_counter_clock(report: &mut checks::Report) {
    use iot_performance::timing;
    let calls = |name| timing::scope(name).map_or(0, |s| s.calls);
    let run = || drop(iot_performance::profile_block!("switch.check"));
    let open = || iot_performance::profile_block!("switch.open");
    run(); // registers the site
    run(); // the fast path
    drop(open());
    timing::set_enabled(false);
    run();
    timing::set_enabled(true);
    let guard = open();
    timing::set_enabled(false);
    drop(guard);
    timing::set_enabled(true);
    run();
    report.check(
        "set_enabled_with_counter_clock",
        calls("switch.check") == 3 && calls("switch.open") == 2,
        format_args!(
            "{} calls recorded (expected 3), open scope {} (expected 2)",
            calls("switch.check"),
            calls("switch.open")
        ),
    );
}
