//! Puts the memory map of the QEMU machine that runs this target where the linker finds
//! it: mps2-an385 (flash at 0, RAM at 0x2000_0000) or riscv virt (all in RAM at
//! 0x8000_0000), and on RISC-V places the unwind tables the way an ESP32-C3 firmware gets
//! them. qemu-trace and qemu-riscv build with this script too.
use std::{env, fs, path::PathBuf};

fn main() {
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    let memory = if env::var("TARGET").unwrap_or_default().starts_with("riscv") {
        // rustc emits `.eh_frame` unwind tables for riscv32 even with `panic = "abort"`.
        // riscv-rt 0.18's link.x no longer names the section, so the linker would place it
        // as an orphan between `.rodata` and `.data`: loaded, about 1 KiB of the library's
        // footprint. esp-hal, which ESP32-C3 firmware (the riscv32imc chip this library's
        // users have) links with, keeps it as a non-loaded `(INFO)` section (esp-hal's
        // `ld/sections/eh_frame.x`): in the ELF for debuggers, never in flash. Do the same,
        // so that `cargo xtask size` measures what an ESP32-C3 firmware carries. Nothing
        // reads the tables at run time (`panic = "abort"`, no unwinder).
        let eh_frame = "SECTIONS {
  .eh_frame 0 (INFO) : { KEEP(*(.eh_frame)); }
  .eh_frame_hdr 0 (INFO) : { KEEP(*(.eh_frame_hdr)); }
}
";
        fs::write(out.join("eh_frame.x"), eh_frame).unwrap();
        println!("cargo:rustc-link-arg-bins=-Teh_frame.x");
        "MEMORY { RAM : ORIGIN = 0x80000000, LENGTH = 1M }
REGION_ALIAS(\"REGION_TEXT\", RAM);
REGION_ALIAS(\"REGION_RODATA\", RAM);
REGION_ALIAS(\"REGION_DATA\", RAM);
REGION_ALIAS(\"REGION_BSS\", RAM);
REGION_ALIAS(\"REGION_HEAP\", RAM);
REGION_ALIAS(\"REGION_STACK\", RAM);
"
    } else {
        "MEMORY { FLASH : ORIGIN = 0x00000000, LENGTH = 4M\n RAM : ORIGIN = 0x20000000, LENGTH = 4M }\n"
    };
    fs::write(out.join("memory.x"), memory).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    // This file's own path: the packages that share it name it `../qemu-seed/build.rs`
    // (a plain `build.rs` would be missing there and rerun the script on every build).
    println!("cargo:rerun-if-changed={}", file!());
}
