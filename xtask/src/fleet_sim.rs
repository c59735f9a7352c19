//! `cargo xtask fleet-sim [--devices N] [--rounds R] [--connections C]`: Mosquitto and
//! VictoriaMetrics on loopback, `iot-perf ingest` between them, N simulated devices
//! (multiplexed over C MQTT connections, each device its own topics and run) publishing R
//! record messages each (session, snapshot, two scope rows) and then one heartbeat. Waits
//! (bounded) for the ingest to go idle, counts what reached the history and the engine,
//! and prints as its last line `fleet: D devices, M messages, L lost, R msg/s` (R: the
//! ingest's throughput from its first message to its last). Fails when anything is lost.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed when dropped.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn program(name: &str, package: &str) -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| format!("{name} is not installed (apt-get install -y {package})"))
}

fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}

fn wait_listening(port: u16, what: &str) -> Result<(), String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!(
        "{what} did not listen on 127.0.0.1:{port} within 20 s"
    ))
}

fn spawn(program: &Path, args: &[String], log: &Path, what: &'static str) -> Result<Guard, String> {
    let log = std::fs::File::create(log).map_err(|e| e.to_string())?;
    let err = log.try_clone().map_err(|e| e.to_string())?;
    Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err)
        .spawn()
        .map(Guard)
        .map_err(|e| format!("starting {what}: {e}"))
}

/// Runs iot-perf to completion; its stdout.
fn iot_perf(bin: &Path, args: &[String]) -> Result<String, String> {
    let out = Command::new(bin)
        .args(args)
        .output()
        .map_err(|e| format!("running iot-perf: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "iot-perf {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The number after `key=` (lines) or `"key": ` (JSON) in `text`.
fn number(text: &str, key: &str) -> Result<f64, String> {
    for pattern in [format!("{key}="), format!("\"{key}\": ")] {
        if let Some(at) = text.find(&pattern) {
            let rest = &text[at + pattern.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == 'e'))
                .unwrap_or(rest.len());
            return rest[..end]
                .parse()
                .map_err(|_| format!("{key}: {:?} is not a number", &rest[..end]));
        }
    }
    Err(format!("no {key} in:\n{text}"))
}

fn arg(args: &[String], name: &str, default: u32) -> Result<u32, String> {
    match args.iter().position(|a| a == name) {
        Some(i) => args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{name} needs a number")),
        None => Ok(default),
    }
}

pub fn run(args: &[String]) -> Result<(), String> {
    let devices = arg(args, "--devices", 10_000)?;
    let rounds = arg(args, "--rounds", 5)?;
    let connections = arg(args, "--connections", 8)?;
    let mosquitto = program("mosquitto", "mosquitto")?;
    let vm = program("victoria-metrics", "victoria-metrics")?;
    super::run(Command::new(env!("CARGO")).args(["build", "--release", "-p", "iot-perf"]))?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("no workspace root")?
        .to_owned();
    let bin = root.join("target/release/iot-perf");
    let dir = std::env::temp_dir().join(format!("iot-perf-fleet-sim-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("mosquitto")).map_err(|e| e.to_string())?;

    let broker_port = free_port()?;
    // Started as root, mosquitto would drop to user `mosquitto`, which cannot write here.
    let root_user = std::os::unix::fs::MetadataExt::uid(
        &std::fs::metadata("/proc/self").map_err(|e| e.to_string())?,
    ) == 0;
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {broker_port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nmax_inflight_messages 1000\nmax_queued_messages 0\n{}",
            dir.join("mosquitto").display(),
            if root_user { "user root\n" } else { "" }
        ),
    )
    .map_err(|e| e.to_string())?;
    let _broker = spawn(
        &mosquitto,
        &["-c".into(), conf.display().to_string()],
        &dir.join("mosquitto.log"),
        "mosquitto",
    )?;
    wait_listening(broker_port, "mosquitto")?;
    let engine_port = free_port()?;
    let _engine = spawn(
        &vm,
        &[
            format!("-storageDataPath={}", dir.join("vm").display()),
            format!("-httpListenAddr=127.0.0.1:{engine_port}"),
            "-search.latencyOffset=0s".into(),
        ],
        &dir.join("victoria-metrics.log"),
        "victoria-metrics",
    )?;
    wait_listening(engine_port, "victoria-metrics")?;

    let mqtt = format!("mqtt://127.0.0.1:{broker_port}");
    let history = dir.join("fleet.sqlite").display().to_string();
    let summary = dir.join("ingest.json");
    let ingest_args: Vec<String> = [
        "ingest",
        "--mqtt",
        &mqtt,
        "--history",
        &history,
        "--forward-influx",
        &format!("http://127.0.0.1:{engine_port}/write"),
        "--idle-exit",
        "5",
        "--drain",
        "120",
        "--summary-json",
        &summary.display().to_string(),
    ]
    .map(str::to_owned)
    .to_vec();
    eprintln!("+ iot-perf {}", ingest_args.join(" "));
    let mut child = Command::new(&bin)
        .args(&ingest_args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("starting iot-perf ingest: {e}"))?;
    // Its stderr echoed; publishing starts once it says it is subscribed.
    let stderr = child.stderr.take().ok_or("no stderr")?;
    let mut ingest = Guard(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            eprintln!("{line}");
            if line.starts_with("ingest: subscribed") {
                let _ = tx.send(());
            }
        }
    });
    rx.recv_timeout(Duration::from_secs(30))
        .map_err(|_| "the ingest did not subscribe within 30 s".to_owned())?;

    let sim = iot_perf(
        &bin,
        &[
            "fleet-sim-devices".into(),
            "--mqtt".into(),
            mqtt.clone(),
            "--devices".into(),
            devices.to_string(),
            "--rounds".into(),
            rounds.to_string(),
            "--connections".into(),
            connections.to_string(),
        ],
    )?;
    let published = number(&sim, "acked")?;
    let sent_seconds = number(&sim, "seconds")?;
    eprintln!(
        "devices published {published} messages in {sent_seconds:.1} s ({} dropped by their own buffers)",
        number(&sim, "dropped")?
    );

    let deadline = Instant::now() + Duration::from_secs(600);
    let status = loop {
        if let Some(status) = ingest.0.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if Instant::now() > deadline {
            return Err("the ingest did not finish within 10 minutes".into());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        return Err(format!("iot-perf ingest failed: {status}"));
    }
    let summary = std::fs::read_to_string(&summary).map_err(|e| e.to_string())?;
    let reached = iot_perf(
        &bin,
        &[
            "--db".into(),
            history.clone(),
            "fleet-sim-check".into(),
            "--engine".into(),
            format!("http://127.0.0.1:{engine_port}"),
        ],
    )?;
    let records = f64::from(devices) * f64::from(rounds);
    let heartbeats = f64::from(devices);
    let messages = records + heartbeats;
    let history_lost = (records - number(&reached, "snapshots")?).max(0.0)
        + (heartbeats - number(&reached, "heartbeats")?).max(0.0);
    let engine_lost = (records - number(&reached, "engine_points")?).max(0.0)
        + (heartbeats - number(&reached, "engine_heartbeats")?).max(0.0);
    let rate = number(&summary, "messages_per_second")?;
    eprintln!(
        "history: {} device runs, {} distinct snapshots ({} rows), {} heartbeats; engine: {} snapshot points, {} heartbeat points",
        number(&reached, "devices")?,
        number(&reached, "snapshots")?,
        number(&reached, "snapshot_rows")?,
        number(&reached, "heartbeats")?,
        number(&reached, "engine_points")?,
        number(&reached, "engine_heartbeats")?,
    );
    eprintln!(
        "ingest: {:.2} s busy, peak RSS {} KiB, {} transactions, {} lines forwarded (backlog peak {})",
        number(&summary, "busy_seconds")?,
        number(&summary, "peak_rss_kib")?,
        number(&summary, "batches")?,
        number(&summary, "forwarded_lines")?,
        number(&summary, "backlog_peak_lines")?,
    );
    let lost = history_lost + engine_lost;
    let _ = std::fs::remove_dir_all(&dir);
    println!("fleet: {devices} devices, {messages} messages, {lost} lost, {rate:.0} msg/s");
    if lost > 0.0 {
        return Err(format!(
            "{history_lost} messages missing from the history, {engine_lost} from the engine"
        ));
    }
    Ok(())
}
