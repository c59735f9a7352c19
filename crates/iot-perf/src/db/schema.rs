//! What an iot-perf history is: its tables, its SQLite `application_id` and its schema
//! version (`user_version`), and how a file is told apart from a foreign or newer one.

use rusqlite::Connection;

/// `application_id` of an iot-perf history: "IOTP".
pub const APPLICATION_ID: i32 = 0x494F_5450;

/// The schema this build writes and the newest it reads.
/// Schema 2 is schema 1 plus the tables that came after it: traces
/// ([`super::trace::SCHEMA`]), tasks and interrupts ([`super::tasks::SCHEMA`]) and
/// heartbeats ([`super::fleet::FLEET_SCHEMA`]); an older history gets them on its next write.
pub const SCHEMA_VERSION: i32 = 2;

/// The tables of schema 1 (and of the unversioned histories written before it).
pub const SCHEMA: &str = "
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

/// The tables every iot-perf history has, with the columns of `runs` an unversioned
/// history must show to be recognised as one.
const TABLES: [&str; 4] = ["baselines", "runs", "scopes", "snapshots"];
const RUN_COLUMNS: [&str; 9] = [
    "id",
    "name",
    "source",
    "recorded_at_unix_ms",
    "device",
    "firmware",
    "ticks_per_second",
    "corrupt_frames",
    "dropped_on_device",
];

/// What an SQLite file holds, as far as iot-perf is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileKind {
    /// No tables and no application id: a new file, set up on the first write.
    Empty,
    /// An iot-perf history of this build's schema.
    Current,
    /// An iot-perf history of an older schema `version` (0: written before histories
    /// were versioned); readable, upgraded on the next write.
    Older(i32),
    /// An iot-perf history of a newer schema: neither read nor written.
    Newer(i32),
    /// Another application's database; the reason says how it was told apart.
    Foreign(String),
}

/// Reads the header fields and the table list (a read transaction, nothing written).
pub fn classify(conn: &Connection) -> rusqlite::Result<FileKind> {
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    let version: i32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let mut stmt = conn.prepare(
        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    if app_id == APPLICATION_ID {
        return Ok(match version {
            v if v > SCHEMA_VERSION => FileKind::Newer(v),
            v if v == SCHEMA_VERSION => FileKind::Current,
            v => FileKind::Older(v),
        });
    }
    if app_id != 0 {
        return Ok(FileKind::Foreign(format!(
            "its SQLite application id is {app_id:#010x}, not iot-perf's {APPLICATION_ID:#010x}"
        )));
    }
    if tables.is_empty() && version == 0 {
        return Ok(FileKind::Empty);
    }
    if version == 0 && tables == TABLES && run_columns(conn)? == RUN_COLUMNS {
        return Ok(FileKind::Older(0));
    }
    Ok(FileKind::Foreign(format!(
        "it has no iot-perf application id and its tables ({}) are not an iot-perf history's",
        tables.join(", ")
    )))
}

fn run_columns(conn: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT name FROM pragma_table_info('runs') ORDER BY cid")?;
    stmt.query_map([], |r| r.get(0))?.collect()
}

/// Creates (or completes) the tables and stamps the application id and schema version.
/// Run inside a write transaction, after [`classify`] said `Empty` or `Older`.
pub fn install(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(SCHEMA)?;
    conn.execute_batch(super::trace::SCHEMA)?;
    conn.execute_batch(super::tasks::SCHEMA)?;
    conn.execute_batch(super::fleet::FLEET_SCHEMA)?;
    conn.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {SCHEMA_VERSION};"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_legacy_current_newer_and_foreign_files_are_told_apart() {
        let conn = Connection::open_in_memory().unwrap();
        assert_eq!(classify(&conn).unwrap(), FileKind::Empty);
        conn.execute_batch(SCHEMA).unwrap();
        assert_eq!(
            classify(&conn).unwrap(),
            FileKind::Older(0),
            "main's histories"
        );
        install(&conn).unwrap();
        assert_eq!(classify(&conn).unwrap(), FileKind::Current);
        conn.execute_batch("PRAGMA user_version = 7").unwrap();
        assert_eq!(classify(&conn).unwrap(), FileKind::Newer(7));

        let other = Connection::open_in_memory().unwrap();
        other
            .execute_batch("CREATE TABLE notes (body TEXT)")
            .unwrap();
        assert!(matches!(classify(&other).unwrap(), FileKind::Foreign(_)));
        let other = Connection::open_in_memory().unwrap();
        other.execute_batch("PRAGMA application_id = 42").unwrap();
        assert!(matches!(classify(&other).unwrap(), FileKind::Foreign(_)));
        // A table called `runs` is not enough.
        let other = Connection::open_in_memory().unwrap();
        other
            .execute_batch(
                "CREATE TABLE runs (id INTEGER); CREATE TABLE snapshots (x); CREATE TABLE scopes (x); CREATE TABLE baselines (x);",
            )
            .unwrap();
        assert!(matches!(classify(&other).unwrap(), FileKind::Foreign(_)));
    }
}
