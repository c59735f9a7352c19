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
//! Flash = every loaded section with contents (`.vector_table`, `.text`, `.rodata`, `.data`'s
//! initial values, ...); RAM = `.data` + `.bss` + `.uninit`. The stack and heap regions are not
//! counted (riscv-rt's `.stack` spans all free RAM). Sections kept in the ELF but not loaded
//! (debug information, riscv32's `.eh_frame` unwind tables, which the RISC-V probe places
//! `(INFO)` as esp-hal does for the ESP32-C3: see `examples/qemu-seed/build.rs`) are not
//! flash.

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
    let llvm_objdump = llvm_tool("llvm-objdump")?;
    let llvm_nm = llvm_tool("llvm-nm")?;
    let mut rows = Vec::new();
    let mut breakdowns = Vec::new();
    let mut footprints = Vec::new();
    for (example, target) in PROBES {
        let without = measure(&llvm_objdump, example, target, Library::Without, None)?;
        let symbols_without = symbols(&llvm_nm, target)?;
        let mut sized = Footprint::default();
        for capacity in CAPACITIES {
            let with = measure(&llvm_objdump, example, target, Library::Default, *capacity)?;
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
        let compact = measure(
            &llvm_objdump,
            example,
            target,
            Library::CompactScopes,
            COMPACT,
        )?;
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
    crate::size_trace::run(&llvm_objdump)
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
    llvm_objdump: &str,
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
    footprint_of(llvm_objdump, &release_elf(target, "footprint"))
}

/// Flash and RAM of the firmware `elf` (`llvm-objdump -h`, [`classify`]).
pub fn footprint_of(llvm_objdump: &str, elf: &std::path::Path) -> Result<Footprint, String> {
    let out = Command::new(llvm_objdump)
        .arg("-h")
        .arg(elf)
        .output()
        .map_err(|e| format!("cannot run {llvm_objdump}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{llvm_objdump} -h {} failed", elf.display()));
    }
    Ok(classify(&String::from_utf8_lossy(&out.stdout)))
}

/// Sums the section sizes of an `llvm-objdump -h` listing (`Idx Name Size VMA [LMA] Type`,
/// sizes in hex) into flash and RAM. Flash: the sections a flasher writes, those of type
/// `TEXT` or `DATA` (allocated, with contents); a section the ELF keeps without loading it
/// (no type, or `DEBUG`) is not flash. RAM: `.data`, `.bss` and `.uninit` by name, so that
/// the stack and heap regions (allocated too) are left out.
pub fn classify(listing: &str) -> Footprint {
    let mut total = Footprint::default();
    for line in listing.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [index, name, size, ..] = fields[..] else {
            continue;
        };
        let (Ok(_), Ok(size)) = (index.parse::<u32>(), u64::from_str_radix(size, 16)) else {
            continue;
        };
        if matches!(fields.last(), Some(&"TEXT" | &"DATA")) {
            total.flash += size;
        }
        let is = |prefixes: &[&str]| prefixes.iter().any(|p| name.starts_with(p));
        if is(&[".data", ".sdata", ".bss", ".sbss", ".uninit"]) {
            total.ram += size;
        }
    }
    total
}

/// `tool` (`llvm-objdump`, `llvm-nm`) from the `llvm-tools` rustup component (installed if
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
        // Cortex-M layout (`.data` loaded from flash: an LMA column) and a RISC-V one with
        // `.eh_frame` kept but not loaded, as esp-hal places it.
        let cortex_m = "\nfw:\tfile format elf32-littlearm\n\nSections:\nIdx Name Size VMA LMA Type\n\
                        0 00000000 00000000 00000000\n\
                        1 .vector_table 00000400 00000000 00000000 DATA\n\
                        2 .text 00000bb8 00000400 00000400 TEXT\n\
                        3 .rodata 000000c8 00000fb8 00000fb8 DATA\n\
                        4 .data 00000018 20000000 00001080 DATA\n\
                        5 .bss 000000c4 20000018 20000018 BSS\n\
                        6 .uninit 00000000 200000dc 200000dc BSS\n\
                        7 .heap 00000400 200000dc 200000dc BSS\n\
                        8 .debug_info 0000270f 00000000 00000000 DEBUG\n\
                        9 .comment 0000008b 00000000 00000000\n";
        assert_eq!(
            classify(cortex_m),
            Footprint {
                flash: 1024 + 3000 + 200 + 24,
                ram: 24 + 196
            }
        );
        let riscv = "Idx Name Size VMA Type\n\
                     1 .text.dummy 00000000 80000000 BSS\n\
                     2 .text 00000100 80000000 TEXT\n\
                     3 .init.rust 00000016 80000100 TEXT\n\
                     4 .rodata 00000010 80000118 DATA\n\
                     5 .data 00000008 80000128 DATA\n\
                     6 .bss 00000020 80000130 BSS\n\
                     7 .stack 000f0000 80000150 BSS\n\
                     8 .eh_frame 00000b1c 00000000\n";
        assert_eq!(
            classify(riscv),
            Footprint {
                flash: 0x100 + 0x16 + 0x10 + 8,
                ram: 8 + 0x20
            }
        );
    }
}
