//! Extracts the README's firmware quick-start blocks for the target being built.
//!
//! In `README.md`, a line `<!-- quick-start: NAME -->` is followed by a fenced `toml` block
//! (the dependency lines) and a fenced `rust` block (the code). The `rust` block becomes
//! the body of `pub async fn quick_start()`; each `toml` line must be one of this crate's
//! `Cargo.toml` lines, the `iot-performance` version replaced by the repository path.

use std::env;
use std::fs;
use std::path::PathBuf;

/// The README block a target builds, by the target's architecture and atomics.
fn block_name() -> Option<&'static str> {
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let features = env::var("CARGO_CFG_TARGET_FEATURE").unwrap_or_default();
    let atomics = features.split(',').any(|f| f == "a");
    match arch.as_str() {
        "arm" => Some("cortex-m"),
        "riscv32" if atomics => Some("riscv"),
        "riscv32" => Some("esp32c3"),
        _ => None,
    }
}

/// The `toml` and `rust` blocks after the marker of `name`.
fn blocks<'a>(readme: &'a str, name: &str) -> Result<(Vec<&'a str>, Vec<&'a str>), String> {
    let marker = format!("<!-- quick-start: {name} -->");
    let mut lines = readme.lines().skip_while(|l| l.trim() != marker).skip(1);
    let mut fenced = |lang: &str| -> Result<Vec<&'a str>, String> {
        let open = lines
            .by_ref()
            .find(|l| l.starts_with("```"))
            .ok_or_else(|| format!("README.md: no block after `{marker}`"))?;
        if !open.trim_start_matches('`').starts_with(lang) {
            return Err(format!(
                "README.md: after `{marker}` expected a ```{lang} block, found `{open}`"
            ));
        }
        Ok(lines
            .by_ref()
            .take_while(|l| !l.starts_with("```"))
            .collect())
    };
    let toml = fenced("toml")?;
    let rust = fenced("rust")?;
    Ok((toml, rust))
}

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let readme_path = manifest_dir.join("../../README.md");
    println!("cargo::rerun-if-changed={}", readme_path.display());
    println!("cargo::rerun-if-changed=Cargo.toml");
    let out = PathBuf::from(env::var("OUT_DIR").unwrap_or_default()).join("quick_start.rs");
    let Some(name) = block_name() else {
        // A host build (e.g. a workspace-wide tool): nothing to check.
        fs::write(&out, "").unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
        return;
    };
    let readme = fs::read_to_string(&readme_path)
        .unwrap_or_else(|e| panic!("reading {}: {e}", readme_path.display()));
    let manifest = fs::read_to_string(manifest_dir.join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("reading Cargo.toml: {e}"));
    let (toml, rust) = match blocks(&readme, name) {
        Ok(b) => b,
        Err(e) => {
            println!("cargo::error={e}");
            return;
        }
    };
    for line in toml.iter().filter(|l| !l.trim().is_empty()) {
        let expected = line.replace(
            "version = \"0.1\"",
            "path = \"../../crates/iot-performance\"",
        );
        if !manifest.lines().any(|m| m.trim() == expected.trim()) {
            println!(
                "cargo::error=README.md quick start `{name}`: the dependency line `{line}` is not this crate's (examples/quick-start/Cargo.toml must build with the README's lines as written)"
            );
        }
    }
    let body = rust.join("\n");
    let code = format!(
        "/// The README's `{name}` quick start, as written.\n\
         #[allow(unused_variables, unused_imports, non_snake_case)]\n\
         pub async fn quick_start() -> iot_performance::Result<()> {{\n{body}\nOk(())\n}}\n"
    );
    fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
