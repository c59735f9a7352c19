//! Histories that are damaged, foreign, newer, missing, older or in a read-only directory.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers fail loudly

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{FIXTURE, iot_perf};

/// iot-perf's SQLite `application_id` ("IOTP") and schema version.
const APPLICATION_ID: i32 = 0x494F_5450;
const SCHEMA_VERSION: i32 = 2;

fn run(db: &Path, args: &[&str]) -> Output {
    iot_perf(db).args(args).output().expect("run iot-perf")
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A history with runs `a` and `b` and baseline `base` on `a`, in a new directory.
fn history() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("history.sqlite");
    for name in ["a", "b"] {
        let out = run(&db, &["record", "--run", name, FIXTURE]);
        assert!(out.status.success(), "{}", err(&out));
    }
    assert!(
        run(&db, &["baseline", "save", "base", "--run", "a"])
            .status
            .success()
    );
    (dir, db)
}

/// Every file in `dir` with its size and a hash of its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, usize, u64)> {
    use std::hash::{Hash as _, Hasher as _};
    let mut files: Vec<(PathBuf, usize, u64)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap_or_default();
            let mut h = std::collections::hash_map::DefaultHasher::new();
            bytes.hash(&mut h);
            (path, bytes.len(), h.finish())
        })
        .collect();
    files.sort();
    files
}

const READS: [&[&str]; 6] = [
    &["runs"],
    &["report", "--run", "b"],
    &["compare", "--baseline", "base", "--run", "b"],
    &["export", "--run", "b", "--format", "influx"],
    &["baseline", "list"],
    &["check"],
];

#[test]
fn a_history_cut_short_is_refused_not_read_as_zeros() {
    let (dir, db) = history();
    let intact = run(
        &db,
        &["compare", "--baseline", "base", "--run", "b", "--json"],
    );
    assert!(intact.status.success(), "{}", err(&intact));
    let len = std::fs::metadata(&db).unwrap().len();
    // Cut inside the last page: on main, `compare` exited 0 with figures read as zeros.
    std::fs::OpenOptions::new()
        .write(true)
        .open(&db)
        .unwrap()
        .set_len(len - 2000)
        .unwrap();
    let before = snapshot(dir.path());

    let out = run(
        &db,
        &["compare", "--baseline", "base", "--run", "b", "--json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(err(&out).contains("is damaged"), "{}", err(&out));
    assert!(err(&out).contains("cut short"), "{}", err(&out));
    let out = run(&db, &["report", "--run", "b", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).is_empty(), "no figures at all: {}", text(&out));
    // `record` does not write into it.
    let out = run(&db, &["record", "--run", "c", FIXTURE]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("is damaged"), "{}", err(&out));
    assert_eq!(
        snapshot(dir.path()),
        before,
        "the damaged file is left as it was"
    );

    let out = run(&db, &["check"]);
    assert_eq!(out.status.code(), Some(4), "{}{}", text(&out), err(&out));
    assert!(text(&out).contains("DAMAGED"), "{}", text(&out));
    assert!(text(&out).contains("cut short"), "{}", text(&out));
}

#[test]
fn a_page_overwritten_with_zeros_is_reported_by_the_quick_check_and_check() {
    let (_dir, db) = history();
    // The cells at the end of the scope table's root page (empty tables, whose pages
    // have no cells to lose, may come last in the file).
    let (root, page): (i64, i64) = {
        let conn = rusqlite::Connection::open(&db).unwrap();
        let root = conn
            .query_row(
                "SELECT rootpage FROM sqlite_schema WHERE name = 'scopes'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        let page = conn
            .query_row("PRAGMA page_size", [], |r| r.get(0))
            .unwrap();
        (root, page)
    };
    let mut bytes = std::fs::read(&db).unwrap();
    let end = usize::try_from(root * page).unwrap();
    bytes[end - 2000..end].fill(0);
    std::fs::write(&db, &bytes).unwrap();

    let out = run(&db, &["compare", "--baseline", "base", "--run", "b"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(err(&out).contains("is damaged"), "{}", err(&out));
    let out = run(&db, &["check"]);
    assert_eq!(out.status.code(), Some(4), "{}{}", text(&out), err(&out));
    assert!(!text(&out).contains("in database main"), "{}", text(&out));
}

#[test]
fn check_passes_an_intact_history() {
    let (_dir, db) = history();
    let out = run(&db, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    assert!(
        text(&out).contains(&format!("intact (schema {SCHEMA_VERSION}, 2 runs")),
        "{}",
        text(&out)
    );
}

#[test]
fn a_newer_schema_is_refused_and_never_written() {
    let (dir, db) = history();
    {
        // What a later release might do: a new column, a higher version.
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch(&format!(
            "ALTER TABLE snapshots ADD COLUMN battery_mv INTEGER; PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
            SCHEMA_VERSION + 1
        ))
        .unwrap();
    }
    let before = snapshot(dir.path());
    let expected = format!(
        "written by a newer iot-perf (schema {}); this one reads up to schema {SCHEMA_VERSION}",
        SCHEMA_VERSION + 1
    );
    let out = run(&db, &["record", "--run", "c", FIXTURE]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains(&expected), "{}", err(&out));
    for args in [
        &["runs"][..],
        &["baseline", "save", "x", "--run", "a"],
        &["check"],
    ] {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(err(&out).contains(&expected), "{args:?}: {}", err(&out));
    }
    assert_eq!(snapshot(dir.path()), before, "nothing written");
}

#[test]
fn another_applications_sqlite_file_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("notes.sqlite");
    {
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
    }
    let before = snapshot(dir.path());
    for args in [
        &["runs"][..],
        &["record", "--run", "r", FIXTURE],
        &["baseline", "save", "x", "--run", "r"],
        &["check"],
    ] {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            err(&out).contains("is not an iot-perf history"),
            "{args:?}: {}",
            err(&out)
        );
    }
    assert_eq!(
        snapshot(dir.path()),
        before,
        "no tables, no WAL, no bytes changed"
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "delete");
}

#[test]
fn read_commands_on_a_missing_history_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("typo").join("histroy.sqlite");
    for args in READS {
        let out = run(&db, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            err(&out).contains(&format!("no such history: {}", db.display())),
            "{args:?}: {}",
            err(&out)
        );
    }
    assert!(!dir.path().join("typo").exists(), "no directory created");
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[cfg(unix)]
#[test]
fn read_commands_work_in_a_read_only_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;

    let (dir, db) = history();
    let set = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set(&db, 0o444);
    set(dir.path(), 0o555);
    // SAFETY: getuid has no preconditions.
    let root = unsafe { libc::getuid() } == 0;
    let mut results = Vec::new();
    for args in READS {
        let mut cmd = iot_perf(&db);
        cmd.args(args);
        if root {
            // Root writes anywhere: read as `nobody`, who may not.
            // SAFETY: setgid/setuid are async-signal-safe and touch no memory of ours.
            unsafe {
                cmd.pre_exec(|| {
                    if libc::setgid(65_534) != 0 || libc::setuid(65_534) != 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    Ok(())
                });
            }
        }
        results.push((args, cmd.output().expect("run iot-perf")));
    }
    set(dir.path(), 0o755);
    for (args, out) in results {
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", err(&out));
    }
}

#[test]
fn an_unversioned_history_from_main_is_read_then_upgraded_on_the_next_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("old.sqlite");
    std::fs::copy(common::UNVERSIONED_HISTORY, &db).unwrap();
    let before = snapshot(dir.path());
    let out = run(&db, &["runs"]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        text(&out).contains(" a ") && text(&out).contains(" b "),
        "{}",
        text(&out)
    );
    let out = run(&db, &["compare", "--baseline", "base", "--run", "b"]);
    assert!(out.status.success(), "{}", err(&out));
    assert_eq!(snapshot(dir.path()), before, "reading does not upgrade");

    let out = run(&db, &["record", "--run", "c", FIXTURE]);
    assert!(out.status.success(), "{}", err(&out));
    assert!(
        err(&out).contains(&format!(
            "had schema 0 (an older iot-perf); upgraded it to schema {SCHEMA_VERSION}"
        )),
        "{}",
        err(&out)
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    let version: i32 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!((id, version), (APPLICATION_ID, SCHEMA_VERSION));
    drop(conn);
    let out = run(&db, &["runs"]);
    assert_eq!(text(&out).lines().count(), 3, "{}", text(&out));
    let out = run(&db, &["record", "--run", "d", FIXTURE]);
    assert!(!err(&out).contains("upgraded"), "once: {}", err(&out));
}
