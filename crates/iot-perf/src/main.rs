//! `iot-perf`: the host tool of iot-performance.
//!
//! Runs the demo, records device frames into a SQLite history, renders reports, keeps
//! baselines, gates CI on regressions and exports to Prometheus or InfluxDB. See
//! `iot-perf --help`.

mod analysis;
mod cli;
mod cli_fleet;
mod compare;
mod db;
mod db_remove;
mod demo;
mod export;
mod fleet;
mod forward;
mod frames;
mod html;
mod html_compare;
mod html_timeline;
mod ingest;
mod model;
mod mqtt;
mod names;
mod palette;
mod recommend;
mod report;
mod serve;
mod sources;
mod svg;
mod svg_compare;
mod svg_range;
mod tasks;
mod tasks_render;
mod text;
mod timeline;
mod units;

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Parser;

use cli::{BaselineCommand, Cli, Command, ExportFormat, GateArgs, ReportFormat, RunsCommand};
use db::{History, RunName};
use iot_performance::analysis::{BootstrapComparator, Verdict};
use report::BaselineRun;

/// Every allocation of the tool (and of the demo's simulated node) is counted, so the
/// host backend reports exact heap figures instead of the C allocator's estimate.
#[global_allocator]
static ALLOCATOR: iot_performance::memory::TrackingAllocator<std::alloc::System> =
    iot_performance::memory::TrackingAllocator::new(std::alloc::System);

/// Exit code of `compare` when a metric regressed.
const EXIT_REGRESSION: u8 = 3;
/// Exit code of `check` when the history is damaged.
const EXIT_DAMAGED: u8 = 4;

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit with 2
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn gate(args: &GateArgs) -> BootstrapComparator {
    BootstrapComparator {
        noise_threshold_percent: args.threshold,
        confidence: args.confidence / 100.0,
        resamples: args.resamples as usize,
        seed: args.seed,
    }
}

fn write_out(output: Option<&Path>, text: &str) -> Result<()> {
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            Ok(out.flush()?)
        }
    }
}

/// `export --format perfetto`: a run's trace from the history, or a raw capture
/// (`--trace FILE`, the history is not opened).
fn export_perfetto(db: &Path, args: &cli::ExportArgs) -> Result<u8> {
    use export::perfetto::{PerfettoWriter, export_capture, parse_scope_names};
    let given = parse_scope_names(&args.scope_names)?;
    let out: Box<dyn std::io::Write> = match args.output.as_deref() {
        Some(path) => Box::new(
            std::fs::File::create(path).with_context(|| format!("writing {}", path.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let out = std::io::BufWriter::with_capacity(1 << 16, out);
    let counts = if let Some(path) = args.trace.as_deref() {
        let Some(hz) = args.ticks_per_second else {
            bail!("--trace FILE needs --ticks-per-second HZ (a raw capture does not say)");
        };
        let file =
            std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        export_capture(std::io::BufReader::new(file), out, hz, &given)?
    } else {
        let history = History::open_read(db)?;
        let run = history.run(&latest_run(&history, args.run.clone())?)?;
        if !history.has_trace(run.id)? {
            bail!(
                "run {:?} has no trace (build the firmware with the `trace` feature and stream its ring, see the README)",
                run.name
            );
        }
        let Some(hz) = args.ticks_per_second.or(history.ticks_per_second(run.id)?) else {
            bail!(
                "run {:?} does not say its clock rate (no session record): give --ticks-per-second HZ",
                run.name
            );
        };
        let mut names = history.trace_scope_names(run.id)?;
        names.extend(given);
        let tracks = history.trace_track_names(run.id)?;
        let mut writer = PerfettoWriter::new(out, hz, &names, &tracks)?;
        history.for_each_trace_chunk(run.id, |item| writer.item(item))?;
        writer.finish()?
    };
    eprintln!(
        "perfetto: {} events, {} lost on the device, {} damaged trace frames",
        counts.events, counts.lost, counts.damaged
    );
    Ok(0)
}

fn latest_run(history: &History, run: Option<String>) -> Result<String> {
    match run {
        Some(run) => Ok(run),
        None => match history.runs()?.pop() {
            Some(run) => Ok(run.name),
            None => bail!("the history is empty: record a run first (`iot-perf record FILE`)"),
        },
    }
}

/// `iot-perf check`: exit 0 when intact, [`EXIT_DAMAGED`] with the problems otherwise.
fn check(path: &Path) -> Result<u8> {
    let report = db::check(path)?;
    let runs = report
        .runs
        .map_or_else(|| "runs not countable".to_owned(), |n| format!("{n} runs"));
    let schema = report
        .schema
        .map_or_else(|| "unreadable".to_owned(), |v| v.to_string());
    if report.problems.is_empty() {
        println!(
            "history {}: intact (schema {schema}, {runs}; SQLite integrity and foreign-key checks passed)",
            path.display()
        );
        return Ok(0);
    }
    println!(
        "history {}: DAMAGED (schema {schema}, {runs}); {} problem(s):",
        path.display(),
        report.problems.len()
    );
    for problem in &report.problems {
        println!("  {problem}");
    }
    Ok(EXIT_DAMAGED)
}

fn run(cli: Cli) -> Result<u8> {
    if let Command::Demo(args) = &cli.command {
        let phase = if args.quick { 1.5 } else { args.duration };
        let out_dir = args
            .out
            .clone()
            .unwrap_or_else(|| std::env::temp_dir().join("iot-perf-demo"));
        demo::run(&demo::DemoOptions {
            phase: Duration::from_secs_f64(phase),
            out_dir,
            gate: BootstrapComparator::default(),
        })?;
        return Ok(0);
    }
    if let Command::Check = &cli.command {
        return check(&cli.db);
    }
    if let Command::Fleet(command) = &cli.command {
        return fleet::run(&cli.db, command);
    }
    match &cli.command {
        Command::Ingest(args) => return cli_fleet::ingest(args, &cli.db),
        Command::Publish(args) => return cli_fleet::publish(args),
        Command::Serve(args) => {
            let history = args.history.as_deref().unwrap_or(&cli.db);
            serve::serve(&args.listen, history, args.max_requests)?;
            return Ok(0);
        }
        Command::FleetSimDevices(args) => return cli_fleet::sim_devices(args),
        Command::FleetSimCheck(args) => return cli_fleet::sim_check(args, &cli.db),
        _ => {}
    }
    if let Command::Export(args) = &cli.command
        && let ExportFormat::Perfetto = args.format
    {
        return export_perfetto(&cli.db, args);
    }
    let writes = matches!(
        cli.command,
        Command::Record(_)
            | Command::Baseline(BaselineCommand::Save { .. } | BaselineCommand::Remove { .. })
    );
    let mut history = if writes {
        History::open(&cli.db)?
    } else {
        History::open_read(&cli.db)?
    };
    match cli.command {
        Command::Demo(_)
        | Command::Check
        | Command::Fleet(_)
        | Command::Ingest(_)
        | Command::Publish(_)
        | Command::Serve(_)
        | Command::FleetSimDevices(_)
        | Command::FleetSimCheck(_) => unreachable!("handled above"),
        Command::Record(args) => {
            let name = args.run.clone().map_or(RunName::Next, RunName::Given);
            let source = args.source().map_err(anyhow::Error::msg)?;
            let summary = sources::record(&mut history, &name, &source)?;
            if summary.run.is_empty() {
                println!(
                    "no record frames, no run recorded; {} corrupt frames skipped",
                    summary.corrupt
                );
            } else {
                println!(
                    "recorded run {}: {} snapshots, {} scope rows, {} task rows, {} interrupt rows, {} other records; {} corrupt frames skipped",
                    summary.run,
                    summary.snapshots,
                    summary.scopes,
                    summary.tasks,
                    summary.interrupts,
                    summary.other,
                    summary.corrupt
                );
            }
            if summary.heartbeats + summary.duplicate_heartbeats > 0 {
                println!(
                    "heartbeats: {} stored, {} already stored (iot-perf fleet compare reads them)",
                    summary.heartbeats, summary.duplicate_heartbeats
                );
            }
            if summary.trace_events > 0 || summary.trace_gaps > 0 {
                println!(
                    "trace: {} events, {} gaps ({} events lost on the device; a damaged trace frame is a gap of unknown size)",
                    summary.trace_events, summary.trace_gaps, summary.trace_lost
                );
            }
            Ok(0)
        }
        Command::Runs {
            action: None | Some(RunsCommand::List),
        } => {
            for r in history.runs()? {
                println!(
                    "{:>4}  {:<24} {}  {:<20} {:<40} corrupt {} dropped {}",
                    r.id,
                    r.name,
                    units::unix_ms(r.recorded_at_unix_ms),
                    r.device.as_deref().unwrap_or("?"),
                    r.source,
                    r.corrupt_frames,
                    r.dropped_on_device
                );
            }
            Ok(0)
        }
        Command::Runs {
            action: Some(RunsCommand::Remove { name }),
        } => {
            drop(history);
            let removed = db_remove::remove_run(&cli.db, &name)?;
            if removed.baselines.is_empty() {
                println!("run {:?} removed", removed.run);
            } else {
                println!(
                    "run {:?} removed, with the baselines that pointed at it: {}",
                    removed.run,
                    removed.baselines.join(", ")
                );
            }
            Ok(0)
        }
        Command::Report(args) => {
            let data = history.load(&latest_run(&history, args.run)?)?;
            let baseline = match args.baseline.as_deref() {
                Some(name) => Some((name, history.load_baseline(name)?)),
                None => None,
            };
            let baseline = baseline
                .as_ref()
                .map(|(name, data)| BaselineRun { name, data });
            let report = report::build(&data, baseline, &gate(&args.gate));
            let text = match args.format {
                ReportFormat::Text => text::text(&report),
                ReportFormat::Json => serde_json::to_string_pretty(&report)? + "\n",
                ReportFormat::Html => match html_timeline::section(&history, &data.run)? {
                    Some(timeline) => html::render_with(&report, &timeline),
                    None => html::render(&report),
                },
            };
            write_out(args.output.as_deref(), &text)?;
            Ok(0)
        }
        Command::Baseline(BaselineCommand::Save { name, run }) => {
            history.save_baseline(&name, &run)?;
            println!("baseline {name:?} now points at run {run:?}");
            Ok(0)
        }
        Command::Baseline(BaselineCommand::List) => {
            for b in history.baselines()? {
                println!(
                    "{:<24} run {:<24} saved {}",
                    b.name,
                    b.run,
                    units::unix_ms(b.saved_at_unix_ms)
                );
            }
            Ok(0)
        }
        Command::Baseline(BaselineCommand::Remove { name }) => {
            if !history.remove_baseline(&name)? {
                bail!("no baseline named {name:?}");
            }
            println!("baseline {name:?} removed (its run is kept)");
            Ok(0)
        }
        Command::Compare(args) => {
            if history.runs()?.is_empty() {
                bail!("the history is empty: record a run first (`iot-perf record FILE`)");
            }
            let data = history.load(&args.run)?;
            let baseline = history.load_baseline(&args.baseline)?;
            let report = report::build(
                &data,
                Some(BaselineRun {
                    name: &args.baseline,
                    data: &baseline,
                }),
                &gate(&args.gate),
            );
            let Some(comparison) = &report.comparison else {
                bail!("comparison missing");
            };
            if comparison
                .metrics
                .iter()
                .all(|m| m.verdict == Verdict::InsufficientData)
            {
                bail!(
                    "run {:?} and baseline {:?} share no metric with at least 2 samples on both sides",
                    args.run,
                    args.baseline
                );
            }
            if args.json {
                write_out(None, &(serde_json::to_string_pretty(comparison)? + "\n"))?;
            } else {
                write_out(None, &text::comparison_text(comparison))?;
            }
            if comparison.regressed {
                eprintln!("regression: at least one metric is worse beyond the noise threshold");
                Ok(EXIT_REGRESSION)
            } else {
                Ok(0)
            }
        }
        Command::Export(args) => {
            let data = history.load(&latest_run(&history, args.run)?)?;
            let text = match args.format {
                ExportFormat::Openmetrics => export::openmetrics(&data),
                ExportFormat::Influx => export::influx(&data)?,
                ExportFormat::Perfetto => unreachable!("handled above"),
            };
            write_out(args.output.as_deref(), &text)?;
            Ok(0)
        }
    }
}
