//! Command-line interface definition.

use std::ops::RangeInclusive;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::sources::Source;

/// iot-perf: see, keep and gate what your devices measured.
///
/// Exit codes: 0 success (no regression, history intact), 3 regression found by
/// `compare`, 4 damage found by `check`, 1 error, 2 usage error.
#[derive(Debug, Parser)]
#[command(name = "iot-perf", version, about, long_about = None)]
pub struct Cli {
    /// History database (SQLite, created by the first `record`; read commands never
    /// create it).
    #[arg(
        long,
        global = true,
        env = "IOT_PERF_DB",
        default_value = "iot-perf-history.sqlite"
    )]
    pub db: PathBuf,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run an instrumented simulated sensor node on this machine: healthy, then degraded;
    /// catch the regression, print the report, write an HTML report.
    Demo(DemoArgs),
    /// Ingest frames from a file, stdin, a serial port or a command (a QEMU run) into a new
    /// run, stored all at once when the capture ends (a failed record stores nothing).
    Record(RecordArgs),
    /// List the recorded runs (`runs`, `runs list`) or remove one (`runs remove NAME`).
    Runs {
        /// `list` (the default) or `remove NAME`.
        #[command(subcommand)]
        action: Option<RunsCommand>,
    },
    /// Report on a run: text, JSON (versioned schema) or HTML with SVG charts.
    Report(ReportArgs),
    /// Manage named baselines.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// The CI gate: compare a run against a baseline (exit 0 no regression, 3 regression).
    Compare(CompareArgs),
    /// Export a run for Prometheus (OpenMetrics text) or InfluxDB (line protocol).
    Export(ExportArgs),
    /// Check the history for damage (SQLite's full integrity check, read-only):
    /// exit 0 intact, 4 damaged.
    Check,
    /// Subscribe to an MQTT broker and store every device's messages in the history
    /// (acknowledged only once stored), forwarding them to a time-series engine.
    Ingest(crate::cli_fleet::IngestArgs),
    /// Publish wire frames from a capture or stdin to an MQTT broker (a Linux gateway).
    Publish(crate::cli_fleet::PublishArgs),
    /// Serve the latest state of every run as OpenMetrics on /metrics.
    Serve(crate::cli_fleet::ServeArgs),
    /// Simulated devices for `cargo xtask fleet-sim`.
    #[command(hide = true)]
    FleetSimDevices(crate::cli_fleet::SimDevicesArgs),
    /// What of a simulated fleet reached the history and the engine.
    #[command(hide = true)]
    FleetSimCheck(crate::cli_fleet::SimCheckArgs),
    /// Fleet heartbeats: import them, compare cohorts (exit 3 on a regression).
    #[command(subcommand)]
    Fleet(crate::fleet::FleetCommand),
}

/// `demo` options.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seconds per phase (healthy, then degraded).
    #[arg(long, default_value_t = 4.0, value_parser = parse_duration)]
    pub duration: f64,
    /// Short phases (1.5 s each), for smoke tests.
    #[arg(long)]
    pub quick: bool,
    /// Directory for the demo's history (`demo-history.sqlite`, replaced on every run) and
    /// HTML report (`demo-report.html`); default: `iot-perf-demo` in the system temp dir.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `s` as a number within `range`; the errors say it is not `what`, or `out_of_range`.
fn parse_in_range(
    s: &str,
    range: RangeInclusive<f64>,
    what: &str,
    out_of_range: &str,
) -> Result<f64, String> {
    let v: f64 = s.parse().map_err(|_| format!("{s:?} is not {what}"))?;
    if range.contains(&v) {
        Ok(v)
    } else {
        Err(out_of_range.into())
    }
}

fn parse_duration(s: &str) -> Result<f64, String> {
    parse_in_range(
        s,
        0.5..=600.0,
        "a number of seconds",
        "the duration must be between 0.5 and 600 seconds",
    )
}

fn parse_timeout(s: &str) -> Result<f64, String> {
    parse_in_range(
        s,
        0.1..=86_400.0,
        "a number of seconds",
        "the timeout must be between 0.1 and 86400 seconds",
    )
}

/// `record` options.
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("source").required(true).args(["input", "serial", "exec"]))]
pub struct RecordArgs {
    /// Name of the new run (default: `run-<n>`).
    #[arg(long)]
    pub run: Option<String>,
    /// A capture file, or `-` for standard input.
    pub input: Option<PathBuf>,
    /// A serial port (e.g. /dev/ttyUSB0) to read frames from.
    #[arg(long)]
    pub serial: Option<String>,
    /// Baud rate of the serial port.
    #[arg(long, default_value_t = 115_200, requires = "serial")]
    pub baud: u32,
    /// Stop reading the serial port after this many seconds.
    #[arg(long, default_value_t = 10.0, requires = "serial")]
    pub seconds: f64,
    /// Run this command (e.g. a QEMU semihosting run of an example) and record its stdout.
    #[arg(long, num_args = 1.., allow_hyphen_values = true, value_name = "COMMAND")]
    pub exec: Option<Vec<String>>,
    /// With --exec: stop the command after this many seconds (what it sent is kept).
    #[arg(long, requires = "exec", value_parser = parse_timeout)]
    pub timeout: Option<f64>,
}

impl RecordArgs {
    /// The source these arguments name: `--exec` first, then `--serial`, then the input
    /// path (`-` for standard input).
    ///
    /// # Errors
    /// When no source is given.
    pub fn source(&self) -> Result<Source, String> {
        if let Some(argv) = &self.exec {
            return Ok(Source::Command {
                argv: argv.clone(),
                timeout: self.timeout,
            });
        }
        if let Some(port) = &self.serial {
            return Ok(Source::Serial {
                port: port.clone(),
                baud: self.baud,
                seconds: self.seconds,
            });
        }
        match &self.input {
            Some(path) if path.as_os_str() == "-" => Ok(Source::Stdin),
            Some(path) => Ok(Source::File(path.clone())),
            None => Err("give a capture file, `-`, --serial PORT or --exec COMMAND".into()),
        }
    }
}

/// Report formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ReportFormat {
    /// Plain text.
    Text,
    /// JSON with `schema_version`.
    Json,
    /// Self-contained HTML with SVG charts.
    Html,
}

/// `report` options.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Run name or id (default: the latest run).
    #[arg(long)]
    pub run: Option<String>,
    /// Also compare against this baseline.
    #[arg(long)]
    pub baseline: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Gate settings, when comparing.
    #[command(flatten)]
    pub gate: GateArgs,
}

/// `runs` subcommands.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// List the recorded runs, oldest first.
    List,
    /// Remove a run with its snapshots, scope rows and the baselines pointing at it.
    Remove {
        /// Run name or id.
        name: String,
    },
}

/// `baseline` subcommands.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Save (or move) a named baseline to a run.
    Save {
        /// Baseline name.
        name: String,
        /// Run name or id.
        #[arg(long)]
        run: String,
    },
    /// List baselines.
    List,
    /// Remove a baseline (its run stays).
    Remove {
        /// Baseline name.
        name: String,
    },
}

/// Bootstrap settings.
#[derive(Debug, Args)]
pub struct GateArgs {
    /// Noise threshold in percent: smaller changes never count as regressions.
    #[arg(long, default_value_t = 5.0, value_parser = parse_percent, allow_negative_numbers = true)]
    pub threshold: f64,
    /// Confidence level of the bootstrap interval, in percent.
    #[arg(long, default_value_t = 95.0, value_parser = parse_confidence, allow_negative_numbers = true)]
    pub confidence: f64,
    /// Seed of the bootstrap, a decimal number as reports print it (same data and seed,
    /// same answer).
    #[arg(long, default_value_t = iot_performance::analysis::BootstrapComparator::default().seed)]
    pub seed: u64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub resamples: u32,
}

fn parse_percent(s: &str) -> Result<f64, String> {
    parse_in_range(
        s,
        0.0..=1000.0,
        "a percentage",
        "the threshold must be between 0 and 1000 %",
    )
}

fn parse_confidence(s: &str) -> Result<f64, String> {
    parse_in_range(
        s,
        50.0..=99.9,
        "a percentage",
        "the confidence must be between 50 and 99.9 %",
    )
}

/// `compare` options.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Baseline name.
    #[arg(long)]
    pub baseline: String,
    /// Run name or id.
    #[arg(long)]
    pub run: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Gate settings.
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Export formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// OpenMetrics text exposition (Prometheus).
    Openmetrics,
    /// InfluxDB line protocol.
    Influx,
    /// Chrome/Perfetto trace-event JSON of the run's trace (or of the trace frames in a
    /// raw capture, `--trace`): tasks and interrupt handlers as tracks, scopes as nested
    /// slices, values as counters, gaps marked; opens in ui.perfetto.dev and
    /// chrome://tracing.
    Perfetto,
}

/// `export` options.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Run name or id (default: the latest run).
    #[arg(long)]
    pub run: Option<String>,
    /// Output format.
    #[arg(long, value_enum)]
    pub format: ExportFormat,
    /// `perfetto`: read the trace frames of this raw capture of the device link instead
    /// of a run of the history (then --ticks-per-second is needed).
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// `perfetto`: ticks per second of the device clock the trace was stamped with
    /// (default for a run: its session record's).
    #[arg(long)]
    pub ticks_per_second: Option<u64>,
    /// `perfetto`: names a scope id (the device's registry slot), `INDEX=NAME`; repeat it
    /// (a run's scope table names them already; this overrides).
    #[arg(long = "scope-name", value_name = "INDEX=NAME")]
    pub scope_names: Vec<String>,
    /// Write to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}
