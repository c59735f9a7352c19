//! Recording a run all at once: records are staged in the connection's temporary
//! database (which takes no lock on the history) and copied into the history in one
//! short write transaction at the end. A record that fails, or is killed, leaves the
//! history as it was, so a retry with the same run name works; concurrent recorders
//! hold the write lock only for their final copy.

use anyhow::{Result, bail};
use rusqlite::{Connection, TransactionBehavior, params};

use iot_performance::wire::SnapshotRecord;

use super::open::{explain, retry_busy};
use super::tasks;
use super::{History, int, now_ms};
use crate::model::{OwnedRecord, ScopeRow, SessionRow};

/// The name a recorded run gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunName {
    /// This name; recording fails if a run has it.
    Given(String),
    /// The next free `run-<n>`, chosen when the run is stored.
    Next,
}

impl From<&str> for RunName {
    fn from(name: &str) -> Self {
        Self::Given(name.to_owned())
    }
}

const STAGE: &str = "
DROP TABLE IF EXISTS temp.stage_snapshots;
DROP TABLE IF EXISTS temp.stage_scopes;
CREATE TEMP TABLE stage_snapshots AS SELECT * FROM main.snapshots WHERE 0;
CREATE TEMP TABLE stage_scopes AS SELECT * FROM main.scopes WHERE 0;
";

/// A run being recorded into a [`History`].
pub struct Recording<'h> {
    history: &'h mut History,
    name: RunName,
    source: String,
    started_unix_ms: i64,
    session: Option<SessionRow>,
    dropped_on_device: u32,
    next_seq: i64,
}

impl History {
    /// Starts recording a run; fails at once if a given name is taken.
    pub fn begin_record(&mut self, name: RunName, source: &str) -> Result<Recording<'_>> {
        if let RunName::Given(name) = &name
            && self.run_id(name)?.is_some()
        {
            bail!("a run named {name:?} already exists; pick another --run name");
        }
        let path = self.path.clone();
        retry_busy(|| {
            self.conn.execute_batch(STAGE)?;
            self.conn.execute_batch(super::trace::STAGE)?;
            tasks::stage(&self.conn)
        })
        .map_err(|e| explain(&path, e))?;
        Ok(Recording {
            history: self,
            name,
            source: source.to_owned(),
            started_unix_ms: now_ms(),
            session: None,
            dropped_on_device: 0,
            next_seq: 0,
        })
    }
}

impl Recording<'_> {
    /// The history's connection (for the staging tables of other modules).
    pub(super) fn connection(&self) -> &Connection {
        &self.history.conn
    }

    /// Stages records (nothing reaches the history before [`Recording::finish`]).
    pub fn push(&mut self, records: &[OwnedRecord]) -> Result<()> {
        let tx = self.history.conn.transaction()?;
        for record in records {
            let seq = self.next_seq;
            self.next_seq += 1;
            match record {
                OwnedRecord::Session(s) => self.session = Some(s.clone()),
                OwnedRecord::Snapshot(s) => {
                    insert_snapshot(&tx, "temp.stage_snapshots", 0, seq, s)?
                }
                OwnedRecord::Scope(s) => insert_scope(&tx, "temp.stage_scopes", 0, seq, s)?,
                OwnedRecord::Dropped(n) => {
                    self.dropped_on_device = self.dropped_on_device.max(*n);
                }
                OwnedRecord::Task(t) => tasks::insert_task(&tx, "temp.stage_tasks", 0, seq, t)?,
                OwnedRecord::Interrupt(i) => {
                    tasks::insert_interrupt(&tx, "temp.stage_interrupts", 0, seq, i)?
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Stores the run with everything staged, in one write transaction; returns its name.
    pub fn finish(self, corrupt_frames: u64) -> Result<String> {
        let path = self.history.path.clone();
        let conn = &mut self.history.conn;
        let stored = retry_busy(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let name = match &self.name {
                RunName::Given(name) => {
                    if run_exists(&tx, name)? {
                        return Ok(Err(name.clone()));
                    }
                    name.clone()
                }
                RunName::Next => next_free_name(&tx)?,
            };
            let session = self.session.as_ref();
            tx.execute(
                "INSERT INTO runs (name, source, recorded_at_unix_ms, device, firmware, ticks_per_second, corrupt_frames, dropped_on_device)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    name,
                    self.source,
                    self.started_unix_ms,
                    session.map(|s| s.device.as_str()),
                    session.map(|s| s.firmware.as_str()),
                    session.map(|s| int(s.ticks_per_second)),
                    int(corrupt_frames),
                    self.dropped_on_device
                ],
            )?;
            let id = tx.last_insert_rowid();
            tx.execute("UPDATE temp.stage_snapshots SET run_id = ?1", [id])?;
            tx.execute("UPDATE temp.stage_scopes SET run_id = ?1", [id])?;
            tx.execute_batch(
                "INSERT INTO main.snapshots SELECT * FROM temp.stage_snapshots ORDER BY seq;
                 INSERT INTO main.scopes SELECT * FROM temp.stage_scopes ORDER BY seq;",
            )?;
            super::trace::store_staged(&tx, id)?;
            tasks::store(&tx, id)?;
            tx.commit()?;
            Ok(Ok(name))
        })
        .map_err(|e| explain(&path, e))?;
        let _ = conn.execute_batch(
            "DROP TABLE IF EXISTS temp.stage_snapshots; DROP TABLE IF EXISTS temp.stage_scopes;",
        );
        let _ = conn.execute_batch(super::trace::UNSTAGE);
        let _ = tasks::unstage(conn);
        match stored {
            Ok(name) => Ok(name),
            Err(name) => bail!(
                "a run named {name:?} was stored by another recorder meanwhile; nothing was stored, record again with another --run name"
            ),
        }
    }
}

fn run_exists(conn: &Connection, name: &str) -> rusqlite::Result<bool> {
    conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM runs WHERE name = ?1)",
        [name],
        |r| r.get(0),
    )
}

/// `run-<n>` for the lowest `n` above the highest run id that no run is called.
fn next_free_name(conn: &Connection) -> rusqlite::Result<String> {
    let mut n: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) + 1 FROM runs", [], |r| {
        r.get(0)
    })?;
    loop {
        let name = format!("run-{n}");
        if !run_exists(conn, &name)? {
            return Ok(name);
        }
        n += 1;
    }
}

/// Inserts a snapshot row into `table` (the staging table, or the history's own).
pub(super) fn insert_snapshot(
    conn: &Connection,
    table: &str,
    run_id: i64,
    seq: i64,
    s: &SnapshotRecord,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {table} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
    ))?
    .execute(params![
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
        ])?;
    Ok(())
}

/// Inserts a scope row into `table` (the staging table, or the history's own).
pub(super) fn insert_scope(
    conn: &Connection,
    table: &str,
    run_id: i64,
    seq: i64,
    s: &ScopeRow,
) -> rusqlite::Result<()> {
    conn.prepare_cached(&format!(
        "INSERT INTO {table} VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
    ))?
    .execute(params![
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
    ])?;
    Ok(())
}
