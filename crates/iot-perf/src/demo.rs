//! `iot-perf demo`: a simulated sensor node, instrumented, measured on this machine.
//!
//! The "firmware" runs in this process on the host backend (`HostMetrics`: the process
//! CPU time, and the heap counted exactly by the tool's `TrackingAllocator`). Each
//! millisecond it reads a sensor, filters the reading and publishes a payload, each step a
//! `profile_block!` scope of the library's profiler (host cycle counter). Every 100 ms it
//! sends its scope table and a snapshot through the device-side [`Reporter`] as wire
//! frames, exactly as a device on a UART would, and the frames are recorded into a history
//! database like any capture.
//!
//! Two phases run: *healthy*, then *degraded* — the filter takes a slower code path and
//! the publisher leaks a little memory per message. The healthy run becomes the baseline,
//! the CI gate compares the degraded run against it, and the report with recommendations
//! is printed and written as HTML.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use iot_performance::host::HostMetrics;
use iot_performance::wire::{Reporter, StdSink};
use iot_performance::{
    MemoryProvider, PerformanceSnapshot, SystemInfoProvider, TimingProvider, profile_block, timing,
};

use iot_performance::analysis::BootstrapComparator;

use crate::compare::label;
use crate::db::History;
use crate::report::BaselineRun;
use crate::{html, ingest, report, text};

/// Demo settings.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Length of each phase.
    pub phase: Duration,
    /// Where the history and the HTML report go.
    pub out_dir: PathBuf,
    /// Bootstrap settings of the gate.
    pub gate: BootstrapComparator,
}

const REPORT_EVERY: Duration = Duration::from_millis(100);
const PERIOD: Duration = Duration::from_millis(1);
/// Bytes the degraded publisher keeps per message.
const LEAK_PER_MESSAGE: usize = 96;

struct Node<'h> {
    host: &'h HostMetrics,
    window: Vec<f32>,
    filtered: f32,
    leaked: Vec<Box<[u8]>>,
    n: u64,
}

fn read_sensor(n: u64) -> f32 {
    // A noisy slow sine, plus the ADC's oversampling (64 conversions averaged).
    let mut acc = 0.0f32;
    for k in 0..64u64 {
        let noise =
            ((n.wrapping_add(k).wrapping_mul(2_654_435_761) >> 16) % 1000) as f32 / 1000.0 - 0.5;
        acc += 20.0 + 5.0 * (n as f32 / 500.0).sin() + noise;
    }
    acc / 64.0
}

impl<'h> Node<'h> {
    fn new(host: &'h HostMetrics) -> Self {
        Self {
            host,
            window: vec![0.0; 256],
            filtered: 0.0,
            leaked: Vec::new(),
            n: 0,
        }
    }

    fn step(&mut self, degraded: bool) {
        let n = self.n;
        let reading = {
            let _scope = profile_block!("read_sensor");
            read_sensor(n)
        };
        {
            let _scope = profile_block!("filter_reading");
            let node = &mut *self;
            let len = node.window.len();
            node.window[(n as usize) % len] = reading;
            node.filtered = if degraded {
                // The slow path: a median over the window, by sorting a copy each time.
                let mut sorted = node.window.clone();
                sorted.sort_by(f32::total_cmp);
                let mut smooth = 0.0;
                for _ in 0..6 {
                    smooth += sorted[len / 2] + sorted.iter().sum::<f32>() / len as f32;
                }
                smooth / 12.0
            } else {
                // The fast path: mean of the window.
                node.window.iter().sum::<f32>() / len as f32
            };
            std::hint::black_box(node.filtered);
        }
        {
            let _scope = profile_block!("publish_payload");
            let node = &mut *self;
            let payload = format!("{{\"seq\":{n},\"temp\":{:.3}}}", node.filtered);
            let mut buffer = payload.into_bytes();
            buffer.resize(128, b' ');
            if degraded {
                // The leak: a copy of every message kept in a retry queue nobody drains.
                node.leaked
                    .push(buffer[..LEAK_PER_MESSAGE].to_vec().into_boxed_slice());
            }
            std::hint::black_box(&buffer);
        }
        self.n += 1;
    }

    fn snapshot(&self) -> Result<PerformanceSnapshot> {
        Ok(PerformanceSnapshot {
            timestamp_us: self.host.now_us(),
            memory: self.host.memory_metrics()?,
            system: self.host.system_metrics()?,
        })
    }
}

/// Runs one phase and returns its frames.
fn run_phase(host: &HostMetrics, name: &str, degraded: bool, length: Duration) -> Result<Vec<u8>> {
    let mut reporter = Reporter::new(StdSink(Vec::new()));
    reporter.session(
        "demo-sensor-node",
        concat!("sensor-node-sim ", env!("CARGO_PKG_VERSION")),
        timing::ticks_per_second(),
    );
    let bar = ProgressBar::new(length.as_millis() as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:>9} [{bar:30}] {pos:>5}/{len} ms  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_owned());
    timing::reset(); // each phase is its own run: counters start from zero
    let mut node = Node::new(host);
    let _ = node.snapshot()?; // opens the CPU-time window
    let start = Instant::now();
    let mut next = start;
    let mut next_report = start + REPORT_EVERY;
    let mut last = (0u64, 0u64);
    while start.elapsed() < length {
        node.step(degraded);
        if Instant::now() >= next_report {
            let snapshot = node.snapshot()?;
            reporter.snapshot(&snapshot);
            reporter.scope_table(snapshot.timestamp_us);
            let (calls, total) =
                timing::scope("filter_reading").map_or((0, 0), |f| (f.calls, f.total_ticks));
            let mean = if calls > last.0 {
                ticks_us(total - last.1) / (calls - last.0) as f64
            } else {
                0.0
            };
            last = (calls, total);
            bar.set_message(format!(
                "heap {:>7.1} KiB  cpu {:>5.1} %  filter {:>6.1} µs/call",
                snapshot.memory.heap_used as f64 / 1024.0,
                snapshot.system.cpu_utilization,
                mean
            ));
            bar.set_position(start.elapsed().as_millis() as u64);
            next_report += REPORT_EVERY;
        }
        next += PERIOD;
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        } else {
            next = Instant::now();
        }
    }
    bar.finish_with_message(format!(
        "{} loop iterations, {} frames sent, {} dropped",
        node.n,
        reporter.sent(),
        reporter.dropped()
    ));
    println!(
        "{name:>9}: {} loop iterations, {} frames ({} bytes) reported",
        node.n,
        reporter.sent(),
        reporter.sink().0.len()
    );
    Ok(reporter.into_inner().0)
}

fn ticks_us(ticks: u64) -> f64 {
    ticks as f64 * 1e6 / timing::ticks_per_second().max(1) as f64
}

/// Runs the demo; returns whether the gate caught the degradation.
pub fn run(options: &DemoOptions) -> Result<bool> {
    let db_path = options.out_dir.join("demo-history.sqlite");
    remove_previous(&db_path)?;
    let mut history = History::open(&db_path)?;
    let host = HostMetrics::new().context("opening the host backend")?;
    println!(
        "iot-perf demo: a simulated sensor node, {:.1} s healthy then {:.1} s degraded (slower filter, slow leak)",
        options.phase.as_secs_f64(),
        options.phase.as_secs_f64()
    );
    for (run, degraded) in [("healthy", false), ("degraded", true)] {
        let frames = run_phase(&host, run, degraded, options.phase)?;
        ingest::ingest(
            &mut history,
            run,
            "demo (in-process sensor node)",
            frames.as_slice(),
            |w| {
                eprintln!("warning: {w}");
            },
        )?;
    }
    history.save_baseline("healthy", "healthy")?;
    let baseline = history.load_baseline("healthy")?;
    let report = report::build(
        &history.load("degraded")?,
        Some(BaselineRun {
            name: "healthy",
            data: &baseline,
        }),
        &options.gate,
    );
    println!("\n{}", text::text(&report));
    let html_path = options.out_dir.join("demo-report.html");
    std::fs::write(&html_path, html::render(&report))
        .with_context(|| format!("writing {}", html_path.display()))?;
    let caught: Vec<String> = report
        .comparison
        .iter()
        .flat_map(|c| c.regressions())
        .map(|m| label(&m.metric))
        .collect();
    if caught.is_empty() {
        println!("Detector: no regression found against the healthy baseline.");
    } else {
        println!("Detector: REGRESSION caught in {}.", caught.join(", "));
    }
    println!(
        "History: {}\nHTML report: {}",
        db_path.display(),
        html_path.display()
    );
    Ok(!caught.is_empty())
}

/// The demo starts from an empty history of its own; other files are never touched.
fn remove_previous(db_path: &Path) -> Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = db_path.as_os_str().to_owned();
        p.push(suffix);
        match std::fs::remove_file(&p) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("removing the previous demo history {}", db_path.display())
                });
            }
        }
    }
    Ok(())
}
