//! Check lines in the format `cargo xtask qemu` counts, and hex output.

use semihosting::println;

/// Tallies checks.
#[derive(Clone, Copy)]
pub struct Report {
    passed: u32,
    failed: u32,
}

impl Report {
    pub const fn new() -> Self {
        Self {
            passed: 0,
            failed: 0,
        }
    }

    pub fn check(&mut self, name: &str, ok: bool, detail: core::fmt::Arguments<'_>) {
        if ok {
            self.passed += 1;
            println!("test {name} ... ok");
        } else {
            self.failed += 1;
            println!("test {name} ... FAILED ({detail})");
        }
    }

    /// Prints the `result:` line; the number of failures.
    pub fn finish(self) -> u32 {
        println!("result: {} passed, {} failed", self.passed, self.failed);
        self.failed
    }
}

/// Prints `prefix` and `bytes` in hex on one line (no heap: a fault handler calls it).
pub fn print_hex(prefix: &str, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut line = [0u8; 512];
    let mut len = 0;
    for &b in bytes.iter().take(line.len() / 2) {
        line[len] = DIGITS[usize::from(b >> 4)];
        line[len + 1] = DIGITS[usize::from(b & 0x0F)];
        len += 2;
    }
    let text = core::str::from_utf8(&line[..len]).unwrap_or("");
    println!("{prefix}{text}");
}
