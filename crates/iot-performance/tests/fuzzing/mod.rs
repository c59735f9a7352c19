//! Shared parts of the fuzz targets: budgets, execution counts, corpus files, mutations.
#![allow(dead_code)]

pub mod baseline;
pub mod flash;
pub mod frame;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use arbtest::arbitrary::{Result, Unstructured};

/// Time budget of one target: `IOT_PERF_FUZZ_MS`, 2 000 ms by default (the CI pass).
pub fn budget_ms() -> u64 {
    std::env::var("IOT_PERF_FUZZ_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000)
}

/// Runs `check` on fresh inputs for the budget; prints and returns the executions.
pub fn fuzz(target: &str, mut check: impl FnMut(&mut Unstructured<'_>) -> Result<()>) -> u64 {
    let runs = AtomicU64::new(0);
    let start = std::time::Instant::now();
    arbtest::arbtest(|u| {
        runs.fetch_add(1, Ordering::Relaxed);
        check(u)
    })
    .size_max(4096)
    .budget_ms(budget_ms());
    let n = runs.load(Ordering::Relaxed);
    println!(
        "fuzz {target}: {n} executions in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    n
}

/// The committed corpus of `target`: tests/fuzz-corpus/<target>/*, sorted by name.
pub fn corpus(target: &str) -> Vec<Vec<u8>> {
    let dir = corpus_dir(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display())))
        .collect()
}

pub fn corpus_dir(target: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target)
}

/// A few random edits of `seed`: bit flips, byte changes, inserts, removals, cuts, splices.
pub fn mutate(u: &mut Unstructured<'_>, seed: &[u8]) -> Result<Vec<u8>> {
    let mut b = seed.to_vec();
    for _ in 0..u.int_in_range(0..=6)? {
        let at = u.int_in_range(0..=b.len())?;
        match u.int_in_range(0..=5)? {
            0 if at < b.len() => b[at] ^= 1 << u.int_in_range(0..=7)?,
            1 if at < b.len() => b[at] = u.arbitrary()?,
            2 => b.insert(at, u.arbitrary()?),
            3 if at < b.len() => drop(b.remove(at)),
            4 => b.truncate(at),
            _ => {
                let extra: Vec<u8> = u.arbitrary()?;
                b.splice(at..at, extra);
            }
        }
    }
    Ok(b)
}

/// Raw bytes, or a mutated corpus entry (most of the time).
pub fn input(u: &mut Unstructured<'_>, corpus: &[Vec<u8>]) -> Result<Vec<u8>> {
    if corpus.is_empty() || u.ratio(1, 5)? {
        u.arbitrary()
    } else {
        let seed = u.choose(corpus)?;
        mutate(u, seed)
    }
}
