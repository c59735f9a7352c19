//! The history database: one SQLite file, created by the first write.
//!
//! Each ingest is a *run*, stored all at once when the capture ends ([`record`]); nothing
//! already in the file is ever rewritten by an ingest. The file carries iot-perf's
//! application id and schema version ([`schema`]); writers set it up once however many
//! open a new file together, readers open it read-only and never create anything
//! ([`open`]); damage is refused on open and reported in full by `iot-perf check`
//! ([`damage`], [`check`]).

mod append;
mod check;
mod damage;
pub mod fleet;
mod latest;
mod open;
mod record;
mod schema;
mod tasks;
mod trace;

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use iot_performance::wire::SnapshotRecord;

pub use append::{Append, Appended};
pub use check::check;
pub use record::{Recording, RunName};
pub use tasks::delete_run_rows;
pub use trace::{TraceDecoder, TraceItem, remove_run as remove_trace};

use crate::model::{LoadedRun, Run, ScopeRow};

/// A saved baseline.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Baseline {
    /// Its name.
    pub name: String,
    /// The run it points to.
    pub run: String,
    /// When it was saved, Unix ms.
    pub saved_at_unix_ms: i64,
}

/// The open history file.
pub struct History {
    conn: Connection,
    path: PathBuf,
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl History {
    /// Opens the history at `path` for writing, creating it (and its directory) on first
    /// use and upgrading an older schema; refuses foreign, newer and damaged files.
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self {
            conn: open::for_writing(path)?,
            path: path.to_owned(),
        })
    }

    /// Opens the existing history at `path` read-only (nothing is created or changed).
    pub fn open_read(path: &Path) -> Result<Self> {
        Ok(Self {
            conn: open::for_reading(path)?,
            path: path.to_owned(),
        })
    }

    /// The id of the run called `name` (or with that numeric id).
    pub fn run_id(&self, name: &str) -> Result<Option<i64>> {
        let by_name = self
            .conn
            .query_row("SELECT id FROM runs WHERE name = ?1", [name], |r| r.get(0))
            .optional()?;
        if by_name.is_some() {
            return Ok(by_name);
        }
        match name.parse::<i64>() {
            Ok(id) => Ok(self
                .conn
                .query_row("SELECT id FROM runs WHERE id = ?1", [id], |r| r.get(0))
                .optional()?),
            Err(_) => Ok(None),
        }
    }

    /// The run called `name`, or an error listing what exists.
    pub fn run(&self, name: &str) -> Result<Run> {
        let Some(id) = self.run_id(name)? else {
            let known: Vec<String> = self.runs()?.into_iter().map(|r| r.name).collect();
            bail!(
                "no run named {name:?} in the history (known: {})",
                known.join(", ")
            );
        };
        Ok(self.conn.query_row(
            "SELECT id, name, source, recorded_at_unix_ms, device, firmware, corrupt_frames, dropped_on_device FROM runs WHERE id = ?1",
            [id],
            run_from_row,
        )?)
    }

    /// The run called `name` (or with that id) with its snapshots and scope rows.
    pub fn load(&self, name: &str) -> Result<LoadedRun> {
        let run = self.run(name)?;
        Ok(LoadedRun {
            snapshots: self.snapshots(run.id)?,
            scopes: self.scopes(run.id)?,
            tasks: tasks::load(&self.conn, run.id)?,
            run,
        })
    }

    /// The run baseline `name` points to, loaded.
    pub fn load_baseline(&self, name: &str) -> Result<LoadedRun> {
        self.load(&self.baseline_run(name)?.name)
    }

    /// Every run, oldest first.
    pub fn runs(&self) -> Result<Vec<Run>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, name, source, recorded_at_unix_ms, device, firmware, corrupt_frames, dropped_on_device FROM runs ORDER BY id",
        )?;
        let rows = stmt.query_map([], run_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The snapshots of a run, in arrival order.
    fn snapshots(&self, run_id: i64) -> Result<Vec<SnapshotRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT timestamp_us, heap_used, heap_free, heap_total, stack_used, stack_free, static_memory,
                    fragmentation, cpu_utilization, uptime_ms, task_count, interrupt_count, context_switches, temperature
             FROM snapshots WHERE run_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([run_id], snapshot_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The scope rows of a run, in arrival order.
    fn scopes(&self, run_id: i64) -> Result<Vec<ScopeRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT timestamp_us, name, calls, total_ticks, min_ticks, max_ticks, self_ticks, busy_ticks,
                    wall_ticks, polls, ticks_per_second FROM scopes WHERE run_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([run_id], scope_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Saves (or moves) baseline `name` to point at `run`.
    pub fn save_baseline(&self, name: &str, run: &str) -> Result<()> {
        let run = self.run(run)?;
        self.conn.execute(
            "INSERT INTO baselines (name, run_id, saved_at_unix_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET run_id = excluded.run_id, saved_at_unix_ms = excluded.saved_at_unix_ms",
            params![name, run.id, now_ms()],
        )?;
        Ok(())
    }

    /// All baselines by name.
    pub fn baselines(&self) -> Result<Vec<Baseline>> {
        let mut stmt = self.conn.prepare(
            "SELECT b.name, r.name, b.saved_at_unix_ms FROM baselines b JOIN runs r ON r.id = b.run_id ORDER BY b.name",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(Baseline {
                name: r.get(0)?,
                run: r.get(1)?,
                saved_at_unix_ms: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The run a baseline points to.
    pub fn baseline_run(&self, name: &str) -> Result<Run> {
        let run: Option<String> = self
            .conn
            .query_row(
                "SELECT r.name FROM baselines b JOIN runs r ON r.id = b.run_id WHERE b.name = ?1",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        match run {
            Some(run) => self.run(&run),
            None => bail!(
                "no baseline named {name:?} (save one with `iot-perf baseline save {name} --run RUN`)"
            ),
        }
    }

    /// Removes a baseline (not its run); `false` if there was none.
    pub fn remove_baseline(&self, name: &str) -> Result<bool> {
        Ok(self
            .conn
            .execute("DELETE FROM baselines WHERE name = ?1", [name])?
            > 0)
    }
}

fn run_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Run> {
    Ok(Run {
        id: r.get(0)?,
        name: r.get(1)?,
        source: r.get(2)?,
        recorded_at_unix_ms: r.get(3)?,
        device: r.get(4)?,
        firmware: r.get(5)?,
        corrupt_frames: r.get(6)?,
        dropped_on_device: r.get(7)?,
    })
}

/// A snapshot from a row whose first 14 columns are the snapshot's, in table order.
fn snapshot_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SnapshotRecord> {
    Ok(SnapshotRecord {
        timestamp_us: r.get::<_, i64>(0)? as u64,
        heap_used: r.get::<_, i64>(1)? as u64,
        heap_free: r.get::<_, i64>(2)? as u64,
        heap_total: r.get::<_, i64>(3)? as u64,
        stack_used: r.get::<_, i64>(4)? as u64,
        stack_free: r.get::<_, i64>(5)? as u64,
        static_memory: r.get::<_, i64>(6)? as u64,
        fragmentation: r.get::<_, Option<f64>>(7)?.map(|v| v as f32),
        cpu_utilization: r.get::<_, f64>(8)? as f32,
        uptime_ms: r.get::<_, i64>(9)? as u64,
        task_count: r.get::<_, i64>(10)? as u32,
        interrupt_count: r.get::<_, i64>(11)? as u64,
        context_switches: r.get::<_, i64>(12)? as u64,
        temperature: r.get::<_, Option<f64>>(13)?.map(|v| v as f32),
    })
}

/// A scope row from a row whose first 11 columns are the scope row's, in table order.
fn scope_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ScopeRow> {
    let opt = |v: Option<i64>| v.map(|v| v as u64);
    Ok(ScopeRow {
        timestamp_us: r.get::<_, i64>(0)? as u64,
        name: r.get(1)?,
        calls: r.get::<_, i64>(2)? as u64,
        total_ticks: r.get::<_, i64>(3)? as u64,
        min_ticks: r.get::<_, i64>(4)? as u64,
        max_ticks: r.get::<_, i64>(5)? as u64,
        self_ticks: opt(r.get(6)?),
        busy_ticks: opt(r.get(7)?),
        wall_ticks: opt(r.get(8)?),
        polls: opt(r.get(9)?),
        ticks_per_second: r.get::<_, i64>(10)? as u64,
    })
}
