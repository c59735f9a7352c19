//! `iot-perf check`: a full integrity check of a history, read-only.

use std::path::Path;

use anyhow::{Result, bail};

use super::damage;
use super::open::{classify, explain, read_only, retry_busy};
use super::schema::{FileKind, SCHEMA_VERSION};

/// What `check` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckReport {
    /// Schema version of the file (0: written before histories were versioned; `None`
    /// when the damage hides it).
    pub schema: Option<i32>,
    /// Runs stored (when the table could be counted).
    pub runs: Option<i64>,
    /// Everything found wrong; empty when the history is intact.
    pub problems: Vec<String>,
}

/// Checks the history at `path` without changing it: its size, SQLite's full integrity
/// check and its foreign keys. Fails (rather than reporting) when the file is missing,
/// not an SQLite database, another application's, or of a newer schema.
pub fn check(path: &Path) -> Result<CheckReport> {
    if !path.is_file() {
        bail!("no such history: {}", path.display());
    }
    let mut problems: Vec<String> = damage::size_problem(path)?.into_iter().collect();
    let conn = read_only(path)?;
    let kind = match classify(&conn) {
        Ok(kind) => kind,
        Err(e) if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) => {
            problems.push(format!("its schema cannot be read: {e}"));
            return Ok(CheckReport {
                schema: None,
                runs: None,
                problems,
            });
        }
        Err(e) => return Err(explain(path, e)),
    };
    let schema = match kind {
        FileKind::Current => SCHEMA_VERSION,
        FileKind::Older(v) => v,
        FileKind::Empty => bail!(
            "{} is an empty SQLite database, not an iot-perf history",
            path.display()
        ),
        FileKind::Newer(v) => bail!(
            "history {} was written by a newer iot-perf (schema {v}); this one reads up to schema {SCHEMA_VERSION}",
            path.display()
        ),
        FileKind::Foreign(why) => bail!("{} is not an iot-perf history ({why})", path.display()),
    };
    match retry_busy(|| damage::full_check(&conn)) {
        Ok(found) => problems.extend(found),
        Err(e) => problems.push(format!("the integrity check stopped: {e}")),
    }
    let runs = conn
        .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
        .ok();
    Ok(CheckReport {
        schema: Some(schema),
        runs,
        problems,
    })
}
