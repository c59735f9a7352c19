//! The `trace` part of `cargo xtask size`: flash and RAM the event trace adds, measured on
//! `examples/qemu-trace`'s `trace-footprint` probe (three Embassy tasks with a profiled
//! scope each, a timed timer interrupt) built three ways: without the library's `trace`
//! feature, with it but no ring installed, and with a 256-event ring installed and
//! streamed as wire frames (`ring` feature).

use crate::firmware::{cargo_in, release_elf};
use crate::size::{Footprint, footprint_of};

const EXAMPLE: &str = "qemu-trace";
const PROBE: &str = "trace-footprint";
const TARGETS: &[&str] = &["thumbv7m-none-eabi", "riscv32imc-unknown-none-elf"];

/// The builds compared: label and cargo feature arguments.
const VARIANTS: &[(&str, &[&str])] = &[
    ("without `trace`", &["--no-default-features"]),
    ("`trace`, no ring installed", &[]),
    ("`trace`, 256-event ring streamed", &["--features", "ring"]),
];

pub fn run(llvm_objdump: &str) -> Result<(), String> {
    crate::ensure_targets(TARGETS)?;
    let mut rows = Vec::new();
    for target in TARGETS {
        for (label, features) in VARIANTS {
            rows.push((target, label, measure(llvm_objdump, target, features)?));
        }
    }
    println!();
    println!("| target | trace build | flash | RAM | trace flash | trace RAM |");
    println!("|---|---|---|---|---|---|");
    for chunk in rows.chunks(VARIANTS.len()) {
        let base = chunk[0].2;
        for (target, label, size) in chunk {
            println!(
                "| {target} | {label} | {} | {} | {} | {} |",
                size.flash,
                size.ram,
                size.flash as i64 - base.flash as i64,
                size.ram as i64 - base.ram as i64
            );
        }
    }
    Ok(())
}

fn measure(llvm_objdump: &str, target: &str, features: &[&str]) -> Result<Footprint, String> {
    let mut build = cargo_in(EXAMPLE);
    build.args([
        "build",
        "--release",
        "--quiet",
        "--bin",
        PROBE,
        "--target",
        target,
    ]);
    build.args(features);
    crate::run(&mut build)?;
    footprint_of(llvm_objdump, &release_elf(target, PROBE))
}
