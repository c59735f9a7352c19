//! Damage detection: a file that is not a whole number of pages (cut short), SQLite's
//! quick check on every open, and its full integrity check for `iot-perf check`.

use std::io::Read as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

use super::open::explain;

/// Problems reported one by one before the rest is only counted.
const LISTED: usize = 20;

/// The SQLite header's page size, when the file starts with an SQLite header.
fn page_size(path: &Path) -> Result<Option<u64>> {
    let mut header = [0u8; 100];
    let mut file =
        std::fs::File::open(path).with_context(|| format!("opening {}", path.display()))?;
    let mut filled = 0;
    while filled < header.len() {
        match file.read(&mut header[filled..]) {
            Ok(0) => return Ok(None),
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }
    if &header[..16] != b"SQLite format 3\0" {
        return Ok(None);
    }
    Ok(Some(match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65_536,
        n => u64::from(n),
    }))
}

/// The ways the file's size shows damage: SQLite only ever writes whole pages, so a
/// history whose size is not a multiple of its page size was cut short (the missing
/// bytes of the last page would otherwise read as zeros).
pub fn size_problem(path: &Path) -> Result<Option<String>> {
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    match page_size(path)? {
        Some(page) if page > 0 && len % page != 0 => Ok(Some(format!(
            "the file is {len} bytes, not a whole number of its {page}-byte pages: it was cut short ({} bytes of page {} are missing)",
            page - len % page,
            len / page + 1
        ))),
        _ => Ok(None),
    }
}

/// Refuses a history whose size shows it was cut short.
pub fn check_file_size(path: &Path) -> Result<()> {
    match size_problem(path)? {
        Some(problem) => bail!(
            "history {} is damaged: {problem}; `iot-perf check` reports what is wrong",
            path.display()
        ),
        None => Ok(()),
    }
}

/// The problems an integrity pragma lists, one per line (without its `ok` and its
/// `*** in database main ***` headings).
fn problems(conn: &Connection, pragma: &str) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare(pragma)?;
    let rows: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(rows
        .iter()
        .flat_map(|r| r.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != "ok" && !l.starts_with("*** in database"))
        .map(str::to_owned)
        .collect())
}

/// SQLite's quick check (page structure, not index contents): run on every open.
pub fn quick_check(conn: &Connection, path: &Path) -> Result<()> {
    let found =
        problems(conn, &format!("PRAGMA quick_check({LISTED})")).map_err(|e| explain(path, e))?;
    if let Some(first) = found.first() {
        bail!(
            "history {} is damaged ({first}{}); `iot-perf check` reports what is wrong",
            path.display(),
            if found.len() > 1 { ", …" } else { "" }
        );
    }
    Ok(())
}

/// Everything SQLite's full integrity check and foreign-key check find wrong.
pub fn full_check(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut found = problems(conn, &format!("PRAGMA integrity_check({LISTED})"))?;
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let orphans = stmt
        .query_map([], |r| {
            Ok(format!(
                "a row of {} (rowid {}) points at a missing row of {}",
                r.get::<_, String>(0)?,
                r.get::<_, Option<i64>>(1)?.unwrap_or(-1),
                r.get::<_, String>(2)?
            ))
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    found.extend(orphans);
    Ok(found)
}
