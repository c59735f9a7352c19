//! The history database: one SQLite file, created on first use.
//!
//! Each ingest is a *run*. Records are committed in batches as they arrive, so a capture
//! that is interrupted (or full of corrupt frames) keeps everything stored before; nothing
//! already in the file is ever rewritten by an ingest.

use std::path::Path;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, OptionalExtension, params};

use iot_performance::wire::SnapshotRecord;

use crate::model::{LoadedRun, OwnedRecord, Run, ScopeRow};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    source TEXT NOT NULL,
    recorded_at_unix_ms INTEGER NOT NULL,
    device TEXT,
    firmware TEXT,
    ticks_per_second INTEGER,
    corrupt_frames INTEGER NOT NULL DEFAULT 0,
    dropped_on_device INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS snapshots (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    timestamp_us INTEGER NOT NULL,
    heap_used INTEGER NOT NULL, heap_free INTEGER NOT NULL, heap_total INTEGER NOT NULL,
    stack_used INTEGER NOT NULL, stack_free INTEGER NOT NULL, static_memory INTEGER NOT NULL,
    fragmentation REAL, cpu_utilization REAL NOT NULL, uptime_ms INTEGER NOT NULL,
    task_count INTEGER NOT NULL, interrupt_count INTEGER NOT NULL,
    context_switches INTEGER NOT NULL, temperature REAL
);
CREATE TABLE IF NOT EXISTS scopes (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    timestamp_us INTEGER NOT NULL, name TEXT NOT NULL, calls INTEGER NOT NULL,
    total_ticks INTEGER NOT NULL, min_ticks INTEGER NOT NULL, max_ticks INTEGER NOT NULL,
    self_ticks INTEGER, busy_ticks INTEGER, wall_ticks INTEGER, polls INTEGER,
    ticks_per_second INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS baselines (
    name TEXT PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    saved_at_unix_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS snapshots_by_run ON snapshots(run_id, seq);
CREATE INDEX IF NOT EXISTS scopes_by_run ON scopes(run_id, seq);
";

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
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl History {
    /// Opens (creating on first use) the history at `path`.
    pub fn open(path: &Path) -> Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating directory {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("opening history database {}", path.display()))?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL;")
            .and_then(|()| conn.execute_batch(SCHEMA))
            .with_context(|| format!("{} is not a usable iot-perf history", path.display()))?;
        Ok(Self { conn })
    }

    /// Starts a new run; fails if the name is taken.
    pub fn create_run(&self, name: &str, source: &str) -> Result<i64> {
        if self.run_id(name)?.is_some() {
            bail!("a run named {name:?} already exists; pick another --run name");
        }
        self.conn.execute(
            "INSERT INTO runs (name, source, recorded_at_unix_ms) VALUES (?1, ?2, ?3)",
            params![name, source, now_ms()],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// A fresh run name: `run-<n>`.
    pub fn next_run_name(&self) -> Result<String> {
        let n: i64 = self
            .conn
            .query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM runs", [], |r| {
                r.get(0)
            })?;
        let mut name = format!("run-{n}");
        let mut k = n;
        while self.run_id(&name)?.is_some() {
            k += 1;
            name = format!("run-{k}");
        }
        Ok(name)
    }

    /// Stores a batch of records of one run in one transaction, with the run's counters.
    pub fn store_batch(
        &mut self,
        run_id: i64,
        records: &[OwnedRecord],
        corrupt_frames: u64,
        next_seq: &mut i64,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        for record in records {
            let seq = *next_seq;
            *next_seq += 1;
            match record {
                OwnedRecord::Session(s) => {
                    tx.execute(
                        "UPDATE runs SET device = ?2, firmware = ?3, ticks_per_second = ?4 WHERE id = ?1",
                        params![run_id, s.device, s.firmware, int(s.ticks_per_second)],
                    )?;
                }
                OwnedRecord::Snapshot(s) => insert_snapshot(&tx, run_id, seq, s)?,
                OwnedRecord::Scope(s) => insert_scope(&tx, run_id, seq, s)?,
                OwnedRecord::Dropped(n) => {
                    tx.execute(
                        "UPDATE runs SET dropped_on_device = MAX(dropped_on_device, ?2) WHERE id = ?1",
                        params![run_id, n],
                    )?;
                }
            }
        }
        tx.execute(
            "UPDATE runs SET corrupt_frames = ?2 WHERE id = ?1",
            params![run_id, int(corrupt_frames)],
        )?;
        tx.commit()?;
        Ok(())
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
        let rows = stmt.query_map([run_id], |r| {
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
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The scope rows of a run, in arrival order.
    fn scopes(&self, run_id: i64) -> Result<Vec<ScopeRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT timestamp_us, name, calls, total_ticks, min_ticks, max_ticks, self_ticks, busy_ticks,
                    wall_ticks, polls, ticks_per_second FROM scopes WHERE run_id = ?1 ORDER BY seq",
        )?;
        let opt = |v: Option<i64>| v.map(|v| v as u64);
        let rows = stmt.query_map([run_id], |r| {
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
        })?;
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

fn insert_snapshot(
    tx: &rusqlite::Transaction<'_>,
    run_id: i64,
    seq: i64,
    s: &SnapshotRecord,
) -> Result<()> {
    tx.execute(
        "INSERT INTO snapshots VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
        params![
            run_id,
            seq,
            int(s.timestamp_us),
            int(s.heap_used),
            int(s.heap_free),
            int(s.heap_total),
            int(s.stack_used),
            int(s.stack_free),
            int(s.static_memory),
            s.fragmentation.map(f64::from),
            f64::from(s.cpu_utilization),
            int(s.uptime_ms),
            s.task_count,
            int(s.interrupt_count),
            int(s.context_switches),
            s.temperature.map(f64::from),
        ],
    )?;
    Ok(())
}

fn insert_scope(tx: &rusqlite::Transaction<'_>, run_id: i64, seq: i64, s: &ScopeRow) -> Result<()> {
    tx.execute(
        "INSERT INTO scopes VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            run_id,
            seq,
            int(s.timestamp_us),
            s.name,
            int(s.calls),
            int(s.total_ticks),
            int(s.min_ticks),
            int(s.max_ticks),
            s.self_ticks.map(int),
            s.busy_ticks.map(int),
            s.wall_ticks.map(int),
            s.polls.map(int),
            int(s.ticks_per_second),
        ],
    )?;
    Ok(())
}
