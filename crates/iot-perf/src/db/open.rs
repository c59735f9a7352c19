//! Opening a history: for writing (created on first use, set up once however many
//! processes open a new file at once) or for reading (read-only, never creating or
//! changing anything), refusing foreign, newer and damaged files.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use rusqlite::{Connection, ErrorCode, OpenFlags, TransactionBehavior};

use super::damage;
use super::schema::{self, FileKind, SCHEMA_VERSION};

/// How long a statement waits for another process's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);
/// Attempts at an operation SQLite refused as busy without waiting (a lock upgrade or a
/// journal-mode switch racing another process).
const BUSY_ATTEMPTS: u32 = 400;

/// Whether `e` is SQLite saying another connection holds a lock.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
    )
}

/// Runs `op` until it is not refused as busy (bounded: [`BUSY_ATTEMPTS`], 2–25 ms apart).
pub fn retry_busy<T>(mut op: impl FnMut() -> rusqlite::Result<T>) -> rusqlite::Result<T> {
    let mut attempt = 0;
    loop {
        match op() {
            Err(e) if is_busy(&e) && attempt < BUSY_ATTEMPTS => {
                attempt += 1;
                std::thread::sleep(Duration::from_millis(fastrand::u64(2..=25)));
            }
            other => return other,
        }
    }
}

/// [`schema::classify`] in one read transaction, so that its header and table reads see
/// the same state while another process sets the file up.
pub fn classify(conn: &Connection) -> rusqlite::Result<FileKind> {
    retry_busy(|| {
        let tx = conn.unchecked_transaction()?;
        let kind = schema::classify(&tx)?;
        tx.commit()?;
        Ok(kind)
    })
}

/// `rusqlite`'s error, said in terms of the history (corrupt, not a database, …).
pub fn explain(path: &Path, e: rusqlite::Error) -> anyhow::Error {
    let what = match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => format!(
            "{} is not an SQLite database (not an iot-perf history)",
            path.display()
        ),
        Some(ErrorCode::DatabaseCorrupt) => format!(
            "history {} is damaged; `iot-perf check` reports what is wrong",
            path.display()
        ),
        _ => format!("reading history {}", path.display()),
    };
    anyhow::Error::new(e).context(what)
}

fn refuse(path: &Path, kind: &FileKind) -> Result<()> {
    match kind {
        FileKind::Newer(v) => bail!(
            "history {} was written by a newer iot-perf (schema {v}); this one reads up to schema {SCHEMA_VERSION}. Use a newer iot-perf; the file was not changed",
            path.display()
        ),
        FileKind::Foreign(why) => bail!(
            "{} is not an iot-perf history ({why}); refusing to touch it",
            path.display()
        ),
        _ => Ok(()),
    }
}

/// Opens the history at `path` for writing, creating it (and its directory) on first use
/// and upgrading an older schema (said on stderr). Foreign, newer and damaged files are
/// refused before anything is written to them.
pub fn for_writing(path: &Path) -> Result<Connection> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("creating directory {}", dir.display()))?;
    }
    damage::check_file_size(path)?;
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening history {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let kind = classify(&conn).map_err(|e| explain(path, e))?;
    refuse(path, &kind)?;
    if kind != FileKind::Empty {
        damage::quick_check(&conn, path)?;
    }
    if kind != FileKind::Current {
        // Set up once: whoever takes the write lock first installs the schema; the others
        // find it done when they get the lock.
        let upgraded_from = retry_busy(|| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let found = schema::classify(&tx)?;
            let upgraded = match found {
                FileKind::Empty => None,
                FileKind::Older(v) => Some(v),
                _ => return Ok(Err(found)),
            };
            schema::install(&tx)?;
            tx.commit()?;
            Ok(Ok(upgraded))
        })
        .map_err(|e| explain(path, e))?;
        match upgraded_from {
            Ok(Some(v)) => eprintln!(
                "note: history {} had schema {v} (an older iot-perf); upgraded it to schema {SCHEMA_VERSION}",
                path.display()
            ),
            Ok(None) => {}
            Err(found) => refuse(path, &found)?,
        }
    }
    retry_busy(|| {
        let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            conn.query_row("PRAGMA journal_mode = WAL", [], |_| Ok(()))?;
        }
        conn.execute_batch("PRAGMA foreign_keys = ON")
    })
    .map_err(|e| explain(path, e))?;
    Ok(conn)
}

/// Opens the existing history at `path` for reading only: nothing is created (a missing
/// file is "no such history"), nothing is written, and a history in a read-only
/// directory reads as well as any other.
pub fn for_reading(path: &Path) -> Result<Connection> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => {}
        Ok(_) => bail!("{} is not a file (no such history)", path.display()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!(
                "no such history: {} (record a run first: `iot-perf record FILE`)",
                path.display()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("opening history {}", path.display())),
    }
    damage::check_file_size(path)?;
    let conn = read_only(path)?;
    let kind = classify(&conn).map_err(|e| explain(path, e))?;
    refuse(path, &kind)?;
    if kind == FileKind::Empty {
        bail!(
            "{} is an empty SQLite database, not an iot-perf history yet (record a run into it first)",
            path.display()
        );
    }
    damage::quick_check(&conn, path)?;
    Ok(conn)
}

/// A connection that never writes: the file is opened without `SQLITE_OPEN_CREATE`
/// (a missing file is not created) and `query_only` refuses every write, while SQLite
/// may still remove the `-wal` and `-shm` files it used when it closes (a connection
/// opened with `SQLITE_OPEN_READONLY` leaves them behind). A WAL history whose `-shm`
/// file cannot be created (a read-only directory, no writer about) is opened as
/// immutable instead.
pub fn read_only(path: &Path) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening history {}", path.display()))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.execute_batch("PRAGMA query_only = ON")?;
    match conn.query_row("PRAGMA schema_version", [], |_| Ok(())) {
        Err(e)
            if matches!(
                e.sqlite_error_code(),
                Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly)
            ) =>
        {
            drop(conn);
            let uri = immutable_uri(path)?;
            let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
                | OpenFlags::SQLITE_OPEN_URI;
            Connection::open_with_flags(&uri, flags)
                .with_context(|| format!("opening history {} read-only", path.display()))
        }
        _ => Ok(conn),
    }
}

/// `file:<absolute path>?immutable=1`, the path percent-encoded where URIs need it.
fn immutable_uri(path: &Path) -> Result<String> {
    let abs = std::path::absolute(path).with_context(|| format!("resolving {}", path.display()))?;
    let Some(text) = abs.to_str() else {
        bail!(
            "{} is not valid UTF-8; cannot open it read-only",
            abs.display()
        );
    };
    let mut uri = String::from("file:");
    for c in text.chars() {
        match c {
            '%' | '?' | '#' => uri.push_str(&format!("%{:02X}", c as u32)),
            c => uri.push(c),
        }
    }
    uri.push_str("?immutable=1");
    Ok(uri)
}
