//! Enter+exit cost of one timing scope, against the floor and against puffin.
//!
//! `cargo bench -p iot-performance --bench overhead` runs the criterion groups (short
//! warm-up and measurement), then prints a summary table: the best of several
//! million-iteration runs per case, and each case's ratio to the floor (two reads of the
//! CPU's cycle counter plus one atomic add) and to a puffin scope.

use std::hint::black_box;
use std::pin::pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use iot_performance::{profile_block, profile_function, timing};

static FLOOR_SINK: AtomicU64 = AtomicU64::new(0);

/// One read of the CPU's cycle counter: `rdtsc` on x86-64, what `quanta` reads elsewhere.
#[inline(always)]
fn cycles() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: `rdtsc` has no preconditions; every x86-64 CPU implements it.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        static CLOCK: std::sync::OnceLock<quanta::Clock> = std::sync::OnceLock::new();
        CLOCK.get_or_init(quanta::Clock::new).raw()
    }
}

#[inline(always)]
fn floor_scope() {
    let start = cycles();
    black_box(());
    FLOOR_SINK.fetch_add(cycles().wrapping_sub(start), Ordering::Relaxed);
}

#[inline(always)]
fn instant_pair() {
    let start = Instant::now();
    black_box(());
    black_box(start.elapsed());
}

#[inline(always)]
fn block_scope() {
    let _g = profile_block!("bench_block");
    black_box(());
}

#[profile_function("bench_sync_fn")]
#[inline(never)]
fn profiled_sync() {
    black_box(());
}

#[inline(never)]
fn plain_sync() {
    black_box(());
}

#[profile_function("bench_async_fn")]
async fn profiled_async() {
    black_box(());
}

async fn plain_async() {
    black_box(());
}

/// Polls a future that completes in one poll.
#[inline(always)]
fn run_once<F: Future<Output = ()>>(f: F) {
    let mut f = pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    let _ = black_box(f.as_mut().poll(&mut cx) == Poll::Ready(()));
}

fn puffin_scope() {
    puffin::profile_scope!("bench_puffin");
    black_box(());
}

/// Runs `n` puffin scopes, closing a puffin frame every 10 000 so memory stays bounded,
/// and returns the time spent in the scopes only.
fn puffin_batch(n: u64) -> Duration {
    let mut spent = Duration::ZERO;
    let mut left = n;
    while left > 0 {
        let chunk = left.min(10_000);
        let start = Instant::now();
        for _ in 0..chunk {
            puffin_scope();
        }
        spent += start.elapsed();
        puffin::GlobalProfiler::lock().new_frame();
        left -= chunk;
    }
    spent
}

fn configured() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
        .configure_from_args()
}

fn overhead(c: &mut Criterion) {
    timing::set_enabled(true);
    puffin::set_scopes_on(true);
    let mut g = c.benchmark_group("scope enter+exit");
    g.bench_function("floor: 2x rdtsc + atomic add", |b| b.iter(floor_scope));
    g.bench_function("Instant::now pair", |b| b.iter(instant_pair));
    g.bench_function("profile_block! enabled", |b| b.iter(block_scope));
    g.bench_function("profile_block! disabled", |b| {
        timing::set_enabled(false);
        b.iter(block_scope);
        timing::set_enabled(true);
    });
    g.bench_function("#[profile_function] sync fn", |b| b.iter(profiled_sync));
    g.bench_function("plain sync fn (baseline)", |b| b.iter(plain_sync));
    g.bench_function("#[profile_function] async fn", |b| {
        b.iter(|| run_once(profiled_async()))
    });
    g.bench_function("plain async fn (baseline)", |b| {
        b.iter(|| run_once(plain_async()))
    });
    g.bench_function("puffin::profile_scope!", |b| b.iter_custom(puffin_batch));
    g.finish();
}

criterion_group! {
    name = benches;
    config = configured();
    targets = overhead
}

fn timed(mut body: impl FnMut()) -> impl FnMut(u64) -> Duration {
    move |n| {
        let start = Instant::now();
        for _ in 0..n {
            body();
        }
        start.elapsed()
    }
}

/// Runs a case `n` times and returns the time taken.
type Batch = Box<dyn FnMut(u64) -> Duration>;

fn disabled_block(n: u64) -> Duration {
    timing::set_enabled(false);
    let spent = timed(block_scope)(n);
    timing::set_enabled(true);
    spent
}

/// Measures every case once per round, rounds interleaved so that load from other
/// processes hits all cases alike, and keeps each case's best round.
fn summary() {
    const ROUNDS: u32 = 9;
    const ITERS: u64 = 1_000_000;
    timing::set_enabled(true);
    let mut cases: [(&str, Batch, f64); 9] = [
        (
            "floor: 2x rdtsc + atomic add",
            Box::new(timed(floor_scope)),
            0.0,
        ),
        ("Instant::now pair", Box::new(timed(instant_pair)), 0.0),
        ("profile_block! enabled", Box::new(timed(block_scope)), 0.0),
        ("profile_block! disabled", Box::new(disabled_block), 0.0),
        (
            "#[profile_function] sync fn",
            Box::new(timed(profiled_sync)),
            0.0,
        ),
        (
            "#[profile_function] async fn",
            Box::new(timed(|| run_once(profiled_async()))),
            0.0,
        ),
        ("puffin::profile_scope!", Box::new(puffin_batch), 0.0),
        ("plain sync fn", Box::new(timed(plain_sync)), 0.0),
        (
            "plain async fn",
            Box::new(timed(|| run_once(plain_async()))),
            0.0,
        ),
    ];
    for case in &mut cases {
        case.2 = f64::INFINITY;
    }
    for _ in 0..ROUNDS {
        for (_, run, best) in &mut cases {
            let ns = run(ITERS).as_nanos() as f64 / ITERS as f64;
            *best = best.min(ns);
        }
    }
    let ns = |i: usize| cases[i].2;
    let rows = [
        (cases[0].0, ns(0)),
        (cases[1].0, ns(1)),
        (cases[2].0, ns(2)),
        (cases[3].0, ns(3)),
        (cases[4].0, ns(4) - ns(7)),
        (cases[5].0, ns(5) - ns(8)),
        (cases[6].0, ns(6)),
    ];
    let (floor, enabled, puffin) = (ns(0), ns(2), ns(6));

    println!(
        "\nSummary: enter+exit of one scope, best of {ROUNDS} interleaved rounds x {ITERS} calls"
    );
    println!("(function rows: profiled minus the same function without the attribute)");
    println!(
        "{:<36} {:>9} {:>9} {:>10}",
        "case", "ns", "x floor", "x puffin"
    );
    for (name, ns) in rows {
        println!(
            "{name:<36} {ns:>9.2} {:>9.2} {:>10.3}",
            ns / floor,
            ns / puffin
        );
    }
    println!(
        "puffin / profile_block! enabled = {:.1}x faster; detailed-profiling: {}",
        puffin / enabled,
        if cfg!(feature = "detailed-profiling") {
            "on"
        } else {
            "off"
        }
    );
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
