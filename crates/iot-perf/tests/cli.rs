//! The `iot-perf` command line, end to end, on captures written by the device encoder.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::{Path, PathBuf};

use assert_cmd::Command;

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("history.sqlite")
    }

    fn file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).expect("write capture");
        path
    }

    fn cmd(&self) -> Command {
        let mut cmd = Command::cargo_bin("iot-perf").expect("binary built");
        cmd.env_remove("IOT_PERF_DB").arg("--db").arg(self.db());
        cmd
    }

    fn record(&self, run: &str, path: &Path) -> assert_cmd::assert::Assert {
        self.cmd().args(["record", "--run", run]).arg(path).assert()
    }

    fn runs(&self) -> String {
        let out = self.cmd().arg("runs").assert().success();
        String::from_utf8_lossy(&out.get_output().stdout).into_owned()
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

const FIXTURE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/v1-capture.bin");

#[test]
fn demo_runs_to_completion_and_catches_the_degradation() {
    let env = Env::new();
    let out = env.dir.path().join("demo");
    let a = env
        .cmd()
        .args(["demo", "--quick", "--out"])
        .arg(&out)
        .assert()
        .success();
    let text = stdout(&a);
    assert!(text.contains("Detector: REGRESSION caught in"), "{text}");
    assert!(text.contains("scope:filter_reading"), "{text}");
    assert!(text.contains("Recommendations:"), "{text}");
    let html = std::fs::read_to_string(out.join("demo-report.html")).expect("HTML written");
    assert!(html.contains("<svg id=\"chart-heap\""));
}

#[test]
fn fixture_capture_decodes_end_to_end_into_a_json_report() {
    let env = Env::new();
    let a = env.record("fixture", Path::new(FIXTURE)).success();
    assert!(
        stdout(&a).contains("10 snapshots, 30 scope rows"),
        "{}",
        stdout(&a)
    );
    let a = env
        .cmd()
        .args(["report", "--run", "fixture", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("valid JSON");
    assert_eq!(json["schema_version"], 4);
    assert_eq!(json["run"]["device"], "qemu-mps2-an385");
    assert_eq!(json["system"]["samples"], 10);
    assert_eq!(json["scopes"].as_array().map(Vec::len), Some(3));
    assert_eq!(
        json["scopes"][0]["name"], "filter_reading",
        "most time first"
    );
    let mean = json["scopes"][0]["mean_us"].as_f64().expect("mean");
    assert!(
        (mean - 480.0).abs() < 5.0,
        "12 000 ticks at 25 MHz = 480 µs, got {mean}"
    );
}

/// Captured from `examples/qemu-wire-report` on QEMU mps2-an385 under
/// `-icount shift=0,sleep=off` (`.ci/run` re-records it live and gates it).
const QEMU_FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/v1-qemu-mps2-an385.bin"
);

#[test]
fn qemu_example_capture_decodes_end_to_end() {
    let env = Env::new();
    let a = env.record("qemu", Path::new(QEMU_FIXTURE)).success();
    assert!(
        stdout(&a)
            .contains("40 scope rows, 0 task rows, 0 interrupt rows, 1 other records; 0 corrupt"),
        "{}",
        stdout(&a)
    );
    let a = env
        .cmd()
        .args(["report", "--run", "qemu", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("JSON");
    assert_eq!(json["run"]["device"], "qemu-mps2-an385");
    assert_eq!(json["run"]["firmware"], "qemu-wire-report 0.0.0");
    let scopes = json["scopes"].as_array().expect("scopes");
    let mut names: Vec<&str> = scopes.iter().filter_map(|s| s["name"].as_str()).collect();
    names.sort_unstable();
    assert_eq!(
        names,
        [
            "filter_reading",
            "publish",
            "read_sensor",
            "report_scope_table"
        ]
    );
    for s in scopes {
        // 200 loop cycles; the reporter's own scope closes after each of 10 tables, and
        // the last table is sent before its own call ends.
        let expected = if s["name"] == "report_scope_table" {
            9
        } else {
            200
        };
        assert_eq!(s["calls"], expected, "{s}");
    }
    // Nothing measured is invented: this firmware sends no snapshots.
    assert_eq!(json["system"]["samples"], 0);
    assert!(json["system"]["heap_used"].is_null());
    // Identical captures (icount makes every run identical) pass the gate.
    env.record("qemu-again", Path::new(QEMU_FIXTURE)).success();
    env.cmd()
        .args(["baseline", "save", "qemu", "--run", "qemu"])
        .assert()
        .success();
    env.cmd()
        .args(["compare", "--baseline", "qemu", "--run", "qemu-again"])
        .assert()
        .code(0);
}

#[test]
fn gate_exits_0_on_identical_and_noisy_runs_and_3_on_a_slowed_run() {
    let env = Env::new();
    let base = env.file("base.bin", &common::capture(1, 40, 1.0, 0));
    env.record("base", &base).success();
    env.record("same", &base).success();
    env.record(
        "noisy",
        &env.file("noisy.bin", &common::capture(7, 40, 1.0, 0)),
    )
    .success();
    env.record(
        "slow",
        &env.file("slow.bin", &common::capture(2, 40, 1.25, 0)),
    )
    .success();
    env.cmd()
        .args(["baseline", "save", "main", "--run", "base"])
        .assert()
        .success();

    for run in ["same", "noisy"] {
        let a = env
            .cmd()
            .args(["compare", "--baseline", "main", "--run", run])
            .assert()
            .code(0);
        assert!(!stdout(&a).contains("REGRESSION"), "{}", stdout(&a));
    }
    let a = env
        .cmd()
        .args(["compare", "--baseline", "main", "--run", "slow"])
        .assert()
        .code(3);
    let text = stdout(&a);
    assert!(
        text.lines()
            .any(|l| l.contains("scope:filter_reading") && l.contains("REGRESSION")),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.contains("heap_used_bytes") && l.contains("no change")),
        "{text}"
    );
    // JSON output carries the same verdicts.
    let a = env
        .cmd()
        .args(["compare", "--baseline", "main", "--run", "slow", "--json"])
        .assert()
        .code(3);
    let json: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("JSON");
    assert_eq!(json["regressed"], true);
}

#[test]
fn a_leak_regresses_heap_and_is_named_in_the_recommendations() {
    let env = Env::new();
    env.record("base", &env.file("b.bin", &common::capture(1, 40, 1.0, 0)))
        .success();
    env.record(
        "leaky",
        &env.file("l.bin", &common::capture(2, 40, 1.0, 200)),
    )
    .success();
    env.cmd()
        .args(["baseline", "save", "main", "--run", "base"])
        .assert()
        .success();
    let a = env
        .cmd()
        .args(["report", "--run", "leaky", "--baseline", "main"])
        .assert()
        .success();
    let text = stdout(&a);
    assert!(text.contains("suspected memory leak"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.contains("heap_used_bytes") && l.contains("REGRESSION")),
        "{text}"
    );
}

#[test]
fn corrupt_inputs_give_clear_errors_and_keep_the_database_intact() {
    let env = Env::new();
    let good = std::fs::read(FIXTURE).expect("fixture");
    env.record("good", Path::new(FIXTURE)).success();

    // Garbage: nothing stored, a clear error, exit 1.
    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7 + 3) as u8 | 1).collect();
    let a = env
        .record("garbage", &env.file("garbage.bin", &garbage))
        .code(1);
    assert!(
        stderr(&a).contains("no valid iot-performance frames"),
        "{}",
        stderr(&a)
    );

    // Bit flip inside one frame: that frame is skipped with its reason, the rest is stored.
    let mut flipped = good.clone();
    flipped[200] ^= 0x10;
    let a = env
        .record("flipped", &env.file("flipped.bin", &flipped))
        .success();
    assert!(
        stderr(&a).contains("skipped corrupt frame at byte"),
        "{}",
        stderr(&a)
    );
    assert!(
        stdout(&a).contains("1 corrupt frames skipped"),
        "{}",
        stdout(&a)
    );

    // Truncated capture: complete frames are kept, the cut one is reported.
    let a = env
        .record("truncated", &env.file("cut.bin", &good[..good.len() - 10]))
        .success();
    assert!(
        stderr(&a).contains("ended in the middle of a frame"),
        "{}",
        stderr(&a)
    );

    // An empty file is an error too.
    env.record("empty", &env.file("empty.bin", b"")).code(1);

    // A name clash never touches the stored run.
    let a = env.record("good", Path::new(FIXTURE)).code(1);
    assert!(stderr(&a).contains("already exists"), "{}", stderr(&a));

    let runs = env.runs();
    assert!(runs.contains("good") && runs.contains("flipped") && runs.contains("truncated"));
    assert!(
        !runs.contains("garbage") && !runs.contains("empty"),
        "{runs}"
    );
    let a = env
        .cmd()
        .args(["report", "--run", "good", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_str(&stdout(&a)).expect("JSON");
    assert_eq!(json["system"]["samples"], 10, "the first run is intact");

    // A file that is not a database is refused, not overwritten.
    let not_db = env.file(
        "not.sqlite",
        b"this is not a database, it is a text file of some length",
    );
    let mut cmd = Command::cargo_bin("iot-perf").expect("binary");
    cmd.arg("--db").arg(&not_db).arg("runs").assert().code(1);
    assert_eq!(
        std::fs::read(&not_db).expect("still there"),
        b"this is not a database, it is a text file of some length"
    );
}

#[test]
fn stdin_and_command_sources() {
    let env = Env::new();
    let bytes = std::fs::read(FIXTURE).expect("fixture");
    env.cmd()
        .args(["record", "--run", "piped", "-"])
        .write_stdin(bytes)
        .assert()
        .success();
    // `--exec` runs a command and records its stdout (how a QEMU semihosting run is captured).
    let a = env
        .cmd()
        .args(["record", "--run", "exec", "--exec", "cat", FIXTURE])
        .assert()
        .success();
    assert!(stdout(&a).contains("10 snapshots"), "{}", stdout(&a));
    let runs = env.runs();
    assert!(
        runs.contains("piped") && runs.contains("command cat"),
        "{runs}"
    );

    // A command that never ends is stopped by --timeout; what it sent is kept.
    let script = format!("cat {FIXTURE}; sleep 30");
    let a = env
        .cmd()
        .args([
            "record",
            "--run",
            "hung",
            "--timeout",
            "1",
            "--exec",
            "sh",
            "-c",
        ])
        .arg(&script)
        .timeout(std::time::Duration::from_secs(20))
        .assert()
        .success();
    assert!(stdout(&a).contains("10 snapshots"), "{}", stdout(&a));
    assert!(
        stderr(&a).contains("stopped after the --timeout"),
        "{}",
        stderr(&a)
    );
}

#[test]
fn baselines_can_be_listed_and_removed() {
    let env = Env::new();
    env.record("r1", Path::new(FIXTURE)).success();
    env.cmd()
        .args(["baseline", "save", "release-1.0", "--run", "r1"])
        .assert()
        .success();
    let a = env.cmd().args(["baseline", "list"]).assert().success();
    assert!(stdout(&a).contains("release-1.0"));
    env.cmd()
        .args(["baseline", "remove", "release-1.0"])
        .assert()
        .success();
    env.cmd()
        .args(["baseline", "remove", "release-1.0"])
        .assert()
        .code(1);
    let a = env
        .cmd()
        .args(["compare", "--baseline", "release-1.0", "--run", "r1"])
        .assert()
        .code(1);
    assert!(stderr(&a).contains("no baseline named"), "{}", stderr(&a));
}

#[test]
fn usage_errors_exit_2() {
    let env = Env::new();
    env.cmd()
        .args(["compare", "--baseline", "x"])
        .assert()
        .code(2);
    env.cmd()
        .args(["export", "--format", "csv"])
        .assert()
        .code(2);
    env.cmd().arg("record").assert().code(2);
    env.cmd().args(["demo", "--duration", "0"]).assert().code(2);
}

#[test]
fn exports_openmetrics_and_influx_line_protocol() {
    let env = Env::new();
    env.record("r1", Path::new(FIXTURE)).success();
    let a = env
        .cmd()
        .args(["export", "--run", "r1", "--format", "openmetrics"])
        .assert()
        .success();
    let om = stdout(&a);
    assert!(
        om.contains("iot_heap_used_bytes{device=\"qemu-mps2-an385\",run=\"r1\"}"),
        "{om}"
    );
    assert!(om.contains("# TYPE iot_scope_calls counter"), "{om}");
    assert!(
        om.contains(
            "iot_scope_calls_total{device=\"qemu-mps2-an385\",run=\"r1\",scope=\"publish\"} 1000"
        ),
        "{om}"
    );
    assert!(om.trim_end().ends_with("# EOF"), "{om}");

    let a = env
        .cmd()
        .args(["export", "--run", "r1", "--format", "influx"])
        .assert()
        .success();
    let lines: Vec<String> = stdout(&a).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 40, "10 snapshots + 30 scope rows");
    assert!(
        lines[0].starts_with("iot_system,device=qemu-mps2-an385,run=r1 heap_used=8"),
        "{}",
        lines[0]
    );
    assert!(lines.iter().any(|l| {
        l.starts_with("iot_scope,device=qemu-mps2-an385,run=r1,scope=publish calls=1000u")
    }));
    // Timestamps advance with device time: 100 ms between reports.
    let ts = |l: &str| {
        l.rsplit(' ')
            .next()
            .and_then(|t| t.parse::<i64>().ok())
            .expect("timestamp")
    };
    let system: Vec<&String> = lines
        .iter()
        .filter(|l| l.starts_with("iot_system"))
        .collect();
    assert_eq!(ts(system[1]) - ts(system[0]), 100_000_000);
    // Points in time order.
    assert!(lines.windows(2).all(|w| ts(&w[0]) <= ts(&w[1])));
}

/// A serial capture, through a pseudo-terminal standing in for a USB-UART adapter.
#[cfg(target_os = "linux")]
#[test]
fn serial_port_capture() {
    use std::io::Write as _;
    use std::os::fd::FromRawFd as _;

    let env = Env::new();
    let (mut master, mut slave) = (0, 0);
    // SAFETY: openpty writes two fresh descriptors into the given ints; the name, termios
    // and window-size arguments may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty");
    // SAFETY: `slave` is an open descriptor returned by openpty.
    let name = unsafe { std::ffi::CStr::from_ptr(libc::ttyname(slave)) }
        .to_string_lossy()
        .into_owned();
    // Raw mode, so the line discipline passes the binary frames through untouched.
    // SAFETY: `termios` is filled by tcgetattr before use; `slave` is open.
    unsafe {
        let mut termios = std::mem::zeroed::<libc::termios>();
        assert_eq!(libc::tcgetattr(slave, &mut termios), 0);
        libc::cfmakeraw(&mut termios);
        assert_eq!(libc::tcsetattr(slave, libc::TCSANOW, &termios), 0);
    }
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("iot-perf"))
        .arg("--db")
        .arg(env.db())
        .args([
            "record",
            "--run",
            "uart",
            "--serial",
            &name,
            "--seconds",
            "2",
        ])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("iot-perf starts");
    std::thread::sleep(std::time::Duration::from_millis(500));
    // SAFETY: `master` is an open descriptor owned by nothing else from here on.
    let mut port = unsafe { std::fs::File::from_raw_fd(master) };
    port.write_all(&std::fs::read(FIXTURE).expect("fixture"))
        .expect("write to the pty");
    let out = child.wait_with_output().expect("iot-perf finishes");
    // SAFETY: `slave` is open and closed only here.
    unsafe { libc::close(slave) };
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("10 snapshots, 30 scope rows"), "{text}");
}
