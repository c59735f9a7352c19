//! Check lines (on stderr) in the format `cargo xtask qemu` counts (from any context, the fault
//! handler included), and hex output.

use core::sync::atomic::{AtomicU32, Ordering::Relaxed};

use semihosting::eprintln as println;

static PASSED: AtomicU32 = AtomicU32::new(0);
static FAILED: AtomicU32 = AtomicU32::new(0);

/// Prints `test <name> ... ok` or `... FAILED (<detail>)` and counts it.
pub fn check(name: &str, ok: bool, detail: core::fmt::Arguments<'_>) {
    let counter = if ok { &PASSED } else { &FAILED };
    // Load and store: checks run in one context at a time (main, then the fault handler).
    counter.store(counter.load(Relaxed) + 1, Relaxed);
    if ok {
        println!("test {name} ... ok");
    } else {
        println!("test {name} ... FAILED ({detail})");
    }
}

/// Prints the `result:` line; the number of failures.
pub fn finish() -> u32 {
    let (passed, failed) = (PASSED.load(Relaxed), FAILED.load(Relaxed));
    println!("result: {passed} passed, {failed} failed");
    failed
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
