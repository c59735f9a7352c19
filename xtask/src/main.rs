//! Project tasks plain cargo cannot express: `cargo xtask <task>`.
//!
//! - `check-targets`: builds the `no_std` library for every supported firmware target
//!   (and the spec's snippets and the README's firmware quick start as written),
//!   without default features and with `alloc`, installing missing rustup targets.
//! - `qemu`: builds the firmware under `examples/` and runs it on QEMU (see [`qemu`]).
//! - `size`: the library's flash and RAM footprint on thumbv7em and riscv32imc (see [`size`]).
//! - `esp32c3`: builds the ESP32-C3 example (it cannot run here).
//! - `fleet-sim`: simulated devices through Mosquitto into `iot-perf ingest` and
//!   VictoriaMetrics (see [`fleet_sim`]).

mod firmware;
mod fleet_sim;
mod qemu;
mod qemu_trace;
mod size;
mod size_parts;
mod size_trace;

use std::env;
use std::process::{Command, ExitCode};

/// Firmware targets, and whether they lack compare-and-swap (so that the build must pick a
/// portable-atomic fallback the way an application would).
const TARGETS: &[(&str, bool)] = &[
    ("thumbv6m-none-eabi", true),
    ("thumbv7em-none-eabihf", false),
    ("riscv32imc-unknown-none-elf", true),
    ("riscv32imac-unknown-none-elf", false),
];

/// Feature sets every target must build with.
const FEATURE_SETS: &[&str] = &[
    "",
    "alloc",
    "alloc,serde,defmt,wire,embedded-io",
    "macros,detailed-profiling",
    "macros,trace,embassy,wire",
];

fn main() -> ExitCode {
    let task = env::args().nth(1);
    let result = match task.as_deref() {
        Some("check-targets") => check_targets(),
        Some("qemu") => qemu::run(),
        Some("size") => size::run(),
        Some("esp32c3") => build_esp32c3(),
        Some("fleet-sim") => fleet_sim::run(&env::args().skip(2).collect::<Vec<_>>()),
        _ => {
            eprintln!(
                "usage: cargo xtask <task>\n\ntasks:\n  check-targets   build the no_std library for every firmware target\n  qemu            run the firmware checks on QEMU\n  size            library flash/RAM footprint\n  esp32c3         build the ESP32-C3 example\n  fleet-sim       simulated devices through Mosquitto into iot-perf ingest (--devices N)"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(cmd: &mut Command) -> Result<(), String> {
    eprintln!("+ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed with {status}"))
    }
}

fn installed_targets() -> Result<String, String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("cannot run rustup: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn ensure_targets(targets: &[&str]) -> Result<(), String> {
    let installed = installed_targets()?;
    let missing: Vec<&str> = targets
        .iter()
        .copied()
        .filter(|t| !installed.lines().any(|l| l == *t))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    run(Command::new("rustup")
        .args(["target", "add"])
        .args(&missing))
}

fn check_targets() -> Result<(), String> {
    ensure_targets(&TARGETS.iter().map(|(t, _)| *t).collect::<Vec<_>>())?;
    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut built = 0;
    for (target, no_cas) in TARGETS {
        for features in FEATURE_SETS.iter().chain(platform_features(target)) {
            run(&mut library_build(&cargo, target, *no_cas, features, false))?;
            built += 1;
        }
        // Memory analysis as firmware uses it: the runtime's linker symbols, the
        // recommended heap, per-size-class leak sites.
        let runtime = if target.starts_with("thumb") {
            "link-cortex-m-rt"
        } else {
            "link-riscv-rt"
        };
        let features = format!("alloc,detailed-profiling,embedded-alloc,{runtime}");
        run(&mut library_build(
            &cargo, target, *no_cas, &features, false,
        ))?;
        built += 1;
        // The spec's dependency lines, as written: default features kept.
        for features in seed_lines(target) {
            run(&mut library_build(&cargo, target, *no_cas, features, true))?;
            built += 1;
        }
    }
    // The spec's snippets as a firmware developer writes them, with the spec's dependency
    // lines: `cortex-m` on thumbv7em, `esp32c3` on riscv32imc (whose application picks
    // portable-atomic's single-core emulation, as esp-hal does).
    for (target, no_cas) in [
        ("thumbv7em-none-eabihf", false),
        ("riscv32imc-unknown-none-elf", true),
    ] {
        let mut cmd = Command::new(&cargo);
        cmd.args([
            "build",
            "--manifest-path",
            "examples/seed-check/Cargo.toml",
            "--target",
            target,
        ]);
        if no_cas {
            cmd.env(
                "CARGO_TARGET_RISCV32IMC_UNKNOWN_NONE_ELF_RUSTFLAGS",
                "--cfg portable_atomic_unsafe_assume_single_core",
            );
        }
        run(&mut cmd)?;
        built += 1;
    }
    // The README's firmware quick-start blocks, extracted from README.md by the example's
    // build.rs and built as written, with the README's dependency lines.
    for target in [
        "thumbv7em-none-eabihf",
        "riscv32imac-unknown-none-elf",
        "riscv32imc-unknown-none-elf",
    ] {
        run(firmware::cargo_in("quick-start").args(["build", "--quiet", "--target", target]))?;
        built += 1;
    }
    println!(
        "check-targets: {built} builds passed ({} targets x {} feature sets, each target's platform backend, the spec's dependency lines with default features, the spec's snippets on Cortex-M and ESP32-C3, and the README's firmware quick start for Cortex-M, RISC-V and ESP32-C3)",
        TARGETS.len(),
        FEATURE_SETS.len() + 1
    );
    Ok(())
}

/// `cargo build` of the library for `target` with `features` (none when empty), with or
/// without the default features; on a chip without compare-and-swap, with the
/// portable-atomic fallback an application on a single-core chip would choose.
fn library_build(
    cargo: &str,
    target: &str,
    no_cas: bool,
    features: &str,
    default_features: bool,
) -> Command {
    let mut cmd = Command::new(cargo);
    cmd.args([
        "build",
        "--quiet",
        "-p",
        "iot-performance",
        "--target",
        target,
    ]);
    if !default_features {
        cmd.arg("--no-default-features");
    }
    if !features.is_empty() {
        cmd.args(["--features", features]);
    }
    if no_cas {
        let var = format!(
            "CARGO_TARGET_{}_RUSTFLAGS",
            target.to_uppercase().replace('-', "_")
        );
        cmd.env(var, "--cfg portable_atomic_unsafe_assume_single_core");
    }
    cmd
}

/// The spec's `Cargo.toml` lines (default features on) that must build for `target`.
fn seed_lines(target: &str) -> &'static [&'static str] {
    match target {
        "riscv32imc-unknown-none-elf" => &[
            "",
            "alloc",
            "detailed-profiling",
            "esp32c3",
            "esp32c3,detailed-profiling,alloc",
        ],
        t if t.starts_with("thumb") => &["", "alloc", "detailed-profiling", "cortex-m"],
        _ => &["", "alloc", "detailed-profiling", "riscv"],
    }
}

/// The platform backend each target also builds with (the ESP32-C3 backend is built by
/// `cargo xtask esp32c3`).
fn platform_features(target: &str) -> &'static [&'static str] {
    if target.starts_with("thumb") {
        &["cortex-m,embassy,alloc,mpu-fault-handler"]
    } else {
        &["riscv,embassy,alloc"]
    }
}

/// Builds the ESP32-C3 example (build only: there is no ESP32-C3 machine in QEMU).
fn build_esp32c3() -> Result<(), String> {
    ensure_targets(&["riscv32imc-unknown-none-elf"])?;
    run(firmware::cargo_in("esp32c3").args(["build", "--release", "--quiet"]))?;
    println!("esp32c3: example built for riscv32imc-unknown-none-elf");
    Ok(())
}
