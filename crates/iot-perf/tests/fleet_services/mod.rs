//! The real services the fleet tests run against: Mosquitto and VictoriaMetrics, each on
//! a free loopback port with its data in a temp dir, waited for with a bound, killed when
//! dropped. A missing program fails the test with how to install it.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The iot-perf binary under test.
pub const IOT_PERF: &str = env!("CARGO_BIN_EXE_iot-perf");

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("binding a loopback port");
    listener.local_addr().expect("local address").port()
}

/// `program` as found on PATH (or in /usr/sbin), or a panic saying how to get it.
fn program(name: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "{name} is not installed: the fleet tests run the real service. Install it with \
                 `apt-get install -y {package}` (bash .ci/run does)"
            )
        })
}

/// Waits up to 15 s for something to accept connections on `port`.
fn wait_listening(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{what} did not listen on 127.0.0.1:{port} within 15 s; its log:\n{}",
        std::fs::read_to_string(log).unwrap_or_default()
    );
}

/// Sends SIGTERM and waits up to 15 s for the process to end (then kills it).
fn terminate(child: &mut Child) {
    if let Ok(pid) = libc::pid_t::try_from(child.id()) {
        // SAFETY: kill() only sends a signal to the child we started.
        unsafe { libc::kill(pid, libc::SIGTERM) };
    }
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A running service, stopped when dropped.
pub struct Service {
    child: Option<Child>,
    argv: Vec<String>,
    program: PathBuf,
    log: PathBuf,
    what: &'static str,
    /// Its loopback port.
    pub port: u16,
}

impl Service {
    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("service log");
        let child = Command::new(&self.program)
            .args(&self.argv)
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", self.what));
        self.child = Some(child);
        wait_listening(self.port, self.what, &self.log);
    }

    /// Stops it gracefully (SIGTERM: Mosquitto saves its persistence file,
    /// VictoriaMetrics flushes).
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            terminate(&mut child);
        }
    }

    /// Starts it again on the same port with the same data.
    pub fn start(&mut self) {
        assert!(self.child.is_none(), "{} is already running", self.what);
        self.spawn();
    }

    /// Its log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Mosquitto with persistence in `dir`, QoS 1 queues unbounded, 1000 messages in flight
/// to a subscriber.
pub fn mosquitto(dir: &Path) -> Service {
    let program = program("mosquitto", "mosquitto");
    let port = free_port();
    let data = dir.join("mosquitto");
    std::fs::create_dir_all(&data).expect("mosquitto dir");
    let conf = dir.join("mosquitto.conf");
    // Started as root, mosquitto drops to user `mosquitto`, which cannot write its
    // persistence file into our temp dir: stay root then.
    // SAFETY: geteuid() only reads the process's effective user id.
    let user = if unsafe { libc::geteuid() } == 0 {
        "user root\n"
    } else {
        ""
    };
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\npersistence_location {}/\nmax_inflight_messages 1000\nmax_queued_messages 0\n{user}",
            data.display()
        ),
    )
    .expect("mosquitto.conf");
    let mut s = Service {
        child: None,
        argv: vec!["-c".into(), conf.display().to_string()],
        program,
        log: dir.join("mosquitto.log"),
        what: "mosquitto",
        port,
    };
    s.spawn();
    s
}

/// VictoriaMetrics with its storage in `dir`, answering queries up to the latest sample.
pub fn victoria_metrics(dir: &Path) -> Service {
    let program = program("victoria-metrics", "victoria-metrics");
    let port = free_port();
    let mut s = Service {
        child: None,
        argv: vec![
            format!("-storageDataPath={}", dir.join("vm").display()),
            format!("-httpListenAddr=127.0.0.1:{port}"),
            "-search.latencyOffset=0s".into(),
        ],
        program,
        log: dir.join("victoria-metrics.log"),
        what: "victoria-metrics",
        port,
    };
    s.spawn();
    s
}

/// Runs iot-perf with `args`; panics with its output unless it succeeds.
pub fn iot_perf(args: &[&str]) -> String {
    let out: Output = Command::new(IOT_PERF)
        .args(args)
        .output()
        .expect("running iot-perf");
    assert!(
        out.status.success(),
        "iot-perf {args:?} failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A background iot-perf process (killed when dropped).
pub struct Background(pub Option<Child>);

/// Starts `iot-perf ingest` with `args` and waits (up to 20 s) until it says it is
/// subscribed, so that nothing published afterwards misses it.
pub fn start_ingest(args: &[&str]) -> Background {
    let mut child = Command::new(IOT_PERF)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting iot-perf ingest");
    let stderr = child.stderr.take().expect("stderr");
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
    let b = Background(Some(child));
    rx.recv_timeout(Duration::from_secs(20))
        .expect("the ingest did not subscribe within 20 s");
    b
}

impl Background {
    /// Starts iot-perf with `args`, its output piped.
    pub fn start(args: &[&str]) -> Self {
        let child = Command::new(IOT_PERF)
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting iot-perf");
        Self(Some(child))
    }

    /// Waits up to `limit` for it to end successfully; returns its stdout.
    pub fn finish(mut self, limit: Duration) -> String {
        let mut child = self.0.take().expect("running");
        let deadline = Instant::now() + limit;
        loop {
            match child.try_wait().expect("waiting") {
                Some(_) => break,
                None if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let out = child.wait_with_output().expect("output");
                    panic!(
                        "iot-perf did not finish within {limit:?}: {}\n{}",
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                None => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        let out = child.wait_with_output().expect("output");
        assert!(
            out.status.success(),
            "iot-perf failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `key=value` lines as a map of numbers.
pub fn counts(text: &str) -> HashMap<String, f64> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .filter_map(|(k, v)| Some((k.to_owned(), v.trim().parse().ok()?)))
        .collect()
}

/// What of fleet `fleet` reached `history` (and the engine on `engine_port`).
pub fn reached(history: &Path, fleet: &str, engine_port: Option<u16>) -> HashMap<String, f64> {
    let db = history.display().to_string();
    let engine = engine_port.map(|p| format!("http://127.0.0.1:{p}"));
    let mut args = vec!["--db", &db, "fleet-sim-check", "--fleet", fleet];
    if let Some(engine) = &engine {
        args.extend(["--engine", engine.as_str()]);
    }
    counts(&iot_perf(&args))
}

/// A plain HTTP/1.0 GET on loopback; returns the status line and the body.
pub fn http_get(port: u16, path: &str) -> (String, String) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or_default().to_owned(),
        body.to_owned(),
    )
}

/// The ingest summary JSON written with --summary-json.
pub fn summary(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).expect("summary written");
    serde_json::from_str(&text).expect("summary is JSON")
}
