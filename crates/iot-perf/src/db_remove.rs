//! Removing a run from the history (`iot-perf runs remove NAME`), kept apart from `db.rs`:
//! one transaction on its own connection deletes the run's snapshots, scope rows, task and
//! interrupt rows and the baselines that point at it, then the run itself.

use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

/// What `remove_run` deleted.
#[derive(Debug, PartialEq, Eq)]
pub struct Removed {
    /// The run's name.
    pub run: String,
    /// Baselines that pointed at it, by name.
    pub baselines: Vec<String>,
}

/// Removes run `name` (or the run with that numeric id) from the history at `db`.
///
/// # Errors
/// When the history cannot be opened or written, or has no such run.
pub fn remove_run(db: &Path, name: &str) -> Result<Removed> {
    let mut conn =
        Connection::open(db).with_context(|| format!("opening history {}", db.display()))?;
    let tx = conn.transaction()?;
    let mut found: Option<(i64, String)> = tx
        .query_row("SELECT id, name FROM runs WHERE name = ?1", [name], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    if found.is_none()
        && let Ok(id) = name.parse::<i64>()
    {
        found = tx
            .query_row("SELECT id, name FROM runs WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
    }
    let Some((id, run)) = found else {
        bail!("no run named {name:?} in the history (list them with `iot-perf runs`)");
    };
    let baselines = {
        let mut stmt = tx.prepare("SELECT name FROM baselines WHERE run_id = ?1 ORDER BY name")?;
        let rows = stmt.query_map([id], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<Vec<String>>>()?
    };
    for table in ["snapshots", "scopes", "baselines"] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE run_id = ?1"),
            params![id],
        )?;
    }
    crate::db::remove_trace(&tx, id)?;
    crate::db::delete_run_rows(&tx, id)?;
    tx.execute("DELETE FROM runs WHERE id = ?1", params![id])?;
    tx.commit()?;
    Ok(Removed { run, baselines })
}
