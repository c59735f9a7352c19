//! `cargo xtask qemu`: builds every QEMU firmware, runs it under `-icount shift=0,sleep=off`
//! (deterministic figures), and counts the checks it reports.
//!
//! Each firmware prints `test <name> ... ok` / `test <name> ... FAILED (<why>)` over
//! semihosting and exits with its number of failures. A firmware that exits without a
//! `result:` line (crash, hang, panic) counts as one more failure. The last line is
//! `qemu: N passed, M failed`.
//!
//! `cargo xtask qemu seed` runs `examples/qemu-seed` instead: the spec's integration code
//! with the spec's dependency line on mps2-an385 and riscv `virt`. It joins the default
//! suites once the library passes all of its checks (scope profiling under
//! `MonitorConfig::for_production`, issue 12 item 8).

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::firmware::{Firmware, QEMU_SUITES, cargo_in, release_elf};
use crate::qemu_trace::TraceOutput;

/// Longest a firmware may run (it needs well under a second of host time).
const TIMEOUT: Duration = Duration::from_secs(120);

pub fn run() -> Result<(), String> {
    let only = std::env::args().nth(2);
    let suites: Vec<&Firmware> = QEMU_SUITES
        .iter()
        .filter(|f| only.as_deref().is_none_or(|example| f.example == example))
        .collect();
    if suites.is_empty() {
        return Err(format!(
            "no QEMU firmware named {only:?} (the examples: qemu-cortex-m, qemu-riscv, qemu-seed, qemu-trace)"
        ));
    }
    crate::ensure_targets(&suites.iter().map(|f| f.target).collect::<Vec<_>>())?;
    let (mut passed, mut failed) = (0u32, 0u32);
    let mut trace_costs = Vec::new();
    for firmware in suites {
        let suite = format!("{}/{}", firmware.example, firmware.target);
        crate::run(cargo_in(firmware.example).args([
            "build",
            "--release",
            "--quiet",
            "--target",
            firmware.target,
        ]))?;
        eprintln!("--- {suite} on QEMU {}", firmware.machine);
        let elf = release_elf(firmware.target, firmware.example);
        let (output, code) = run_with_timeout(&mut firmware.qemu(&elf))?;
        let (p, f, finished) = tally(&suite, &output);
        passed += p;
        failed += f;
        let trace = TraceOutput::parse(&output);
        if firmware.example == "qemu-trace" {
            // The post-mortem dump the fault handler printed must decode here, on the host.
            match trace.check_dump() {
                Ok(events) => {
                    passed += 1;
                    println!(
                        "test {suite}::post_mortem_dump_decodes_on_the_host ... ok ({events} events)"
                    );
                }
                Err(why) => {
                    failed += 1;
                    println!(
                        "test {suite}::post_mortem_dump_decodes_on_the_host ... FAILED ({why})"
                    );
                }
            }
        }
        if let Some(cost) = trace.cost {
            trace_costs.push(format!("{cost} [{suite}]"));
        }
        if !finished || code != Some(f as i32) {
            failed += 1;
            println!(
                "test {suite}::completes ... FAILED (exit {code:?}, report finished: {finished})"
            );
        }
    }
    for cost in &trace_costs {
        println!("{cost}");
    }
    println!("qemu: {passed} passed, {failed} failed");
    if failed == 0 {
        Ok(())
    } else {
        Err(format!("{failed} QEMU checks failed"))
    }
}

/// Prints the firmware's output with check lines prefixed by the suite, and counts them.
fn tally(suite: &str, output: &str) -> (u32, u32, bool) {
    let (mut passed, mut failed, mut finished) = (0, 0, false);
    for line in output.lines() {
        if let Some(rest) = line.strip_prefix("test ") {
            if rest.ends_with("... ok") {
                passed += 1;
            } else {
                failed += 1;
            }
            println!("test {suite}::{rest}");
        } else {
            if line.starts_with("result: ") {
                finished = true;
            }
            println!("    {line}");
        }
    }
    (passed, failed, finished)
}

/// Runs `cmd`; returns its output as text and its exit code. A firmware prints its
/// checks on semihosting stdout or stderr (`examples/qemu-trace` keeps stdout for the
/// wire frames `iot-perf record` stores): both are read, stderr first; stdout that is not
/// text is summarised by its size.
fn run_with_timeout(cmd: &mut Command) -> Result<(String, Option<i32>), String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    let read_all = |mut from: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = from.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().ok_or("no stdout")?));
    let stderr = read_all(Box::new(child.stderr.take().ok_or("no stderr")?));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut text = String::from_utf8_lossy(&stderr.join().unwrap_or_default()).into_owned();
    let stdout = stdout.join().unwrap_or_default();
    match String::from_utf8(stdout) {
        Ok(out) => text.push_str(&out),
        Err(binary) => text.push_str(&format!(
            "[{} bytes of wire frames on stdout]\n",
            binary.as_bytes().len()
        )),
    }
    Ok((text, status.and_then(|s| s.code())))
}

#[cfg(test)]
mod tests {
    use super::tally;

    #[test]
    fn counts_checks_and_completion() {
        let out = "test a ... ok\ntest b ... FAILED (x)\nnoise\nresult: 1 passed, 1 failed\n";
        assert_eq!(tally("s", out), (1, 1, true));
        assert_eq!(tally("s", "test a ... ok\n"), (1, 0, false));
    }
}
