//! Compile-time sizes of the timing profiler's static tables, from environment variables
//! (the way `defmt-rtt` sizes its buffer with `DEFMT_RTT_BUFFER_SIZE`):
//!
//! - `IOT_PERF_MAX_SCOPES` (default 64, 1..=4096): distinct scope names the registry holds.

use std::env;
use std::fs;
use std::path::PathBuf;

const DEFAULT_SCOPES: usize = 64;
const MAX_SCOPES: usize = 4096;

fn main() {
    println!("cargo::rerun-if-env-changed=IOT_PERF_MAX_SCOPES");
    let scopes = match env::var("IOT_PERF_MAX_SCOPES") {
        Err(_) => DEFAULT_SCOPES,
        Ok(text) => match text.trim().parse::<usize>() {
            Ok(n) if (1..=MAX_SCOPES).contains(&n) => n,
            _ => {
                println!(
                    "cargo::error=IOT_PERF_MAX_SCOPES={text:?} is not a number from 1 to {MAX_SCOPES}"
                );
                DEFAULT_SCOPES
            }
        },
    };
    let Some(out) = env::var_os("OUT_DIR").map(PathBuf::from) else {
        println!("cargo::error=OUT_DIR is not set: build this crate with cargo");
        return;
    };
    let code = format!(
        "/// How many distinct scope names the registry holds (set at build time with the\n\
         /// `IOT_PERF_MAX_SCOPES` environment variable; default {DEFAULT_SCOPES}). Call sites beyond it\n\
         /// are counted in [`dropped`] and cost one load and a branch; slots already taken are\n\
         /// never disturbed.\n\
         pub const SCOPE_CAPACITY: usize = {scopes};\n"
    );
    if let Err(e) = fs::write(out.join("scope_capacity.rs"), code) {
        println!("cargo::error=cannot write scope_capacity.rs to OUT_DIR: {e}");
    }
}
