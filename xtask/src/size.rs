//! `cargo xtask size`: flash and RAM the library adds to firmware, measured as the
//! difference between the `footprint` probe built with the library (`perf` feature: Cortex-M
//! or RISC-V backend, monitor snapshot, 16 profiled scopes, Embassy hooks, ISR timing) and
//! the same probe without it. Release profile: opt-level "s", LTO, one codegen unit.
//!
//! The probe is measured with the library's default table sizes (64 scopes, all of which
//! may be `async fn`s, 8 Embassy tasks) and with tables sized for it:
//! `IOT_PERF_MAX_SCOPES=16` for its 16 scopes, `IOT_PERF_MAX_ASYNC_SCOPES=0` as none of
//! them is an `async fn`, `IOT_PERF_MAX_TASKS=4` for its 4 tasks (`main` and three
//! workload tasks).
//!
//! Before the tables, two lines per target that scripts read, for the sized build (16
//! scopes, none async / 4 tasks): `footprint recorder TARGET: F B flash, R B RAM`, the sum of the
//! recorder's parts in the per-part table (profiler core, call sites, Embassy trace hooks,
//! tick-interrupt timing: see [`size_parts`]), and `footprint full TARGET: F B flash,
//! R B RAM`, everything the library adds (the "library flash" and "library RAM" columns of
//! that build: the recorder plus backend, monitor, snapshot, compiler runtime, and the
//! bytes no symbol carries such as alignment padding).
//!
//! Flash = every loaded section (`.vector_table`, `.text`, `.rodata`, `.data`' s initial
//! values, ...); RAM = `.data` + `.bss` + `.uninit`. The stack and heap regions are not
//! counted (riscv-rt's `.stack` spans all free RAM).

use std::process::Command;

use crate::firmware::{cargo_in, release_elf};
use crate::size_parts;

/// Probes measured: (example, target).
const PROBES: &[(&str, &str)] = &[
    ("qemu-cortex-m", "thumbv7em-none-eabihf"),
    ("qemu-riscv", "riscv32imc-unknown-none-elf"),
];

/// Table sizes measured: the defaults, and sized for the probe
/// (`IOT_PERF_MAX_SCOPES`, `IOT_PERF_MAX_ASYNC_SCOPES`, `IOT_PERF_MAX_TASKS`, read by the
/// library's build script).
const CAPACITIES: &[Option<Capacity>] = &[None, Some(SIZED)];

/// The tables sized for the probe: 16 scopes, none async, 4 tasks.
const SIZED: Capacity = Capacity {
    scopes: 16,
    async_scopes: 0,
    tasks: 4,
};

/// Table sizes of one build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Capacity {
    scopes: u32,
    async_scopes: u32,
    tasks: u32,
}

/// The sized build again with the library's `compact-scopes` feature (scope entry out of
/// line).
const COMPACT: Option<Capacity> = Some(SIZED);

/// Sizes of one ELF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Footprint {
    pub flash: u64,
    pub ram: u64,
}

pub fn run() -> Result<(), String> {
    crate::ensure_targets(&PROBES.iter().map(|p| p.1).collect::<Vec<_>>())?;
    let llvm_size = llvm_tool("llvm-size")?;
    let llvm_nm = llvm_tool("llvm-nm")?;
    let mut rows = Vec::new();
    let mut breakdowns = Vec::new();
    let mut footprints = Vec::new();
    for (example, target) in PROBES {
        let without = measure(&llvm_size, example, target, Library::Without, None)?;
        let symbols_without = symbols(&llvm_nm, target)?;
        let mut sized = Footprint::default();
        for capacity in CAPACITIES {
            let with = measure(&llvm_size, example, target, Library::Default, *capacity)?;
            rows.push((target, capacity_label(*capacity), with, without));
            sized = with;
        }
        // The last build is the one with the tables sized for the probe.
        let symbols_with = symbols(&llvm_nm, target)?;
        let parts = size_parts::parts(&symbols_without, &symbols_with);
        let recorder = size_parts::recorder(&parts);
        let full = (
            sized.flash as i64 - without.flash as i64,
            sized.ram as i64 - without.ram as i64,
        );
        footprints.push(footprint_line("recorder", target, recorder));
        footprints.push(footprint_line("full", target, full));
        breakdowns.push((target, parts));
        let compact = measure(&llvm_size, example, target, Library::CompactScopes, COMPACT)?;
        let label = format!("{}, `compact-scopes`", capacity_label(COMPACT));
        rows.push((target, label, compact, without));
    }
    for line in &footprints {
        println!("{line}");
    }
    println!();
    println!(
        "| target | scopes / tasks | flash with | flash without | library flash | RAM with | RAM without | library RAM |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for (target, capacity, with, without) in rows {
        println!(
            "| {target} | {capacity} | {} | {} | {} | {} | {} | {} |",
            with.flash,
            without.flash,
            with.flash as i64 - without.flash as i64,
            with.ram,
            without.ram,
            with.ram as i64 - without.ram as i64,
        );
    }
    print_breakdowns(&breakdowns);
    crate::size_trace::run(&llvm_size)
}

/// `footprint LABEL TARGET: F B flash, R B RAM`.
fn footprint_line(label: &str, target: &str, (flash, ram): (i64, i64)) -> String {
    format!("footprint {label} {target}: {flash} B flash, {ram} B RAM")
}

/// "64 / 8 (default)" or "scopes / tasks (N async)".
fn capacity_label(capacity: Option<Capacity>) -> String {
    capacity.map_or("64 / 8 (default)".to_owned(), |c| {
        format!("{} / {} ({} async)", c.scopes, c.tasks, c.async_scopes)
    })
}

/// How the probe is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Library {
    /// Without the library (`--no-default-features`).
    Without,
    /// With it, default features.
    Default,
    /// With it and its `compact-scopes` feature.
    CompactScopes,
}

/// Where the bytes of the sized build go, per part, one column pair per target.
fn print_breakdowns(breakdowns: &[(&&str, Vec<size_parts::Part>)]) {
    let (Some((_, first)), false) = (breakdowns.first(), breakdowns.is_empty()) else {
        return;
    };
    println!();
    print!("| part (16 scopes, none async / 4 tasks; symbol sizes, llvm-nm) |");
    for (target, _) in breakdowns {
        print!(" {target} flash | RAM |");
    }
    println!();
    println!("|---|{}", "---:|---:|".repeat(breakdowns.len()));
    for (i, part) in first.iter().enumerate() {
        print!("| {} |", part.name);
        for (_, parts) in breakdowns {
            print!(" {} | {} |", parts[i].flash, parts[i].ram);
        }
        println!();
    }
}

/// `llvm-nm -C -S` of the probe just built for `target`.
fn symbols(llvm_nm: &str, target: &str) -> Result<String, String> {
    let elf = release_elf(target, "footprint");
    let out = Command::new(llvm_nm)
        .args(["-C", "-S"])
        .arg(&elf)
        .output()
        .map_err(|e| format!("cannot run {llvm_nm}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{llvm_nm} -C -S {} failed", elf.display()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn measure(
    llvm_size: &str,
    example: &str,
    target: &str,
    library: Library,
    capacity: Option<Capacity>,
) -> Result<Footprint, String> {
    let mut build = cargo_in(example);
    match capacity {
        Some(c) => build
            .env("IOT_PERF_MAX_SCOPES", c.scopes.to_string())
            .env("IOT_PERF_MAX_ASYNC_SCOPES", c.async_scopes.to_string())
            .env("IOT_PERF_MAX_TASKS", c.tasks.to_string()),
        None => build
            .env_remove("IOT_PERF_MAX_SCOPES")
            .env_remove("IOT_PERF_MAX_ASYNC_SCOPES")
            .env_remove("IOT_PERF_MAX_TASKS"),
    };
    build.args([
        "build",
        "--release",
        "--quiet",
        "--bin",
        "footprint",
        "--target",
        target,
    ]);
    match library {
        Library::Without => {
            build.arg("--no-default-features");
        }
        Library::Default => {}
        Library::CompactScopes => {
            build.args(["--features", "compact-scopes"]);
        }
    }
    crate::run(&mut build)?;
    footprint_of(llvm_size, &release_elf(target, "footprint"))
}

/// Flash and RAM of the firmware `elf` (`llvm-size -A`, [`classify`]).
pub fn footprint_of(llvm_size: &str, elf: &std::path::Path) -> Result<Footprint, String> {
    let out = Command::new(llvm_size)
        .arg("-A")
        .arg(elf)
        .output()
        .map_err(|e| format!("cannot run {llvm_size}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{llvm_size} -A {} failed", elf.display()));
    }
    Ok(classify(&String::from_utf8_lossy(&out.stdout)))
}

/// Sums `llvm-size -A` section sizes into flash and RAM.
pub fn classify(sysv: &str) -> Footprint {
    let mut total = Footprint::default();
    for line in sysv.lines() {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(size)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Ok(size) = size.parse::<u64>() else {
            continue;
        };
        let is = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
        if is(&[
            ".vector_table",
            ".text",
            ".init",
            ".trap",
            ".rodata",
            ".srodata",
            ".eh_frame",
            ".data",
            ".sdata",
        ]) {
            total.flash += size;
        }
        if is(&[".data", ".sdata", ".bss", ".sbss", ".uninit"]) {
            total.ram += size;
        }
    }
    total
}

/// `tool` (`llvm-size`, `llvm-nm`) from the `llvm-tools` rustup component (installed if
/// missing).
pub(crate) fn llvm_tool(tool: &str) -> Result<String, String> {
    let sysroot = capture(Command::new("rustc").args(["--print", "sysroot"]))?;
    let host = capture(Command::new("rustc").arg("-vV"))?
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_owned))
        .ok_or("rustc -vV printed no host")?;
    let path = format!("{}/lib/rustlib/{host}/bin/{tool}", sysroot.trim());
    if !std::path::Path::new(&path).exists() {
        crate::run(Command::new("rustup").args(["component", "add", "llvm-tools"]))?;
    }
    Ok(path)
}

fn capture(cmd: &mut Command) -> Result<String, String> {
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn footprint_lines_are_script_readable() {
        assert_eq!(
            footprint_line("recorder", "riscv32imc-unknown-none-elf", (2048, 512)),
            "footprint recorder riscv32imc-unknown-none-elf: 2048 B flash, 512 B RAM"
        );
    }

    #[test]
    fn classifies_sections() {
        let sysv = "x  :\nsection size addr\n.vector_table 1024 0\n.text 3000 1024\n.rodata 200 4024\n\
                    .data 24 536870912\n.bss 196 536870936\n.uninit 0 1\n.heap 0 2\n.stack 1000000 3\n\
                    .debug_info 9999 0\n.comment 139 0\nTotal 1 \n";
        assert_eq!(
            classify(sysv),
            Footprint {
                flash: 1024 + 3000 + 200 + 24,
                ram: 24 + 196
            }
        );
    }
}
