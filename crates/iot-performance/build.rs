//! Compile-time sizes of the timing profiler's static tables, from environment variables
//! (the way `defmt-rtt` sizes its buffer with `DEFMT_RTT_BUFFER_SIZE`):
//!
//! - `IOT_PERF_MAX_SCOPES` (default 64, 1..=4096): distinct scope names the registry holds.
//! - `IOT_PERF_MAX_ASYNC_SCOPES` (default: as many as scopes, 0..=scopes): scopes that can
//!   be `async fn`s and count polls, busy time and cancellations (24 bytes each on an MCU).
//! - `IOT_PERF_MAX_TASKS` (default 8, 1..=1024): Embassy tasks the trace hooks follow at once.
//!
//! It also sets `cfg(mcu_scope_path)` where scopes take the MCU path (no 64-bit atomics,
//! no `detailed-profiling`): inline counter-register entry, shared leaf exit; and
//! `cfg(host_std)` where the `std` feature is on *and* the target has an operating system,
//! so that the default features build unchanged for firmware (`target_os = "none"`).

use std::env;
use std::fs;
use std::path::PathBuf;

const DEFAULT_SCOPES: usize = 64;
const MAX_SCOPES: usize = 4096;
const DEFAULT_TASKS: usize = 8;
const MAX_TASKS: usize = 1024;

/// The value of the size variable `name`: `default` when unset, an error when out of range.
fn capacity(name: &str, default: usize, max: usize) -> usize {
    capacity_from(name, 1, default, max)
}

/// [`capacity`] with a lower bound of `min`.
fn capacity_from(name: &str, min: usize, default: usize, max: usize) -> usize {
    println!("cargo::rerun-if-env-changed={name}");
    match env::var(name) {
        Err(_) => default,
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => n,
            _ => {
                println!("cargo::error={name}={text:?} is not a number from {min} to {max}");
                default
            }
        },
    }
}

/// Sets `cfg(mcu_scope_path)`: the target has no 64-bit atomics and `detailed-profiling`
/// is off (the same condition, spelled once instead of at every use).
fn mcu_scope_path() {
    println!("cargo::rustc-check-cfg=cfg(mcu_scope_path)");
    let atomics = env::var("CARGO_CFG_TARGET_HAS_ATOMIC").unwrap_or_default();
    let has_64 = atomics.split(',').any(|width| width == "64");
    let detailed = env::var_os("CARGO_FEATURE_DETAILED_PROFILING").is_some();
    if !has_64 && !detailed {
        println!("cargo::rustc-cfg=mcu_scope_path");
    }
}

/// Sets `cfg(host_std)`: the `std` feature (a default) is on and the target has an OS.
/// On `target_os = "none"` the feature is ignored, and its host-only dependencies are not
/// built (they are target-specific in `Cargo.toml`): the seed's dependency line
/// `features = ["cortex-m"]` then builds for a Cortex-M target as written.
fn host_std() {
    println!("cargo::rustc-check-cfg=cfg(host_std)");
    let std = env::var_os("CARGO_FEATURE_STD").is_some();
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if std && os != "none" {
        println!("cargo::rustc-cfg=host_std");
    }
}

fn main() {
    // `--cfg iot_perf_loom`: the model-checked build of the scope counters' tests
    // (.ci/run). Not `loom`: tokio and others change under `--cfg loom`, and RUSTFLAGS
    // reach every crate of the build.
    println!("cargo::rustc-check-cfg=cfg(iot_perf_loom)");
    mcu_scope_path();
    host_std();
    let scopes = capacity("IOT_PERF_MAX_SCOPES", DEFAULT_SCOPES, MAX_SCOPES);
    let async_scopes = capacity_from("IOT_PERF_MAX_ASYNC_SCOPES", 0, scopes, scopes);
    let index = if scopes <= 256 { "u8" } else { "u16" };
    let tasks = capacity("IOT_PERF_MAX_TASKS", DEFAULT_TASKS, MAX_TASKS);
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set: build this crate with cargo");
        return;
    };
    let code = format!(
        "/// How many distinct scope names the registry holds (set at build time with the\n\
         /// `IOT_PERF_MAX_SCOPES` environment variable; default {DEFAULT_SCOPES}). Call sites beyond it\n\
         /// are counted in [`dropped`] (their calls are timed into a sink that no report\n\
         /// shows); slots already taken are never disturbed.\n\
         pub const SCOPE_CAPACITY: usize = {scopes};\n\
         /// How many of those scopes can be `async fn`s that count polls, busy time and\n\
         /// cancellations (set at build time with `IOT_PERF_MAX_ASYNC_SCOPES`; default: as many\n\
         /// as [`SCOPE_CAPACITY`]). Async scopes beyond it are timed like synchronous ones\n\
         /// (calls and wall time; their polls are not counted).\n\
         pub const ASYNC_SCOPE_CAPACITY: usize = {async_scopes};\n\
         /// A slot index as the registry stores it: the smallest type that holds one.\n\
         type SlotIndex = {index};\n"
    );
    if let Err(e) = fs::write(out.join("scope_capacity.rs"), code) {
        println!("cargo::error=cannot write scope_capacity.rs to OUT_DIR: {e}");
    }
    let code = format!(
        "/// How many tasks the table follows at once (set at build time with the\n\
         /// `IOT_PERF_MAX_TASKS` environment variable; default {DEFAULT_TASKS}); more are\n\
         /// counted in [`ExecutorSummary::untracked_tasks`]. Each costs about 64 bytes of RAM.\n\
         pub const TASK_CAPACITY: usize = {tasks};\n"
    );
    if let Err(e) = fs::write(out.join("task_capacity.rs"), code) {
        println!("cargo::error=cannot write task_capacity.rs to OUT_DIR: {e}");
    }
}
