//! A simulated sensor node monitored live on the host backend.
//!
//! A worker thread plays the firmware: it samples a "sensor" (a noisy signal), filters it,
//! batches readings into heap buffers and, every few seconds, goes through a busy phase
//! (a calibration pass) and a buffering phase (holding a backlog in memory). The main
//! thread samples the real process metrics twice a second and prints them; at the end it
//! prints the timing report of the worker's profiled scopes.
//!
//! ```text
//! cargo run --release -p iot-performance --example sensor_node -- [seconds]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use iot_performance::timing::SortKey;
use iot_performance::{
    MonitorConfig, PerformanceMonitor, PerformanceSnapshot, TimingProfiler, profile_block,
    profile_function,
};

/// What the simulated firmware is doing, by second of its run.
fn phase(elapsed: Duration) -> &'static str {
    match elapsed.as_secs() % 6 {
        0..=2 => "idle",
        3 => "calibrating",
        _ => "buffering",
    }
}

/// One reading of the simulated sensor: a slow sine with deterministic noise.
#[profile_function]
fn read_sensor(n: u64) -> f32 {
    let noise = ((n.wrapping_mul(2_654_435_761) >> 16) % 1000) as f32 / 1000.0 - 0.5;
    20.0 + 5.0 * (n as f32 / 200.0).sin() + noise
}

fn sensor_worker(stop: Arc<AtomicBool>, readings: Arc<AtomicU64>) {
    let start = Instant::now();
    let mut filtered = 0.0f32;
    let mut backlog: Vec<Vec<f32>> = Vec::new();
    let mut batch = Vec::with_capacity(64);
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        let _cycle = profile_block!("sensor_cycle");
        match phase(start.elapsed()) {
            "calibrating" => {
                let _pass = profile_block!("calibration_pass");
                // A CPU-heavy pass: least-squares fit over a window, repeated.
                let mut acc = 0.0f64;
                for i in 0..200_000u64 {
                    acc += f64::from(read_sensor(n + i)) * (i as f64).sqrt();
                }
                std::hint::black_box(acc);
            }
            "buffering" => {
                // The uplink is down: keep batches in memory (about 1 MiB per second).
                let _hold = profile_block!("buffer_backlog");
                backlog.push(vec![filtered; 16 * 1024]);
                thread::sleep(Duration::from_millis(60));
            }
            _ => {
                backlog.clear();
                backlog.shrink_to_fit();
                thread::sleep(Duration::from_millis(10));
            }
        }
        filtered = 0.9 * filtered + 0.1 * read_sensor(n);
        batch.push(filtered);
        if batch.len() == batch.capacity() {
            batch.clear();
        }
        n += 1;
        readings.store(n, Ordering::Relaxed);
    }
}

fn print_sample(t: Duration, s: &PerformanceSnapshot, phase: &str) {
    let temp = s
        .system
        .temperature
        .map_or_else(|| "   n/a".to_string(), |c| format!("{c:5.1}C"));
    println!(
        "{:>6.1}s  {:<11} heap {:>8.1} KiB  cpu {:>5.1} %  threads {:>2}  ctx-sw {:>6}  stack {:>5} B  temp {}",
        t.as_secs_f32(),
        phase,
        s.memory.heap_used as f64 / 1024.0,
        s.system.cpu_utilization,
        s.system.task_count,
        s.system.context_switches,
        s.memory.stack_used,
        temp,
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seconds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(8);
    let config = MonitorConfig {
        sampling_interval_ms: 500,
        ..MonitorConfig::default()
    };

    futures_executor::block_on(async {
        let monitor = PerformanceMonitor::new(config).await?;
        monitor.start_realtime_analysis().await?;

        let stop = Arc::new(AtomicBool::new(false));
        let readings = Arc::new(AtomicU64::new(0));
        let worker = {
            let (stop, readings) = (stop.clone(), readings.clone());
            thread::spawn(move || sensor_worker(stop, readings))
        };

        println!(
            "monitoring a simulated sensor node for {seconds} s (sample every {} ms)",
            config.sampling_interval_ms
        );
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(seconds) {
            thread::sleep(Duration::from_millis(u64::from(
                config.sampling_interval_ms,
            )));
            let s = monitor.snapshot().await?;
            print_sample(start.elapsed(), &s, phase(start.elapsed()));
        }
        stop.store(true, Ordering::Relaxed);
        worker.join().map_err(|_| "sensor worker panicked")?;

        let stats = monitor.stats();
        let kib = |v: Option<f64>| v.map_or(0.0, |b| b / 1024.0);
        println!();
        println!(
            "{} sensor readings, {} samples",
            readings.load(Ordering::Relaxed),
            monitor.sample_counts().0
        );
        println!(
            "heap   min {:>8.1} KiB  mean {:>8.1} KiB  max {:>8.1} KiB",
            kib(stats.heap_used.min()),
            kib(stats.heap_used.mean()),
            kib(stats.heap_used.max())
        );
        println!(
            "cpu    min {:>8.1} %    mean {:>8.1} %    max {:>8.1} %",
            stats.cpu_utilization.min().unwrap_or(0.0),
            stats.cpu_utilization.mean().unwrap_or(0.0),
            stats.cpu_utilization.max().unwrap_or(0.0)
        );
        let report = TimingProfiler::new().generate_report().await?;
        println!("\n{}", report.sorted_by(SortKey::TotalTime));
        Ok(())
    })
}
