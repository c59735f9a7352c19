//! Where `record` reads frames from: a file, stdin, a serial port, or a command's stdout.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::db::{History, RunName};
use crate::ingest::{IngestSummary, ingest};

/// A byte stream of wire frames.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A capture file.
    File(PathBuf),
    /// Standard input.
    Stdin,
    /// A serial port read for `seconds`.
    Serial {
        /// Port name, e.g. `/dev/ttyUSB0`.
        port: String,
        /// Baud rate.
        baud: u32,
        /// How long to read.
        seconds: f64,
    },
    /// A command's stdout (a QEMU semihosting run, for instance), killed with its process
    /// group after `timeout` seconds when given.
    Command {
        /// Program and arguments.
        argv: Vec<String>,
        /// Seconds before the command is stopped.
        timeout: Option<f64>,
    },
}

fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Records from `source` into a new run called `name`.
pub fn record(history: &mut History, name: &RunName, source: &Source) -> Result<IngestSummary> {
    match source {
        Source::Command { argv, timeout } => record_command(history, name, argv, *timeout),
        Source::Serial {
            port,
            baud,
            seconds,
        } => record_serial(history, name, port, *baud, *seconds),
        Source::Stdin => ingest(
            history,
            name.clone(),
            "stdin",
            std::io::stdin().lock(),
            warn,
        ),
        Source::File(path) => {
            let file = std::fs::File::open(path)
                .with_context(|| format!("opening capture {}", path.display()))?;
            let source = format!("file {}", path.display());
            ingest(
                history,
                name.clone(),
                &source,
                std::io::BufReader::new(file),
                warn,
            )
        }
    }
}

/// Runs `command` (a QEMU semihosting run of an example, for instance) and records its
/// stdout; after `timeout` seconds the command is killed and what it sent is kept.
fn record_command(
    history: &mut History,
    name: &RunName,
    command: &[String],
    timeout: Option<f64>,
) -> Result<IngestSummary> {
    let Some((program, args)) = command.split_first() else {
        bail!("--exec needs a command");
    };
    let mut command_line = Command::new(program);
    // Its own process group, so that --timeout stops everything it started.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command_line, 0);
    let mut child = command_line
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {program}"))?;
    let stdout = child
        .stdout
        .take()
        .context("capturing the command's stdout")?;
    let child = Arc::new(Mutex::new(child));
    let finished = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let watchdog = timeout.map(|seconds| {
        let (child, finished, killed) = (child.clone(), finished.clone(), killed.clone());
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs_f64(seconds);
            while !finished.load(Ordering::Acquire) {
                if Instant::now() >= deadline {
                    if let Ok(mut child) = child.lock() {
                        killed.store(stop(&mut child), Ordering::Release);
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        })
    });
    let source = format!("command {}", command.join(" "));
    let summary = ingest(history, name.clone(), &source, stdout, warn);
    finished.store(true, Ordering::Release);
    if let Some(watchdog) = watchdog {
        let _ = watchdog.join();
    }
    let status = child
        .lock()
        .map_err(|_| anyhow::anyhow!("command watchdog failed"))?
        .wait()
        .with_context(|| format!("waiting for {program}"))?;
    let stopped = if killed.load(Ordering::Acquire) {
        Some(format!("{program} was stopped after the --timeout"))
    } else if status.success() {
        None
    } else {
        Some(format!("{program} exited with {status}"))
    };
    match (summary, stopped) {
        (Ok(summary), Some(why)) => {
            warn(&format!("{why}; what it sent was kept"));
            Ok(summary)
        }
        // Nothing was stored: say why the command ended, not that anything was kept.
        (Err(e), Some(why)) => Err(e.context(why)),
        (summary, None) => summary,
    }
}

/// Kills `child` and, on Unix, every process of its group (a shell's children too, which
/// would otherwise keep its stdout open).
fn stop(child: &mut std::process::Child) -> bool {
    #[cfg(unix)]
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill() only sends a signal; the group id is the child's pid, because the
        // child was started as the leader of a new process group.
        if unsafe { libc::kill(-pid, libc::SIGKILL) } == 0 {
            return true;
        }
    }
    child.kill().is_ok()
}

/// A serial port read until a deadline; timeouts between bytes are not errors.
struct SerialUntil {
    port: Box<dyn serialport::SerialPort>,
    deadline: Instant,
}

impl Read for SerialUntil {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while Instant::now() < self.deadline {
            match self.port.read(buf) {
                Ok(n) if n > 0 => return Ok(n),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                Err(e) => return Err(e),
            }
        }
        Ok(0)
    }
}

/// The serial ports this machine has, for an error message.
fn known_ports() -> String {
    match serialport::available_ports() {
        Ok(ports) if !ports.is_empty() => {
            let names: Vec<String> = ports.into_iter().map(|p| p.port_name).collect();
            format!("serial ports on this machine: {}", names.join(", "))
        }
        _ => "no serial ports found on this machine; is the device plugged in?".into(),
    }
}

fn record_serial(
    history: &mut History,
    name: &RunName,
    port: &str,
    baud: u32,
    seconds: f64,
) -> Result<IngestSummary> {
    if !(0.1..=86_400.0).contains(&seconds) {
        bail!("--seconds must be between 0.1 and 86400");
    }
    let handle = serialport::new(port, baud)
        .timeout(Duration::from_millis(100))
        .open()
        .with_context(|| {
            format!(
                "opening serial port {port} at {baud} baud ({})",
                known_ports()
            )
        })?;
    let reader = SerialUntil {
        port: handle,
        deadline: Instant::now() + Duration::from_secs_f64(seconds),
    };
    let source = format!("serial {port} @ {baud}");
    ingest(history, name.clone(), &source, reader, warn)
}
