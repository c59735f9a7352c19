//! The README's "Firmware quick start" blocks, built as written: `build.rs` copies each
//! platform's fenced `rust` block out of `README.md` into the body of an `async fn`
//! returning `iot_performance::Result<()>` (the context the README names), and checks the
//! platform's `toml` block against this crate's dependency lines. `cargo xtask
//! check-targets` builds it for `thumbv7em-none-eabihf` (Cortex-M),
//! `riscv32imac-unknown-none-elf` (RISC-V) and `riscv32imc-unknown-none-elf` (ESP32-C3):
//!
//! ```text
//! cargo build --manifest-path examples/quick-start/Cargo.toml --target thumbv7em-none-eabihf
//! ```
//!
//! Nothing here runs: the examples the README names under each block run the same lines.
#![no_std]

include!(concat!(env!("OUT_DIR"), "/quick_start.rs"));
