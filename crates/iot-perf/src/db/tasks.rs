//! The history's task and interrupt handler tables (schema 2): how rows are staged while
//! a run is recorded, stored with it, loaded, and removed with it. A history of schema 1
//! or older has no such tables: it reads as runs without task rows and gets the tables
//! on its next write.

use anyhow::Result;
use rusqlite::{Connection, params};

use super::int;
use crate::model::{InterruptRow, TaskRow, TaskTables};

/// The tables schema 2 adds.
pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS tasks (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    timestamp_us INTEGER NOT NULL, task_id INTEGER NOT NULL, name TEXT,
    polls INTEGER NOT NULL, busy_ticks INTEGER NOT NULL, wakeups INTEGER NOT NULL,
    ready_latency_total_ticks INTEGER NOT NULL, ready_latency_max_ticks INTEGER NOT NULL,
    ended INTEGER NOT NULL, ticks_per_second INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS interrupts (
    run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    timestamp_us INTEGER NOT NULL, name TEXT NOT NULL, count INTEGER NOT NULL,
    timed INTEGER NOT NULL, total_ticks INTEGER NOT NULL, max_ticks INTEGER NOT NULL,
    ticks_per_second INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_by_run ON tasks(run_id, seq);
CREATE INDEX IF NOT EXISTS interrupts_by_run ON interrupts(run_id, seq);
";

const TABLES: [&str; 2] = ["tasks", "interrupts"];

/// Creates the staging tables of a recording (in the connection's temporary database).
pub fn stage(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.stage_tasks;
         DROP TABLE IF EXISTS temp.stage_interrupts;
         CREATE TEMP TABLE stage_tasks AS SELECT * FROM main.tasks WHERE 0;
         CREATE TEMP TABLE stage_interrupts AS SELECT * FROM main.interrupts WHERE 0;",
    )
}

/// Drops the staging tables.
pub fn unstage(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "DROP TABLE IF EXISTS temp.stage_tasks; DROP TABLE IF EXISTS temp.stage_interrupts;",
    )
}

/// Inserts one task row of run `run_id` into `table` (the recording's staging table, or
/// `main.tasks` when appending).
pub fn insert_task(
    conn: &Connection,
    table: &str,
    run_id: i64,
    seq: i64,
    t: &TaskRow,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO {table} VALUES (?12, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"),
        params![
            seq,
            int(t.timestamp_us),
            t.id,
            t.name,
            t.polls,
            int(t.busy_ticks),
            t.wakeups,
            int(t.ready_latency_total_ticks),
            t.ready_latency_max_ticks,
            t.ended,
            int(t.ticks_per_second),
            run_id,
        ],
    )?;
    Ok(())
}

/// Inserts one interrupt handler row of run `run_id` into `table` (the recording's staging
/// table, or `main.interrupts` when appending).
pub fn insert_interrupt(
    conn: &Connection,
    table: &str,
    run_id: i64,
    seq: i64,
    i: &InterruptRow,
) -> rusqlite::Result<()> {
    conn.execute(
        &format!("INSERT INTO {table} VALUES (?9, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            seq,
            int(i.timestamp_us),
            i.name,
            i.count,
            i.timed,
            int(i.total_ticks),
            i.max_ticks,
            int(i.ticks_per_second),
            run_id,
        ],
    )?;
    Ok(())
}

/// Copies the staged rows into the history as run `run_id`'s (inside the run's write
/// transaction).
pub fn store(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    conn.execute("UPDATE temp.stage_tasks SET run_id = ?1", [run_id])?;
    conn.execute("UPDATE temp.stage_interrupts SET run_id = ?1", [run_id])?;
    conn.execute_batch(
        "INSERT INTO main.tasks SELECT * FROM temp.stage_tasks ORDER BY seq;
         INSERT INTO main.interrupts SELECT * FROM temp.stage_interrupts ORDER BY seq;",
    )
}

/// Whether the history has the tables (schema 2 or newer).
fn present(conn: &Connection) -> rusqlite::Result<bool> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM sqlite_schema WHERE type = 'table' AND name IN ('tasks', 'interrupts')",
        [],
        |r| r.get(0),
    )?;
    Ok(n == TABLES.len() as i64)
}

/// Removes run `run_id`'s rows (nothing in a history without the tables).
pub fn delete_run_rows(conn: &Connection, run_id: i64) -> rusqlite::Result<()> {
    if present(conn)? {
        for table in TABLES {
            conn.execute(&format!("DELETE FROM {table} WHERE run_id = ?1"), [run_id])?;
        }
    }
    Ok(())
}

/// Run `run_id`'s rows, in arrival order (none in a history without the tables).
pub fn load(conn: &Connection, run_id: i64) -> Result<TaskTables> {
    if !present(conn)? {
        return Ok(TaskTables::default());
    }
    let mut stmt = conn.prepare(
        "SELECT timestamp_us, task_id, name, polls, busy_ticks, wakeups, ready_latency_total_ticks,
                ready_latency_max_ticks, ended, ticks_per_second FROM tasks WHERE run_id = ?1 ORDER BY seq",
    )?;
    let tasks = stmt
        .query_map([run_id], |r| {
            Ok(TaskRow {
                timestamp_us: r.get::<_, i64>(0)? as u64,
                id: r.get(1)?,
                name: r.get(2)?,
                polls: r.get(3)?,
                busy_ticks: r.get::<_, i64>(4)? as u64,
                wakeups: r.get(5)?,
                ready_latency_total_ticks: r.get::<_, i64>(6)? as u64,
                ready_latency_max_ticks: r.get(7)?,
                ended: r.get(8)?,
                ticks_per_second: r.get::<_, i64>(9)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    let mut stmt = conn.prepare(
        "SELECT timestamp_us, name, count, timed, total_ticks, max_ticks, ticks_per_second
         FROM interrupts WHERE run_id = ?1 ORDER BY seq",
    )?;
    let interrupts = stmt
        .query_map([run_id], |r| {
            Ok(InterruptRow {
                timestamp_us: r.get::<_, i64>(0)? as u64,
                name: r.get(1)?,
                count: r.get(2)?,
                timed: r.get(3)?,
                total_ticks: r.get::<_, i64>(4)? as u64,
                max_ticks: r.get(5)?,
                ticks_per_second: r.get::<_, i64>(6)? as u64,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(TaskTables { tasks, interrupts })
}
