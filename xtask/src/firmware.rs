//! Building and running the firmware examples under `examples/` (outside the workspace).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One firmware build: an example package and the target it is built for.
#[derive(Debug, Clone, Copy)]
pub struct Firmware {
    /// Directory under `examples/`.
    pub example: &'static str,
    /// Rust target triple.
    pub target: &'static str,
    /// QEMU machine it runs on.
    pub machine: &'static str,
}

impl Firmware {
    /// The QEMU command that runs `elf` (the same as the example's cargo runner).
    pub fn qemu(&self, elf: &Path) -> Command {
        let mut cmd;
        if self.target.starts_with("riscv") {
            cmd = Command::new("qemu-system-riscv32");
            cmd.args(["-machine", self.machine, "-bios", "none"]);
        } else {
            cmd = Command::new("qemu-system-arm");
            cmd.args(["-machine", self.machine]);
            if self.machine == "microbit" {
                cmd.args(["-cpu", "cortex-m0"]);
            }
        }
        cmd.args([
            "-nographic",
            "-semihosting-config",
            "enable=on,target=native",
            "-icount",
            "shift=0,sleep=off",
            "-kernel",
        ]);
        cmd.arg(elf);
        cmd
    }
}

/// Every firmware the QEMU suite runs.
pub const QEMU_SUITES: &[Firmware] = &[
    Firmware {
        example: "qemu-cortex-m",
        target: "thumbv7m-none-eabi",
        machine: "mps2-an385",
    },
    Firmware {
        example: "qemu-cortex-m",
        target: "thumbv7em-none-eabihf",
        machine: "mps2-an386",
    },
    Firmware {
        example: "qemu-cortex-m",
        target: "thumbv6m-none-eabi",
        machine: "microbit",
    },
    Firmware {
        example: "qemu-riscv",
        target: "riscv32imac-unknown-none-elf",
        machine: "virt",
    },
    Firmware {
        example: "qemu-riscv",
        target: "riscv32imc-unknown-none-elf",
        machine: "virt",
    },
    // The Cortex-M MemManage fault handler (feature `mpu-fault-handler`): fault, record,
    // reset, and the record read after the reboot.
    Firmware {
        example: "qemu-mpu-fault",
        target: "thumbv7m-none-eabi",
        machine: "mps2-an385",
    },
    // The spec's "Main Application Integration" and "Task-based Monitoring" code.
    Firmware {
        example: "qemu-seed",
        target: "thumbv7m-none-eabi",
        machine: "mps2-an385",
    },
    Firmware {
        example: "qemu-seed",
        target: "riscv32imac-unknown-none-elf",
        machine: "virt",
    },
    // The event trace: cost per event, reconstruction, post-mortem dump (issue 14).
    Firmware {
        example: "qemu-trace",
        target: "thumbv7m-none-eabi",
        machine: "mps2-an385",
    },
    Firmware {
        example: "qemu-trace",
        target: "riscv32imac-unknown-none-elf",
        machine: "virt",
    },
    Firmware {
        example: "qemu-trace",
        target: "riscv32imc-unknown-none-elf",
        machine: "virt",
    },
];

/// The workspace root (xtask lives one level below it).
pub fn workspace_root() -> PathBuf {
    let manifest = env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| "xtask".into());
    Path::new(&manifest)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// One target directory shared by every firmware build, so that embassy and the library
/// are compiled once per target: `$FIRMWARE_TARGET_DIR`, else `target/firmware`.
pub fn target_dir() -> PathBuf {
    match env::var_os("FIRMWARE_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("target").join("firmware"),
    }
}

/// A `cargo` command in the example's directory (so that its `.cargo/config.toml`
/// applies) with the shared target directory.
pub fn cargo_in(example: &str) -> Command {
    let mut cmd = Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(workspace_root().join("examples").join(example));
    cmd.env("CARGO_TARGET_DIR", target_dir());
    // The host build's flags must not leak into firmware builds.
    cmd.env_remove("RUSTFLAGS");
    cmd
}

/// Path of a release binary built by [`cargo_in`].
pub fn release_elf(target: &str, bin: &str) -> PathBuf {
    target_dir().join(target).join("release").join(bin)
}
