//! Puts the memory map of the QEMU machine that runs this target where the linker finds
//! it: mps2-an385 (flash at 0, RAM at 0x2000_0000) or riscv virt (all in RAM at
//! 0x8000_0000).
use std::{env, fs, path::PathBuf};

fn main() {
    let memory = if env::var("TARGET").unwrap_or_default().starts_with("riscv") {
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
    let out = PathBuf::from(env::var("OUT_DIR").unwrap());
    fs::write(out.join("memory.x"), memory).unwrap();
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=build.rs");
}
