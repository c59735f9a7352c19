//! The event trace on QEMU (mps2-an385 Cortex-M3 and riscv `virt`), measured and checked:
//!
//! 1. **Cost:** instructions per trace event (a scope's enter+exit is two events), and
//!    per scope with the feature compiled but no ring installed.
//! 2. **Reconstruction:** three Embassy tasks and a 1 kHz timer interrupt run for
//!    [`RUN_MS`] ms with a ring installed; the trace, streamed as wire frames
//!    (`TraceStreamer`), decoded and given to `trace::busy_time`, must match the aggregate
//!    counters — the Embassy task table and the timer's `IsrStats` — within 1 %.
//! 3. **Post-mortem:** a deliberate fault; its handler dumps the ring (`trace-dump:` lines
//!    of hex chunks, which `cargo xtask qemu` decodes on the host) and checks that the
//!    dump ends at the marker written just before the fault.
//!
//! Every check prints `test <name> ... ok|FAILED` on semihosting **stderr**; the process
//! exits with the number of failures (from the fault handler). Stdout carries the run as
//! wire frames ([`record`]): the session, the streamed trace, the scope, task and
//! interrupt tables and a snapshot, so `iot-perf record --exec qemu-system-… -kernel
//! qemu-trace` stores the trace with the run. Under `-icount shift=0,sleep=off` every run
//! prints the same numbers.

#![no_std]
#![no_main]

extern crate alloc;

#[cfg_attr(target_arch = "arm", path = "board_cortex_m.rs")]
#[cfg_attr(target_arch = "riscv32", path = "board_riscv.rs")]
mod board;
mod record;
mod report;
#[cfg(target_arch = "arm")]
#[path = "../../qemu-cortex-m/src/time_driver.rs"]
mod time_driver;
#[cfg(target_arch = "riscv32")]
#[path = "../../qemu-riscv/src/time_driver.rs"]
mod time_driver;
mod workload;

use alloc::vec::Vec;

use embassy_executor::Spawner;
use embassy_time::Timer;
use embedded_alloc::LlffHeap as Heap;
use iot_performance::interrupts::IsrStats;
use iot_performance::trace::{self, ChunkDecoder, EventKind, TraceBuffer, TraceEvent};
use iot_performance::wire::{ByteSink, SliceSink, TraceStreamer, decode_trace_frame};
use semihosting::eprintln as println;

use report::check;

#[global_allocator]
pub static HEAP: Heap = Heap::empty();
pub const HEAP_SIZE: usize = 64 * 1024;

/// The ring: 4096 events (48 KiB), enough for the whole traced run without loss.
static RING: TraceBuffer<4096> = TraceBuffer::new();
/// The timer interrupt's aggregate counters.
pub static TIMER_ISR: IsrStats = IsrStats::new("timer");
/// How long the traced workload runs.
const RUN_MS: u64 = 60;
/// The marker written just before the deliberate fault.
const FAULT_MARKER: u32 = 0xFA17;
/// Instructions per run of `body`: 10 000 runs minus the same loop without it.
#[inline(always)]
fn cost(body: impl Fn(u64)) -> u64 {
    const N: u64 = 10_000;
    let start = board::instructions();
    for i in 0..N {
        core::hint::black_box(i);
    }
    let baseline = board::instructions() - start;
    let start = board::instructions();
    for i in 0..N {
        body(core::hint::black_box(i));
    }
    (board::instructions() - start).saturating_sub(baseline) / N
}

/// Instructions per `profile_block!` enter+exit.
#[inline(never)]
fn scope_cost() -> u64 {
    cost(|_| {
        let _scope = iot_performance::profile_block!("cost.empty");
    })
}

/// Instructions per `trace::marker` (its clock read included).
#[inline(never)]
fn marker_cost() -> u64 {
    cost(|i| trace::marker(i as u32 & 7))
}

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    {
        static mut HEAP_MEM: [core::mem::MaybeUninit<u8>; HEAP_SIZE] =
            [core::mem::MaybeUninit::uninit(); HEAP_SIZE];
        // SAFETY: called once, before any allocation; HEAP_MEM is used by nothing else.
        unsafe { HEAP.init(core::ptr::addr_of_mut!(HEAP_MEM) as usize, HEAP_SIZE) }
    }
    board::start_clock();
    iot_performance::embassy::set_current_task_name("main");
    println!("qemu-trace on {}", board::NAME);
    let Some(mut reporter) = record::start(board::DEVICE) else {
        println!("no semihosting stdout for the wire frames");
        semihosting::process::exit(100);
    };

    // 1. Cost, before the timer starts (nothing else writes to the ring meanwhile).
    let untraced = scope_cost();
    check(
        "trace_installs_once",
        trace::install(&RING) && !trace::install(&RING),
        format_args!("install"),
    );
    let traced = scope_cost();
    let per_event = traced.saturating_sub(untraced) / 2;
    let marker = marker_cost();
    println!(
        "trace: {per_event} instructions per event (scope enter+exit {traced}, untraced {untraced})"
    );
    println!("trace: {marker} instructions per marker (clock read included)");
    println!(
        "trace: {untraced} instructions per scope with the feature compiled, no ring installed"
    );
    // A regression guard (measured: 30 on thumbv7m, 31 on riscv32imac and riscv32imc).
    let limit = 36;
    check(
        "trace_event_cost_measured",
        per_event > 0 && per_event <= limit,
        format_args!("{per_event} instructions per event"),
    );

    // 2. The traced workload. Snapshots and the ring's start and end are taken with
    //    interrupts off, so both sides count exactly the same polls and handler runs.
    board::start_timer();
    workload::spawn_all(spawner);
    Timer::after_millis(1).await; // the tasks name themselves in their first poll
    let before = critical_section::with(|_| {
        let before = workload::Counters::now();
        RING.start_fresh();
        before
    });
    Timer::after_millis(RUN_MS).await;
    let after = critical_section::with(|_| {
        RING.trigger(0);
        workload::Counters::now()
    });
    let events = stream_and_decode(reporter.sink_mut());
    let load = workload::compare(&events, &before, &after, check);
    record::tables_and_snapshot(&mut reporter, load);
    check(
        "record_frames_sent_on_stdout",
        reporter.dropped() == 0,
        format_args!("{} frames dropped", reporter.dropped()),
    );

    // 3. Post-mortem: a fresh recording, a marker, then a fault.
    critical_section::with(|_| RING.start_fresh());
    Timer::after_millis(5).await;
    trace::marker(FAULT_MARKER);
    println!("deliberate fault (the handler dumps the ring)");
    board::fault();
}

/// Streams the ring as wire frames into a buffer (what a UART reporter would send),
/// prints the bytes per event on the wire, decodes the frames back, and sends them to
/// `out` (the run's wire frames).
fn stream_and_decode(out: &mut impl ByteSink) -> Vec<TraceEvent> {
    let mut wire = alloc::vec![0u8; 16 * 1024];
    let mut streamer = TraceStreamer::new(SliceSink::new(&mut wire));
    let sent = streamer.pump(&RING);
    let bytes = streamer.sink().as_bytes();
    let frames = bytes.iter().filter(|&&b| b == 0).count();
    println!(
        "trace: {}.{:02} bytes per event on the wire ({sent} events, {frames} frames, {} bytes)",
        bytes.len() / sent.max(1) as usize,
        bytes.len() * 100 / sent.max(1) as usize % 100,
        bytes.len()
    );
    check(
        "trace_under_eight_bytes_per_event_on_the_wire",
        sent > 0 && bytes.len() <= 8 * sent as usize,
        format_args!("{} bytes for {sent} events", bytes.len()),
    );
    let unsent = bytes
        .split_inclusive(|&b| b == 0)
        .filter(|frame| out.try_write(frame).is_err())
        .count();
    check(
        "trace_frames_sent_on_stdout",
        unsent == 0,
        format_args!("{unsent} of {frames} frames not sent"),
    );
    let mut decoder = ChunkDecoder::new();
    let mut events = Vec::new();
    let mut bad = 0u32;
    for frame in bytes.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let mut frame = frame.to_vec();
        match decode_trace_frame(&mut frame)
            .ok()
            .and_then(|chunk| decoder.decode(chunk).ok().map(|it| it.collect::<Vec<_>>()))
        {
            Some(decoded) => events.extend(decoded.into_iter().filter_map(Result::ok)),
            None => bad += 1,
        }
    }
    check(
        "trace_frames_decode",
        bad == 0 && events.len() == sent as usize,
        format_args!("{bad} bad frames, {} of {sent} events", events.len()),
    );
    events
}

/// The fault handler's work: dump the ring, check the dump, finish the report, exit.
pub fn post_mortem() -> ! {
    let mut decoder = ChunkDecoder::new();
    let mut last = None;
    let (mut skip, mut dumped) = (0u32, 0u32);
    loop {
        let mut chunk = [0u8; 256];
        let info = RING.dump(skip, &mut chunk);
        if info.events == 0 {
            break;
        }
        report::print_hex("trace-dump: ", &chunk[..info.len]);
        if let Ok(events) = decoder.decode(&chunk[..info.len]) {
            last = events.filter_map(Result::ok).last().or(last);
        }
        skip += info.events;
        dumped += info.events;
    }
    println!("trace-dump: end ({dumped} events)");
    let ends_at_marker =
        last.is_some_and(|e: TraceEvent| e.kind == Some(EventKind::Marker) && e.id == FAULT_MARKER);
    check(
        "post_mortem_dump_ends_at_the_fault",
        dumped > 10 && ends_at_marker,
        format_args!("{dumped} events, last {last:?}"),
    );
    semihosting::process::exit(report::finish() as i32)
}
