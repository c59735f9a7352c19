//! `iot-perf fleet`: heartbeats from a fleet of devices — store them (`fleet import`) and
//! compare cohorts of devices by firmware, hardware revision, group and time
//! (`fleet compare`). The statistics and the verdicts are the library's
//! (`iot_performance::analysis::fleet`); this module loads the history and renders.

mod compare;
mod engine;
mod html;
mod import;
mod render;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use iot_performance::analysis::BootstrapComparator;
use iot_performance::analysis::fleet::FleetComparator;

use crate::db::History;

pub use compare::parse_cohort;
pub use import::{import_files, store_frames};

/// Exit code when a cohort comparison finds a regression (as `compare`).
const EXIT_REGRESSION: u8 = 3;

/// `fleet` subcommands.
#[derive(Debug, Subcommand)]
pub enum FleetCommand {
    /// Store the heartbeat frames of capture files (0x00-delimited, e.g. MQTT payloads
    /// saved one after another) in the history.
    Import(ImportArgs),
    /// Compare two cohorts of devices (by firmware, hardware revision, group, device,
    /// time range): each scope's p50/p90/p99 of the cohort's merged histograms, with a
    /// bootstrap interval over devices. Exit 0 no regression, 3 regression.
    Compare(CompareArgs),
}

/// `fleet compare` options.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// A cohort, `KEY=VALUE[,KEY=VALUE…]` with keys firmware, hardware, group, device;
    /// exactly two: A (before) then B (after).
    #[arg(long, required = true, num_args = 1, value_parser = parse_cohort_arg)]
    pub cohort: Vec<CohortArg>,
    /// Only heartbeats received at or after: Unix ms, or an age such as `24h`, `7d`.
    #[arg(long, value_parser = parse_time)]
    pub since: Option<i64>,
    /// Only heartbeats received before: Unix ms, or an age such as `1h`.
    #[arg(long, value_parser = parse_time)]
    pub until: Option<i64>,
    /// Read the cohorts from this VictoriaMetrics (e.g. http://127.0.0.1:8428, where
    /// `ingest --forward-influx` writes) instead of the history: for fleets whose
    /// heartbeats are spread over several ingest processes. Same judgement.
    #[arg(long, value_name = "URL")]
    pub from_engine: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the comparison as an HTML page (verdict, chart, table) to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Noise threshold in percent (fleet default 2: see `FleetComparator`).
    #[arg(long, default_value_t = 2.0)]
    pub threshold: f64,
    /// Confidence level of the bootstrap interval, in percent.
    #[arg(long, default_value_t = 95.0)]
    pub confidence: f64,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = BootstrapComparator::default().seed)]
    pub seed: u64,
    /// Bootstrap resamples.
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(100..=1_000_000))]
    pub resamples: u32,
}

/// A parsed `--cohort`.
#[derive(Debug, Clone)]
pub struct CohortArg {
    /// As given.
    pub spec: String,
    /// What it selects.
    pub filter: crate::db::fleet::HeartbeatFilter,
}

fn parse_cohort_arg(s: &str) -> Result<CohortArg, String> {
    Ok(CohortArg {
        spec: s.to_owned(),
        filter: parse_cohort(s)?,
    })
}

/// Unix ms, or an age (`90s`, `30m`, `24h`, `7d`) before now.
fn parse_time(s: &str) -> Result<i64, String> {
    if let Ok(ms) = s.parse::<i64>() {
        return Ok(ms);
    }
    let (n, unit) = s.split_at(s.len().saturating_sub(1));
    let scale = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => {
            return Err(format!(
                "{s:?} is neither Unix ms nor an age like 24h or 7d"
            ));
        }
    };
    let n: i64 = n
        .parse()
        .map_err(|_| format!("{s:?} is neither Unix ms nor an age like 24h or 7d"))?;
    Ok(crate::db::now_ms() - n.saturating_mul(scale))
}

/// `fleet import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Files of heartbeat frames.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
}

/// Runs a `fleet` subcommand against the history at `db`; returns the exit code.
pub fn run(db: &Path, command: &FleetCommand) -> Result<u8> {
    match command {
        FleetCommand::Import(args) => {
            let mut history = History::open(db)?;
            let summary = import_files(&mut history, &args.files)?;
            println!("{summary}");
            Ok(0)
        }
        FleetCommand::Compare(args) => {
            let [a, b] = args.cohort.as_slice() else {
                bail!("give exactly two --cohort options: A (before), then B (after)");
            };
            if !(0.0..=1000.0).contains(&args.threshold)
                || !(50.0..=99.9).contains(&args.confidence)
            {
                bail!("--threshold must be 0–1000 % and --confidence 50–99.9 %");
            }
            let settings = FleetComparator {
                gate: BootstrapComparator {
                    noise_threshold_percent: args.threshold,
                    confidence: args.confidence / 100.0,
                    resamples: args.resamples as usize,
                    seed: args.seed,
                },
                ..FleetComparator::default()
            };
            let within = |mut f: crate::db::fleet::HeartbeatFilter| {
                f.since_unix_ms = args.since;
                f.until_unix_ms = args.until;
                f
            };
            let (fa, fb) = (within(a.filter.clone()), within(b.filter.clone()));
            let (a, b) = match &args.from_engine {
                Some(url) => (
                    engine::cohort(url, &a.spec, &fa)?,
                    engine::cohort(url, &b.spec, &fb)?,
                ),
                None => {
                    let history = History::open_read(db)?;
                    (
                        compare::from_history(&history, &a.spec, &fa)?,
                        compare::from_history(&history, &b.spec, &fb)?,
                    )
                }
            };
            let report = compare::judge(&a, &b, &settings);
            if let Some(path) = &args.html {
                std::fs::write(path, html::render(&report))
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", render::text(&report));
            }
            if report.regressed {
                eprintln!(
                    "regression: a percentile of cohort B is worse beyond the noise threshold"
                );
                Ok(EXIT_REGRESSION)
            } else {
                Ok(0)
            }
        }
    }
}
