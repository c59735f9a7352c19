//! `iot-perf record` on a UART capture with the text a device prints besides frames: an
//! ESP32-C3 boot banner before the first frame and log lines between frames, none of them
//! containing a zero byte. Every frame is stored and the noise is reported with its offset.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use assert_cmd::Command;

const BANNER: &[u8] = b"ESP-ROM:esp32c3-api1-20210207\r\nBuild:Feb  7 2021\r\n\
rst:0x1 (POWERON),boot:0xc (SPI_FAST_FLASH_BOOT)\r\nSPIWP:0xee\r\nmode:DIO, clock div:1\r\n\
load:0x3fcd5820,len:0x1714\r\nentry 0x403cc710\r\n";

#[test]
fn boot_banner_and_log_lines_between_frames_lose_no_record() {
    let clean = common::capture(42, 10, 1.0, 0);
    // Split the capture into its frames and put a log line between every two of them.
    let mut noisy = BANNER.to_vec();
    let mut frames = 0;
    for frame in clean.split_inclusive(|&b| b == 0) {
        noisy.extend_from_slice(frame);
        noisy.extend_from_slice(format!("I ({frames}) app: tick IP ok\r\n").as_bytes());
        frames += 1;
    }
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("uart.bin");
    std::fs::write(&capture, &noisy).unwrap();
    let db = dir.path().join("history.sqlite");
    let cmd = || {
        let mut c = Command::cargo_bin("iot-perf").unwrap();
        c.env_remove("IOT_PERF_DB").arg("--db").arg(&db);
        c
    };
    let a = cmd()
        .args(["record", "--run", "uart"])
        .arg(&capture)
        .assert()
        .success();
    let out = String::from_utf8_lossy(&a.get_output().stdout).into_owned();
    let err = String::from_utf8_lossy(&a.get_output().stderr).into_owned();
    assert!(
        out.contains("10 snapshots, 30 scope rows, 0 task rows, 0 interrupt rows, 1 other records; 42 corrupt"),
        "41 noise bursts before frames and the log line after the last: {out}"
    );
    assert!(
        err.contains("skipped corrupt frame at byte 0:") && err.contains("noise"),
        "the banner is reported at offset 0: {err}"
    );

    let a = cmd()
        .args(["report", "--run", "uart", "--format", "json"])
        .assert()
        .success();
    let json: serde_json::Value =
        serde_json::from_slice(&a.get_output().stdout).expect("JSON report");
    assert_eq!(
        json["run"]["device"], "qemu-mps2-an385",
        "session record kept"
    );
    assert_eq!(json["run"]["firmware"], "sensor-fw 1.0.0");
    assert_eq!(frames, 41);
}
