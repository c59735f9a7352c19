//! Puts QEMU virt's memory map (everything in RAM at 0x8000_0000) where the linker finds it,
//! and places the unwind tables the way an ESP32-C3 firmware gets them.
use std::{env, fs, path::PathBuf};

fn main() {
    let memory = "MEMORY { RAM : ORIGIN = 0x80000000, LENGTH = 1M }
REGION_ALIAS(\"REGION_TEXT\", RAM);
REGION_ALIAS(\"REGION_RODATA\", RAM);
REGION_ALIAS(\"REGION_DATA\", RAM);
REGION_ALIAS(\"REGION_BSS\", RAM);
REGION_ALIAS(\"REGION_HEAP\", RAM);
REGION_ALIAS(\"REGION_STACK\", RAM);
";
    // rustc emits `.eh_frame` unwind tables for riscv32 even with `panic = "abort"`.
    // riscv-rt 0.18's link.x no longer names the section, so the linker would place it as an
    // orphan between `.rodata` and `.data`: loaded, about 1 KiB of the library's footprint.
    // esp-hal, which ESP32-C3 firmware (the riscv32imc chip this library's users have) links
    // with, keeps it as a non-loaded `(INFO)` section (esp-hal's `ld/sections/eh_frame.x`):
    // in the ELF for debuggers, never in flash. Do the same, so that `cargo xtask size`
    // measures what an ESP32-C3 firmware carries. Nothing reads the tables at run time
    // (`panic = "abort"`, no unwinder).
    let eh_frame = "SECTIONS {
  .eh_frame 0 (INFO) : { KEEP(*(.eh_frame)); }
  .eh_frame_hdr 0 (INFO) : { KEEP(*(.eh_frame_hdr)); }
}
";
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("memory.x"), memory).unwrap();
    fs::write(out.join("eh_frame.x"), eh_frame).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rustc-link-arg-bins=-Teh_frame.x");
    println!("cargo:rerun-if-changed=build.rs");
}
