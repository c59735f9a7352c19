//! Command-line arguments of the fleet subcommands (`ingest`, `publish`, `serve`, and the
//! simulator's hidden helpers), and running them.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;

use crate::mqtt;

/// `ingest` options.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Broker, `mqtt://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    pub mqtt: String,
    /// Topic filter to subscribe to.
    #[arg(long, default_value = "iotperf/v1/#")]
    pub topic: String,
    /// Shared-subscription group (`$share/GROUP/TOPIC`): ingest processes of one group
    /// split the messages between them; give each its own --client-id.
    #[arg(long, value_name = "GROUP")]
    pub share: Option<String>,
    /// MQTT client id; the broker keeps this client's session and queued messages while
    /// it is away.
    #[arg(long, default_value = "iot-perf-ingest")]
    pub client_id: String,
    /// History to store into (default: the global --db).
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// Forward every stored record to this InfluxDB line-protocol write endpoint, e.g.
    /// http://127.0.0.1:8428/write (VictoriaMetrics).
    #[arg(long, value_name = "URL")]
    pub forward_influx: Option<String>,
    /// Bound of the forwarding backlog while the engine is down, in lines.
    #[arg(long, default_value_t = 1_000_000)]
    pub backlog_lines: u64,
    /// Most messages stored in one write transaction.
    #[arg(long, default_value_t = 1_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub batch: u64,
    /// Stop after this many messages.
    #[arg(long)]
    pub max_messages: Option<u64>,
    /// Stop after this many seconds without a message.
    #[arg(long, value_name = "SECS")]
    pub idle_exit: Option<f64>,
    /// When stopping, wait up to this many seconds for the forwarding backlog to drain.
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub drain: f64,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "PATH")]
    pub summary_json: Option<PathBuf>,
}

/// `publish` options.
#[derive(Debug, Args)]
pub struct PublishArgs {
    /// Broker, `mqtt://HOST:PORT`.
    #[arg(long, value_name = "URL")]
    pub mqtt: String,
    /// Fleet name (topic level).
    #[arg(long)]
    pub fleet: String,
    /// Device id (topic level).
    #[arg(long)]
    pub device: String,
    /// MQTT client id (default: iot-perf-gw-FLEET-DEVICE).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Messages kept while the broker is unreachable; more are dropped and counted.
    #[arg(long, default_value_t = 10_000)]
    pub buffer: usize,
    /// Frames per MQTT message.
    #[arg(long, default_value_t = 16)]
    pub frames_per_message: usize,
    /// Publish the input's bytes unchanged (cut at frame delimiters) instead of the
    /// frames that decode; the ingest then counts what is corrupt.
    #[arg(long)]
    pub raw: bool,
    /// Seconds to wait at the end for the broker to acknowledge everything.
    #[arg(long, default_value_t = 30.0)]
    pub wait: f64,
    /// A capture file of wire frames, or `-` for standard input (a serial link piped in).
    pub input: PathBuf,
}

/// `serve` options.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9464")]
    pub listen: String,
    /// History to expose (default: the global --db).
    #[arg(long, value_name = "PATH")]
    pub history: Option<PathBuf>,
    /// Stop after answering this many requests (tests).
    #[arg(long, hide = true)]
    pub max_requests: Option<u64>,
}

/// `fleet-sim-devices` (hidden, used by `cargo xtask fleet-sim`).
#[derive(Debug, Args)]
pub struct SimDevicesArgs {
    /// Broker, `mqtt://HOST:PORT`.
    #[arg(long)]
    pub mqtt: String,
    /// Fleet name.
    #[arg(long, default_value = "sim")]
    pub fleet: String,
    /// Simulated devices.
    #[arg(long, default_value_t = 10_000)]
    pub devices: u32,
    /// Messages per device.
    #[arg(long, default_value_t = 5)]
    pub rounds: u32,
    /// MQTT connections the devices are multiplexed over.
    #[arg(long, default_value_t = 8)]
    pub connections: u32,
    /// At most this many messages a second overall (default: as fast as the broker takes).
    #[arg(long)]
    pub rate: Option<f64>,
}

/// `fleet-sim-check` (hidden, used by `cargo xtask fleet-sim`).
#[derive(Debug, Args)]
pub struct SimCheckArgs {
    /// Fleet name.
    #[arg(long, default_value = "sim")]
    pub fleet: String,
    /// Engine base URL (VictoriaMetrics), e.g. http://127.0.0.1:8428.
    #[arg(long)]
    pub engine: Option<String>,
}

/// `ingest --mqtt`: prints the summary (and writes it as JSON when asked).
pub fn ingest(args: &IngestArgs, db: &Path) -> Result<u8> {
    let options = mqtt::ingest::IngestOptions {
        url: args.mqtt.clone(),
        topic: args.topic.clone(),
        share: args.share.clone(),
        client_id: args.client_id.clone(),
        history: args.history.clone().unwrap_or_else(|| db.to_owned()),
        forward_influx: args.forward_influx.clone(),
        max_backlog_lines: args.backlog_lines,
        batch: usize::try_from(args.batch).unwrap_or(1_000),
        max_messages: args.max_messages,
        idle_exit: args.idle_exit.map(Duration::from_secs_f64),
        drain: Duration::from_secs_f64(args.drain.max(0.0)),
    };
    let r = mqtt::ingest::run(&options)?;
    let forward = r.forward.map_or_else(String::new, |f| {
        format!(
            "; forwarded {} lines, {} waiting, {} dropped (backlog peak {}), {} failed posts",
            f.forwarded_lines,
            f.backlog_lines,
            f.dropped_lines,
            f.backlog_peak_lines,
            f.failed_posts
        )
    });
    println!(
        "ingest: {} messages ({} stored, {} bad, {} trace skipped) in {} batches, {} snapshots, {} scope rows, {} heartbeats ({} redelivered), {:.0} msg/s, peak RSS {} KiB, {} disconnects{forward}",
        r.messages,
        r.stored_messages,
        r.bad_messages,
        r.skipped_messages,
        r.batches,
        r.snapshots,
        r.scopes,
        r.heartbeats,
        r.duplicate_heartbeats,
        r.messages_per_second,
        r.peak_rss_kib,
        r.disconnects
    );
    if let Some(path) = &args.summary_json {
        std::fs::write(path, serde_json::to_string_pretty(&r)? + "\n")
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(0)
}

/// `publish`: frames from a file or stdin to the broker.
pub fn publish(args: &PublishArgs) -> Result<u8> {
    let client_id = args
        .client_id
        .clone()
        .unwrap_or_else(|| format!("iot-perf-gw-{}-{}", args.fleet, args.device));
    let publisher = mqtt::publish::Publisher::connect(&args.mqtt, &client_id, args.buffer)?;
    let input: Box<dyn std::io::Read> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        let file = std::fs::File::open(&args.input)
            .with_context(|| format!("opening {}", args.input.display()))?;
        Box::new(std::io::BufReader::new(file))
    };
    let (fleet, device, n) = (&args.fleet, &args.device, args.frames_per_message);
    let corrupt = if args.raw {
        mqtt::publish::publish_raw(&publisher, fleet, device, input, n)?;
        0
    } else {
        mqtt::publish::publish_stream(&publisher, fleet, device, input, n)?
    };
    let s = publisher.finish(Duration::from_secs_f64(args.wait.max(0.0)));
    println!(
        "publish: {} messages queued, {} acknowledged by the broker, {} dropped (buffer full), {corrupt} corrupt frames skipped",
        s.queued, s.acked, s.dropped
    );
    Ok(u8::from(s.acked < s.queued || s.dropped > 0))
}

/// `fleet-sim-devices`: prints `key=value` lines for the xtask.
pub fn sim_devices(args: &SimDevicesArgs) -> Result<u8> {
    let (s, seconds) = mqtt::sim::publish_fleet(
        &args.mqtt,
        &args.fleet,
        args.devices,
        args.rounds,
        args.connections,
        args.rate,
    )?;
    println!(
        "devices={}\nqueued={}\nacked={}\ndropped={}\nseconds={seconds:.3}",
        args.devices, s.queued, s.acked, s.dropped
    );
    Ok(0)
}

/// `fleet-sim-check`: prints `key=value` lines for the xtask.
pub fn sim_check(args: &SimCheckArgs, db: &Path) -> Result<u8> {
    let r = mqtt::sim::check(db, &args.fleet, args.engine.as_deref())?;
    println!(
        "devices={}\nsnapshots={}\nsnapshot_rows={}\nheartbeats={}",
        r.devices, r.snapshots, r.snapshot_rows, r.heartbeats
    );
    if let (Some(points), Some(heartbeats)) = (r.engine_points, r.engine_heartbeats) {
        println!("engine_points={points}\nengine_heartbeats={heartbeats}");
    }
    Ok(0)
}
